"""Lists: from summing two numbers to the maximum subarray sum."""

from __future__ import annotations

import random

from ._draft import Draft, draft
from ._rand import ints


def _d1(rng: random.Random) -> Draft:
    op, sym = rng.choice([("sum", "+"), ("difference", "-"), ("product", "*")])
    return draft(rng, title=f"The {op} of two numbers", entry_point=f"{op}_of",
                 signature=f"{op}_of(a: int, b: int) -> int",
                 description=f"Return the {op} of a and b, that is a {sym} b.",
                 reference=f"def {op}_of(a, b):\n    return a {sym} b\n",
                 sample=lambda r: (r.randint(-9, 9), r.randint(-9, 9)), edge=[(0, 0), (-5, 5)])


def _d2(rng: random.Random) -> Draft:
    op, text, body = rng.choice([("total", "the sum of the numbers in", "sum(xs)"),
                                 ("largest", "the largest number in", "max(xs)"),
                                 ("count", "how many numbers are in", "len(xs)")])
    edge = [([7],), ([-3, -3],)] + ([([],)] if op != "largest" else [])
    return draft(rng, title=f"List {op}", entry_point=f"list_{op}",
                 signature=f"list_{op}(xs: list[int]) -> int",
                 description=f"Return {text} the list xs." + (" The list is never empty." if op == "largest" else ""),
                 reference=f"def list_{op}(xs):\n    return {body}\n",
                 sample=lambda r: (ints(r, r.randint(1, 6), -9, 9),), edge=edge,
                 efficiency=f"args = (list(range(100000)),)")


def _d3(rng: random.Random) -> Draft:
    k = rng.randint(2, 5)
    keep = rng.choice(["even", "odd", "positive"])
    test = {"even": "x % 2 == 0", "odd": "x % 2 != 0", "positive": "x > 0"}[keep]
    return draft(rng, title=f"Keep {keep} numbers times {k}", entry_point="keep_and_scale",
                 signature="keep_and_scale(xs: list[int]) -> list[int]",
                 description=f"Return a new list with every {keep} number of xs multiplied by {k}, in the original order.",
                 reference=f"def keep_and_scale(xs):\n    return [x * {k} for x in xs if {test}]\n",
                 sample=lambda r: (ints(r, r.randint(1, 8)),), edge=[([],), ([0],), ([-1, -2],)],
                 efficiency="args = (list(range(-50000, 50000)),)")


def _d4(rng: random.Random) -> Draft:
    return draft(rng, title="Remove duplicates keeping order", entry_point="dedupe",
                 signature="dedupe(xs: list[int]) -> list[int]",
                 description="Return xs without repeated values, keeping the first occurrence of each value in order.",
                 reference="def dedupe(xs):\n    return list(dict.fromkeys(xs))\n",
                 sample=lambda r: (ints(r, r.randint(1, 10), 0, 5),), edge=[([],), ([1, 1, 1],), ([3, 2, 1],)],
                 efficiency="args = ([i % 5000 for i in range(100000)],)")


def _d5(rng: random.Random) -> Draft:
    return draft(rng, title="Rotate a list", entry_point="rotate",
                 signature="rotate(xs: list[int], k: int) -> list[int]",
                 description=("Return xs rotated k places to the right (the last k items move to the front). "
                              "k may be larger than the length or negative (rotate left). Return [] for []."),
                 reference=("def rotate(xs, k):\n    if not xs:\n        return []\n    k %= len(xs)\n"
                            "    return xs[-k:] + xs[:-k] if k else list(xs)\n"),
                 sample=lambda r: (ints(r, r.randint(1, 6), 0, 9), r.randint(-3, 9)),
                 edge=[([], 3), ([1], 5), ([1, 2, 3], 0), ([1, 2, 3], -1)],
                 efficiency="args = (list(range(100000)), 123457)")


def _d6(rng: random.Random) -> Draft:
    size = rng.randint(2, 4)
    return draft(rng, title=f"Chunk a list into groups of {size}", entry_point="chunk",
                 signature="chunk(xs: list[int]) -> list[list[int]]",
                 description=f"Split xs into consecutive groups of {size} items; the last group may be shorter.",
                 reference=f"def chunk(xs):\n    return [xs[i:i + {size}] for i in range(0, len(xs), {size})]\n",
                 sample=lambda r: (ints(r, r.randint(1, 9), 0, 9),), edge=[([],), ([1],), (list(range(size)),)],
                 efficiency="args = (list(range(100000)),)")


def _d7(rng: random.Random) -> Draft:
    return draft(rng, title="Merge two sorted lists", entry_point="merge_sorted",
                 signature="merge_sorted(a: list[int], b: list[int]) -> list[int]",
                 description="a and b are sorted ascending. Return one sorted list holding all their items.",
                 reference=("def merge_sorted(a, b):\n    out, i, j = [], 0, 0\n"
                            "    while i < len(a) and j < len(b):\n        if a[i] <= b[j]:\n"
                            "            out.append(a[i])\n            i += 1\n        else:\n"
                            "            out.append(b[j])\n            j += 1\n    return out + a[i:] + b[j:]\n"),
                 sample=lambda r: (sorted(ints(r, r.randint(0, 5))), sorted(ints(r, r.randint(0, 5)))),
                 edge=[([], []), ([1], []), ([], [2]), ([1, 1], [1])],
                 efficiency="args = (list(range(0, 200000, 2)), list(range(1, 200000, 2)))")


def _d8(rng: random.Random) -> Draft:
    return draft(rng, title="Flatten nested lists", entry_point="flatten",
                 signature="flatten(xs: list) -> list[int]",
                 description="xs holds integers and lists nested to any depth. Return all the integers in order in one flat list.",
                 reference=("def flatten(xs):\n    out = []\n    stack = [iter(xs)]\n    while stack:\n"
                            "        for x in stack[-1]:\n            if isinstance(x, list):\n"
                            "                stack.append(iter(x))\n                break\n"
                            "            out.append(x)\n        else:\n            stack.pop()\n    return out\n"),
                 sample=lambda r: (_nested(r, 3),), edge=[([],), ([[]],), ([[[[5]]]],)],
                 efficiency="args = ([[i, [i + 1]] for i in range(100000)],)")


def _nested(r: random.Random, depth: int) -> list:
    return [_nested(r, depth - 1) if depth and r.random() < 0.3 else r.randint(0, 9) for _ in range(r.randint(0, 4))]


def _d9(rng: random.Random) -> Draft:
    return draft(rng, title="Maximum subarray sum", entry_point="max_subarray",
                 signature="max_subarray(xs: list[int]) -> int",
                 description="Return the largest sum of a non-empty run of consecutive items of xs (xs is not empty).",
                 reference=("def max_subarray(xs):\n    best = cur = xs[0]\n    for x in xs[1:]:\n"
                            "        cur = max(x, cur + x)\n        best = max(best, cur)\n    return best\n"),
                 sample=lambda r: (ints(r, r.randint(1, 9)),), edge=[([5],), ([-3, -1, -2],), ([0, 0],)],
                 efficiency="args = ([(i * 7919) % 201 - 100 for i in range(100000)],)")


def _d10(rng: random.Random) -> Draft:
    k = rng.randint(2, 4)
    return draft(rng, title=f"Sliding window maximum (width {k})", entry_point="window_max",
                 signature="window_max(xs: list[int]) -> list[int]",
                 description=(f"Return the maximum of every window of {k} consecutive items of xs, in order. "
                              f"If xs has fewer than {k} items return []."),
                 reference=("from collections import deque\n\n\ndef window_max(xs):\n"
                            f"    k = {k}\n    out, q = [], deque()\n    for i, x in enumerate(xs):\n"
                            "        while q and xs[q[-1]] <= x:\n            q.pop()\n        q.append(i)\n"
                            "        if q[0] <= i - k:\n            q.popleft()\n"
                            "        if i >= k - 1:\n            out.append(xs[q[0]])\n    return out\n"),
                 sample=lambda r: (ints(r, r.randint(k, 10)),), edge=[([],), ([1] * (k - 1),), ([2] * k,)],
                 efficiency="args = ([(i * 7919) % 1000 for i in range(100000)],)")


LEVELS = [_d1, _d2, _d3, _d4, _d5, _d6, _d7, _d8, _d9, _d10]
