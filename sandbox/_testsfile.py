"""The tests-file format (docs/architecture.md, CLI contracts): each top-level `assert` and
each `def test_*()` is a test.

Pure: parses trusted test source into an ordered plan; the judge (sandbox._judge) executes the
plan in its own namespace and the supervisor uses the same names to know which verdicts to expect.
"""

from __future__ import annotations

import ast
import functools
import re
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


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")  # lines as the parser counts them (not form feeds)


def _segment(lines: list[str], stmt: ast.stmt) -> str:
    """ast.get_source_segment on lines split once (it splits the whole file again on every call,
    character by character: a tests file of n asserts cost n times its length)."""
    if stmt.end_lineno is None or stmt.end_col_offset is None:
        return ""
    first, last = stmt.lineno - 1, stmt.end_lineno - 1
    raw = [line.encode("utf-8", "surrogatepass") for line in lines[first:last + 1]]
    if not raw:
        return ""
    if first == last:
        raw[0] = raw[0][stmt.col_offset:stmt.end_col_offset]
    else:
        raw[0], raw[-1] = raw[0][stmt.col_offset:], raw[-1][:stmt.end_col_offset]
    return b"".join(raw).decode("utf-8", "surrogatepass")


def _assert_name(stmt: ast.stmt, lines: list[str]) -> str:
    text = _segment(lines, stmt) or "assert"
    text = " ".join(text.split())
    return f"L{stmt.lineno}: {text[:100]}"


def plan(source: str, *, compiled: bool = True) -> list[Step]:
    """The ordered steps of a tests file; raises TestsFileError when it cannot be run.

    `compiled=False` leaves `code` None: enough for the names, and cheaper (the caller and
    the supervisor only need the names; the run's init compiles). Those plans are kept per
    source (a grade asks for each of its files more than once: the Scorer, then sandbox.suite).
    """
    if not compiled:
        return list(_names_plan(source))
    return _plan(source, compiled=True)


@functools.lru_cache(maxsize=256)
def _names_plan(source: str) -> tuple[Step, ...]:
    return tuple(_plan(source, compiled=False))


def _plan(source: str, *, compiled: bool) -> list[Step]:
    try:
        tree = ast.parse(source, TESTS_FILENAME)
    except SyntaxError as exc:
        raise TestsFileError(f"tests file does not parse: line {exc.lineno}: {exc.msg}") from None
    steps: list[Step] = []
    seen_funcs: set[str] = set()
    lines = _LINE.findall(source)
    for stmt in tree.body:
        code = compile(ast.Module(body=[stmt], type_ignores=[]), TESTS_FILENAME, "exec") if compiled else None
        if isinstance(stmt, ast.Assert):
            steps.append(Step("assert", _assert_name(stmt, lines), code, stmt.lineno))
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
