"""Turn a generator's draft (prompt, reference, argument lists) into a task dict.

A generator only says *what* to call; the expected values come from running the trusted
reference here, in-process, so a test can never disagree with its own reference. The
task-bank tests then run every reference through the real sandbox as a second check.

A draft may declare `helpers`: source its tests use besides `candidate` (a checker, a decoder
to round-trip with). They become the task's `context`, which the sandbox's judge runs itself
before the tests, so the helpers are always the task's own, never a candidate's copy.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

# Constraints every generated task carries unless its generator says otherwise.
DEFAULT_TIME_LIMIT_S = 2.0  # one call on the efficiency input; references take well under 1 s
DEFAULT_MEMORY_MB = 256
FORBIDDEN_IMPORTS = ["os", "subprocess", "socket", "shutil", "ctypes", "multiprocessing"]


@dataclass
class Draft:
    """What a generator produces; `build_task` fills in the tests and the envelope."""

    title: str
    entry_point: str
    signature: str  # e.g. "add(a: int, b: int) -> int"
    description: str  # plain sentences: what to return, how to treat edge cases
    reference: str  # source defining `entry_point`
    visible: list[tuple]  # argument tuples shown to the builder (2-3)
    hidden: list[tuple]  # argument tuples only the scorer sees
    edge: list[tuple]  # edge cases (empty, single, negative, duplicates...)
    efficiency: str | None = None  # statement(s) binding `args` to a large argument tuple
    time_limit_s: float = DEFAULT_TIME_LIMIT_S
    memory_mb: int = DEFAULT_MEMORY_MB
    extra_meta: dict[str, Any] = field(default_factory=dict)
    helpers: str = ""  # source the tests may call besides `candidate` (the task's `context`)
    extra_hidden: list[str] = field(default_factory=list)  # hidden test lines using the helpers


def _call_repr(entry_point: str, args: tuple) -> str:
    return f"candidate({', '.join(repr(a) for a in args)})"


def run_reference(reference: str, entry_point: str, args: tuple) -> Any:
    """Call the trusted reference on a deep copy of `args` (a reference may mutate)."""
    namespace: dict[str, Any] = {}
    exec(compile(reference, f"<reference {entry_point}>", "exec"), namespace)  # trusted code we wrote
    return namespace[entry_point](*copy.deepcopy(args))


def tests_source(reference: str, entry_point: str, cases: list[tuple]) -> str:
    """One `assert candidate(...) == expected` line per case, expected from the reference."""
    lines = []
    for args in cases:
        expected = run_reference(reference, entry_point, args)
        lines.append(f"assert {_call_repr(entry_point, args)} == {expected!r}")
    return "\n".join(lines) + ("\n" if lines else "")


def _example_lines(reference: str, entry_point: str, cases: list[tuple]) -> list[str]:
    out = []
    for args in cases[:2]:
        expected = run_reference(reference, entry_point, args)
        shown = f"{entry_point}({', '.join(repr(a) for a in args)})"
        out.append(f"    {shown} -> {expected!r}")
    return out


def build_task(skill: str, difficulty: int, seed: int, draft: Draft) -> dict[str, Any]:
    """The task dict of docs/contracts.md for one draft."""
    prompt = "\n".join([
        f"Write a Python function `{draft.signature}`.",
        "",
        draft.description.strip(),
        "",
        "Examples:",
        *_example_lines(draft.reference, draft.entry_point, draft.visible),
        "",
        "Return the result; do not print it. Use only the standard library.",
    ])
    meta: dict[str, Any] = {"generator": f"{skill}/{draft.entry_point}", "seed": seed}
    if draft.efficiency:
        meta["efficiency"] = {"setup": draft.efficiency, "call": "candidate(*args)"}
    meta.update(draft.extra_meta)
    meta["key"] = f"{skill}/{difficulty}/{seed}"
    return {
        "title": draft.title,
        "prompt": prompt,
        "skill": skill,
        "difficulty": difficulty,
        "entry_point": draft.entry_point,
        "visible_tests": tests_source(draft.reference, draft.entry_point, draft.visible),
        "hidden_tests": tests_source(draft.reference, draft.entry_point, draft.hidden)
        + "".join(line.rstrip("\n") + "\n" for line in draft.extra_hidden),
        "edge_tests": tests_source(draft.reference, draft.entry_point, draft.edge),
        "reference": draft.reference,
        "context": draft.helpers,
        "constraints": {
            "time_limit_s": draft.time_limit_s,
            "memory_mb": draft.memory_mb,
            "forbidden_imports": list(FORBIDDEN_IMPORTS),
        },
        "source": "trainer",
        "priority": 0,
        "meta": meta,
    }


def draft(rng, *, title: str, entry_point: str, signature: str, description: str, reference: str,
          sample, edge: list[tuple], efficiency: str | None = None,
          visible: int = 3, hidden: int = 8, **extra: Any) -> Draft:
    """A draft whose visible and hidden cases are drawn from `sample(rng) -> args tuple`.

    Cases are de-duplicated (a repeated case tests nothing new); the visible ones come
    first so the prompt's examples are the builder's visible tests.
    """
    seen: list[tuple] = []
    for _ in range(4 * (visible + hidden)):
        args = sample(rng)
        if args not in seen:
            seen.append(args)
        if len(seen) == visible + hidden:
            break
    return Draft(title=title, entry_point=entry_point, signature=signature, description=description,
                 reference=reference, visible=seen[:visible], hidden=seen[visible:], edge=edge,
                 efficiency=efficiency, **extra)
