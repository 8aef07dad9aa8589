"""Dynamic programming: from the next term of a sequence to edit distance and knapsack."""

from __future__ import annotations

import random

from ._draft import Draft, draft
from ._rand import ints, word


def _d1(rng: random.Random) -> Draft:
    op, sym = rng.choice([("sum", "+"), ("product", "*")])
    return draft(rng, title="The next term of a sequence", entry_point="next_term",
                 signature="next_term(a: int, b: int) -> int",
                 description=f"In a sequence each number is the {op} of the two numbers before it. "
                             f"Given the last two numbers a and b, return the next one (a {sym} b).",
                 reference=f"def next_term(a, b):\n    return a {sym} b\n",
                 sample=lambda r: (r.randint(0, 20), r.randint(0, 20)), edge=[(0, 0), (1, 0)])


def _d2(rng: random.Random) -> Draft:
    a, b = rng.choice([(1, 1), (2, 1), (1, 2), (3, 2)])
    return draft(rng, title="A number sequence", entry_point="seq",
                 signature="seq(n: int) -> int",
                 description=f"The sequence starts s(0) = {a}, s(1) = {b}, and s(n) = s(n-1) + s(n-2). Return s(n) for n >= 0.",
                 reference=f"def seq(n):\n    x, y = {a}, {b}\n    for _ in range(n):\n        x, y = y, x + y\n    return x\n",
                 sample=lambda r: (r.randint(2, 30),), edge=[(0,), (1,)],
                 efficiency="args = (5000,)")


def _d3(rng: random.Random) -> Draft:
    steps = rng.choice([(1, 2), (1, 3), (1, 2, 3)])
    return draft(rng, title="Climbing stairs", entry_point="climb",
                 signature="climb(n: int) -> int",
                 description=f"You climb n stairs taking steps of sizes {list(steps)}. Return in how many different orders of steps you can reach the top exactly. climb(0) is 1.",
                 reference=(f"def climb(n):\n    ways = [1] + [0] * n\n    for i in range(1, n + 1):\n"
                            f"        ways[i] = sum(ways[i - s] for s in {steps!r} if s <= i)\n    return ways[n]\n"),
                 sample=lambda r: (r.randint(2, 30),), edge=[(0,), (1,)],
                 efficiency="args = (5000,)")


def _d4(rng: random.Random) -> Draft:
    return draft(rng, title="House robber", entry_point="rob",
                 signature="rob(xs: list[int]) -> int",
                 description="xs are non-negative amounts in houses in a row. Return the largest total you can take without taking two neighbouring houses.",
                 reference="def rob(xs):\n    take = skip = 0\n    for x in xs:\n        take, skip = skip + x, max(take, skip)\n    return max(take, skip)\n",
                 sample=lambda r: (ints(r, r.randint(1, 8), 0, 20),), edge=[([],), ([5],), ([2, 1, 1, 2],)],
                 efficiency="args = ([(i * 7919) % 100 for i in range(100000)],)")


def _d5(rng: random.Random) -> Draft:
    return draft(rng, title="Grid paths", entry_point="grid_paths",
                 signature="grid_paths(rows: int, cols: int) -> int",
                 description="Return how many paths go from the top-left to the bottom-right cell of a rows x cols grid moving only right or down (rows, cols >= 1).",
                 reference=("def grid_paths(rows, cols):\n    row = [1] * cols\n    for _ in range(rows - 1):\n"
                            "        for c in range(1, cols):\n            row[c] += row[c - 1]\n    return row[-1]\n"),
                 sample=lambda r: (r.randint(1, 10), r.randint(1, 10)), edge=[(1, 1), (1, 7), (7, 1)],
                 efficiency="args = (300, 300)")


def _d6(rng: random.Random) -> Draft:
    coins = rng.choice([[1, 2, 5], [1, 3, 4], [2, 5, 10], [1, 5, 10, 25]])
    return draft(rng, title="Fewest coins", entry_point="min_coins",
                 signature="min_coins(amount: int) -> int",
                 description=f"With coins of values {coins} (unlimited of each), return the fewest coins that add up to amount, or -1 if impossible.",
                 reference=(f"def min_coins(amount):\n    inf = float('inf')\n    best = [0] + [inf] * amount\n"
                            "    for a in range(1, amount + 1):\n"
                            f"        for c in {coins!r}:\n            if c <= a and best[a - c] + 1 < best[a]:\n"
                            "                best[a] = best[a - c] + 1\n    return best[amount] if best[amount] != inf else -1\n"),
                 sample=lambda r: (r.randint(1, 40),), edge=[(0,), (3,), (1,)],
                 efficiency="args = (100000,)")


def _d7(rng: random.Random) -> Draft:
    return draft(rng, title="Longest increasing subsequence", entry_point="lis",
                 signature="lis(xs: list[int]) -> int",
                 description="Return the length of the longest strictly increasing subsequence of xs (items in order, not necessarily adjacent).",
                 reference=("import bisect\n\n\ndef lis(xs):\n    tails = []\n    for x in xs:\n"
                            "        i = bisect.bisect_left(tails, x)\n        tails[i:i + 1] = [x]\n    return len(tails)\n"),
                 sample=lambda r: (ints(r, r.randint(1, 10), 0, 15),), edge=[([],), ([2, 2, 2],), ([3, 2, 1],)],
                 efficiency="args = ([(i * 7919) % 100003 for i in range(50000)],)")


def _d8(rng: random.Random) -> Draft:
    return draft(rng, title="Longest common subsequence", entry_point="lcs",
                 signature="lcs(a: str, b: str) -> int",
                 description="Return the length of the longest sequence of characters that appears, in order, in both a and b.",
                 reference=("def lcs(a, b):\n    prev = [0] * (len(b) + 1)\n    for ca in a:\n        cur = [0]\n"
                            "        for j, cb in enumerate(b):\n            cur.append(prev[j] + 1 if ca == cb else max(prev[j + 1], cur[j]))\n"
                            "        prev = cur\n    return prev[-1]\n"),
                 sample=lambda r: (word(r, 0, 8, "abcd"), word(r, 0, 8, "abcd")), edge=[("", ""), ("abc", ""), ("abc", "abc")],
                 efficiency="args = ('abcde' * 100, 'edcba' * 100)")


def _d9(rng: random.Random) -> Draft:
    return draft(rng, title="Edit distance", entry_point="edit_distance",
                 signature="edit_distance(a: str, b: str) -> int",
                 description="Return the fewest single-character insertions, deletions and substitutions that turn a into b.",
                 reference=("def edit_distance(a, b):\n    prev = list(range(len(b) + 1))\n    for i, ca in enumerate(a, 1):\n"
                            "        cur = [i]\n        for j, cb in enumerate(b, 1):\n"
                            "            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))\n"
                            "        prev = cur\n    return prev[-1]\n"),
                 sample=lambda r: (word(r, 0, 8, "abc"), word(r, 0, 8, "abc")), edge=[("", ""), ("", "abc"), ("kitten", "sitting")],
                 efficiency="args = ('abcde' * 100, 'edcba' * 100)")


def _d10(rng: random.Random) -> Draft:
    cap = rng.randint(5, 15)
    return draft(rng, title=f"0/1 knapsack with capacity {cap}", entry_point="knapsack",
                 signature="knapsack(items: list[list[int]]) -> int",
                 description=f"items is a list of [weight, value] pairs (weights >= 1). Each item can be taken once. Return the largest total value with total weight at most {cap}.",
                 reference=(f"def knapsack(items):\n    best = [0] * ({cap} + 1)\n    for w, v in items:\n"
                            f"        for c in range({cap}, w - 1, -1):\n            best[c] = max(best[c], best[c - w] + v)\n"
                            "    return best[-1]\n"),
                 sample=lambda r: ([[r.randint(1, 8), r.randint(1, 20)] for _ in range(r.randint(1, 7))],),
                 edge=[([],), ([[cap + 1, 100]],), ([[cap, 1], [1, 2]],)],
                 efficiency="args = ([[1 + i % 7, i % 13] for i in range(3000)],)")


LEVELS = [_d1, _d2, _d3, _d4, _d5, _d6, _d7, _d8, _d9, _d10]
