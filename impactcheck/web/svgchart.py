"""Horizontal bar charts as inline SVG markup, drawn on the server (no script, no style attributes).

For the overview page: the markup goes straight into the HTML, so it works under the app's
Content-Security-Policy and prints. Colours are SVG presentation attributes (`fill=`), the verdict
palette is the page's (static/style.css). Every chart is an image with a name (`<title>`) and a
description that lists the figures (`<desc>`, referenced by `aria-labelledby`); the page shows the same
figures as a table beside it. A second series is hatched, so proposal and adoption do not differ by
colour alone (as in impactcheck/word/chart.py).

Pure: no Flask; the output is well-formed XML (tested by parsing it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from impactcheck.core.numbers import format_number

# The page's palette (static/style.css :root); every fill has a contrast of at least 3:1 on white.
TEXT = "#0b0c0c"
MUTED = "#505a5f"
BRAND = "#1d4f91"
VERDICT_FILLS = {
    "positive": "#00703c",
    "neutral": "#505a5f",
    "negative": "#d4351c",
    "not_relevant": "#626a6e",
    None: "#858c90",  # not yet submitted
}

WIDTH = 560  # the chart's column on a wide page, so one unit is about one CSS pixel
FONT = 14
CHAR = 7.6  # average advance of a character at FONT px (for layout only)
MAX_LABEL = 245


@dataclass(frozen=True)
class Series:
    label: str
    hatched: bool = False


@dataclass(frozen=True)
class Bar:
    label: str
    values: tuple[float | None, ...]  # one per series; None: no figure (drawn as "–", never as 0)
    fill: str | None = None  # a colour of its own (single series), else the series colour


def _num(value: float) -> str:
    return format_number(value)


def _clip(text: str, width: float) -> str:
    chars = max(4, int(width / CHAR))
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bar_chart(
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    *,
    series: Sequence[Series] = (Series(""),),
    description: str = "",
    fmt: Callable[[float], str] = _num,
    axis_label: str = "",
    domain: tuple[float, float] | None = None,
) -> Markup:
    """An SVG bar chart; `chart_id` must be unique on the page (it prefixes the element ids). `domain` fixes
    the value range (e.g. a scale of −2 … +2), else it is that of the values and 0."""
    if not bars:
        return Markup("")
    cid = escape(chart_id)
    n_series = len(series)
    multi = n_series > 1
    texts = [[("–" if v is None else fmt(v)) for v in bar.values] for bar in bars]
    values = [v for bar in bars for v in bar.values if v is not None]
    lo, hi = min([0.0, *values]), max([0.0, *values])
    if domain is not None:
        lo, hi = min(lo, domain[0]), max(hi, domain[1])
    if hi == lo:
        hi = lo + 1.0

    label_w = min(MAX_LABEL, max(48.0, CHAR * max(len(b.label) for b in bars)))
    value_w = CHAR * max(len(t) for row in texts for t in row) + 10
    plot_left = label_w + 12 + (value_w if lo < 0 else 0)
    plot_right = WIDTH - value_w
    span = plot_right - plot_left

    def x_of(v: float) -> float:
        return plot_left + (v - lo) / (hi - lo) * span

    zero = x_of(0.0)
    bar_h = 14.0 if multi else 18.0
    row_h = n_series * bar_h + (n_series - 1) * 2 + 12
    top = 30.0 if multi else 6.0
    bottom = 24.0 if axis_label else 6.0
    height = top + len(bars) * row_h + bottom

    parts: list[str] = []
    described = "; ".join(
        f"{bar.label}: " + ", ".join(f"{s.label} {t}" if multi else t for s, t in zip(series, row, strict=True))
        for bar, row in zip(bars, texts, strict=True)
    )
    desc = f"{description} {described}." if description else f"{described}."
    parts.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ov-chart" role="img" focusable="false" '
        f'aria-labelledby="{cid}-title {cid}-desc" viewBox="0 0 {WIDTH} {_f(height)}" '
        f'width="{WIDTH}" height="{_f(height)}" font-size="{FONT}">'
    )
    parts.append(f'<title id="{cid}-title">{escape(title)}</title>')
    parts.append(f'<desc id="{cid}-desc">{escape(desc)}</desc>')
    if any(s.hatched for s in series):
        parts.append(
            f'<defs><pattern id="{cid}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
            f'<line x1="0" y1="0" x2="0" y2="6" stroke="{BRAND}" stroke-width="3"/></pattern></defs>'
        )

    def paint(s: Series, bar: Bar) -> str:
        if s.hatched:
            return f'fill="url(#{cid}-hatch)" stroke="{BRAND}" stroke-width="1"'
        return f'fill="{escape(bar.fill or BRAND)}"'

    if multi:  # the legend: a swatch and the name of each series
        x = plot_left
        for s in series:
            parts.append(f'<rect x="{_f(x)}" y="8" width="14" height="14" {paint(s, Bar("", ()))}/>')
            parts.append(f'<text x="{_f(x + 20)}" y="19" fill="{TEXT}">{escape(s.label)}</text>')
            x += 20 + CHAR * len(s.label) + 24

    for i, (bar, row) in enumerate(zip(bars, texts, strict=True)):
        y0 = top + i * row_h + 6
        middle = y0 + (row_h - 12) / 2
        parts.append(
            f'<text class="ov-chart__label" x="{_f(label_w + 4)}" y="{_f(middle + 4.5)}" text-anchor="end" '
            f'fill="{TEXT}">{escape(_clip(bar.label, label_w))}</text>'
        )
        for j, (s, value, text) in enumerate(zip(series, bar.values, row, strict=True)):
            y = y0 + j * (bar_h + 2)
            if value is not None and value != 0:
                end = x_of(value)
                left, width = min(zero, end), max(abs(end - zero), 1.0)
                parts.append(
                    f'<rect x="{_f(left)}" y="{_f(y)}" width="{_f(width)}" height="{_f(bar_h)}" {paint(s, bar)}/>'
                )
            end = zero if value is None else x_of(value)
            negative = value is not None and value < 0
            anchor = "end" if negative else "start"
            tx = end - 5 if negative else end + 5
            parts.append(
                f'<text class="ov-chart__value" x="{_f(tx)}" y="{_f(y + bar_h / 2 + 4.5)}" '
                f'text-anchor="{anchor}" fill="{TEXT if value is not None else MUTED}">{escape(text)}</text>'
            )
    parts.append(
        f'<line x1="{_f(zero)}" y1="{_f(top)}" x2="{_f(zero)}" y2="{_f(height - bottom)}" '
        f'stroke="{TEXT}" stroke-width="1"/>'
    )
    if axis_label:
        parts.append(
            f'<text x="{_f(plot_right)}" y="{_f(height - 6)}" text-anchor="end" fill="{MUTED}">'
            f"{escape(axis_label)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
