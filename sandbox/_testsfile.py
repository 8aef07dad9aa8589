"""The tests-file format (docs/architecture.md, CLI contracts): each top-level `assert` and
each `def test_*()` is a test.

Pure: parses trusted test source into an ordered plan; the judge (sandbox._judge) executes the
plan in its own namespace and the supervisor uses the same names to know which verdicts to expect.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from types import CodeType

TESTS_FILENAME = "<tests>"


class TestsFileError(ValueError):
    """The tests file does not parse or holds no test."""

    __test__ = False


@dataclass(frozen=True)
class Step:
    """One top-level statement: "setup" (run in order), "assert" (one test), "def" (a test_* function)."""

    kind: str
    name: str
    code: CodeType | None
    lineno: int


def _assert_name(stmt: ast.stmt, source: str) -> str:
    text = ast.get_source_segment(source, stmt) or "assert"
    text = " ".join(text.split())
    return f"L{stmt.lineno}: {text[:100]}"


def plan(source: str, *, compiled: bool = True) -> list[Step]:
    """The ordered steps of a tests file; raises TestsFileError when it cannot be run.

    `compiled=False` leaves `code` None: enough for the names, and cheaper (the caller and
    the supervisor only need the names; the run's init compiles).
    """
    try:
        tree = ast.parse(source, TESTS_FILENAME)
    except SyntaxError as exc:
        raise TestsFileError(f"tests file does not parse: line {exc.lineno}: {exc.msg}") from None
    steps: list[Step] = []
    seen_funcs: set[str] = set()
    for stmt in tree.body:
        code = compile(ast.Module(body=[stmt], type_ignores=[]), TESTS_FILENAME, "exec") if compiled else None
        if isinstance(stmt, ast.Assert):
            steps.append(Step("assert", _assert_name(stmt, source), code, stmt.lineno))
            continue
        steps.append(Step("setup", "", code, stmt.lineno))
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name.startswith("test_"):
            if stmt.name not in seen_funcs:  # a redefinition replaces the function, not the test
                seen_funcs.add(stmt.name)
                steps.append(Step("def", stmt.name, None, stmt.lineno))
    if not any(s.kind != "setup" for s in steps):
        raise TestsFileError("tests file holds no test: no top-level assert and no def test_*()")
    # test_* functions run after the whole file has been executed, in definition order.
    return [s for s in steps if s.kind != "def"] + [s for s in steps if s.kind == "def"]


def test_names(source: str) -> list[str]:
    """The names of the tests of a tests file, in the order they run."""
    return [s.name for s in plan(source, compiled=False) if s.kind != "setup"]
