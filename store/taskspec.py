"""The task specification: validation, defaults, the public view, and task files.

Pure functions (no database): the queue, the CLI and the trainer all validate through here,
so a task is judged the same way wherever it comes from. `validate_task` reports every
problem, one line each, instead of stopping at the first, so a task file is fixed in one go.
"""

from __future__ import annotations

import ast
import json
import keyword
import re
import tomllib
import uuid
from pathlib import Path
from typing import Any

from store.errors import TaskFileError

SOURCES = ("user", "humaneval", "trainer", "llm")
USER_SOURCES = ("user", "humaneval")  # leased before trainer/llm tasks
TEXT_FIELDS = ("title", "prompt", "skill", "entry_point", "visible_tests", "hidden_tests", "edge_tests", "context")
TEST_FIELDS = ("visible_tests", "hidden_tests", "edge_tests")
REQUIRED = ("title", "prompt", "skill", "difficulty", "entry_point", "hidden_tests")
FIELDS: dict[str, tuple[type, ...]] = {
    "id": (str,), "title": (str,), "prompt": (str,), "skill": (str,), "difficulty": (int,),
    "entry_point": (str,), "visible_tests": (str,), "hidden_tests": (str,), "edge_tests": (str,),
    "reference": (str, type(None)), "constraints": (dict,), "source": (str,), "priority": (int,),
    "max_attempts": (int,), "meta": (dict,), "context": (str,),
}
PUBLIC_FIELDS = ("id", "title", "prompt", "skill", "difficulty", "entry_point", "visible_tests",
                 "constraints", "source")
CONSTRAINT_DEFAULTS: dict[str, Any] = {"time_limit_s": 5.0, "memory_mb": 512, "forbidden_imports": []}
MAX_TEXT = 200_000  # characters per text field: bounds a message and a database row
MAX_TITLE = 200
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$")
SKILL_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
MODULE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def _type_name(types: tuple[type, ...]) -> str:
    names = {str: "string", int: "integer", dict: "map", type(None): "null", float: "number"}
    return " or ".join(names.get(t, t.__name__) for t in types)


def _is(value: Any, types: tuple[type, ...]) -> bool:
    # bool is an int to Python, never to a task file.
    return isinstance(value, types) and not (isinstance(value, bool) and bool not in types)


def count_tests(source: str | ast.Module) -> int:
    """Tests in a sandbox tests file: top-level asserts plus top-level `def test_*()`."""
    tree = ast.parse(source) if isinstance(source, str) else source
    return sum(1 for node in tree.body
               if isinstance(node, ast.Assert)
               or (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_")))


def _parse(field: str, source: str) -> ast.Module | str:
    """The syntax tree, or the one-line problem when the source does not parse."""
    try:
        return ast.parse(source)
    except SyntaxError as exc:
        return f"{field}: does not parse: line {exc.lineno}: {exc.msg}"
    except ValueError as exc:  # e.g. NUL bytes
        return f"{field}: does not parse: {exc}"


def defines(tree: ast.Module, name: str) -> bool:
    """Does the module define `name` at top level (function, class or assignment)?"""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return True
    return False


def _check_context(task: dict[str, Any]) -> list[str]:
    """The trusted context (helpers the tests use, run by the judge before them) must parse
    and must not define `candidate` or the entry point: those names are the candidate's."""
    source = task.get("context")
    if not isinstance(source, str) or not source.strip():
        return []
    tree = _parse("context", source)
    if isinstance(tree, str):
        return [tree]
    ep = task.get("entry_point")
    taken = [n for n in ("candidate", ep) if isinstance(n, str) and defines(tree, n)]
    return [f"context: defines {', '.join(map(repr, taken))}, which the tests reach as the candidate"] if taken else []


def _check_tests(task: dict[str, Any]) -> list[str]:
    problems = []
    for field in TEST_FIELDS:
        source = task.get(field)
        if not isinstance(source, str) or not source.strip():
            if field == "hidden_tests" and isinstance(source, str):
                problems.append("hidden_tests: must contain at least one test")
            continue
        tree = _parse(field, source)
        if isinstance(tree, str):
            problems.append(tree)
        elif count_tests(tree) == 0:
            problems.append(f"{field}: contains no tests (a top-level assert or def test_*())")
    return problems


def _check_constraints(constraints: Any) -> list[str]:
    if not isinstance(constraints, dict):
        return []
    problems = []
    for key in constraints:
        if key not in CONSTRAINT_DEFAULTS:
            problems.append(f"constraints.{key}: unknown constraint (known: {', '.join(CONSTRAINT_DEFAULTS)})")
    t = constraints.get("time_limit_s", CONSTRAINT_DEFAULTS["time_limit_s"])
    if not _is(t, (int, float)) or not 0 < t <= 600:
        problems.append(f"constraints.time_limit_s: expected a number of seconds in (0, 600], got {t!r}")
    m = constraints.get("memory_mb", CONSTRAINT_DEFAULTS["memory_mb"])
    if not _is(m, (int,)) or not 16 <= m <= 65536:
        problems.append(f"constraints.memory_mb: expected an integer 16..65536, got {m!r}")
    f = constraints.get("forbidden_imports", [])
    if not isinstance(f, list) or not all(isinstance(x, str) and MODULE_RE.match(x) for x in f):
        problems.append(f"constraints.forbidden_imports: expected a list of module names, got {f!r}")
    return problems


def _check_values(task: dict[str, Any]) -> list[str]:
    problems = []
    title = task.get("title")
    if isinstance(title, str) and (not title.strip() or "\n" in title.strip() or len(title) > MAX_TITLE):
        problems.append(f"title: expected one non-empty line of at most {MAX_TITLE} characters")
    for field in TEXT_FIELDS + ("reference",):
        value = task.get(field)
        if isinstance(value, str) and len(value) > MAX_TEXT:
            problems.append(f"{field}: longer than {MAX_TEXT} characters")
    if isinstance(task.get("prompt"), str) and not task["prompt"].strip():
        problems.append("prompt: must not be empty")
    skill = task.get("skill")
    if isinstance(skill, str) and not SKILL_RE.match(skill):
        problems.append(f"skill: expected lower-case letters, digits, '_', '.', '-' (max 64), got {skill!r}")
    d = task.get("difficulty")
    if _is(d, (int,)) and not 1 <= d <= 10:
        problems.append(f"difficulty: expected 1..10, got {d}")
    ep = task.get("entry_point")
    if isinstance(ep, str) and (not ep.isidentifier() or keyword.iskeyword(ep)):
        problems.append(f"entry_point: not a valid Python identifier: {ep!r}")
    tid = task.get("id")
    if isinstance(tid, str) and not ID_RE.match(tid):
        problems.append(f"id: expected 1-128 characters of letters, digits, '_.:/-', got {tid!r}")
    source = task.get("source", "user")
    if isinstance(source, str) and source not in SOURCES:
        problems.append(f"source: unknown source {source!r} (known: {', '.join(SOURCES)})")
    if source in ("trainer", "llm") and not task.get("reference"):
        problems.append(f"reference: required for {source} tasks")
    ma = task.get("max_attempts")
    if _is(ma, (int,)) and not 1 <= ma <= 100:
        problems.append(f"max_attempts: expected 1..100, got {ma}")
    pr = task.get("priority")
    if _is(pr, (int,)) and not -1_000_000 <= pr <= 1_000_000:
        problems.append(f"priority: expected -1000000..1000000, got {pr}")
    ref = task.get("reference")
    if isinstance(ref, str) and ref.strip():
        tree = _parse("reference", ref)
        if isinstance(tree, str):
            problems.append(tree)
        elif isinstance(ep, str) and ep.isidentifier() and not defines(tree, ep):
            problems.append(f"reference: does not define the entry point {ep!r}")
    return problems


def validate_task(data: Any) -> list[str]:
    """Every problem with a task, one line each; an empty list means valid."""
    if not isinstance(data, dict):
        return [f"task: expected a map of fields, got {type(data).__name__}"]
    problems = []
    for key in data:
        if key not in FIELDS:
            problems.append(f"{key}: unknown field (known: {', '.join(FIELDS)})")
    for key in REQUIRED:
        if key not in data or data[key] is None:
            problems.append(f"{key}: missing (required)")
    for key, types in FIELDS.items():
        if key in data and data[key] is not None and not _is(data[key], types):
            problems.append(f"{key}: expected {_type_name(types)}, got {type(data[key]).__name__}")
    if "constraints" in data and data["constraints"] is None:
        problems.append("constraints: expected map, got null")
    problems += _check_values(data)
    problems += _check_tests(data)
    problems += _check_context(data)
    problems += _check_constraints(data.get("constraints", {}))
    return problems


def normalize_task(data: dict[str, Any], *, max_attempts: int = 3) -> dict[str, Any]:
    """A valid task with every field present: defaults filled, constraints completed."""
    task = {key: data.get(key) for key in FIELDS}
    task["id"] = data.get("id") or uuid.uuid4().hex
    task["title"] = str(data["title"]).strip()
    for field in ("visible_tests", "edge_tests", "context"):
        task[field] = data.get(field) or ""
    task["reference"] = data.get("reference") or None
    task["constraints"] = {**CONSTRAINT_DEFAULTS, **(data.get("constraints") or {})}
    task["constraints"]["time_limit_s"] = float(task["constraints"]["time_limit_s"])
    task["constraints"]["forbidden_imports"] = list(task["constraints"]["forbidden_imports"])
    task["source"] = data.get("source") or "user"
    task["priority"] = data.get("priority") or 0
    task["max_attempts"] = data.get("max_attempts") or max_attempts
    task["meta"] = dict(data.get("meta") or {})
    return task


def public_view(task: dict[str, Any]) -> dict[str, Any]:
    """What a builder may see: never hidden tests, edge tests or the reference."""
    return {key: task.get(key) for key in PUBLIC_FIELDS}


def load_task_file(path: str | Path) -> list[dict[str, Any]]:
    """Tasks from a JSON or TOML file (by extension; else JSON then TOML is tried).

    Accepted shapes: one task (a map), a list of tasks, or a map with a `tasks` list (JSON)
    or `[[tasks]]` array of tables (TOML). Tasks are returned unvalidated.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TaskFileError(f"{p}: task file not found") from None
    except UnicodeDecodeError:
        raise TaskFileError(f"{p}: not a UTF-8 text file") from None
    except OSError as exc:
        raise TaskFileError(f"{p}: cannot read: {exc.strerror}") from None
    data = _parse_text(p, text)
    if isinstance(data, dict) and "tasks" in data:
        data = data["tasks"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        raise TaskFileError(f"{p}: expected a task, a list of tasks or a 'tasks' list")
    return data


def _parse_text(p: Path, text: str) -> Any:
    suffix = p.suffix.lower()
    if suffix == ".toml":
        return _toml(p, text)
    if suffix == ".json":
        return _json(p, text)
    try:
        return _json(p, text)
    except TaskFileError:
        try:
            return _toml(p, text)
        except TaskFileError:
            raise TaskFileError(f"{p}: neither valid JSON nor valid TOML") from None


def _json(p: Path, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TaskFileError(f"{p}: not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None


def _toml(p: Path, text: str) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TaskFileError(f"{p}: not valid TOML: {exc}") from None
