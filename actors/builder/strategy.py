"""What the Builder does with a task, as one value: which memory goes into the prompt and how
candidates are searched for. Pure; `from_config` reads the `[builder]` switches.

The daemon's builders run the configured strategy (with `builder.search = "auto"`, its
repair rounds and samples chosen per task from the record: search.py); the exam (actors/exam) runs named variants
of it side by side (plain = no memory and one try), so every part can be switched off alone
and its effect measured.

The example is chosen by Memory by what the task says (store/search.py: BM25 over the archived
tasks' title, prompt and entry point). Its relevance is a plain word overlap (Jaccard) of the
two tasks' descriptions, without the examples, digits and the task bank's boilerplate: the
measure `builder.example_threshold` compares against; 0 shows whatever the search found, 1
only the same problem with other constants.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

from actors.builder.trim import trim_example
from store.search import task_words

EXAMPLE_MODES = ("similar", "off")


@dataclass(frozen=True)
class Strategy:
    lessons: int = 3  # lessons of the skill in the prompt; 0: none
    examples: str = "similar"  # "similar": the archived solution whose task reads most alike; "off"
    example_threshold: float = 0.5  # an example less relevant than this is not shown
    repair_rounds: int = 2  # rounds of feedback from the visible tests
    samples: int = 1  # candidates; the first to pass the visible tests is submitted
    sample_temperature: float = 0.8  # each candidate's temperature when samples > 1
    sample_seed: int = 0  # candidate i is drawn with seed sample_seed + i when samples > 1
    greedy_first: bool = True  # candidate 0 uses the configured settings (the model's best guess), the rest are sampled
    normalise: bool = False  # fix mechanical slips in answers (actors/builder/normalise.py)
    example_trim: bool = False  # show only the example's entry function and what it needs (trim.py)
    adapt: bool = False  # first try the example's code adapted to this task (adapt.py), no model call

    def __post_init__(self) -> None:
        if self.examples not in EXAMPLE_MODES:
            raise ValueError(f"examples: expected one of {', '.join(EXAMPLE_MODES)}, got {self.examples!r}")
        if self.lessons < 0 or self.repair_rounds < 0 or self.samples < 1:
            raise ValueError("lessons and repair_rounds must be >= 0 and samples >= 1")

    @classmethod
    def from_config(cls, builder: Any) -> "Strategy":
        """The `[builder]` switches (ops/ground/config.py BuilderConfig)."""
        return cls(**{f.name: getattr(builder, f.name) for f in dataclasses.fields(cls)})

    @property
    def uses_memory(self) -> bool:
        """Does the prompt depend on what training stored (lessons, archived solutions)?"""
        return self.lessons > 0 or self.examples != "off"

    def replace(self, **changes: Any) -> "Strategy":
        return dataclasses.replace(self, **changes)

    def without_memory(self) -> "Strategy":
        return self.replace(lessons=0, examples="off")

    def sample_settings(self, i: int) -> dict[str, Any]:
        """The LLM overrides of candidate `i` (none for a single try, nor for the first candidate
        with `greedy_first`: the configured settings, temperature 0 by default)."""
        if self.samples <= 1 or (self.greedy_first and i == 0):
            return {}
        return {"temperature": self.sample_temperature, "seed": self.sample_seed + i}

    def to_dict(self) -> dict[str, Any]:
        """Only what changes the attempt: sampling settings are dropped when there is one try,
        the threshold when examples are off (so equal behaviour has an equal key)."""
        d = dataclasses.asdict(self)
        if self.samples <= 1:
            d.pop("sample_temperature"), d.pop("sample_seed"), d.pop("greedy_first")
        if self.examples == "off":
            d.pop("example_threshold"), d.pop("example_trim"), d.pop("adapt")
        elif not self.adapt:
            d.pop("adapt")  # so results cached before the switch existed keep their key
        if not self.normalise:
            d.pop("normalise")  # so results cached before the switch existed keep their key
        return d


words = task_words  # the content words of a task's text (store/search.py)


def relevance(task: Mapping[str, Any], example: Mapping[str, Any]) -> float:
    """0..1: how much the example's task says the same as this task (Jaccard of content words).
    An example without its task's text is judged by its code's words."""
    mine = words(task.get("title"), task.get("prompt"), task.get("entry_point"))
    theirs = words(example.get("title"), example.get("prompt"), example.get("entry_point"))
    if not theirs:
        theirs = words(example.get("code"))
    union = mine | theirs
    return round(len(mine & theirs) / len(union), 4) if union else 0.0


def keep_example(task: Mapping[str, Any], example: Mapping[str, Any] | None,
                 strategy: Strategy) -> Mapping[str, Any] | None:
    """The example to show, or None: examples off, nothing archived, or below the threshold.
    With `example_trim` its code is cut to the entry function and what it needs."""
    if example is None or strategy.examples == "off":
        return None
    if strategy.example_threshold > 0 and relevance(task, example) < strategy.example_threshold:
        return None
    if strategy.example_trim and example.get("entry_point") and example.get("code"):
        return {**example, "code": trim_example(str(example["code"]), str(example["entry_point"]))}
    return example
