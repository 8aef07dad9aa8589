"""Dicts and hashing: from looking up a key to the longest consecutive run and an LRU cache."""

from __future__ import annotations

import random

from ._draft import Draft, draft
from ._rand import ints, sentence, word, words


def _d1(rng: random.Random) -> Draft:
    default = rng.choice([0, -1, None])
    return draft(rng, title="Look up a key", entry_point="lookup",
                 signature="lookup(d: dict, key: str)",
                 description=f"Return d[key] if key is in the dictionary d, otherwise return {default!r}.",
                 reference=f"def lookup(d, key):\n    return d.get(key, {default!r})\n",
                 sample=lambda r: (lambda d: (d, r.choice(sorted(d)) if r.random() < 0.6 else "missing"))(
                     {w: r.randint(1, 9) for w in words(r, r.randint(1, 3))}),
                 edge=[({}, "a"), ({"a": 0}, "a")])


def _d2(rng: random.Random) -> Draft:
    return draft(rng, title="Count the keys", entry_point="count_keys",
                 signature="count_keys(d: dict) -> int",
                 description="Return how many keys the dictionary d has.",
                 reference="def count_keys(d):\n    return len(d)\n",
                 sample=lambda r: ({w: 1 for w in words(r, r.randint(1, 5))},), edge=[({},)])


def _d3(rng: random.Random) -> Draft:
    return draft(rng, title="Letter frequencies", entry_point="letter_counts",
                 signature="letter_counts(s: str) -> dict[str, int]",
                 description="Return a dictionary mapping each character of s to how many times it appears.",
                 reference="def letter_counts(s):\n    out = {}\n    for c in s:\n        out[c] = out.get(c, 0) + 1\n    return out\n",
                 sample=lambda r: (word(r, 1, 10, "abcd"),), edge=[("",), ("aaa",)],
                 efficiency="args = ('abcdefghij' * 20000,)")


def _d4(rng: random.Random) -> Draft:
    return draft(rng, title="Invert a dictionary", entry_point="invert",
                 signature="invert(d: dict[str, int]) -> dict[int, list[str]]",
                 description="Return a dictionary mapping each value of d to the sorted list of keys that have it.",
                 reference=("def invert(d):\n    out = {}\n    for k, v in d.items():\n        out.setdefault(v, []).append(k)\n"
                            "    return {v: sorted(ks) for v, ks in out.items()}\n"),
                 sample=lambda r: ({w: r.randint(1, 3) for w in words(r, r.randint(1, 6))},), edge=[({},), ({"a": 1, "b": 1},)],
                 efficiency="args = ({str(i): i % 100 for i in range(40000)},)")


def _d5(rng: random.Random) -> Draft:
    return draft(rng, title="Two sum", entry_point="two_sum",
                 signature="two_sum(xs: list[int], target: int) -> list[int]",
                 description=("Return [i, j] with i < j and xs[i] + xs[j] == target, choosing the pair with the "
                              "smallest j (then the smallest i). Return [] when there is none."),
                 reference=("def two_sum(xs, target):\n    first = {}\n    for j, x in enumerate(xs):\n"
                            "        if target - x in first:\n            return [first[target - x], j]\n"
                            "        first.setdefault(x, j)\n    return []\n"),
                 sample=lambda r: (ints(r, r.randint(2, 7), 0, 9), r.randint(0, 18)),
                 edge=[([], 3), ([3], 6), ([3, 3], 6)],
                 efficiency="args = (list(range(100000)), 199997)")


def _d6(rng: random.Random) -> Draft:
    k = rng.randint(1, 3)
    return draft(rng, title=f"Top {k} words", entry_point="top_words",
                 signature="top_words(text: str) -> list[str]",
                 description=(f"Split text on spaces and return the {k} most frequent words, most frequent first; "
                              "break ties alphabetically. Return fewer if there are fewer distinct words."),
                 reference=("def top_words(text):\n    counts = {}\n    for w in text.split():\n"
                            "        counts[w] = counts.get(w, 0) + 1\n"
                            f"    return sorted(counts, key=lambda w: (-counts[w], w))[:{k}]\n"),
                 sample=lambda r: (sentence(r, 2, 10),), edge=[("",), ("a",), ("b a",)],
                 efficiency="args = (' '.join(str(i % 5000) for i in range(80000)),)")


def _d7(rng: random.Random) -> Draft:
    return draft(rng, title="First unique character", entry_point="first_unique",
                 signature="first_unique(s: str) -> int",
                 description="Return the index of the first character of s that appears exactly once in s, or -1.",
                 reference=("def first_unique(s):\n    counts = {}\n    for c in s:\n        counts[c] = counts.get(c, 0) + 1\n"
                            "    for i, c in enumerate(s):\n        if counts[c] == 1:\n            return i\n    return -1\n"),
                 sample=lambda r: (word(r, 1, 10, "abcde"),), edge=[("",), ("aa",), ("z",)],
                 efficiency="args = ('ab' * 50000 + 'c',)")


def _d8(rng: random.Random) -> Draft:
    return draft(rng, title="Subarrays with a given sum", entry_point="count_subarrays",
                 signature="count_subarrays(xs: list[int], k: int) -> int",
                 description="Return how many non-empty runs of consecutive items of xs add up to k.",
                 reference=("def count_subarrays(xs, k):\n    seen, total, run = {0: 1}, 0, 0\n    for x in xs:\n"
                            "        run += x\n        total += seen.get(run - k, 0)\n        seen[run] = seen.get(run, 0) + 1\n"
                            "    return total\n"),
                 sample=lambda r: (ints(r, r.randint(1, 8), -3, 5), r.randint(-2, 8)),
                 edge=[([], 0), ([0, 0], 0), ([5], 5)],
                 efficiency="args = ([(i % 7) - 3 for i in range(100000)], 3)")


def _d9(rng: random.Random) -> Draft:
    return draft(rng, title="Longest consecutive run", entry_point="longest_consecutive",
                 signature="longest_consecutive(xs: list[int]) -> int",
                 description="Return the length of the longest sequence of consecutive integers (like 4, 5, 6) whose values all appear in xs, in any order. O(n) expected.",
                 reference=("def longest_consecutive(xs):\n    values, best = set(xs), 0\n    for x in values:\n"
                            "        if x - 1 not in values:\n            y = x\n            while y + 1 in values:\n"
                            "                y += 1\n            best = max(best, y - x + 1)\n    return best\n"),
                 sample=lambda r: (ints(r, r.randint(1, 10), 0, 15),), edge=[([],), ([7],), ([1, 1, 2],)],
                 efficiency="args = (list(range(100000, 0, -1)),)")


def _d10(rng: random.Random) -> Draft:
    cap = rng.randint(2, 3)
    return draft(rng, title=f"LRU cache of size {cap}", entry_point="lru_run",
                 signature="lru_run(ops: list[list]) -> list",
                 description=(f"Simulate a least-recently-used cache holding at most {cap} keys. ops is a list of "
                              "['put', key, value] or ['get', key]. A get returns the value or -1 and marks the key "
                              "as recently used; a put inserts or updates, marks it recently used and evicts the least "
                              f"recently used key when more than {cap} are held. Return the list of results of the gets."),
                 reference=("from collections import OrderedDict\n\n\ndef lru_run(ops):\n    cache, out = OrderedDict(), []\n"
                            "    for op in ops:\n        if op[0] == 'get':\n            if op[1] in cache:\n"
                            "                cache.move_to_end(op[1])\n                out.append(cache[op[1]])\n"
                            "            else:\n                out.append(-1)\n        else:\n"
                            "            cache[op[1]] = op[2]\n            cache.move_to_end(op[1])\n"
                            f"            if len(cache) > {cap}:\n                cache.popitem(last=False)\n    return out\n"),
                 sample=lambda r: ([["put", r.choice("abcd"), r.randint(1, 9)] if r.random() < 0.5 else ["get", r.choice("abcd")]
                                    for _ in range(r.randint(2, 9))],),
                 edge=[([],), ([["get", "a"]],), ([["put", "a", 1], ["put", "a", 2], ["get", "a"]],)],
                 efficiency="args = ([['put', i % 100, i] if i % 2 else ['get', i % 97] for i in range(100000)],)")


LEVELS = [_d1, _d2, _d3, _d4, _d5, _d6, _d7, _d8, _d9, _d10]
