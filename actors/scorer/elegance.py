"""Elegance by static analysis with `ast`: simple, shallow, short, tidy code scores high.

Measured: cyclomatic complexity (the most complex function), nesting depth, length
(statements, against the reference's when known), unused names, bare `except:` and
names that shadow builtins. Pure: source in, numbers out; the code is never run.
"""

from __future__ import annotations

import ast
import builtins
import functools
from typing import Any

BUILTIN_NAMES = frozenset(n for n in dir(builtins) if not n.startswith("_"))
_BRANCHES = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.IfExp, ast.ExceptHandler, ast.Assert,
             ast.comprehension, ast.match_case)
_BLOCKS = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try,
           ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)

# Thresholds: at or below "good" a measure scores 1, at "bad" it scores 0, linear between.
# With a reference, "good" rises to the reference's own complexity and depth (same span).
COMPLEXITY_GOOD, COMPLEXITY_BAD = 6, 20
DEPTH_GOOD, DEPTH_BAD = 3, 7
LENGTH_RATIO_GOOD, LENGTH_RATIO_BAD = 1.5, 5.0
LENGTH_GOOD_ABS, LENGTH_BAD_ABS = 25, 120  # statements, when there is no reference to compare


def _ramp(value: float, good: float, bad: float) -> float:
    if value <= good:
        return 1.0
    if value >= bad:
        return 0.0
    return 1.0 - (value - good) / (bad - good)


def complexity(node: ast.AST) -> int:
    """McCabe-style: 1 + branch points (+ each extra operand of and/or, each comprehension if)."""
    total = 1
    for sub in ast.walk(node):
        if isinstance(sub, _BRANCHES):
            total += 1
        if isinstance(sub, ast.BoolOp):
            total += len(sub.values) - 1
        if isinstance(sub, ast.comprehension):
            total += len(sub.ifs)
    return total


def max_complexity(tree: ast.AST) -> int:
    funcs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return max((complexity(f) for f in funcs), default=complexity(tree))


def nesting_depth(node: ast.AST, depth: int = 0) -> int:
    """The deepest chain of nested blocks (the top-level function body counts as depth 1)."""
    best = depth
    for child in ast.iter_child_nodes(node):
        inner = depth + 1 if isinstance(child, _BLOCKS) else depth
        best = max(best, nesting_depth(child, inner))
    return best


def statement_count(tree: ast.AST) -> int:
    return sum(isinstance(n, ast.stmt) and not _is_docstring(n) for n in ast.walk(tree))


def _is_docstring(node: ast.AST) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def unused_names(tree: ast.AST) -> list[str]:
    """Imports and local variables bound but never read (`_`-prefixed names are exempt)."""
    out = []
    loaded = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    loaded |= {n.value.id for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                name = (alias.asname or alias.name).split(".")[0]
                if name not in loaded and name != "*":
                    out.append(name)
    for func in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
        stored = {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        read = {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        # A name read by an inner function (closure, nonlocal) counts as read.
        out.extend(sorted(name for name in stored - read - loaded if not name.startswith("_")))
    return out


def bare_excepts(tree: ast.AST) -> int:
    return sum(isinstance(n, ast.ExceptHandler) and n.type is None for n in ast.walk(tree))


def shadowed_builtins(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.append(node.id)
        elif isinstance(node, ast.arg):
            names.append(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
    return sorted({n for n in names if n in BUILTIN_NAMES})


@functools.lru_cache(maxsize=256)
def reference_measures(reference: str) -> tuple[int | None, int, int]:
    """(statements, complexity, nesting depth) of a reference, (None, 0, 0) without one: the
    same for every candidate of a task, so measured once (the Scorer grades a task many times)."""
    if not reference:
        return None, 0, 0
    try:
        tree = ast.parse(reference)
    except (SyntaxError, ValueError):
        return None, 0, 0
    return statement_count(tree), max_complexity(tree), nesting_depth(tree)


def elegance(code: str, reference: str | None = None) -> tuple[float, dict[str, Any]]:
    """Elegance in 0..1 and the measures behind it. Code that does not parse scores 0."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError) as exc:
        return 0.0, {"error": f"does not parse: {exc}"}
    cc = max_complexity(tree)
    depth = nesting_depth(tree)
    length = statement_count(tree)
    ref_length, ref_cc, ref_depth = reference_measures(reference or "")
    # A task that needs branching allows as much as its reference uses.
    cc_good, depth_good = max(COMPLEXITY_GOOD, ref_cc), max(DEPTH_GOOD, ref_depth)
    if ref_length:
        length_score = _ramp(length / ref_length, LENGTH_RATIO_GOOD, LENGTH_RATIO_BAD)
    else:
        length_score = _ramp(length, LENGTH_GOOD_ABS, LENGTH_BAD_ABS)
    unused = unused_names(tree)
    bare = bare_excepts(tree)
    shadowed = shadowed_builtins(tree)
    base = (0.4 * _ramp(cc, cc_good, cc_good + COMPLEXITY_BAD - COMPLEXITY_GOOD)
            + 0.3 * _ramp(depth, depth_good, depth_good + DEPTH_BAD - DEPTH_GOOD) + 0.3 * length_score)
    penalty = min(0.3, 0.1 * len(unused)) + 0.2 * bare + min(0.3, 0.1 * len(shadowed))
    value = max(0.0, min(1.0, base - penalty))
    return round(value, 4), {"complexity": cc, "depth": depth, "statements": length,
                             "reference_statements": ref_length, "unused": unused,
                             "bare_except": bare, "shadowed_builtins": shadowed}
