"""The report's charts as native Word charts (word/nativechart.py): editable in Word, drawn by
LibreOffice, no image library imported. Each chart stands beside a table with the same figures."""

from __future__ import annotations

from impactcheck.report.document import Writer
from impactcheck.report.figures import ReportFigures
from impactcheck.report.numbers import tonnes

WIDTH_CM, HEIGHT_CM = 16, 7
NUMBER_FORMAT = '#,##0;"−"#,##0;0'  # a real minus sign in labels and on the axis


def _add(w: Writer, spec) -> None:
    from impactcheck.word.nativechart import EMU_PER_CM, add_chart

    paragraph = w.paragraph()
    paragraph.paragraph_format.keep_with_next = True
    add_chart(w.document, paragraph, spec, WIDTH_CM * EMU_PER_CM, HEIGHT_CM * EMU_PER_CM)


def path_chart(w: Writer, f: ReportFigures) -> None:
    """The target path against the path less the decisions' cumulative effect: one line each, by year."""
    from impactcheck.word.nativechart import ChartSpec, Series

    years = f.budget.budget.years if f.budget else ()
    if len(years) < 2:
        return
    path = tuple(round(y.allowed_t) for y in years)
    spec = ChartSpec(
        kind="line",
        categories=tuple(str(y.year) for y in years),
        series=(
            Series("Zielpfad", path),
            Series("Beschlüsse, kumuliert", tuple(round(y.cumulative_effect_t) for y in years)),
        ),
        title="Zielpfad und kumulierte Wirkung der Beschlüsse (t CO2e)",
        value_axis_title="t CO2e",
        number_format=NUMBER_FORMAT,
        data_labels=False,
        alt_text=(
            f"Liniendiagramm: Zielpfad von {tonnes(years[0].allowed_t)} t CO2e ({years[0].year}) bis "
            f"{tonnes(years[-1].allowed_t)} t CO2e ({years[-1].year}); kumulierte Wirkung der Beschlüsse bis "
            f"{years[-1].year}: {tonnes(years[-1].cumulative_effect_t)} t CO2e. Die Zahlen stehen in der Tabelle."
        ),
        name="Zielpfad",
    )
    _add(w, spec)


def sector_chart(w: Writer, f: ReportFigures) -> None:
    """Bars per sector: the decisions' effect in the report's year (t CO2e, negative: savings)."""
    from impactcheck.word.nativechart import ChartSpec, Series

    b = f.budget
    if b is None or b.year is None:
        return
    sectors = b.budget.sector_ids
    values = tuple(round(b.year.effect_by_sector.get(s, 0.0), 1) for s in sectors)
    if not any(values):
        return
    labels = tuple(b.target.label_of(s) for s in sectors)
    spec = ChartSpec(
        kind="bar",
        categories=labels,
        series=(Series(f"Wirkung {f.year}", values),),
        title=f"Wirkung der Beschlüsse im Jahr {f.year} je Sektor (t CO2e)",
        value_axis_title="t CO2e",
        number_format='#,##0.0;"−"#,##0.0;0',
        alt_text="Balkendiagramm der Wirkung je Sektor: "
        + "; ".join(f"{label} {tonnes(v)} t CO2e" for label, v in zip(labels, values, strict=True))
        + ".",
        name="Sektoren",
    )
    _add(w, spec)
