"""Safe normalisation of an answer: mechanical slips fixed without changing what a correct
answer computes. Pure.

A small model often writes the right function and then loses it to a slip the tests cannot
forgive (issue #13 quotes each from the exam's record):

- **Test lines pasted from the prompt**: top-level `assert candidate(...) == ...`, `print(...)`,
  `x = candidate(...)` or an `if __name__ == "__main__":` block. `candidate` exists only inside
  the test harness, so loading the answer raises NameError before any test runs. Top-level
  asserts, main blocks and statements that call the entry point (or the function aliased as
  it), `print`, `candidate` or a name defined nowhere are dropped; a dropped assignment must
  not be read by any definition. Other top-level code (imports, constants, a setup call of a
  helper, `sys.setrecursionlimit(...)`) is kept.
- **The function under another name** (`sum_of_two` for `add`, `candidate` for `split_items`):
  when the entry point is not defined and exactly one top-level function is not called by
  another, and its parameters accept the entry point's arity (when the prompt shows the
  signature), `entry = that_function` is appended: recursion and helpers keep working.
- **An unterminated docstring**: the closing quotes are put after the first line at which the
  rest of the answer parses (the docstring's end), else at the very end.

Each rule fires only on code that would otherwise fail to load or lack the entry point, or on
top-level statements that cannot change the functions' behaviour; code with nothing to fix
comes back unchanged (`changes` empty).
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass, field

_SIGNATURE = re.compile(r"`(\w+)\(([^`]*)\)[^`]*`")
_TRIPLE = re.compile(r'"""|\'\'\'')
HARNESS_NAMES = frozenset({"candidate", "check"})


@dataclass(frozen=True)
class Normalised:
    code: str
    changes: list[str] = field(default_factory=list)  # what was done, for the attempt record


def _parse(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError):
        return None


def close_docstring(code: str) -> tuple[str, bool]:
    """Close an unterminated triple-quoted string: after the first line where the code then
    parses, else at the end. Unchanged when the code parses or the error is another one."""
    try:
        ast.parse(code)
        return code, False
    except SyntaxError as exc:
        if "unterminated triple-quoted" not in str(exc.msg):
            return code, False
        line = (exc.lineno or 1) - 1
    except ValueError:
        return code, False
    lines = code.splitlines()
    if not 0 <= line < len(lines):
        return code, False
    quote = _TRIPLE.findall(lines[line])
    mark = quote[-1] if quote else '"""'
    for end in range(line, len(lines)):
        trial = "\n".join(lines[:end] + [lines[end] + mark] + lines[end + 1:])
        if _parse(trial) is not None and (_bodies_kept(trial) or end == len(lines) - 1):
            return trial, True
    return code, False


def _bodies_kept(code: str) -> bool:
    """Every function has a statement besides its docstring (a docstring closed too late
    swallows the body)."""
    tree = _parse(code)
    if tree is None:
        return False
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            rest = node.body[1:] if _is_docstring(node.body[0]) else node.body
            if not rest:
                return False
    return True


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def _defined(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.With)):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    names.add(sub.id)
    return names


def _functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _called(node: ast.AST) -> set[str]:
    return {c.func.id for c in ast.walk(node) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)}


def _is_main_block(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    parts = [node.test.left, *node.test.comparators]
    return any(isinstance(p, ast.Name) and p.id == "__name__" for p in parts)


def drop_test_lines(code: str, calls_to: set[str] | frozenset[str] = frozenset()) -> tuple[str, list[str]]:
    """The answer without top-level test lines: asserts, main blocks, and expression statements
    or assignments that call `print`, a function in `calls_to` (the entry point), a harness
    name (`candidate`, `check`) or a name defined nowhere, or that read what such a dropped
    assignment bound. An assignment read by a definition is kept."""
    tree = _parse(code)
    if tree is None:
        return code, []
    known = _defined(tree) | set(dir(builtins))
    test_names = set(calls_to) | HARNESS_NAMES | {"print"}
    read_by_defs = {n.id for d in tree.body if isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                    for n in ast.walk(d) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    gone_names: set[str] = set()

    def is_test(node: ast.AST) -> bool:
        calls = _called(node)
        loads = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        return bool(calls & test_names) or any(c not in known for c in calls) or bool(loads & gone_names)

    drop: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.Assert) or _is_main_block(node):
            drop.append(node)
        elif isinstance(node, ast.Expr) and not _is_docstring(node) and is_test(node):
            drop.append(node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None and is_test(node.value):
            targets = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
            if targets and not targets & (read_by_defs | set(calls_to)):
                drop.append(node)
                gone_names.update(targets)
    if not drop:
        return code, []
    lines = code.splitlines()
    gone: set[int] = set()
    for node in drop:
        gone.update(range(node.lineno - 1, node.end_lineno or node.lineno))
    kept = "\n".join(ln for i, ln in enumerate(lines) if i not in gone).rstrip() + "\n"
    if _parse(kept) is None:
        return code, []
    kinds = sorted({"main block" if _is_main_block(n) else type(n).__name__.lower() for n in drop})
    return kept, [f"dropped {len(drop)} top-level test line(s) ({', '.join(kinds)})"]


def _arity(args: ast.arguments) -> tuple[int, float]:
    """(required, accepted) positional parameters."""
    positional = args.posonlyargs + args.args
    required = len(positional) - len(args.defaults)
    return required, float("inf") if args.vararg else len(positional)


def signature_arity(prompt: str, entry_point: str) -> int | None:
    """How many parameters the prompt's signature of the entry point has, when it shows one
    (`def f(a, b):` or the task bank's `f(a: int, b: int) -> int` in backticks)."""
    tree = _parse(prompt)
    if tree is not None:
        for f in _functions(tree):
            if f.name == entry_point:
                return len(f.args.posonlyargs + f.args.args)
    for name, params in _SIGNATURE.findall(prompt or ""):
        if name == entry_point:
            stub = _parse(f"def {name}({params}):\n    pass\n")
            if stub is not None:
                f = stub.body[0]
                assert isinstance(f, ast.FunctionDef)
                return len(f.args.posonlyargs + f.args.args)
    return None


def alias_target(code: str, entry_point: str, prompt: str = "") -> str | None:
    """The function to alias as the missing entry point: the one top-level function no other
    calls (public ones first), taking the prompt's number of arguments; None when ambiguous."""
    tree = _parse(code)
    if tree is None or entry_point in _defined(tree):
        return None
    funcs = _functions(tree)
    called = set().union(*(_called(f) for f in funcs)) if funcs else set()
    roots = [f for f in funcs if f.name not in called and not f.name.startswith("_")] or \
            [f for f in funcs if f.name not in called]
    if len(roots) != 1:
        return None
    want = signature_arity(prompt, entry_point)
    required, accepted = _arity(roots[0].args)
    if want is not None and not required <= want <= accepted:
        return None
    return roots[0].name


def normalise(code: str, entry_point: str, prompt: str = "") -> Normalised:
    """The answer with its mechanical slips fixed (see the module docstring)."""
    changes: list[str] = []
    code, closed = close_docstring(code)
    if closed:
        changes.append("closed an unterminated docstring")
    target = alias_target(code, entry_point, prompt)
    code, dropped = drop_test_lines(code, {entry_point} | ({target} if target else set()))
    changes += dropped
    if target:
        code = code.rstrip() + f"\n\n\n{entry_point} = {target}\n"
        changes.append(f"{entry_point} = {target}")
    return Normalised(code, changes)
