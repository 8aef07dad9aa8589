"""Recursion: from factorial to permutations and the N-queens count."""

from __future__ import annotations

import random

from ._draft import Draft, draft
from ._rand import word


def _d1(rng: random.Random) -> Draft:
    return draft(rng, title="Factorial", entry_point="factorial",
                 signature="factorial(n: int) -> int",
                 description="Return n! = 1 * 2 * ... * n for n >= 0 (factorial(0) is 1).",
                 reference="def factorial(n):\n    return 1 if n <= 1 else n * factorial(n - 1)\n",
                 sample=lambda r: (r.randint(0, 12),), edge=[(0,), (1,)])


def _d2(rng: random.Random) -> Draft:
    return draft(rng, title="Sum from 1 to n", entry_point="sum_to",
                 signature="sum_to(n: int) -> int",
                 description="Return 1 + 2 + ... + n for n >= 0 (sum_to(0) is 0).",
                 reference="def sum_to(n):\n    return n * (n + 1) // 2\n",
                 sample=lambda r: (r.randint(0, 100),), edge=[(0,), (1,)],
                 efficiency="args = (10 ** 6,)")


def _d3(rng: random.Random) -> Draft:
    b = rng.randint(2, 5)
    return draft(rng, title=f"Power of {b}", entry_point="power",
                 signature="power(n: int) -> int",
                 description=f"Return {b} to the power n (n >= 0) without using ** or pow.",
                 reference=f"def power(n):\n    return 1 if n == 0 else {b} * power(n - 1)\n",
                 sample=lambda r: (r.randint(0, 15),), edge=[(0,), (1,)])


def _d4(rng: random.Random) -> Draft:
    return draft(rng, title="Fibonacci", entry_point="fib",
                 signature="fib(n: int) -> int",
                 description="Return the n-th Fibonacci number: fib(0) = 0, fib(1) = 1, fib(n) = fib(n-1) + fib(n-2).",
                 reference="def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n",
                 sample=lambda r: (r.randint(2, 25),), edge=[(0,), (1,), (2,)],
                 efficiency="args = (30,)")


def _d5(rng: random.Random) -> Draft:
    return draft(rng, title="Reverse a string recursively", entry_point="rev",
                 signature="rev(s: str) -> str",
                 description="Return s reversed. Solve it with recursion: the reverse of s is the reverse of s[1:] followed by s[0].",
                 reference="def rev(s):\n    return s[::-1]\n",
                 sample=lambda r: (word(r, 1, 10),), edge=[("",), ("a",)])


def _d6(rng: random.Random) -> Draft:
    return draft(rng, title="Nested list depth", entry_point="depth",
                 signature="depth(x) -> int",
                 description=("x is an integer or a list whose items are integers or lists. Return how deeply "
                              "lists are nested: an integer has depth 0, [] and [1, 2] have depth 1, [[1]] has depth 2."),
                 reference="def depth(x):\n    if not isinstance(x, list):\n        return 0\n    return 1 + max((depth(y) for y in x), default=0)\n",
                 sample=lambda r: (_tree(r, 4),), edge=[(5,), ([],), ([[[]]],)])


def _tree(r: random.Random, d: int) -> list:
    return [_tree(r, d - 1) if d and r.random() < 0.4 else r.randint(0, 9) for _ in range(r.randint(0, 3))]


def _d7(rng: random.Random) -> Draft:
    return draft(rng, title="All subsets", entry_point="subsets",
                 signature="subsets(xs: list[int]) -> list[list[int]]",
                 description=("Return every subset of xs (items are distinct) as a list of lists, each subset "
                              "keeping the items in xs's order, the whole list sorted."),
                 reference=("def subsets(xs):\n    if not xs:\n        return [[]]\n    rest = subsets(xs[1:])\n"
                            "    return sorted(rest + [[xs[0]] + s for s in rest])\n"),
                 sample=lambda r: (r.sample(range(10), r.randint(1, 4)),), edge=[([],), ([1],)],
                 efficiency="args = (list(range(15)),)")


def _d8(rng: random.Random) -> Draft:
    return draft(rng, title="Permutations", entry_point="permutations",
                 signature="permutations(s: str) -> list[str]",
                 description="Return all distinct rearrangements of the letters of s, sorted. permutations('') is [''].",
                 reference=("def permutations(s):\n    if len(s) <= 1:\n        return [s]\n    out = set()\n"
                            "    for i, c in enumerate(s):\n        for p in permutations(s[:i] + s[i + 1:]):\n"
                            "            out.add(c + p)\n    return sorted(out)\n"),
                 sample=lambda r: (word(r, 1, 4, "abcd"),), edge=[("",), ("a",), ("aa",)],
                 efficiency="args = ('abcdefg',)")


def _d9(rng: random.Random) -> Draft:
    return draft(rng, title="Balanced parentheses strings", entry_point="gen_parens",
                 signature="gen_parens(n: int) -> list[str]",
                 description="Return every string of n pairs of balanced parentheses, sorted. gen_parens(0) is [''].",
                 reference=("def gen_parens(n):\n    out = []\n\n    def go(s, opened, closed):\n"
                            "        if len(s) == 2 * n:\n            out.append(s)\n            return\n"
                            "        if opened < n:\n            go(s + '(', opened + 1, closed)\n"
                            "        if closed < opened:\n            go(s + ')', opened, closed + 1)\n"
                            "    go('', 0, 0)\n    return sorted(out)\n"),
                 sample=lambda r: (r.randint(1, 5),), edge=[(0,), (1,)], visible=2, hidden=3,
                 efficiency="args = (10,)")


def _d10(rng: random.Random) -> Draft:
    return draft(rng, title="N-queens count", entry_point="queens",
                 signature="queens(n: int) -> int",
                 description="Return in how many ways n queens can be placed on an n x n board so that no two attack each other. queens(0) is 1.",
                 reference=("def queens(n):\n    def go(row, cols, d1, d2):\n        if row == n:\n            return 1\n"
                            "        total = 0\n        for c in range(n):\n"
                            "            if c not in cols and row - c not in d1 and row + c not in d2:\n"
                            "                total += go(row + 1, cols | {c}, d1 | {row - c}, d2 | {row + c})\n"
                            "        return total\n    return go(0, frozenset(), frozenset(), frozenset())\n"),
                 sample=lambda r: (r.randint(1, 7),), edge=[(0,), (2,), (3,)], visible=2, hidden=4,
                 efficiency="args = (8,)")


LEVELS = [_d1, _d2, _d3, _d4, _d5, _d6, _d7, _d8, _d9, _d10]
