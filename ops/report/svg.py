"""A tiny SVG chart helper: line charts and bar charts as self-contained `<svg>` strings.

Inline SVG keeps the HTML report one file that works offline (no CDN, no JavaScript).
Pure functions of their data; every label goes through `escape`.

Readable with 5 points and with 5,000: a series of more than MAX_POINTS points is averaged into
MAX_POINTS buckets (a smoother line, a bounded file); sparse series get a marker on every
point, so one score is a dot, not nothing. The legend flows label by label, each as wide as
its text (`text_width`, pinned with `textLength` so no font can make it overlap the next), and
wraps onto as many rows as it needs; the chart grows to fit it. Past the eight colours of the
palette, series are told apart by dash patterns too.
"""

from __future__ import annotations

import math
from html import escape
from typing import Callable, Sequence

# Colour-blind-safe palette (Okabe & Ito), one per series in order; then the same with dashes.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
DASHES = ["", "6 3", "2 2", "8 3 2 3"]
PAD_L, PAD_R, PAD_T, PAD_B = 48, 16, 28, 36
FONT = "Arial, Helvetica, 'Liberation Sans', sans-serif"
LEGEND_FONT = 10
LEGEND_ROW = 16  # px per legend row
SWATCH = 14  # the line sample before each label, with its gap
LEGEND_GAP = 14  # between one label's end and the next swatch
LABEL_MAX = 32  # characters; longer names are cut with an ellipsis (the full name is the tooltip)
MAX_POINTS = 240  # per series; more are averaged into this many buckets
MARK_BELOW = 40  # series with fewer points get a marker on each

# Advance widths of Arial / Liberation Sans (metric-compatible) in 1/1000 em, for the legend.
_NARROW = dict.fromkeys("ijl.,:;'|!", 278) | dict.fromkeys("ft", 333) | {"r": 333, " ": 278, "I": 278}
_WIDE = dict.fromkeys("mM", 833) | dict.fromkeys("wW", 944) | {"@": 1015, "%": 889}
_UPPER = 700


def text_width(text: str, size: float) -> float:
    """The rendered width of `text` in Arial at `size` px, plus 5 % for fonts a little wider."""
    units = 0
    for ch in text:
        if ch in _NARROW:
            units += _NARROW[ch]
        elif ch in _WIDE:
            units += _WIDE[ch]
        elif ch.isascii() and ch.isupper():
            units += _UPPER
        elif ch.isascii():
            units += 556  # lowercase letters, digits, '_' and most punctuation
        else:
            units += 1000  # CJK and the like: a full em
    return units * size / 1000 * 1.05


def nice_ceiling(value: float, low: float) -> float:
    """The axis top for data reaching `value` from `low`: low + 4 round steps (1, 2, 2.5, 3, 4 or 5
    times a power of ten), so the five grid lines fall on round numbers."""
    raw = (value - low) / 4 if value > low else 1.0
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 3, 4, 5, 10) if low + 4 * m * power >= value - 1e-9)
    return low + 4 * step


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".") if abs(v) < 1000 else f"{v:.0f}"


def _label(name: str) -> str:
    return name if len(name) <= LABEL_MAX else name[:LABEL_MAX - 1] + "…"


def thin(points: Sequence[tuple[float, float]], limit: int = MAX_POINTS) -> list[tuple[float, float]]:
    """At most `limit` points: consecutive runs averaged (x and y), first and last kept in place."""
    pts = list(points)
    if len(pts) <= limit:
        return pts
    out = []
    for b in range(limit):
        lo, hi = b * len(pts) // limit, (b + 1) * len(pts) // limit
        run = pts[lo:hi]
        out.append((sum(x for x, _ in run) / len(run), sum(y for _, y in run) / len(run)))
    out[0], out[-1] = pts[0], pts[-1]
    return out


def legend_layout(names: Sequence[str], width: float, x0: float = PAD_L) -> list[tuple[float, int, float]]:
    """(x, row, text width) per name: left to right, a new row when the next would not fit."""
    out: list[tuple[float, int, float]] = []
    x, row = x0, 0
    for name in names:
        w = text_width(_label(name), LEGEND_FONT)
        if x > x0 and x + SWATCH + w > width - PAD_R:
            x, row = x0, row + 1
        out.append((x, row, w))
        x += SWATCH + w + LEGEND_GAP
    return out


def style(n: int) -> tuple[str, str]:
    """(colour, dash pattern) of the n-th series."""
    return PALETTE[n % len(PALETTE)], DASHES[(n // len(PALETTE)) % len(DASHES)]


def fit(text: str, width: float, size: float) -> str:
    """`text` cut with an ellipsis to fit `width` px at `size` (bold: a tenth wider)."""
    if text_width(text, size) * 1.1 <= width:
        return text
    while text and text_width(text + "…", size) * 1.1 > width:
        text = text[:-1]
    return text + "…"


def _head(title: str, width: int, height: int, subtitle: str = "") -> str:
    """The svg element and its title (cut to the width; the whole of it is the tooltip)."""
    room = width - PAD_L - PAD_R + PAD_L // 2
    full = " · ".join(filter(None, [title, subtitle]))
    sub = (f'<text x="{PAD_L}" y="31" font-size="10" fill="#555">{escape(fit(subtitle, room, 10))}</text>'
           if subtitle else "")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(full)}" font-family="{FONT}">'
            f'<title>{escape(full)}</title>'
            f'<text x="{PAD_L}" y="18" font-size="13" font-weight="bold">{escape(fit(title, room, 13))}</text>{sub}')


def _empty(title: str, width: int, height: int, subtitle: str = "") -> str:
    return (_head(title, width, height, subtitle) + f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" '
            f'fill="#777">no data yet</text></svg>')


def line_chart(series: dict[str, Sequence[tuple[float, float]]], *, title: str, width: int = 520,
               height: int = 260, y_min: float | None = None, y_max: float | None = None,
               x_label: Callable[[float], str] = _fmt, y_label: Callable[[float], str] = _fmt,
               legend: bool | None = None, subtitle: str = "", max_points: int = MAX_POINTS) -> str:
    """One line per named series over shared axes, with a legend (by default when there are two
    or more series) below the plot; `height` is the plot's, the legend adds its rows."""
    drawn = {name: thin(pts, max_points) for name, pts in series.items() if pts}
    points = [p for pts in drawn.values() for p in pts]
    if not points:
        return _empty(title, width, height, subtitle)
    show_legend = len(series) > 1 if legend is None else legend
    layout = legend_layout(list(drawn), width) if show_legend else []
    rows = max((row for _, row, _ in layout), default=-1) + 1
    total_h = height + rows * LEGEND_ROW
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    x0, x1 = min(xs), max(xs)
    one_time = x0 == x1
    y0 = min(ys) if y_min is None else min(y_min, min(ys))
    y1 = max(ys) if y_max is None else max(y_max, max(ys))
    if y_max is not None and y1 > y_max:  # the data runs past the axis it asked for: a round one
        y1 = nice_ceiling(y1, y0)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    if y1 == y0:
        y0, y1 = y0 - 1, y1 + 1
    top = PAD_T + (12 if subtitle else 0)
    pw, ph = width - PAD_L - PAD_R, height - top - PAD_B

    def sx(x: float) -> float:
        return PAD_L + (x - x0) / (x1 - x0) * pw

    def sy(y: float) -> float:
        return top + ph - (y - y0) / (y1 - y0) * ph

    parts = [_head(title, width, total_h, subtitle)]
    for i in range(5):  # grid and y ticks
        y = y0 + (y1 - y0) * i / 4
        parts.append(f'<line x1="{PAD_L}" y1="{sy(y):.1f}" x2="{PAD_L + pw}" y2="{sy(y):.1f}" stroke="#ddd"/>'
                     f'<text x="{PAD_L - 6}" y="{sy(y) + 4:.1f}" font-size="10" text-anchor="end">{escape(y_label(y))}</text>')
    for i in (1,) if one_time else range(3):  # x ticks: start, middle, end (one moment: just it)
        x = x0 + (x1 - x0) * i / 2
        anchor = ("start", "middle", "end")[i]
        parts.append(f'<text x="{sx(x):.1f}" y="{top + ph + 16}" font-size="10" text-anchor="{anchor}">{escape(x_label(x))}</text>')
    parts.append(f'<line x1="{PAD_L}" y1="{top + ph}" x2="{PAD_L + pw}" y2="{top + ph}" stroke="#333"/>'
                 f'<line x1="{PAD_L}" y1="{top}" x2="{PAD_L}" y2="{top + ph}" stroke="#333"/>')
    for n, (name, pts) in enumerate(drawn.items()):
        colour, dash = style(n)
        tag = f' data-series="{escape(name)}"'
        if len(pts) > 1:
            coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
            dashes = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(f'<polyline{tag} fill="none" stroke="{colour}" stroke-width="2"{dashes} '
                         f'stroke-linejoin="round" points="{coords}"/>')
        if len(pts) < MARK_BELOW:
            parts += [f'<circle{tag} cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{colour}"/>' for x, y in pts]
    legend_y = top + ph + PAD_B - 4  # the first row's text baseline
    for n, (name, (lx, row, tw)) in enumerate(zip(drawn, layout)):
        colour, dash = style(n)
        ly = legend_y + row * LEGEND_ROW
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<g class="legend" data-series="{escape(name)}"><title>{escape(name)}</title>'
                     f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 10}" y2="{ly - 4}" stroke="{colour}" '
                     f'stroke-width="3"{dashes}/>'
                     f'<text x="{lx + SWATCH}" y="{ly}" font-size="{LEGEND_FONT}" textLength="{tw:.1f}" '
                     f'lengthAdjust="spacingAndGlyphs">{escape(_label(name))}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(values: Sequence[float], labels: Sequence[str], *, title: str, width: int = 520,
              height: int = 220, colour: str = PALETTE[0]) -> str:
    """Vertical bars with their labels underneath and counts on top."""
    top = max(values, default=0)
    if not values or top <= 0:
        return _empty(title, width, height)
    pw, ph = width - PAD_L - PAD_R, height - PAD_T - PAD_B - 12  # room for the top bar's count
    step = pw / len(values)
    top_y = PAD_T + 12
    parts = [_head(title, width, height),
             f'<line x1="{PAD_L}" y1="{top_y + ph}" x2="{PAD_L + pw}" y2="{top_y + ph}" stroke="#333"/>']
    for i, (v, label) in enumerate(zip(values, labels)):
        h = v / top * ph
        x = PAD_L + i * step + step * 0.1
        parts.append(f'<rect x="{x:.1f}" y="{top_y + ph - h:.1f}" width="{step * 0.8:.1f}" height="{h:.1f}" fill="{colour}"/>'
                     f'<text x="{x + step * 0.4:.1f}" y="{top_y + ph - h - 3:.1f}" font-size="10" text-anchor="middle">{escape(_fmt(v))}</text>'
                     f'<text x="{x + step * 0.4:.1f}" y="{top_y + ph + 14}" font-size="9" text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
