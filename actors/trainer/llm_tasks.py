"""LLM-proposed tasks: ask a model for a task, accept it only when execution vouches for it.

Off by default (`trainer.llm_tasks`): a weak model mostly proposes broken tasks. A proposal
is a JSON object {title, prompt, entry_point, reference, tests: [assert lines]}; it is
accepted only when
  - nothing in the reference or the tests imports a forbidden module,
  - the tests are not trivial: at least MIN_TESTS asserts, each calling `candidate`, not all
    alike, and a stub that returns a constant fails at least one of them,
  - the reference passes all its tests twice, with the same per-test outcomes and output.
Everything that runs code goes through the `run_tests` callable handed in (the real sandbox
in the actor, a fake in unit tests); the model call is the `complete` callable.
"""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from typing import Any, Callable, Mapping

from actors.scorer.metrics import forbidden_imports_used

from .taskbank._draft import FORBIDDEN_IMPORTS

MIN_TESTS = 3
VISIBLE = 2  # the first tests become the visible ones, the rest hidden
STUB_RETURNS = ("None", "0", "''", "[]", "False")

RunTests = Callable[[str, str, str], Mapping[str, Any]]  # (code, tests, entry_point) -> TestReport dict
Complete = Callable[[str], str]


class Rejected(ValueError):
    """A proposal that failed validation; `reason` is a short stable label for counting."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def proposal_prompt(skill: str, difficulty: int) -> str:
    return (
        f"Invent one small Python programming exercise about {skill.replace('_', ' ')}, difficulty "
        f"{difficulty} on a scale of 1 (trivial) to 10 (hard).\n"
        "Answer with only a JSON object with these keys:\n"
        '  "title": one line,\n  "prompt": the exercise text, naming the function and its arguments,\n'
        '  "entry_point": the function name,\n  "reference": a correct Python solution defining it,\n'
        '  "tests": a list of at least 5 lines like "assert candidate(ARGS) == EXPECTED".\n')


def parse_proposal(text: str) -> dict[str, Any]:
    """The JSON object in a model's answer (fences and chatter around it are ignored)."""
    match = re.search(r"\{.*\}", text, re.DOTALL)
    if not match:
        raise Rejected("no_json", "no JSON object in the answer")
    try:
        data = json.loads(match.group(0))
    except ValueError as exc:
        raise Rejected("bad_json", str(exc)) from None
    if not isinstance(data, dict):
        raise Rejected("bad_json", "not an object")
    for key in ("title", "prompt", "entry_point", "reference"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise Rejected("missing_field", key)
    tests = data.get("tests")
    if isinstance(tests, str):
        tests = [ln for ln in tests.splitlines() if ln.strip()]
    if not isinstance(tests, list) or not all(isinstance(t, str) for t in tests):
        raise Rejected("missing_field", "tests")
    data["tests"] = [t.strip() for t in tests]
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", data["entry_point"].strip()):
        raise Rejected("bad_entry_point", data["entry_point"][:60])
    data["entry_point"] = data["entry_point"].strip()
    return data


def _calls_candidate(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "candidate"
               for n in ast.walk(node))


def check_static(p: Mapping[str, Any], forbidden: list[str] = FORBIDDEN_IMPORTS) -> None:
    """Checks that need no execution; raises Rejected."""
    for where, code in (("reference", p["reference"]), ("tests", "\n".join(p["tests"]))):
        try:
            ast.parse(code)
        except SyntaxError as exc:
            raise Rejected("syntax_error", f"{where}: line {exc.lineno}: {exc.msg}") from None
        banned = forbidden_imports_used(code, forbidden)
        if banned:
            raise Rejected("forbidden_import", f"{where}: {', '.join(banned)}")
    asserts = []
    for line in p["tests"]:
        node = ast.parse(line).body
        if len(node) != 1 or not isinstance(node[0], ast.Assert):
            raise Rejected("trivial_tests", f"not a single assert: {line[:60]}")
        if not _calls_candidate(node[0].test):
            raise Rejected("trivial_tests", f"does not call candidate: {line[:60]}")
        asserts.append(ast.dump(node[0].test))
    if len(asserts) < MIN_TESTS:
        raise Rejected("trivial_tests", f"{len(asserts)} tests, need {MIN_TESTS}")
    if len(set(asserts)) < MIN_TESTS:
        raise Rejected("trivial_tests", "tests repeat each other")


def _outcome(report: Mapping[str, Any]) -> tuple:
    return (tuple((t.get("name"), bool(t.get("passed"))) for t in report.get("tests", [])),
            (report.get("run") or {}).get("stdout", ""))


def validate(p: Mapping[str, Any], run_tests: RunTests, forbidden: list[str] = FORBIDDEN_IMPORTS) -> None:
    """All the checks; raises Rejected(reason) at the first failure."""
    check_static(p, forbidden)
    tests = "\n".join(p["tests"]) + "\n"
    first = run_tests(p["reference"], tests, p["entry_point"])
    if not first.get("total") or first.get("passed") != first.get("total"):
        raise Rejected("reference_fails", f"{first.get('passed', 0)}/{first.get('total', 0)} tests pass")
    second = run_tests(p["reference"], tests, p["entry_point"])
    if _outcome(first) != _outcome(second):
        raise Rejected("nondeterministic", "two runs of the reference disagree")
    for const in STUB_RETURNS:
        stub = f"def {p['entry_point']}(*args, **kwargs):\n    return {const}\n"
        report = run_tests(stub, tests, p["entry_point"])
        if report.get("total") and report.get("passed") == report.get("total"):
            raise Rejected("trivial_tests", f"a stub returning {const} passes them all")


def to_task(p: Mapping[str, Any], skill: str, difficulty: int) -> dict[str, Any]:
    tests = p["tests"]
    return {
        "title": p["title"].strip().splitlines()[0][:200],
        "prompt": p["prompt"].strip(),
        "skill": skill,
        "difficulty": difficulty,
        "entry_point": p["entry_point"],
        "visible_tests": "\n".join(tests[:VISIBLE]) + "\n",
        "hidden_tests": "\n".join(tests[VISIBLE:]) + "\n",
        "edge_tests": "",
        "reference": p["reference"],
        "constraints": {"time_limit_s": 2.0, "memory_mb": 256, "forbidden_imports": list(FORBIDDEN_IMPORTS)},
        "source": "llm",
        "priority": 0,
        "meta": {"proposed_by": "llm"},
    }


class Proposer:
    """Asks for proposals and keeps the count of rejections by reason."""

    def __init__(self, complete: Complete, run_tests: RunTests) -> None:
        self.complete = complete
        self.run_tests = run_tests
        self.accepted = 0
        self.rejections: Counter[str] = Counter()
        self.last_rejection: str = ""

    def propose(self, skill: str, difficulty: int) -> dict[str, Any] | None:
        """One validated task, or None (the reason is counted and kept in last_rejection)."""
        try:
            text = self.complete(proposal_prompt(skill, difficulty))
            proposal = parse_proposal(text)
            validate(proposal, self.run_tests)
        except Rejected as exc:
            self.rejections[exc.reason] += 1
            self.last_rejection = str(exc)
            return None
        except Exception as exc:  # the model or the sandbox failed: not the proposal's fault
            self.rejections["error"] += 1
            self.last_rejection = f"error: {type(exc).__name__}: {exc}"
            return None
        self.accepted += 1
        return to_task(proposal, skill, difficulty)

    def stats(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "rejected": dict(self.rejections), "last_rejection": self.last_rejection}
