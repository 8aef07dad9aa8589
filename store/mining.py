"""Lessons mined from the model's own failures: recurring patterns in a skill's failed attempts,
each written as one concrete lesson with its evidence (how many answers, which attempts).

Pure: `mine(rows)` reads failed attempts as the record keeps them ({"id", "code", "error",
"entry_point", "passed"}; passing rows are ignored) and returns the patterns seen in at least
`MIN_EVIDENCE` of them, most frequent first. The patterns are the ones the embedded model's
record shows (a trained home's history: the function under another name, tests pasted into the
answer, a builtin called wrongly, a name never defined, an unclosed docstring or bracket, a
`while True:` that never ends, printing instead of returning). The store keeps one lesson per (skill,
pattern) (store/_lessons.py): a pattern seen again updates its evidence, never its text, and a
retired lesson stays retired. Each failed verdict runs the detectors on its own attempt (`detect`, a fraction of a
millisecond); only a pattern that is not a lesson yet sends Memory back over the window.
"""

from __future__ import annotations

import ast
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

MIN_EVIDENCE = 2  # failed attempts showing a pattern before it becomes a lesson
WINDOW = 50  # the skill's latest failed attempts mining reads

_DEF = re.compile(r"^def\s+([A-Za-z_]\w*)\s*\(", re.M)
_TEST_LINE = re.compile(r"^(assert\b.*|print\s*\(.*|(?:\w+\s*=\s*)?candidate\s*\(.*)$", re.M)
_EXC = re.compile(r"\b([A-Z][A-Za-z]*(?:Error|Exception)): ([^\n]*?)(?=\s+FAILED\s|\s*$|\n)")
_NAME_UNDEFINED = re.compile(r"name '(\w+)' is not defined")
_CALLED = re.compile(r"^(\w+)(?:\(\))? (?:expected|takes|got|missing|argument)")


@dataclass
class Mined:
    pattern: str  # one per skill: the same pattern seen again updates the evidence
    text: str  # the lesson as put in prompts
    attempts: list[str] = field(default_factory=list)  # ids of the failed attempts that show it
    example: str = ""  # what the first of them did

    @property
    def count(self) -> int:
        return len(self.attempts)

    def evidence(self) -> dict[str, Any]:
        return {"count": self.count, "attempts": self.attempts[:10], "example": self.example}


def _code_line(code: str, needle: str) -> str:
    for line in code.splitlines():
        if needle in line and not line.lstrip().startswith("#"):
            return line.strip()[:80]
    return ""


def _wrong_name(row: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(pattern, text, example) for a function defined under another name than the entry point."""
    if not str(row.get("error") or "").lower().startswith("missing entry point"):
        return None
    entry = str(row.get("entry_point") or "")
    names = [n for n in _DEF.findall(str(row.get("code") or "")) if n != entry]
    if not entry or not names:
        return None
    # the lesson serves every task of the skill: it names the slip, and the entry point only as evidence
    return ("wrong_name", f"Name the function exactly as the task says, never `{names[0]}` (an answer here wrote "
                          f"`{names[0]}` for `{entry}` and failed).",
            f"def {names[0]}( for `{entry}`")


def _pasted_tests(row: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """Test lines (assert, print, candidate(...)) pasted after the function at top level."""
    code = str(row.get("code") or "")
    lines = [m.group(0).strip() for m in _TEST_LINE.finditer(code)]
    if not lines and "name 'candidate' is not defined" not in str(row.get("error") or ""):
        return None
    example = lines[0][:80] if lines else _code_line(code, "candidate(")
    return ("pasted_tests", "Answer with the function only: no asserts, prints or calls to `candidate` after it "
            f"(answers here ended with `{example}` and failed).", example)


def _exception(row: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """A particular exception, with the construct that raised it where the message names one."""
    error, code = str(row.get("error") or ""), str(row.get("code") or "")
    found = [(e, m.strip()) for e, m in _EXC.findall(error) if e != "AssertionError"]
    if not found:
        return None
    exc, msg = found[0]
    undefined = _NAME_UNDEFINED.search(msg)
    if undefined:
        name = undefined.group(1)
        if name == "candidate":
            return None  # pasted tests
        line = _code_line(code, name)
        return (f"undefined:{name}", f"Define every name before using it: `{name}` was never defined "
                f"(NameError{f' at `{line}`' if line else ''}); use the function's own parameters.", line)
    called = _CALLED.match(msg)
    if called:
        name = called.group(1)
        line = _code_line(code, name + "(")
        return (f"{exc}:{name}", f"Call `{name}` the way Python defines it: `{line or name + '(...)'}` raised "
                f"{exc}: {msg[:80]}.", line)
    short = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "…", msg)[:80]
    return (f"{exc}:{short}", f"Avoid {exc} ({msg[:80]}): it ended several answers here; check the "
            "inputs the tests pass before using them.", msg[:80])


def _syntax(row: Mapping[str, Any]) -> tuple[str, str, str] | None:
    error = str(row.get("error") or "")
    if not error.lower().startswith("syntax error"):
        return None
    if "triple-quoted" in error:
        return ("unclosed_docstring", 'Close every docstring you open with """ on its own line; an '
                "unclosed one made the whole answer invalid.", error[:80])
    if re.search(r"unmatched|never closed|does not match", error):
        return ("brackets", "Close every bracket you open, in order; an unmatched bracket made the whole "
                "answer invalid.", error[:80])
    return None


def _endless(row: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """`while True:` without a break, and the run timed out."""
    error, code = str(row.get("error") or ""), str(row.get("code") or "")
    if "timeout" not in error.lower() or not re.search(r"while\s+True\s*:", code) or re.search(r"\bbreak\b", code):
        return None
    return ("endless_loop", "Every loop must end: a `while True:` without `break` or `return` timed out; "
            "loop over the input (for x in ...) instead.", _code_line(code, "while"))


def _prints(row: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """The entry point prints its result and returns nothing."""
    try:
        tree = ast.parse(str(row.get("code") or ""))
    except (SyntaxError, ValueError):
        return None
    entry = str(row.get("entry_point") or "")
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == entry:
            walk = list(ast.walk(node))
            prints = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print" for n in walk)
            returns = any(isinstance(n, ast.Return) and n.value is not None for n in walk)
            if prints and not returns:
                return ("prints_result", f"Return the result from `{entry}`; printing it returns None and fails "
                        "every test.", f"{entry} prints and returns nothing")
    return None


DETECTORS = (_wrong_name, _pasted_tests, _exception, _syntax, _endless, _prints)


def detect(row: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(pattern, lesson text, example) for each pattern one failed attempt shows; none for a pass."""
    if row.get("passed"):
        return []
    return [hit for hit in (d(row) for d in DETECTORS) if hit is not None]


def mine(rows: Iterable[Mapping[str, Any]], min_evidence: int = MIN_EVIDENCE) -> list[Mined]:
    """The patterns shown by at least `min_evidence` failed attempts, most frequent first; the
    text is written from the first attempt (rows newest first: the latest) that shows it."""
    found: dict[str, Mined] = {}
    for row in rows:
        for pattern, text, example in detect(row):
            m = found.setdefault(pattern, Mined(pattern, text, example=example))
            m.attempts.append(str(row.get("id") or ""))
    order = Counter({p: m.count for p, m in found.items()})
    return [found[p] for p, n in order.most_common() if n >= min_evidence]


def by_skill(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Rows grouped by their `skill` (for a look over a whole record)."""
    out: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in rows:
        out[str(r.get("skill") or "")].append(r)
    return dict(out)
