"""Full-text similarity of tasks: the archived solution whose task says most what this task
says. Pure: the words of a task's text, and Okapi BM25 over them.

Why BM25 in Python and not SQLite FTS5: the documents are a solution's task text (title,
prompt, entry point), which lives in `tasks` while solutions live in `solutions`; an FTS table
would need a schema migration, triggers on both tables and rebuilding on every upgrade, and
its tokenizer would index the task bank's boilerplate ("Write a Python function ...",
"Examples:" lines) that makes every pair of tasks look alike. The archive holds one row per
solved task (hundreds to a few thousand): ranking it in memory takes milliseconds, and the
index is rebuilt only when a solution is added (store/_archive.py).

BM25 ranks (rare words such as `count` or `vowels` weigh more than `list`); the relevance
the threshold compares against stays the plain word overlap (Jaccard, 0..1, in
actors/builder/strategy.py), which is comparable from task to task where BM25 scores are not.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Hashable, Iterable, Sequence

_WORD = re.compile(r"[a-z]+")
_EXAMPLE_LINE = re.compile(r"^\s*\S+\(.*\)\s*(->|==|=>|➞)")
# English function words and the task bank's template (actors/trainer/taskbank/_draft.py):
# they are in every prompt and would make every pair of tasks look alike.
STOPWORDS = frozenset("""
a an the of and or in on to is are be by for with as at it its that this from into than then
return returns write python function named result do not print use only standard library
examples example given task int str list bool float none true false def xs s n k
""".split())


def word_list(*texts: Any) -> list[str]:
    """The content words of some task text, in order with repeats: example lines (`f(1) -> 2`),
    digits and boilerplate left out; `snake_case` names split into their words."""
    out: list[str] = []
    for text in texts:
        for line in str(text or "").lower().splitlines():
            if _EXAMPLE_LINE.match(line):
                continue
            out.extend(w for w in _WORD.findall(line.replace("_", " ")) if w not in STOPWORDS)
    return out


def task_words(*texts: Any) -> frozenset[str]:
    """The set of content words of some task text (see word_list)."""
    return frozenset(word_list(*texts))


@dataclass(frozen=True)
class Index:
    """BM25 over documents given as word lists, each under a key; a query touches only the
    documents that hold one of its words (postings)."""
    keys: tuple[Hashable, ...]
    lengths: tuple[int, ...]
    postings: dict[str, list[tuple[int, int]]]  # word -> [(document, count)]
    k1: float = 1.2
    b: float = 0.75

    @classmethod
    def build(cls, docs: Iterable[tuple[Hashable, Sequence[str]]]) -> "Index":
        keys, lengths, postings = [], [], {}
        for i, (key, ws) in enumerate(docs):
            keys.append(key), lengths.append(len(ws))
            for word, tf in Counter(ws).items():
                postings.setdefault(word, []).append((i, tf))
        return cls(tuple(keys), tuple(lengths), postings)

    def search(self, query: Iterable[str]) -> list[tuple[float, Hashable]]:
        """(score, key) of every document sharing a word with the query, best first (ties keep
        the documents' order)."""
        n = len(self.keys)
        if not n:
            return []
        avg = sum(self.lengths) / n or 1.0
        scores: dict[int, float] = {}
        for t in set(query):
            found = self.postings.get(t, [])
            if not found:
                continue
            idf = math.log(1 + (n - len(found) + 0.5) / (len(found) + 0.5))
            for i, tf in found:
                norm = tf + self.k1 * (1 - self.b + self.b * self.lengths[i] / avg)
                scores[i] = scores.get(i, 0.0) + idf * tf * (self.k1 + 1) / norm
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(round(s, 4), self.keys[i]) for i, s in ranked]
