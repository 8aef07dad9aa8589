"""Sorting and searching: from the smallest item to the k-th smallest and rotated search."""

from __future__ import annotations

import random

from ._draft import Draft, draft
from ._rand import ints, words


def _d1(rng: random.Random) -> Draft:
    op, fn = rng.choice([("smallest", "min"), ("largest", "max")])
    return draft(rng, title=f"The {op} of three numbers", entry_point=f"{op}_of_three",
                 signature=f"{op}_of_three(a: int, b: int, c: int) -> int",
                 description=f"Return the {op} of the three numbers a, b and c.",
                 reference=f"def {op}_of_three(a, b, c):\n    return {fn}(a, b, c)\n",
                 sample=lambda r: tuple(ints(r, 3, -9, 9)), edge=[(1, 1, 1), (-1, 0, 1)])


def _d2(rng: random.Random) -> Draft:
    desc = rng.choice([False, True])
    return draft(rng, title="Sort a list" + (" descending" if desc else ""), entry_point="sort_list",
                 signature="sort_list(xs: list[int]) -> list[int]",
                 description=f"Return a new list with the numbers of xs sorted {'from largest to smallest' if desc else 'from smallest to largest'}.",
                 reference=f"def sort_list(xs):\n    return sorted(xs, reverse={desc})\n",
                 sample=lambda r: (ints(r, r.randint(1, 6), -9, 9),), edge=[([],), ([1],), ([2, 2, 1],)],
                 efficiency="args = ([(i * 7919) % 100003 for i in range(100000)],)")


def _d3(rng: random.Random) -> Draft:
    return draft(rng, title="Index of a value", entry_point="find_index",
                 signature="find_index(xs: list[int], target: int) -> int",
                 description="Return the index of the first occurrence of target in xs, or -1 if it is not there.",
                 reference="def find_index(xs, target):\n    return xs.index(target) if target in xs else -1\n",
                 sample=lambda r: (ints(r, r.randint(1, 7), 0, 9), r.randint(0, 9)),
                 edge=[([], 1), ([1, 1], 1), ([2], 3)],
                 efficiency="args = (list(range(100000)), 99999)")


def _d4(rng: random.Random) -> Draft:
    return draft(rng, title="Sort words by length", entry_point="sort_by_length",
                 signature="sort_by_length(words: list[str]) -> list[str]",
                 description="Return the words sorted by length, shortest first; words of equal length are sorted alphabetically.",
                 reference="def sort_by_length(words):\n    return sorted(words, key=lambda w: (len(w), w))\n",
                 sample=lambda r: (words(r, r.randint(1, 6)),), edge=[([],), (["b", "a"],)],
                 efficiency="args = ([str((i * 7919) % 100003) for i in range(30000)],)")


def _d5(rng: random.Random) -> Draft:
    return draft(rng, title="Binary search", entry_point="binary_search",
                 signature="binary_search(xs: list[int], target: int) -> int",
                 description=("xs is sorted ascending with distinct items. Return the index of target in xs, or -1. "
                              "Use binary search so it takes O(log n) steps."),
                 reference=("def binary_search(xs, target):\n    lo, hi = 0, len(xs) - 1\n    while lo <= hi:\n"
                            "        mid = (lo + hi) // 2\n        if xs[mid] == target:\n            return mid\n"
                            "        if xs[mid] < target:\n            lo = mid + 1\n        else:\n            hi = mid - 1\n"
                            "    return -1\n"),
                 sample=lambda r: (sorted(r.sample(range(30), r.randint(1, 8))), r.randint(0, 30)),
                 edge=[([], 3), ([4], 4), ([4], 5), ([1, 3], 0)],
                 efficiency="args = (list(range(1000000)), 1999998)")


def _d6(rng: random.Random) -> Draft:
    return draft(rng, title="Insertion position", entry_point="insert_position",
                 signature="insert_position(xs: list[int], x: int) -> int",
                 description="xs is sorted ascending (it may have repeats). Return the first index where x could be inserted keeping xs sorted.",
                 reference=("def insert_position(xs, x):\n    lo, hi = 0, len(xs)\n    while lo < hi:\n"
                            "        mid = (lo + hi) // 2\n        if xs[mid] < x:\n            lo = mid + 1\n"
                            "        else:\n            hi = mid\n    return lo\n"),
                 sample=lambda r: (sorted(ints(r, r.randint(1, 8), 0, 10)), r.randint(-1, 11)),
                 edge=[([], 5), ([1, 1, 1], 1), ([1, 2], 3)],
                 efficiency="args = (list(range(1000000)), 1234567)")


def _d7(rng: random.Random) -> Draft:
    return draft(rng, title="Merge sort", entry_point="merge_sort",
                 signature="merge_sort(xs: list[int]) -> list[int]",
                 description="Return xs sorted ascending. Do not use sorted() or list.sort(); write merge sort.",
                 reference=("def merge_sort(xs):\n    if len(xs) <= 1:\n        return list(xs)\n    mid = len(xs) // 2\n"
                            "    a, b = merge_sort(xs[:mid]), merge_sort(xs[mid:])\n    out, i, j = [], 0, 0\n"
                            "    while i < len(a) and j < len(b):\n        if a[i] <= b[j]:\n            out.append(a[i])\n"
                            "            i += 1\n        else:\n            out.append(b[j])\n            j += 1\n"
                            "    return out + a[i:] + b[j:]\n"),
                 sample=lambda r: (ints(r, r.randint(1, 10)),), edge=[([],), ([1],), ([3, 3, 3],), ([3, 2, 1],)],
                 efficiency="args = ([(i * 7919) % 100003 for i in range(20000)],)")


def _d8(rng: random.Random) -> Draft:
    return draft(rng, title="Count pairs with a target sum", entry_point="count_pairs",
                 signature="count_pairs(xs: list[int], target: int) -> int",
                 description="Return how many index pairs i < j have xs[i] + xs[j] == target.",
                 reference=("def count_pairs(xs, target):\n    seen, total = {}, 0\n    for x in xs:\n"
                            "        total += seen.get(target - x, 0)\n        seen[x] = seen.get(x, 0) + 1\n"
                            "    return total\n"),
                 sample=lambda r: (ints(r, r.randint(1, 8), 0, 6), r.randint(0, 12)),
                 edge=[([], 0), ([1], 2), ([2, 2, 2], 4)],
                 efficiency="args = ([i % 1000 for i in range(100000)], 1000)")


def _d9(rng: random.Random) -> Draft:
    return draft(rng, title="K-th smallest", entry_point="kth_smallest",
                 signature="kth_smallest(xs: list[int], k: int) -> int",
                 description="Return the k-th smallest item of xs (k = 1 is the smallest; 1 <= k <= len(xs)). Repeats count separately.",
                 reference="import heapq\n\n\ndef kth_smallest(xs, k):\n    return heapq.nsmallest(k, xs)[-1]\n",
                 sample=lambda r: (lambda xs: (xs, r.randint(1, len(xs))))(ints(r, r.randint(1, 9))),
                 edge=[([5], 1), ([2, 2, 1], 2), ([3, 1, 2], 3)],
                 efficiency="args = ([(i * 7919) % 100003 for i in range(100000)], 10)")


def _d10(rng: random.Random) -> Draft:
    return draft(rng, title="Search a rotated sorted list", entry_point="search_rotated",
                 signature="search_rotated(xs: list[int], target: int) -> int",
                 description=("xs was sorted ascending with distinct items, then rotated (e.g. [4, 5, 1, 2, 3]). "
                              "Return the index of target, or -1, in O(log n) steps."),
                 reference=("def search_rotated(xs, target):\n    lo, hi = 0, len(xs) - 1\n    while lo <= hi:\n"
                            "        mid = (lo + hi) // 2\n        if xs[mid] == target:\n            return mid\n"
                            "        if xs[lo] <= xs[mid]:\n            if xs[lo] <= target < xs[mid]:\n"
                            "                hi = mid - 1\n            else:\n                lo = mid + 1\n"
                            "        elif xs[mid] < target <= xs[hi]:\n            lo = mid + 1\n"
                            "        else:\n            hi = mid - 1\n    return -1\n"),
                 sample=lambda r: (lambda xs, k: (xs[k:] + xs[:k], r.randint(0, 20)))(
                     sorted(r.sample(range(20), r.randint(1, 8))), r.randint(0, 7)),
                 edge=[([], 1), ([1], 1), ([2, 1], 1), ([2, 1], 3)],
                 efficiency="args = (list(range(500000, 1000000)) + list(range(500000)), 499999)")


LEVELS = [_d1, _d2, _d3, _d4, _d5, _d6, _d7, _d8, _d9, _d10]
