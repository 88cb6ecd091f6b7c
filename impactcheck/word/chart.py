"""The chart of the sector scores: horizontal bars on the scale −2 … +2, with German alt text.

`render_chart_png(result)` gives PNG bytes for the Word section and the web result page alike;
`chart_alt_text(result)` says in words what the chart shows. With an alternative, each sector gets two
bars: the proposal (solid) and the alternative (hatched), so the comparison does not rely on colour.
matplotlib is imported inside the function (Agg, no pyplot), so commands that draw nothing stay fast.
"""

from __future__ import annotations

import functools
import io
import struct

from impactcheck.core.result import Result, SectorResult

NEGATIVE, POSITIVE, ZERO = "#C62828", "#2E7D32", "#757575"
DPI = 200
_SpecRow = tuple[str, int, int | None]


def _minus(score: int) -> str:
    return f"+{score}" if score > 0 else ("0" if score == 0 else f"−{-score}")


def _spec(result: Result) -> tuple[_SpecRow, ...]:
    alternative = result.alternative.assessment.sectors if result.alternative else None
    alt_scores = {s.id: s.score for s in alternative} if alternative else {}
    return tuple(
        (s.label if s.affects_verdict else f"{s.label}*", s.score, alt_scores.get(s.id) if alternative else None)
        for s in result.assessment.sectors
    )


def has_chart(result: Result) -> bool:
    """A chart says something only when sectors were assessed (not after the quick exit) and one has an effect."""
    if result.assessment.screening.exited:
        return False
    alternative = result.alternative.assessment.sectors if result.alternative else ()
    return any(s.score for s in (*result.assessment.sectors, *alternative))


def render_chart_png(result: Result) -> bytes:
    """PNG of the sector scores (200 dpi, 16 cm wide). Same Result, same bytes."""
    return _render(_spec(result), result.alternative is not None)


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG header."""
    return struct.unpack(">II", png[16:24])


FONTS = ("Arial", "Liberation Sans", "Helvetica", "DejaVu Sans")  # the first one installed


@functools.lru_cache(maxsize=1)
def _font() -> str:
    from matplotlib import font_manager

    for name in FONTS:
        try:
            font_manager.findfont(font_manager.FontProperties(family=name), fallback_to_default=False)
            return name
        except ValueError:
            continue
    return "DejaVu Sans"


@functools.lru_cache(maxsize=64)
def _render(spec: tuple[_SpecRow, ...], with_alternative: bool) -> bytes:
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    rows = list(reversed(spec))  # first sector on top
    n = len(rows)
    bar = 0.38 if with_alternative else 0.62
    fig = Figure(figsize=(6.3, 0.75 + n * (0.32 if with_alternative else 0.24)), dpi=DPI)
    ax = fig.add_subplot()
    font = {"family": _font()}
    for i, (_, score, alt) in enumerate(rows):
        series = [(score, i + (bar / 2 if with_alternative else 0), None)]
        if with_alternative:
            series.append((alt or 0, i - bar / 2, "////"))
        for value, y, hatch in series:
            colour = NEGATIVE if value < 0 else POSITIVE if value > 0 else ZERO
            if not value:  # assessed, no effect: a small mark on the zero line
                ax.plot([0], [y], marker="o", markersize=2.5, color=ZERO)
                continue
            ax.barh(
                y,
                value,
                height=bar,
                color=colour if not hatch else "white",
                edgecolor=colour,
                hatch=hatch,
                linewidth=1.0,
            )
            ax.text(
                value + (0.07 if value > 0 else -0.07),
                y,
                _minus(value),
                va="center",
                ha="left" if value > 0 else "right",
                fontsize=8.5,
                color="#333333",
                **font,
            )
    ax.set_yticks(range(n), [label for label, _, _ in rows], fontsize=9, **font)
    ax.set_xlim(-2.45, 2.45)
    ax.set_ylim(-0.6, n - 0.4)
    ticks = ["−2\ndeutlich negativ", "−1", "0\nkeine Wirkung", "+1", "+2\ndeutlich positiv"]
    ax.set_xticks([-2, -1, 0, 1, 2], ticks, fontsize=8.5, **font)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    if with_alternative:
        handles = [
            Patch(facecolor="#555555", edgecolor="#555555", label="Vorlage"),
            Patch(facecolor="white", edgecolor="#555555", hatch="////", label="Alternative"),
        ]
        ax.legend(
            handles=handles,
            loc="lower right",
            frameon=False,
            bbox_to_anchor=(1.0, 1.0),
            ncol=2,
            prop={**font, "size": 8.5},
        )
    fig.tight_layout(pad=0.4)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _scores_in_words(sectors: tuple[SectorResult, ...]) -> str:
    rated = [f"{s.label} {_minus(s.score)}" for s in sectors if s.score]
    zero = [s.label for s in sectors if not s.score]
    parts = []
    if rated:
        parts.append(", ".join(rated))
    if zero:
        parts.append(
            ("ohne Auswirkung: " if rated else "in allen Handlungsfeldern keine Auswirkung: ") + ", ".join(zero)
        )
    return "; ".join(parts)


def chart_alt_text(result: Result) -> str:
    """What the chart shows, in German, for screen readers (Word's alt text, the web page's alt)."""
    text = (
        "Balkendiagramm der Bewertung je Handlungsfeld auf einer Skala von −2 (deutlich negativ) bis +2 "
        f"(deutlich positiv). Vorlage: {_scores_in_words(result.assessment.sectors)}."
    )
    if result.alternative is not None:
        text += f" Alternative: {_scores_in_words(result.alternative.assessment.sectors)}."
    if any(not s.affects_verdict for s in result.assessment.sectors):
        text += " Mit Stern markierte Handlungsfelder fließen nicht in das Ergebnis ein."
    return text
