"""The chart of the sector scores: horizontal bars on the scale −2 … +2, with German alt text.

`sector_chart(result)` is the chart as a `nativechart.ChartSpec`: the Word section shows it as a native
Word chart (editable in Word, drawn by LibreOffice from its cached values); the web result page draws the
same figures as inline SVG. `chart_alt_text(result)` says in words what the chart shows. With an
alternative, each sector gets two bars: the proposal (solid) and the alternative (hatched), so the
comparison does not rely on colour; every bar carries its score as a label.
"""

from __future__ import annotations

from impactcheck.core.i18n import N_, Words
from impactcheck.core.result import Result, SectorResult
from impactcheck.word.nativechart import ChartSpec, Series

NEGATIVE, POSITIVE, ZERO = "C62828", "2E7D32", "757575"
OUTLINE = "595959"  # the series' own colour: legend swatches and bars without an effect
# Fixed texts in German (msgids); shown in the Result's language (`Words(result.locale)`).
TITLE = N_("Diagramm: Bewertung nach Handlungsfeldern")
NAME = N_("Klimacheck-Diagramm")
SCALE = N_("−2 deutlich negativ · −1 · 0 keine Wirkung · +1 · +2 deutlich positiv")
SCORE_FORMAT = '+0;"−"0;0'  # a real minus sign, a plus for positive scores
LABEL_FORMAT = '+0;"−"0;'  # the same without zeros: a sector without an effect has no bar and no label


def _minus(score: int) -> str:
    return f"+{score}" if score > 0 else ("0" if score == 0 else f"−{-score}")


def _colour(score: int | None) -> str | None:
    return None if not score else (NEGATIVE if score < 0 else POSITIVE)


def has_chart(result: Result) -> bool:
    """A chart says something only when sectors were assessed (not after the quick exit) and one has an effect."""
    if result.assessment.screening.exited:
        return False
    alternative = result.alternative.assessment.sectors if result.alternative else ()
    return any(s.score for s in (*result.assessment.sectors, *alternative))


def sector_chart(result: Result) -> ChartSpec:
    """The sector scores as a horizontal bar chart: first sector on top, the axis fixed at −2 … +2."""
    w = Words(result.locale)
    sectors = result.assessment.sectors
    labels = tuple(s.label if s.affects_verdict else f"{s.label}*" for s in sectors)
    scores = tuple(s.score for s in sectors)
    proposal = w(N_("Vorlage"))
    series = [Series(proposal, scores, colour=OUTLINE, pattern="solid", point_colours=tuple(map(_colour, scores)))]
    if result.alternative is not None:
        alt = {s.id: s.score for s in result.alternative.assessment.sectors}
        alt_scores = tuple(alt.get(s.id, 0) for s in sectors)
        series.append(
            Series(w(N_("Alternative")), alt_scores, colour=OUTLINE, pattern="hatched",
                   point_colours=tuple(map(_colour, alt_scores)))
        )  # fmt: skip
    return ChartSpec(
        kind="bar",
        categories=labels,
        series=tuple(series),
        value_axis_title=w(SCALE),
        value_min=-2,
        value_max=2,
        major_unit=1,
        number_format=SCORE_FORMAT,
        label_format=LABEL_FORMAT,
        alt_text=chart_alt_text(result),
        name=w(NAME),
    )


def chart_aspect(result: Result) -> float:
    """Height over width: room for the axis and its title, a legend with an alternative, and per sector one
    row (two bars with an alternative). 16 cm wide, five sectors: about 4.5 cm (7.5 cm with an alternative)."""
    rows = len(result.assessment.sectors)
    per_row, fixed = (0.32, 1.05) if result.alternative is not None else (0.22, 0.75)
    return (fixed + rows * per_row) / 6.3


def _scores_in_words(sectors: tuple[SectorResult, ...], w: Words) -> str:
    rated = [f"{s.label} {_minus(s.score)}" for s in sectors if s.score]
    zero = [s.label for s in sectors if not s.score]
    parts = []
    if rated:
        parts.append(", ".join(rated))
    if zero:
        lead = w(N_("ohne Auswirkung: ")) if rated else w(N_("in allen Handlungsfeldern keine Auswirkung: "))
        parts.append(lead + ", ".join(zero))
    return "; ".join(parts)


def chart_alt_text(result: Result) -> str:
    """What the chart shows, for screen readers (Word's alt text, the web page's alt), in the Result's language."""
    w = Words(result.locale)
    text = w(
        N_(
            "Balkendiagramm der Bewertung je Handlungsfeld auf einer Skala von −2 (deutlich negativ) bis +2 "
            "(deutlich positiv). Vorlage: {scores}."
        ),
        scores=_scores_in_words(result.assessment.sectors, w),
    )
    if result.alternative is not None:
        text += w(N_(" Alternative: {scores}."), scores=_scores_in_words(result.alternative.assessment.sectors, w))
    if any(not s.affects_verdict for s in result.assessment.sectors):
        text += w(N_(" Mit Stern markierte Handlungsfelder fließen nicht in das Ergebnis ein."))
    return text
