"""Math: from doubling a number to modular exponentiation and primes up to n."""

from __future__ import annotations

import random

from ._draft import Draft, draft


def _d1(rng: random.Random) -> Draft:
    k = rng.randint(2, 9)
    op, text, body = rng.choice([("times", f"n multiplied by {k}", f"n * {k}"),
                                 ("plus", f"n plus {k}", f"n + {k}"),
                                 ("square", "n squared (n times n)", "n * n")])
    return draft(rng, title=f"Return {text}", entry_point=f"{op}_n",
                 signature=f"{op}_n(n: int) -> int", description=f"Return {text}.",
                 reference=f"def {op}_n(n):\n    return {body}\n",
                 sample=lambda r: (r.randint(-20, 20),), edge=[(0,), (-1,)])


def _d2(rng: random.Random) -> Draft:
    k = rng.randint(2, 7)
    return draft(rng, title=f"Divisible by {k}", entry_point="is_divisible",
                 signature="is_divisible(n: int) -> bool",
                 description=f"Return True if n is divisible by {k} (the remainder n % {k} is 0), otherwise False.",
                 reference=f"def is_divisible(n):\n    return n % {k} == 0\n",
                 sample=lambda r: (r.randint(-50, 50),), edge=[(0,), (k,), (-k,)])


def _d3(rng: random.Random) -> Draft:
    return draft(rng, title="Sum of digits", entry_point="digit_sum",
                 signature="digit_sum(n: int) -> int",
                 description="Return the sum of the decimal digits of n; ignore the sign of negative numbers.",
                 reference="def digit_sum(n):\n    return sum(int(d) for d in str(abs(n)))\n",
                 sample=lambda r: (r.randint(-99999, 99999),), edge=[(0,), (-7,), (10 ** 12,)],
                 efficiency="args = (int('123456789' * 450),)")


def _d4(rng: random.Random) -> Draft:
    return draft(rng, title="Greatest common divisor", entry_point="gcd",
                 signature="gcd(a: int, b: int) -> int",
                 description="Return the greatest common divisor of a and b (non-negative; gcd(0, 0) is 0). Do not use math.gcd.",
                 reference="def gcd(a, b):\n    a, b = abs(a), abs(b)\n    while b:\n        a, b = b, a % b\n    return a\n",
                 sample=lambda r: (r.randint(0, 500) * r.randint(1, 6), r.randint(0, 500) * r.randint(1, 6)),
                 edge=[(0, 0), (0, 5), (-12, 18), (17, 17)],
                 efficiency="args = (2 ** 3000 * 3 ** 500, 2 ** 1000 * 3 ** 2000)")


def _d5(rng: random.Random) -> Draft:
    return draft(rng, title="Prime check", entry_point="is_prime",
                 signature="is_prime(n: int) -> bool",
                 description="Return True if n is a prime number, otherwise False (numbers below 2 are not prime).",
                 reference=("def is_prime(n):\n    if n < 2:\n        return False\n    i = 2\n"
                            "    while i * i <= n:\n        if n % i == 0:\n            return False\n"
                            "        i += 1\n    return True\n"),
                 sample=lambda r: (r.randint(0, 200),), edge=[(0,), (1,), (2,), (-7,), (97,)],
                 efficiency="args = (1000000007,)")


def _d6(rng: random.Random) -> Draft:
    base = rng.choice([2, 3, 5, 7, 8, 16])
    return draft(rng, title=f"Write a number in base {base}", entry_point="to_base",
                 signature="to_base(n: int) -> str",
                 description=(f"Return the base-{base} representation of n using the digits 0-9 then lower-case "
                              "letters, with a leading '-' for negative numbers; 0 is '0'."),
                 reference=("def to_base(n):\n    digits = '0123456789abcdef'\n    if n == 0:\n        return '0'\n"
                            "    sign, n = ('-', -n) if n < 0 else ('', n)\n    out = []\n    while n:\n"
                            f"        n, d = divmod(n, {base})\n        out.append(digits[d])\n"
                            "    return sign + ''.join(reversed(out))\n"),
                 sample=lambda r: (r.randint(-1000, 5000),), edge=[(0,), (-1,), (base,)],
                 efficiency="args = (7 ** 3000,)")


def _d7(rng: random.Random) -> Draft:
    return draft(rng, title="Primes up to n", entry_point="primes_upto",
                 signature="primes_upto(n: int) -> list[int]",
                 description="Return the list of all primes p with 2 <= p <= n, ascending ([] when n < 2).",
                 reference=("def primes_upto(n):\n    if n < 2:\n        return []\n    sieve = bytearray([1]) * (n + 1)\n"
                            "    sieve[0] = sieve[1] = 0\n    for i in range(2, int(n ** 0.5) + 1):\n"
                            "        if sieve[i]:\n            sieve[i * i::i] = bytearray(len(range(i * i, n + 1, i)))\n"
                            "    return [i for i, v in enumerate(sieve) if v]\n"),
                 sample=lambda r: (r.randint(0, 120),), edge=[(0,), (1,), (2,), (-5,)],
                 efficiency="args = (100000,)")


def _d8(rng: random.Random) -> Draft:
    m = rng.choice([97, 1000, 1009, 10 ** 9 + 7])
    return draft(rng, title=f"Power modulo {m}", entry_point="pow_mod",
                 signature="pow_mod(b: int, e: int) -> int",
                 description=f"Return (b ** e) % {m} for e >= 0, computed fast (e can be huge). Do not call pow with three arguments.",
                 reference=(f"def pow_mod(b, e):\n    m = {m}\n    result, b = 1 % m, b % m\n    while e:\n"
                            "        if e & 1:\n            result = result * b % m\n        b = b * b % m\n"
                            "        e >>= 1\n    return result\n"),
                 sample=lambda r: (r.randint(0, 50), r.randint(0, 60)), edge=[(0, 0), (5, 0), (0, 5), (-2, 3)],
                 efficiency="args = (123456789, 10 ** 200)")


def _d9(rng: random.Random) -> Draft:
    return draft(rng, title="Prime factorisation", entry_point="factorize",
                 signature="factorize(n: int) -> list[int]",
                 description="Return the prime factors of n (n >= 1) in ascending order, with repeats; factorize(1) is [].",
                 reference=("def factorize(n):\n    out, p = [], 2\n    while p * p <= n:\n        while n % p == 0:\n"
                            "            out.append(p)\n            n //= p\n        p += 1\n"
                            "    if n > 1:\n        out.append(n)\n    return out\n"),
                 sample=lambda r: (r.randint(2, 5000),), edge=[(1,), (2,), (1024,), (9973,)],
                 efficiency="args = (999999000001,)")


def _d10(rng: random.Random) -> Draft:
    m = rng.choice([10 ** 9 + 7, 998244353])
    return draft(rng, title="Fibonacci modulo a prime, fast", entry_point="fib_mod",
                 signature="fib_mod(n: int) -> int",
                 description=(f"Return the n-th Fibonacci number modulo {m} (fib(0)=0, fib(1)=1). n can be as "
                              "large as 10**18, so use fast doubling or matrix powers."),
                 reference=(f"def fib_mod(n):\n    m = {m}\n\n    def fd(k):\n        if k == 0:\n            return 0, 1\n"
                            "        a, b = fd(k >> 1)\n        c = a * ((2 * b - a) % m) % m\n        d = (a * a + b * b) % m\n"
                            "        return (d, (c + d) % m) if k & 1 else (c, d)\n    return fd(n)[0]\n"),
                 sample=lambda r: (r.randint(0, 90),), edge=[(0,), (1,), (2,), (10 ** 18,)],
                 efficiency="args = (10 ** 18 + 12345,)")


LEVELS = [_d1, _d2, _d3, _d4, _d5, _d6, _d7, _d8, _d9, _d10]
