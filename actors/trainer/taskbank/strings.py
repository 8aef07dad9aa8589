"""Strings: from changing case to the longest palindromic substring."""

from __future__ import annotations

import random

from ._draft import Draft, draft
from ._rand import sentence, word, words


def _d1(rng: random.Random) -> Draft:
    op, text, body = rng.choice([
        ("upper", "converted to upper case", "s.upper()"),
        ("lower", "converted to lower case", "s.lower()"),
        ("length", "the number of characters in s", "len(s)"),
        ("reverse", "reversed", "s[::-1]"),
    ])
    ret = "int" if op == "length" else "str"
    return draft(rng, title=f"String {op}", entry_point=f"string_{op}",
                 signature=f"string_{op}(s: str) -> {ret}",
                 description=f"Return the string s {text}." if op != "length" else f"Return {text}.",
                 reference=f"def string_{op}(s):\n    return {body}\n",
                 sample=lambda r: (word(r, 1, 6, "abcdefgXYZ"),), edge=[("",), ("a",)])


def _d2(rng: random.Random) -> Draft:
    ch = rng.choice("aeiou")
    return draft(rng, title=f"Count the letter {ch}", entry_point="count_letter",
                 signature="count_letter(s: str) -> int",
                 description=f"Return how many times the letter '{ch}' appears in the string s.",
                 reference=f"def count_letter(s):\n    return s.count({ch!r})\n",
                 sample=lambda r: (word(r, 0, 10, "abcdeiou"),), edge=[("",), (ch * 5,), ("xyz",)])


def _d3(rng: random.Random) -> Draft:
    sep = rng.choice([" ", "-", "_"])
    return draft(rng, title="Capitalise each word", entry_point="capitalize_words",
                 signature="capitalize_words(s: str) -> str",
                 description=(f"The string s holds lowercase words separated by {sep!r}. Return it with the "
                              "first letter of every word in upper case, keeping the separators."),
                 reference=f"def capitalize_words(s):\n    return {sep!r}.join(w[:1].upper() + w[1:] for w in s.split({sep!r}))\n",
                 sample=lambda r: (sep.join(words(r, r.randint(1, 4))),),
                 edge=[("",), ("a",), (sep * 2,)])


def _d4(rng: random.Random) -> Draft:
    return draft(rng, title="Palindrome check", entry_point="is_palindrome",
                 signature="is_palindrome(s: str) -> bool",
                 description=("Return True if s reads the same forwards and backwards when you ignore case "
                              "and every character that is not a letter or a digit; otherwise False."),
                 reference=("def is_palindrome(s):\n    t = [c.lower() for c in s if c.isalnum()]\n"
                            "    return t == t[::-1]\n"),
                 sample=lambda r: (_pal(r),), edge=[("",), ("!!",), ("Aa",), ("ab",)],
                 efficiency="args = ('ab' * 30000 + 'ba' * 30000,)")


def _pal(r: random.Random) -> str:
    half = word(r, 1, 5, "abcAB1 ,")
    return half + half[::-1] if r.random() < 0.5 else half + word(r, 1, 3)


def _d5(rng: random.Random) -> Draft:
    return draft(rng, title="Run-length encoding", entry_point="rle",
                 signature="rle(s: str) -> str",
                 description=("Compress s by replacing each run of the same character with the character "
                              "followed by the run length, e.g. 'aaab' becomes 'a3b1'. Return '' for ''."),
                 reference=("def rle(s):\n    out = []\n    i = 0\n    while i < len(s):\n"
                            "        j = i\n        while j < len(s) and s[j] == s[i]:\n            j += 1\n"
                            "        out.append(s[i] + str(j - i))\n        i = j\n    return ''.join(out)\n"),
                 sample=lambda r: ("".join(r.choice("abc") * r.randint(1, 4) for _ in range(r.randint(1, 5))),),
                 edge=[("",), ("z",), ("a" * 12,)],
                 efficiency="args = ('aab' * 30000,)")


PANGRAM = "The Quick Brown Fox Jumps Over The Lazy Dog, 1234567890 times!"


def _d6(rng: random.Random) -> Draft:
    k = rng.randint(1, 25)
    return draft(rng, title=f"Caesar shift by {k}", entry_point="caesar",
                 signature="caesar(s: str) -> str",
                 description=(f"Shift every letter of s forward by {k} places in the alphabet, wrapping from z "
                              "to a, keeping upper case upper and lower case lower. Leave other characters "
                              "unchanged."),
                 reference=("def caesar(s):\n    out = []\n    for c in s:\n"
                            "        if 'a' <= c <= 'z':\n"
                            f"            out.append(chr((ord(c) - 97 + {k}) % 26 + 97))\n"
                            "        elif 'A' <= c <= 'Z':\n"
                            f"            out.append(chr((ord(c) - 65 + {k}) % 26 + 65))\n"
                            "        else:\n            out.append(c)\n    return ''.join(out)\n"),
                 sample=lambda r: (sentence(r, 1, 3).title() if r.random() < 0.3 else sentence(r, 1, 3),),
                 edge=[("",), ("xyz XYZ",), ("123 !?",)],
                 efficiency="args = ('Hello, World! ' * 10000,)",
                 # The tests' own decoder (the task's context): a candidate's copy is never used.
                 helpers=("def unshift(s):\n    out = []\n    for c in s:\n        if 'a' <= c <= 'z':\n"
                          f"            out.append(chr((ord(c) - 97 - {k}) % 26 + 97))\n"
                          "        elif 'A' <= c <= 'Z':\n"
                          f"            out.append(chr((ord(c) - 65 - {k}) % 26 + 65))\n"
                          "        else:\n            out.append(c)\n    return ''.join(out)\n"),
                 extra_hidden=[f"assert unshift(candidate({PANGRAM!r})) == {PANGRAM!r}"])


def _d7(rng: random.Random) -> Draft:
    stems = ["inter", "pre", "trans", "flow", "cat", ""]
    return draft(rng, title="Longest common prefix", entry_point="common_prefix",
                 signature="common_prefix(words: list[str]) -> str",
                 description="Return the longest string that every word in the list starts with ('' for an empty list).",
                 reference=("def common_prefix(words):\n    if not words:\n        return ''\n"
                            "    first, last = min(words), max(words)\n    i = 0\n"
                            "    while i < len(first) and first[i] == last[i]:\n        i += 1\n"
                            "    return first[:i]\n"),
                 sample=lambda r: ([r.choice(stems) + word(r, 0, 4, "abc") for _ in range(r.randint(1, 4))],),
                 edge=[([],), (["alone"],), (["", "abc"],), (["same", "same"],)],
                 efficiency="args = (['prefix' * 100 + str(i) for i in range(20000)],)")


def _d8(rng: random.Random) -> Draft:
    return draft(rng, title="Longest run of distinct characters", entry_point="longest_distinct",
                 signature="longest_distinct(s: str) -> int",
                 description="Return the length of the longest substring of s in which no character repeats.",
                 reference=("def longest_distinct(s):\n    last = {}\n    start = best = 0\n"
                            "    for i, c in enumerate(s):\n        if last.get(c, -1) >= start:\n"
                            "            start = last[c] + 1\n        last[c] = i\n"
                            "        best = max(best, i - start + 1)\n    return best\n"),
                 sample=lambda r: (word(r, 0, 14, "abcdef"),), edge=[("",), ("aaaa",), ("abcdef",)],
                 efficiency="args = (''.join(chr(97 + (i * 7) % 26) for i in range(100000)),)")


def _d9(rng: random.Random) -> Draft:
    return draft(rng, title="Group anagrams", entry_point="group_anagrams",
                 signature="group_anagrams(words: list[str]) -> list[list[str]]",
                 description=("Group the words that are anagrams of each other. Sort the words inside each "
                              "group, then sort the groups, and return the list of groups."),
                 reference=("def group_anagrams(words):\n    groups = {}\n    for w in words:\n"
                            "        groups.setdefault(''.join(sorted(w)), []).append(w)\n"
                            "    return sorted(sorted(g) for g in groups.values())\n"),
                 sample=lambda r: (r.sample(["listen", "silent", "enlist", "rat", "tar", "art", "dog",
                                             "god", "cat", "act", "tac", "bird"], r.randint(2, 7)),),
                 edge=[([],), (["a"],), (["ab", "ba", "ab"],)],
                 efficiency="args = ([''.join(sorted(str(i))) for i in range(30000)],)")


def _d10(rng: random.Random) -> Draft:
    return draft(rng, title="Longest palindromic substring", entry_point="longest_palindrome",
                 signature="longest_palindrome(s: str) -> str",
                 description=("Return the longest substring of s that is a palindrome. If several have the "
                              "same length, return the one that starts first. Return '' for ''."),
                 reference=("def longest_palindrome(s):\n    best = ''\n    for centre in range(2 * len(s) - 1):\n"
                            "        lo, hi = centre // 2, (centre + 1) // 2\n"
                            "        while lo >= 0 and hi < len(s) and s[lo] == s[hi]:\n"
                            "            lo -= 1\n            hi += 1\n"
                            "        if hi - lo - 1 > len(best):\n"
                            "            best = s[lo + 1:hi]\n    return best\n"),
                 sample=lambda r: (word(r, 1, 12, "abc"),), edge=[("",), ("a",), ("ab",), ("aaaa",)],
                 efficiency="args = ('ab' * 600 + 'c' * 50,)")


LEVELS = [_d1, _d2, _d3, _d4, _d5, _d6, _d7, _d8, _d9, _d10]
