"""Small random-input helpers shared by the generators (all take the generator's rng)."""

from __future__ import annotations

import random
import string

WORDS = ["apple", "river", "stone", "cloud", "tiger", "lemon", "piano", "house", "green", "ocean",
         "night", "bread", "chair", "light", "mouse", "plant", "sugar", "table", "water", "zebra",
         "eagle", "noon", "level", "radar", "kayak", "moon", "star", "tree", "listen", "silent"]


def ints(rng: random.Random, n: int, lo: int = -20, hi: int = 20) -> list[int]:
    return [rng.randint(lo, hi) for _ in range(n)]


def word(rng: random.Random, lo: int = 1, hi: int = 8, alphabet: str = string.ascii_lowercase) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


def words(rng: random.Random, n: int) -> list[str]:
    return [rng.choice(WORDS) for _ in range(n)]


def sentence(rng: random.Random, lo: int = 1, hi: int = 6) -> str:
    return " ".join(words(rng, rng.randint(lo, hi)))
