"""The Scorer: grades a candidate on the hidden and edge-case tests (only it holds them).

Pure parts: `metrics` (scores from reports and measurements), `elegance` (ast analysis).
`grade` runs the sandbox; `actor` is the thin bus shell.
"""

from .elegance import elegance
from .metrics import PARTS, efficiency, score, skill_trends, slope, weighted_total, weights_from

__all__ = ["PARTS", "efficiency", "elegance", "score", "skill_trends", "slope", "weighted_total", "weights_from"]
