"""Stacks and queues: from the last item of a list to the largest rectangle in a histogram."""

from __future__ import annotations

import random

from ._draft import Draft, draft
from ._rand import ints


def _d1(rng: random.Random) -> Draft:
    end, idx = rng.choice([("last", "-1"), ("first", "0")])
    return draft(rng, title=f"The {end} item", entry_point=f"{end}_item",
                 signature=f"{end}_item(xs: list[int]) -> int",
                 description=f"Return the {end} item of the list xs, or None if xs is empty.",
                 reference=f"def {end}_item(xs):\n    return xs[{idx}] if xs else None\n",
                 sample=lambda r: (ints(r, r.randint(1, 5), 0, 9),), edge=[([],), ([4],)])


def _d2(rng: random.Random) -> Draft:
    return draft(rng, title="Push then pop", entry_point="push_pop",
                 signature="push_pop(xs: list[int], x: int) -> list[int]",
                 description="Treat xs as a stack whose top is the end. Push x, then pop the top twice (if possible) and return what is left.",
                 reference="def push_pop(xs, x):\n    st = xs + [x]\n    return st[:-2]\n",
                 sample=lambda r: (ints(r, r.randint(0, 5), 0, 9), r.randint(0, 9)), edge=[([], 1), ([5], 1)])


def _d3(rng: random.Random) -> Draft:
    return draft(rng, title="Run stack commands", entry_point="run_stack",
                 signature="run_stack(cmds: list[str]) -> list[int]",
                 description=("Start with an empty stack. Each command is 'push N' (push the integer N) or 'pop' "
                              "(remove the top, ignored when empty). Return the stack from bottom to top."),
                 reference=("def run_stack(cmds):\n    st = []\n    for c in cmds:\n        if c == 'pop':\n"
                            "            if st:\n                st.pop()\n        else:\n            st.append(int(c.split()[1]))\n"
                            "    return st\n"),
                 sample=lambda r: (["pop" if r.random() < 0.35 else f"push {r.randint(0, 9)}" for _ in range(r.randint(1, 7))],),
                 edge=[([],), (["pop"],), (["push 1", "pop", "pop"],)],
                 efficiency="args = (['push 1', 'push 2', 'pop'] * 60000,)")


def _d4(rng: random.Random) -> Draft:
    pairs = rng.choice(["()", "()[]", "()[]{}"])
    return draft(rng, title="Balanced brackets", entry_point="balanced",
                 signature="balanced(s: str) -> bool",
                 description=f"s contains only the characters {pairs!r}. Return True if every bracket is closed by the matching bracket in the right order.",
                 reference=("def balanced(s):\n    match = {')': '(', ']': '[', '}': '{'}\n    st = []\n    for c in s:\n"
                            "        if c in match:\n            if not st or st.pop() != match[c]:\n                return False\n"
                            "        else:\n            st.append(c)\n    return not st\n"),
                 sample=lambda r: ("".join(r.choice(pairs) for _ in range(r.randint(1, 8))) if r.random() < 0.5
                                   else "".join(p * 2 for p in [pairs[:2]] * r.randint(1, 3)),),
                 edge=[("",), (pairs[1],), (pairs[0],), (pairs[:2] * 3,)],
                 efficiency="args = ('(' * 50000 + ')' * 50000,)")


def _d5(rng: random.Random) -> Draft:
    return draft(rng, title="Queue simulation", entry_point="serve",
                 signature="serve(arrivals: list[str], served: int) -> list[str]",
                 description="People arrive in the order of arrivals and wait in a queue. The first `served` people are served and leave. Return who is still waiting, in queue order.",
                 reference="from collections import deque\n\n\ndef serve(arrivals, served):\n    q = deque(arrivals)\n    for _ in range(min(served, len(q))):\n        q.popleft()\n    return list(q)\n",
                 sample=lambda r: (r.sample(["ann", "bob", "cy", "dee", "eve", "fay"], r.randint(1, 5)), r.randint(0, 6)),
                 edge=[([], 2), (["a"], 0), (["a"], 5)],
                 efficiency="args = (list(map(str, range(100000))), 99990)")


def _d6(rng: random.Random) -> Draft:
    return draft(rng, title="Remove adjacent duplicates", entry_point="squash",
                 signature="squash(s: str) -> str",
                 description="Repeatedly remove two equal adjacent characters from s until none remain ('abba' -> ''). Return the result.",
                 reference="def squash(s):\n    st = []\n    for c in s:\n        if st and st[-1] == c:\n            st.pop()\n        else:\n            st.append(c)\n    return ''.join(st)\n",
                 sample=lambda r: ("".join(r.choice("ab") for _ in range(r.randint(1, 10))),),
                 edge=[("",), ("aa",), ("abc",)],
                 efficiency="args = ('ab' * 30000 + 'ba' * 30000,)")


def _d7(rng: random.Random) -> Draft:
    return draft(rng, title="Next greater element", entry_point="next_greater",
                 signature="next_greater(xs: list[int]) -> list[int]",
                 description="For each item of xs return the first later item that is strictly greater, or -1 if none. O(n) with a stack.",
                 reference=("def next_greater(xs):\n    out, st = [-1] * len(xs), []\n    for i, x in enumerate(xs):\n"
                            "        while st and xs[st[-1]] < x:\n            out[st.pop()] = x\n        st.append(i)\n    return out\n"),
                 sample=lambda r: (ints(r, r.randint(1, 8), 0, 9),), edge=[([],), ([1],), ([3, 2, 1],), ([2, 2],)],
                 efficiency="args = (list(range(100000, 0, -1)) + [10 ** 9],)")


def _d8(rng: random.Random) -> Draft:
    return draft(rng, title="Simplify a Unix path", entry_point="simplify_path",
                 signature="simplify_path(path: str) -> str",
                 description=("path is an absolute Unix path. Resolve '.' and '..' (going above the root stays at "
                              "the root) and repeated slashes; return the canonical path starting with '/' and "
                              "without a trailing slash (the root is '/')."),
                 reference=("def simplify_path(path):\n    st = []\n    for part in path.split('/'):\n"
                            "        if part == '..':\n            if st:\n                st.pop()\n"
                            "        elif part and part != '.':\n            st.append(part)\n    return '/' + '/'.join(st)\n"),
                 sample=lambda r: ("/" + "/".join(r.choice(["a", "b", "..", ".", "", "usr"]) for _ in range(r.randint(1, 6))),),
                 edge=[("/",), ("/../..",), ("//a//b/",)],
                 efficiency="args = ('/a/b/..' * 30000,)")


def _d9(rng: random.Random) -> Draft:
    return draft(rng, title="Min stack", entry_point="min_stack",
                 signature="min_stack(ops: list[list]) -> list[int]",
                 description=("Run ops on a stack: ['push', x], ['pop'] and ['min']. 'pop' on an empty stack does "
                              "nothing; 'min' records the smallest item on the stack (or None when empty). Each "
                              "operation must take O(1) time. Return the recorded minima."),
                 reference=("def min_stack(ops):\n    st, out = [], []\n    for op in ops:\n        if op[0] == 'push':\n"
                            "            st.append(min(op[1], st[-1]) if st else op[1])\n        elif op[0] == 'pop':\n"
                            "            if st:\n                st.pop()\n        else:\n            out.append(st[-1] if st else None)\n"
                            "    return out\n"),
                 sample=lambda r: ([r.choice([["push", r.randint(0, 9)], ["pop"], ["min"]]) for _ in range(r.randint(2, 9))],),
                 edge=[([],), ([["min"]],), ([["pop"], ["push", 1], ["min"]],)],
                 efficiency="args = ([['push', i] for i in range(30000, 0, -1)] + [['min']] * 30000,)")


def _d10(rng: random.Random) -> Draft:
    return draft(rng, title="Largest rectangle in a histogram", entry_point="largest_rectangle",
                 signature="largest_rectangle(heights: list[int]) -> int",
                 description="heights are bar heights of width 1. Return the area of the largest rectangle that fits under the bars. O(n) with a stack.",
                 reference=("def largest_rectangle(heights):\n    st, best = [], 0\n    for i, h in enumerate(heights + [0]):\n"
                            "        start = i\n        while st and st[-1][1] >= h:\n            start, top = st.pop()\n"
                            "            best = max(best, top * (i - start))\n        st.append((start, h))\n    return best\n"),
                 sample=lambda r: (ints(r, r.randint(1, 8), 0, 9),), edge=[([],), ([5],), ([2, 2, 2],)],
                 efficiency="args = (list(range(1, 50001)) + list(range(50000, 0, -1)),)")


LEVELS = [_d1, _d2, _d3, _d4, _d5, _d6, _d7, _d8, _d9, _d10]
