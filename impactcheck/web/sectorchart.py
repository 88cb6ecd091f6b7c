"""The result page's sector chart: the Word section's chart spec (`word.chart.sector_chart`) as inline SVG.

The same figures as the native chart in the Word section, drawn by `svgchart` under the page's CSP (no
image request, no plotting library): one row per sector on the scale −2 … +2, the proposal coloured by
the sign of its score, the alternative hatched. Sector and series names come from the spec, in the
Result's language; the page's own texts in the reader's.
"""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from impactcheck.core.result import Result
from impactcheck.web import svgchart
from impactcheck.word.chart import SCALE, sector_chart

FILLS = {-1: svgchart.VERDICT_FILLS["negative"], 0: svgchart.VERDICT_FILLS["neutral"],
         1: svgchart.VERDICT_FILLS["positive"]}  # fmt: skip


def _score(value: float) -> str:
    score = int(value)
    return f"+{score}" if score > 0 else ("0" if score == 0 else f"−{-score}")


def sector_chart_svg(result: Result) -> Markup:
    """The chart as SVG markup, its title and a description that lists every score (for screen readers)."""
    spec = sector_chart(result)
    proposal = spec.series[0].values
    bars = [
        svgchart.Bar(label, tuple(s.values[i] for s in spec.series), FILLS[(v > 0) - (v < 0)] if v else None)
        for i, (label, v) in enumerate(zip(spec.categories, proposal, strict=True))
    ]
    series = tuple(svgchart.Series(s.name, hatched=s.pattern == "hatched") for s in spec.series)
    return svgchart.bar_chart(
        "result-sectors",
        _("Bewertung nach Handlungsfeldern"),
        bars,
        series=series,
        description=_(
            "Bewertung je Handlungsfeld auf einer Skala von −2 (deutlich negativ) bis +2 (deutlich positiv)."
        ),
        fmt=_score,
        axis_label=_(SCALE),
        domain=(-2, 2),
    )
