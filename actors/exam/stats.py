"""Pass rates and lifts with intervals clustered by generator. Pure.

Tasks of one generator are not independent (the same function with other constants: a model
that can write it passes them all), so the intervals treat each generator as one cluster:
the cluster-robust (CR1) standard error of a mean,

    V = G / (G - 1) * sum_g (sum_{i in g} (y_i - mean))^2 / n^2

with a t quantile on G - 1 degrees of freedom. A lift compares two arms on the same tasks:
its y is the per-task difference (paired), so task difficulty cancels out. With fewer than two
clusters there is no interval (None). Rates are clipped to [0, 1], lifts to [-1, 1].
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Hashable, Sequence

Z975 = 1.959963984540054


def t975(df: int) -> float:
    """The 97.5% quantile of Student's t (two-sided 95%): from the tables for df 1 to 3, the
    Cornish-Fisher expansion beyond (within 0.001 of the tables from df 4 on)."""
    if df <= 0:
        return math.inf
    if df == 1:
        return 12.706204736174705
    if df == 2:
        return 4.302652729749464
    if df == 3:
        return 3.182446305284263
    z = Z975
    g1 = (z ** 3 + z) / 4
    g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96
    g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384
    g4 = (79 * z ** 9 + 776 * z ** 7 + 1482 * z ** 5 - 1920 * z ** 3 - 945 * z) / 92160
    return z + g1 / df + g2 / df ** 2 + g3 / df ** 3 + g4 / df ** 4


@dataclass(frozen=True)
class Estimate:
    n: int  # tasks
    clusters: int  # generators
    mean: float  # pass rate, or lift (difference of pass rates)
    low: float | None  # 95% interval, None with fewer than two clusters
    high: float | None
    se: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly: floats rounded, the mean of no tasks as None."""
        return {k: (None if isinstance(v, float) and v != v else round(v, 4) if isinstance(v, float) else v)
                for k, v in asdict(self).items()}


def clustered_mean(values: Sequence[float], clusters: Sequence[Hashable], *, lo: float = 0.0,
                   hi: float = 1.0) -> Estimate:
    """The mean of `values` with a 95% interval clustered by `clusters` (same length)."""
    if len(values) != len(clusters):
        raise ValueError("values and clusters differ in length")
    n = len(values)
    if n == 0:
        return Estimate(0, 0, math.nan, None, None, None)
    mean = sum(values) / n
    sums: dict[Hashable, float] = {}
    for y, g in zip(values, clusters):
        sums[g] = sums.get(g, 0.0) + (y - mean)
    g_count = len(sums)
    if g_count < 2:
        return Estimate(n, g_count, mean, None, None, None)
    var = g_count / (g_count - 1) * sum(s * s for s in sums.values()) / (n * n)
    se = math.sqrt(var)
    half = t975(g_count - 1) * se
    return Estimate(n, g_count, mean, max(lo, mean - half), min(hi, mean + half), se)


def pass_rate(passed: Sequence[bool], clusters: Sequence[Hashable]) -> Estimate:
    return clustered_mean([1.0 if p else 0.0 for p in passed], clusters)


def lift(a: Sequence[bool], b: Sequence[bool], clusters: Sequence[Hashable]) -> Estimate:
    """Pass rate of arm a minus arm b on the same tasks (paired), clustered."""
    if len(a) != len(b):
        raise ValueError("a lift needs both arms on the same tasks")
    return clustered_mean([float(x) - float(y) for x, y in zip(a, b)], clusters, lo=-1.0, hi=1.0)
