"""A tiny SVG chart helper: line charts and bar charts as self-contained `<svg>` strings.

Inline SVG keeps the HTML report one file that works offline (no CDN, no JavaScript).
Pure functions of their data; every label goes through `escape`.
"""

from __future__ import annotations

from html import escape
from typing import Callable, Sequence

# Colour-blind-safe palette (Okabe & Ito), one per series in order.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
PAD_L, PAD_R, PAD_T, PAD_B = 48, 16, 28, 36


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".") if abs(v) < 1000 else f"{v:.0f}"


def line_chart(series: dict[str, Sequence[tuple[float, float]]], *, title: str, width: int = 520,
               height: int = 260, y_min: float | None = None, y_max: float | None = None,
               x_label: Callable[[float], str] = _fmt, y_label: Callable[[float], str] = _fmt) -> str:
    """One polyline per named series over shared axes, with a legend; an empty chart says so."""
    points = [p for pts in series.values() for p in pts]
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
            f'<title>{escape(title)}</title>'
            f'<text x="{PAD_L}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>')
    if not points:
        return head + f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="#777">no data yet</text></svg>'
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    x0, x1 = min(xs), max(xs)
    y0 = min(ys) if y_min is None else y_min
    y1 = max(ys) if y_max is None else y_max
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    if y1 == y0:
        y0, y1 = y0 - 1, y1 + 1
    legend_rows = -(-len(series) // 4) if len(series) > 1 else 0
    pw, ph = width - PAD_L - PAD_R, height - PAD_T - PAD_B - 14 * legend_rows - (6 if legend_rows else 0)

    def sx(x: float) -> float:
        return PAD_L + (x - x0) / (x1 - x0) * pw

    def sy(y: float) -> float:
        return PAD_T + ph - (y - y0) / (y1 - y0) * ph

    parts = [head]
    for i in range(5):  # grid and y ticks
        y = y0 + (y1 - y0) * i / 4
        parts.append(f'<line x1="{PAD_L}" y1="{sy(y):.1f}" x2="{PAD_L + pw}" y2="{sy(y):.1f}" stroke="#ddd"/>'
                     f'<text x="{PAD_L - 6}" y="{sy(y) + 4:.1f}" font-size="10" text-anchor="end">{escape(y_label(y))}</text>')
    for i in range(3):  # x ticks: start, middle, end
        x = x0 + (x1 - x0) * i / 2
        anchor = ("start", "middle", "end")[i]
        parts.append(f'<text x="{sx(x):.1f}" y="{PAD_T + ph + 16}" font-size="10" text-anchor="{anchor}">{escape(x_label(x))}</text>')
    parts.append(f'<line x1="{PAD_L}" y1="{PAD_T + ph}" x2="{PAD_L + pw}" y2="{PAD_T + ph}" stroke="#333"/>'
                 f'<line x1="{PAD_L}" y1="{PAD_T}" x2="{PAD_L}" y2="{PAD_T + ph}" stroke="#333"/>')
    for n, (name, pts) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        if len(pts) == 1:
            parts.append(f'<circle cx="{sx(pts[0][0]):.1f}" cy="{sy(pts[0][1]):.1f}" r="3" fill="{colour}"/>')
        else:
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coords}"/>')
        lx = PAD_L + (n % 4) * (pw // 4)
        ly = PAD_T + ph + PAD_B - 2 + 14 * (n // 4)
        if legend_rows:
            parts.append(f'<rect x="{lx}" y="{ly - 8}" width="10" height="3" fill="{colour}"/>'
                         f'<text x="{lx + 14}" y="{ly - 4}" font-size="10">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(values: Sequence[float], labels: Sequence[str], *, title: str, width: int = 520,
              height: int = 220, colour: str = PALETTE[0]) -> str:
    """Vertical bars with their labels underneath and counts on top."""
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
            f'<title>{escape(title)}</title>'
            f'<text x="{PAD_L}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>')
    top = max(values, default=0)
    if not values or top <= 0:
        return head + f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="#777">no data yet</text></svg>'
    pw, ph = width - PAD_L - PAD_R, height - PAD_T - PAD_B - 12  # room for the top bar's count
    step = pw / len(values)
    top_y = PAD_T + 12
    parts = [head, f'<line x1="{PAD_L}" y1="{top_y + ph}" x2="{PAD_L + pw}" y2="{top_y + ph}" stroke="#333"/>']
    for i, (v, label) in enumerate(zip(values, labels)):
        h = v / top * ph
        x = PAD_L + i * step + step * 0.1
        parts.append(f'<rect x="{x:.1f}" y="{top_y + ph - h:.1f}" width="{step * 0.8:.1f}" height="{h:.1f}" fill="{colour}"/>'
                     f'<text x="{x + step * 0.4:.1f}" y="{top_y + ph - h - 3:.1f}" font-size="10" text-anchor="middle">{escape(_fmt(v))}</text>'
                     f'<text x="{x + step * 0.4:.1f}" y="{top_y + ph + 14}" font-size="9" text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
