"""The exam's arms: named Builder strategies run side by side on the same tasks. Pure.

| arm | what it is |
|---|---|
| plain | today's one try: no lessons, no example, no repair, one candidate |
| loop | everything the Builder does, as configured (`[builder]`) |
| nomemory | the loop with lessons and examples off: memory on-off = loop - nomemory |
| normalise | plain + safe normalisation of the answer (actors/builder/normalise.py) |
| repair | plain + the repair rounds |
| lessons | plain + the lessons |
| examples | plain + the similar example (with its threshold), shown to the model |
| adapt | examples + the example's code adapted to the task tried first, at no tokens (actors/builder/adapt.py) |
| sampling | plain + k candidates, the first to pass the visible tests submitted |
| plain@k | k independent plain candidates, passed if any passes the hidden tests (pass@k) |

Component arms take the configured value of their part, or its default when the
configuration turned the part off (repair rounds 2, lessons 3, k 4), so each is a real
change from plain. `plain@k` uses the sampling arm's k, temperature and seeds: an oracle
upper bound for resampling, so no gain can hide in it.

With `builder.search = "auto"` the loop and nomemory arms run, per task, the search the
training record says pays best there (actors/builder/search.py, exploiting: no exploration);
the component arms stay fixed changes of plain.

Arms whose behaviour does not depend on what training stored (plain, normalise, repair,
sampling, plain@k, nomemory with a fixed search) give the same answers whatever training has
stored, so their results are cached per exam, model and settings (`cache_key`); memory arms
and arms whose search is chosen from the record are always run afresh.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from actors.builder.search import DEFAULT_K, DEFAULT_REPAIR_ROUNDS
from actors.builder.strategy import Strategy
from ops.ground.config import EXAM_ARMS, split_arms

DEFAULT_LESSONS = 3
ADAPTIVE = ("loop", "nomemory")  # the arms that search as the Builder does (auto: from the record)
PLAIN = Strategy(lessons=0, examples="off", repair_rounds=0, samples=1)

# (label, arm, baseline): the lifts the report shows when both arms ran.
COMPARISONS: tuple[tuple[str, str, str], ...] = (
    ("loop", "loop", "plain"),
    ("memory", "loop", "nomemory"),
    ("normalise", "normalise", "plain"),
    ("repair", "repair", "plain"),
    ("lessons", "lessons", "plain"),
    ("examples", "examples", "plain"),
    ("adapt", "adapt", "plain"),
    ("sampling", "sampling", "plain"),
    ("plain@k", "plain@k", "plain"),
)


class UnknownArm(ValueError):
    """An arm name that is not one of EXAM_ARMS."""


@dataclass(frozen=True)
class Arm:
    name: str
    strategy: Strategy
    pass_at_k: int = 0  # > 0: k independent candidates, passed if any passes (plain@k)
    search: str = "fixed"  # "auto": each task's search chosen from the training record (exploit)

    @property
    def cacheable(self) -> bool:
        return not self.strategy.uses_memory and self.search == "fixed"

    def to_dict(self) -> dict[str, Any]:
        d = {"name": self.name, "strategy": self.strategy.to_dict(), "pass_at_k": self.pass_at_k}
        return {**d, "search": self.search} if self.search != "fixed" else d


def _k(base: Strategy) -> int:
    return base.samples if base.samples > 1 else DEFAULT_K


def make_arm(name: str, base: Strategy, search: str = "fixed") -> Arm:
    """The arm `name` relative to the configured strategy `base` and search mode (builder.search)."""
    sampling = PLAIN.replace(samples=_k(base), sample_temperature=base.sample_temperature,
                             sample_seed=base.sample_seed)
    examples = PLAIN.replace(examples="similar", example_threshold=base.example_threshold,
                             example_trim=base.example_trim)
    table = {
        "plain": PLAIN,
        "loop": base,
        "nomemory": base.without_memory(),
        "normalise": PLAIN.replace(normalise=True),
        "repair": PLAIN.replace(repair_rounds=base.repair_rounds or DEFAULT_REPAIR_ROUNDS),
        "lessons": PLAIN.replace(lessons=base.lessons or DEFAULT_LESSONS),
        "examples": examples,
        "adapt": examples.replace(adapt=True),
        "sampling": sampling,
    }
    if name == "plain@k":
        return Arm(name, sampling, pass_at_k=sampling.samples)
    if name not in table:
        raise UnknownArm(f"unknown arm {name!r} (known: {', '.join(EXAM_ARMS)})")
    return Arm(name, table[name], search=search if name in ADAPTIVE else "fixed")


def parse_arms(names: str | Sequence[str], base: Strategy, search: str = "fixed") -> list[Arm]:
    """"plain,loop" (or a list) -> arms, in order, without repeats; at least one."""
    listed = split_arms(names) if isinstance(names, str) else list(dict.fromkeys(n.strip() for n in names if n.strip()))
    if not listed:
        raise UnknownArm(f"no arms given (known: {', '.join(EXAM_ARMS)})")
    return [make_arm(n, base, search) for n in listed]


def cache_key(exam_id: str, arm: Arm, model_settings: Mapping[str, Any]) -> str:
    """What an arm's results depend on besides memory: the exam, the arm's behaviour (not its
    name: two arms that behave alike share results) and the model with its settings."""
    behaviour = {k: v for k, v in arm.to_dict().items() if k != "name"}  # search only when auto: old keys hold
    blob = json.dumps({"exam": exam_id, **behaviour,
                       "model": {k: model_settings.get(k) for k in sorted(model_settings)}},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]
