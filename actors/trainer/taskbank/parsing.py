"""Parsing: from reading a number to evaluating arithmetic with precedence and parentheses."""

from __future__ import annotations

import random

from ._draft import Draft, draft
from ._rand import words


def _d1(rng: random.Random) -> Draft:
    k = rng.randint(1, 9)
    return draft(rng, title=f"Parse a number and add {k}", entry_point="parse_add",
                 signature="parse_add(s: str) -> int",
                 description=f"s holds an integer written in decimal, such as '42'. Return that integer plus {k}.",
                 reference=f"def parse_add(s):\n    return int(s) + {k}\n",
                 sample=lambda r: (str(r.randint(-99, 999)),), edge=[("0",), ("-1",)])


def _d2(rng: random.Random) -> Draft:
    sep = rng.choice([",", ";", " "])
    return draft(rng, title=f"Split on {sep!r}", entry_point="split_items",
                 signature="split_items(s: str) -> list[str]",
                 description=f"Return the parts of s separated by {sep!r}, in order. An empty s gives [].",
                 reference=f"def split_items(s):\n    return s.split({sep!r}) if s else []\n",
                 sample=lambda r: (sep.join(words(r, r.randint(1, 4))),), edge=[("",), ("a",)])


def _d3(rng: random.Random) -> Draft:
    sep = rng.choice([",", " ", "+"])
    return draft(rng, title="Sum numbers in a string", entry_point="sum_numbers",
                 signature="sum_numbers(s: str) -> int",
                 description=f"s holds integers separated by {sep!r} (possibly with spaces around them). Return their sum; '' gives 0.",
                 reference=f"def sum_numbers(s):\n    return sum(int(p) for p in s.split({sep!r}) if p.strip())\n",
                 sample=lambda r: (sep.join(str(r.randint(0, 50)) for _ in range(r.randint(1, 5))),),
                 edge=[("",), ("7",)],
                 efficiency=f"args = ({sep!r}.join(str(i) for i in range(100000)),)")


def _d4(rng: random.Random) -> Draft:
    return draft(rng, title="Parse key=value pairs", entry_point="parse_pairs",
                 signature="parse_pairs(s: str) -> dict[str, str]",
                 description=("s looks like 'a=1;b=two'. Return a dict of the pairs, with spaces around keys and "
                              "values stripped; skip empty parts; a later key overrides an earlier one."),
                 reference=("def parse_pairs(s):\n    out = {}\n    for part in s.split(';'):\n        if '=' in part:\n"
                            "            k, v = part.split('=', 1)\n            out[k.strip()] = v.strip()\n    return out\n"),
                 sample=lambda r: (";".join(f"{w}={r.randint(0, 9)}" for w in words(r, r.randint(1, 4))),),
                 edge=[("",), ("a=1;;a=2",), (" x = y ",)],
                 efficiency="args = (';'.join(f'k{i}={i}' for i in range(40000)),)")


def _d5(rng: random.Random) -> Draft:
    return draft(rng, title="Time to seconds", entry_point="to_seconds",
                 signature="to_seconds(t: str) -> int",
                 description="t is a duration 'H:MM:SS', 'MM:SS' or 'SS'. Return the total number of seconds.",
                 reference=("def to_seconds(t):\n    total = 0\n    for part in t.split(':'):\n"
                            "        total = total * 60 + int(part)\n    return total\n"),
                 sample=lambda r: (":".join(str(r.randint(0, 59)).zfill(2) for _ in range(r.randint(1, 3))),),
                 edge=[("0",), ("00:00:00",), ("1:00:00",)])


def _d6(rng: random.Random) -> Draft:
    return draft(rng, title="Parse a tiny CSV", entry_point="parse_csv",
                 signature="parse_csv(text: str) -> list[dict[str, str]]",
                 description=("text is CSV without quoting: a header line, then data lines, lines separated by "
                              "'\\n'. Return one dict per data line mapping header names to values. Ignore blank lines."),
                 reference=("def parse_csv(text):\n    lines = [ln for ln in text.split('\\n') if ln.strip()]\n"
                            "    if not lines:\n        return []\n    head = lines[0].split(',')\n"
                            "    return [dict(zip(head, ln.split(','))) for ln in lines[1:]]\n"),
                 sample=lambda r: ("\n".join(["name,age"] + [f"{w},{r.randint(1, 90)}" for w in words(r, r.randint(0, 3))]),),
                 edge=[("",), ("a,b",), ("a\n\n1\n",)],
                 efficiency="args = ('a,b\\n' + '\\n'.join(f'{i},{i}' for i in range(40000)),)")


def _d7(rng: random.Random) -> Draft:
    return draft(rng, title="Roman numerals to integers", entry_point="roman_to_int",
                 signature="roman_to_int(s: str) -> int",
                 description="Return the value of the Roman numeral s (I V X L C D M, with subtractive pairs like IV and CM).",
                 reference=("def roman_to_int(s):\n    v = {'I': 1, 'V': 5, 'X': 10, 'L': 50, 'C': 100, 'D': 500, 'M': 1000}\n"
                            "    total = 0\n    for a, b in zip(s, s[1:] + ' '):\n"
                            "        total += -v[a] if b != ' ' and v[a] < v[b] else v[a]\n    return total\n"),
                 sample=lambda r: (_roman(r.randint(1, 3999)),), edge=[("I",), ("MMMCMXCIX",), ("XLIV",)])


def _roman(n: int) -> str:
    out = []
    for value, sym in [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                       (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]:
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)


def _d8(rng: random.Random) -> Draft:
    return draft(rng, title="Evaluate a postfix expression", entry_point="eval_rpn",
                 signature="eval_rpn(expr: str) -> int",
                 description=("expr holds integers and the operators + - * separated by spaces in reverse Polish "
                              "notation, like '3 4 + 2 *'. Return its value."),
                 reference=("def eval_rpn(expr):\n    stack = []\n    for tok in expr.split():\n"
                            "        if tok in ('+', '-', '*'):\n            b, a = stack.pop(), stack.pop()\n"
                            "            stack.append(a + b if tok == '+' else a - b if tok == '-' else a * b)\n"
                            "        else:\n            stack.append(int(tok))\n    return stack[-1]\n"),
                 sample=lambda r: (_rpn(r, r.randint(1, 3)),), edge=[("5",), ("-3 4 *",), ("0 0 -",)],
                 efficiency="args = ('1 ' + '1 + ' * 30000,)")


def _rpn(r: random.Random, depth: int) -> str:
    if depth == 0 or r.random() < 0.3:
        return str(r.randint(0, 9))
    return f"{_rpn(r, depth - 1)} {_rpn(r, depth - 1)} {r.choice('+-*')}"


def _d9(rng: random.Random) -> Draft:
    return draft(rng, title="Decode a nested repeat string", entry_point="decode",
                 signature="decode(s: str) -> str",
                 description="Decode s where k[text] means text repeated k times, nested to any depth: '2[a3[b]]c' -> 'abbbabbbc'.",
                 reference=("def decode(s):\n    stack, cur, num = [], '', 0\n    for c in s:\n        if c.isdigit():\n"
                            "            num = num * 10 + int(c)\n        elif c == '[':\n            stack.append((cur, num))\n"
                            "            cur, num = '', 0\n        elif c == ']':\n            prev, k = stack.pop()\n"
                            "            cur = prev + cur * k\n        else:\n            cur += c\n    return cur\n"),
                 sample=lambda r: (_enc(r, 2),), edge=[("",), ("abc",), ("10[a]",)],
                 efficiency="args = ('2[' * 15 + 'ab' + ']' * 15,)")


def _enc(r: random.Random, depth: int) -> str:
    parts = []
    for _ in range(r.randint(1, 2)):
        inner = _enc(r, depth - 1) if depth and r.random() < 0.5 else r.choice(["a", "b", "xy"])
        parts.append(f"{r.randint(1, 3)}[{inner}]" if r.random() < 0.7 else inner)
    return "".join(parts)


def _d10(rng: random.Random) -> Draft:
    return draft(rng, title="Evaluate an arithmetic expression", entry_point="evaluate",
                 signature="evaluate(expr: str) -> int",
                 description=("Evaluate expr made of non-negative integers, + - * and parentheses, with spaces "
                              "anywhere. * binds tighter than + and -, which group left to right. Do not use eval."),
                 reference=("def evaluate(expr):\n    toks = [t for t in expr.replace('(', ' ( ').replace(')', ' ) ')\n"
                            "            .replace('+', ' + ').replace('-', ' - ').replace('*', ' * ').split()]\n"
                            "    pos = 0\n\n    def atom():\n        nonlocal pos\n        tok = toks[pos]\n        pos += 1\n"
                            "        if tok == '(':\n            value = expr_()\n            pos += 1\n            return value\n"
                            "        return int(tok)\n\n    def term():\n        nonlocal pos\n        value = atom()\n"
                            "        while pos < len(toks) and toks[pos] == '*':\n            pos += 1\n            value *= atom()\n"
                            "        return value\n\n    def expr_():\n        nonlocal pos\n        value = term()\n"
                            "        while pos < len(toks) and toks[pos] in '+-':\n            op = toks[pos]\n            pos += 1\n"
                            "            value = value + term() if op == '+' else value - term()\n        return value\n\n"
                            "    return expr_()\n"),
                 sample=lambda r: (_infix(r, 3),), edge=[("7",), ("(((1)))",), ("2 - 3 - 4",), ("2*3+4*5",)],
                 efficiency="args = ('1' + ' + 2 * 3' * 20000,)")


def _infix(r: random.Random, depth: int) -> str:
    if depth == 0 or r.random() < 0.3:
        return str(r.randint(0, 9))
    left, right = _infix(r, depth - 1), _infix(r, depth - 1)
    text = f"{left} {r.choice('+-*')} {right}"
    return f"({text})" if r.random() < 0.4 else text


LEVELS = [_d1, _d2, _d3, _d4, _d5, _d6, _d7, _d8, _d9, _d10]
