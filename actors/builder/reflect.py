"""Reflection after a scored attempt: strengths, weaknesses and one lesson.

The model is asked for JSON; small models answer with JSON, labelled lines, markdown, or
nothing useful. `parse_reflection` accepts the first two and refuses the rest, and
`make_reflection` then falls back to a rule-based sentence chosen by the failure category. That
sentence stays in the reflection row (source "rule"): Memory no longer makes it a lesson, since
the canned sentences hurt on the held-out exam; lessons are the model's own or mined from its
failures (store/mining.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any, Mapping

REFLECT_SYSTEM = "You review your own programming attempts honestly and briefly."

_EXC = re.compile(r"\b([A-Z][A-Za-z]*(?:Error|Exception|Exit|Interrupt))\b")

RULE_LESSONS = {
    "passed": "Restate the task's exact input and output types before writing code; it worked here.",
    "no_code": "Answer with one ```python block containing the complete function and nothing else.",
    "missing_entry_point": "Define the function with exactly the name and signature the task asks for.",
    "syntax_error": "Check indentation, brackets and colons; the whole answer must be valid Python.",
    "timeout": "Avoid unbounded loops and exponential recursion; pick an algorithm that fits the input sizes.",
    "memory": "Avoid building huge intermediate lists; iterate or compute incrementally.",
    "wrong_answer": "Trace the visible tests by hand, including edge cases (empty input, zero, negatives, duplicates).",
    "wrong_hidden": "Handle edge cases the visible tests do not show: empty input, one element, negatives, large values.",
    "llm_error": "Keep answers short and complete so they fit in the token limit.",
}


def _exception_lesson(exc: str) -> str:
    specific = {
        "NameError": "Import every module and define every helper you use.",
        "ImportError": "Use only the Python standard library.",
        "ModuleNotFoundError": "Use only the Python standard library.",
        "IndexError": "Check index bounds, especially on empty inputs and at the ends of sequences.",
        "KeyError": "Check that a key exists (dict.get or `in`) before reading it.",
        "TypeError": "Check argument and return types: the tests call the function exactly as specified.",
        "ZeroDivisionError": "Guard divisions against a zero divisor.",
        "RecursionError": "Replace deep recursion with iteration.",
        "ValueError": "Validate conversions (int(), unpacking) against the inputs the task allows.",
        "AttributeError": "Check the type of each value before calling methods on it.",
    }
    return specific.get(exc, f"Anticipate and avoid {exc} on the inputs the task allows.")


def failure_category(*, error: str = "", report: Mapping[str, Any] | None = None,
                     passed: bool = False) -> str:
    """One word for what went wrong, from the extraction error and the last test report.

    passed | no_code | missing_entry_point | syntax_error | timeout | memory | exception:<Type> |
    wrong_answer | wrong_hidden (visible tests passed, the scorer's did not)
    """
    if passed:
        return "passed"
    err = error.lower()
    if err.startswith(("no code", "empty answer")):
        return "no_code"
    if err.startswith("missing entry point"):
        return "missing_entry_point"
    if err.startswith("syntax error"):
        return "syntax_error"
    if err.startswith("llm"):
        return "llm_error"
    report = report or {}
    run = report.get("run") or {}
    status = str(run.get("status") or "").lower()
    if status in ("timeout", "cpu_limit"):  # the sandbox's names for wall and CPU limits
        return "timeout"
    if "memory" in status or "oom" in status:
        return "memory"
    texts = [str(t.get("error") or "") for t in report.get("tests") or [] if not t.get("passed")]
    texts.append(str(run.get("stderr") or ""))
    blob = "\n".join(texts)
    if re.search(r"\b(SyntaxError|IndentationError)\b", blob):
        return "syntax_error"
    exc = [e for e in _EXC.findall(blob) if e != "AssertionError"]
    if exc:
        return f"exception:{exc[-1]}"
    if report and report.get("all_passed"):
        return "wrong_hidden"
    return "wrong_answer"


def rule_lesson(category: str) -> str:
    if category.startswith("exception:"):
        return _exception_lesson(category.split(":", 1)[1])
    return RULE_LESSONS.get(category, RULE_LESSONS["wrong_answer"])


def reflection_messages(task: Mapping[str, Any], code: str, outcome: str) -> list[dict[str, str]]:
    """Ask for JSON; `outcome` is a short account of the score and failures."""
    return [
        {"role": "system", "content": REFLECT_SYSTEM},
        {"role": "user", "content": (
            f"Task:\n{task['prompt']}\n\nYour solution:\n```python\n{code}\n```\n\nResult: {outcome}\n\n"
            'Reply with JSON only: {"strengths": "...", "weaknesses": "...", "lesson": "one sentence '
            'that would help on similar tasks next time"}')},
    ]


_LABEL = re.compile(r"^\W*(strengths?|weakness(?:es)?|lessons?(?: learned)?)\W*?\s*[:\-–]\s*(.*)$", re.I)
_PLACEHOLDER = re.compile(r"^[\s.\-…<>\[\]]*$|^<.*>$|one sentence", re.I)


def _key(label: str) -> str:
    label = label.lower()
    return "strengths" if label.startswith("strength") else "weaknesses" if label.startswith("weak") else "lesson"


def _from_json(text: str) -> dict[str, str] | None:
    for match in re.finditer(r"\{.*\}", text, re.S):
        try:
            data = json.loads(match.group(0))
        except ValueError:
            continue
        if isinstance(data, dict):
            out = {}
            for k, v in data.items():
                if isinstance(v, list):
                    v = "; ".join(map(str, v))
                if isinstance(k, str) and _LABEL.match(k + ":"):
                    out[_key(k)] = str(v)
            return out
    return None


def _from_lines(text: str) -> dict[str, str]:
    out: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        m = _LABEL.match(line)
        if m:
            current = _key(m.group(1))
            out.setdefault(current, []).append(m.group(2).strip(" *_"))
        elif current and line.strip():
            out[current].append(line.strip(" -*_"))
        elif not line.strip():
            current = None
    return {k: " ".join(x for x in v if x).strip() for k, v in out.items()}


def usable_lesson(text: str) -> bool:
    text = (text or "").strip()
    return 8 <= len(text) <= 400 and sum(c.isalpha() for c in text) >= 6 and not _PLACEHOLDER.search(text)


def parse_reflection(text: str) -> dict[str, str] | None:
    """{"strengths", "weaknesses", "lesson"} from JSON or labelled lines; None when no usable lesson."""
    text = text or ""
    found = _from_json(text) or _from_lines(text)
    lesson = found.get("lesson", "").strip().strip('"')
    if not usable_lesson(lesson):
        return None
    return {"strengths": found.get("strengths", "").strip()[:500],
            "weaknesses": found.get("weaknesses", "").strip()[:500], "lesson": lesson[:300]}


@dataclass
class Reflection:
    strengths: str
    weaknesses: str
    lesson: str
    source: str  # "llm" or "rule"
    category: str
    raw: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def make_reflection(answer: str | None, category: str) -> Reflection:
    """The model's reflection when usable, else the rule for the failure category."""
    parsed = parse_reflection(answer or "")
    if parsed:
        return Reflection(parsed["strengths"], parsed["weaknesses"], parsed["lesson"], "llm", category, answer or "")
    weak = "" if category == "passed" else f"failed: {category.replace('_', ' ')}"
    return Reflection("passed" if category == "passed" else "", weak, rule_lesson(category), "rule", category,
                      answer or "")
