"""Native Word charts: a small chart spec written as DrawingML chart parts, editable in Word.

A `ChartSpec` (kind, categories, series) becomes three things (`chart_parts`):

- the chart part (`c:chartSpace`, content type `CT_CHART`, related from the document part with `REL_CHART`),
  with every label and value cached (`c:strCache`/`c:numCache`), so Word and LibreOffice draw it without
  opening any workbook;
- the chart part's relationships, pointing to
- a small embedded workbook (.xlsx, `CT_XLSX`, relationship `REL_PACKAGE`) holding the same table, which
  Word opens under "Daten bearbeiten". It is written with zipfile and hand-written XML (no openpyxl), so
  that drawing a chart imports nothing heavy.

Then `chart_inline` gives the `wp:inline` that shows the chart in a run (`w:drawing`), with its alt text in
`wp:docPr/@descr`. Two ways in:

- the insert path (which writes the package members itself, see `insert.py`): `chart_parts(spec)` gives
  the bytes of the three members, `chart_inline(...)` the element to put into the section;
- a python-docx document (the yearly report): `add_chart(document, paragraph, spec, width, height)` creates
  the parts through python-docx's OPC and appends the drawing to the paragraph.

Kinds: "bar" (horizontal clustered bars, e.g. the sector scores), "column" (vertical clustered bars, e.g.
t CO2e per sector) and "line" (e.g. years on the category axis, t CO2e on the value axis). Series are told
apart without colour: each series of a bar/column chart has its own fill pattern (solid, hatched, dotted…),
each line its own dash and marker; data labels carry the figures. Numbers are formatted by Excel number
format codes (`number_format`); write a real minus sign as a literal, e.g. `'+0;"−"0;0'`.

Standard library only on import (the chart part and the workbook are strings and zipfile); lxml is imported
inside `chart_inline`, python-docx inside `add_chart`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NamedTuple

if TYPE_CHECKING:  # pragma: no cover
    from docx.document import Document
    from docx.text.paragraph import Paragraph
    from docx.text.run import Run

REL_CHART = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/chart"
REL_PACKAGE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/package"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
CT_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHART_URI = "http://schemas.openxmlformats.org/drawingml/2006/chart"
WORKBOOK_REL_ID = "rId1"  # the chart part's only relationship: its embedded workbook
SHEET = "Tabelle1"  # the sheet name Word gives a German chart's data

EMU_PER_CM = 360000

ChartKind = Literal["bar", "column", "line"]
# Fill of a bar/column series, line style of a line series; cycled when a series does not say.
Pattern = Literal["solid", "hatched", "dotted", "crossed", "light", "dashed"]
PATTERNS: tuple[Pattern, ...] = ("solid", "hatched", "dotted", "crossed", "light")
LINE_PATTERNS: tuple[Pattern, ...] = ("solid", "dashed", "dotted")


class Series(NamedTuple):
    """One series: a name (legend, workbook header) and one value per category (None: no figure, a gap)."""

    name: str
    values: tuple[float | None, ...]
    colour: str | None = None  # RGB hex without '#'; default from the palette by position
    pattern: Pattern | None = None  # default: by position (PATTERNS or LINE_PATTERNS)
    # Per category, a colour of its own (bar/column only), e.g. red for negative, green for positive scores.
    point_colours: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class ChartSpec:
    """What a chart shows; everything Word needs to draw it and to let the user edit its data."""

    kind: ChartKind
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    title: str | None = None  # drawn above the chart; None: no title
    value_axis_title: str | None = None
    category_axis_title: str | None = None
    value_min: float | None = None  # fixed axis range; None: automatic
    value_max: float | None = None
    major_unit: float | None = None  # distance of the value axis' gridlines
    number_format: str = "General"  # Excel number format of values, data labels and the value axis
    label_format: str | None = None  # the data labels' own format (e.g. one that hides zeros); None: the same
    data_labels: bool = True  # the figure at every bar/point
    legend: bool | None = None  # None: a legend when there is more than one series
    first_category_on_top: bool = True  # "bar" only: categories read from top to bottom, like a table
    alt_text: str = ""  # wp:docPr/@descr, for screen readers
    name: str = "Diagramm"  # wp:docPr/@name
    font: str | None = None  # typeface of all chart text, e.g. the document's body font; None: Word's theme font

    def __post_init__(self) -> None:
        if self.kind not in ("bar", "column", "line"):
            raise ValueError(f"unknown chart kind {self.kind!r}")
        for s in self.series:
            if len(s.values) != len(self.categories):
                raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(self.categories)} categories")
            if any(v is not None and not math.isfinite(v) for v in s.values):
                raise ValueError(f"series {s.name!r} has a value that is not a finite number (use None for a gap)")


class ChartParts(NamedTuple):
    """The members of one chart, as bytes; the caller names and relates them."""

    chart_xml: bytes  # the chart part (c:chartSpace); its externalData points to WORKBOOK_REL_ID
    chart_rels_xml: bytes  # the chart part's relationships: WORKBOOK_REL_ID -> workbook_target
    workbook: bytes  # the embedded .xlsx
    workbook_target: str  # relative target from the chart part, e.g. "../embeddings/Diagramm1.xlsx"


# --- the chart part ---------------------------------------------------------------------------

_NS_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
_NS_PR = "http://schemas.openxmlformats.org/package/2006/relationships"
# Dark enough for white bars' outlines and text on white (contrast ≥ 3:1), distinct in greyscale print.
PALETTE = ("1D4F91", "505A5F", "B35C00", "00703C", "6F3C8F", "8C2A1C")
TEXT = "0B0C0C"
GRID = "D9D9D9"
FONT_SIZE = 900  # hundredths of a point
_PRESET = {"hatched": "wdUpDiag", "dotted": "pct25", "crossed": "diagCross"}
_DASH = {"solid": "solid", "dashed": "dash", "dotted": "sysDot"}
_MARKERS = ("circle", "square", "triangle", "diamond", "x")
_AX_CAT, _AX_VAL = 50010, 50020
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _esc(text: str) -> str:
    """Text for an XML attribute or element; characters XML 1.0 does not allow (control codes from pasted
    text) are dropped, else Word would refuse the whole document."""
    text = _NOT_XML.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _num(value: float) -> str:
    """A value as the XML schema's double: shortest round-trip form, no exponent surprises for integers."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _column(index: int) -> str:
    """0 -> 'A', 25 -> 'Z', 26 -> 'AA'."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _light(colour: str) -> str:
    """The colour mixed with 55 % white (the "light" pattern)."""
    rgb = [int(colour[i : i + 2], 16) for i in (0, 2, 4)]
    return "".join(f"{round(c + (255 - c) * 0.55):02X}" for c in rgb)


def _fill(pattern: str, colour: str) -> str:
    if pattern in _PRESET:
        return (
            f'<a:pattFill prst="{_PRESET[pattern]}"><a:fgClr><a:srgbClr val="{colour}"/></a:fgClr>'
            '<a:bgClr><a:srgbClr val="FFFFFF"/></a:bgClr></a:pattFill>'
        )
    return f'<a:solidFill><a:srgbClr val="{_light(colour) if pattern == "light" else colour}"/></a:solidFill>'


def _bar_sppr(pattern: str, colour: str) -> str:
    line = f'<a:ln w="9525"><a:solidFill><a:srgbClr val="{colour}"/></a:solidFill></a:ln>'
    return f"<c:spPr>{_fill(pattern, colour)}{line}</c:spPr>"


def _run_props(font: str | None) -> str:
    """The inside of a:defRPr / a:rPr: colour and, if given, the typeface (else Word's theme font)."""
    face = f'<a:latin typeface="{_esc(font)}"/><a:cs typeface="{_esc(font)}"/>' if font else ""
    return f'<a:solidFill><a:srgbClr val="{TEXT}"/></a:solidFill>{face}'


def _text_props(font: str | None, size: int = FONT_SIZE, bold: bool = False) -> str:
    return (
        "<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr>"
        f'<a:defRPr sz="{size}" b="{int(bold)}">{_run_props(font)}</a:defRPr>'
        '</a:pPr><a:endParaRPr lang="de-DE"/></a:p></c:txPr>'
    )


def _rich(text: str, size: int, bold: bool, font: str | None) -> str:
    props = _run_props(font)
    return (
        "<c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr>"
        f'<a:defRPr sz="{size}" b="{int(bold)}">{props}</a:defRPr></a:pPr>'
        f'<a:r><a:rPr lang="de-DE" sz="{size}" b="{int(bold)}">{props}'
        f"</a:rPr><a:t>{_esc(text)}</a:t></a:r></a:p></c:rich></c:tx>"
    )


def _title(text: str, font: str | None, size: int = 1100, bold: bool = True) -> str:
    return f'<c:title>{_rich(text, size, bold, font)}<c:overlay val="0"/></c:title>'


def _str_ref(formula: str, texts: tuple[str, ...]) -> str:
    points = "".join(f'<c:pt idx="{i}"><c:v>{_esc(t)}</c:v></c:pt>' for i, t in enumerate(texts))
    cache = f'<c:strCache><c:ptCount val="{len(texts)}"/>{points}</c:strCache>'
    return f"<c:strRef><c:f>{_esc(formula)}</c:f>{cache}</c:strRef>"


def _num_ref(formula: str, values: tuple[float | None, ...], number_format: str) -> str:
    points = "".join(f'<c:pt idx="{i}"><c:v>{_num(v)}</c:v></c:pt>' for i, v in enumerate(values) if v is not None)
    return (
        f"<c:numRef><c:f>{_esc(formula)}</c:f><c:numCache><c:formatCode>{_esc(number_format)}</c:formatCode>"
        f'<c:ptCount val="{len(values)}"/>{points}</c:numCache></c:numRef>'
    )


def _labels(spec: ChartSpec, position: str, inside: tuple[int, ...] = ()) -> str:
    """The series' data labels; the points in `inside` (bars reaching a fixed end of the axis, whose label
    would fall outside the plot area onto the category labels) get theirs inside the bar end, on white."""
    flags = '<c:showLegendKey val="0"/><c:showVal val="{}"/><c:showCatName val="0"/><c:showSerName val="0"/>'
    flags += '<c:showPercent val="0"/><c:showBubbleSize val="0"/>'
    if not spec.data_labels:
        return f"<c:dLbls>{flags.format(0)}</c:dLbls>"
    number = f'<c:numFmt formatCode="{_esc(spec.label_format or spec.number_format)}" sourceLinked="0"/>'
    text = _text_props(spec.font, FONT_SIZE - 100)
    boxed = "".join(
        f'<c:dLbl><c:idx val="{i}"/>{number}<c:spPr><a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill>'
        f'<a:ln><a:noFill/></a:ln></c:spPr>{text}<c:dLblPos val="inEnd"/>{flags.format(1)}</c:dLbl>'
        for i in inside
    )
    return (
        f"<c:dLbls>{boxed}{number}<c:spPr><a:noFill/><a:ln><a:noFill/></a:ln></c:spPr>{text}"
        f'<c:dLblPos val="{position}"/>{flags.format(1)}</c:dLbls>'
    )


def _series(spec: ChartSpec, j: int, s: Series) -> str:
    n = len(spec.categories)
    col = _column(j + 1)
    colour = s.colour or PALETTE[j % len(PALETTE)]
    head = f'<c:idx val="{j}"/><c:order val="{j}"/><c:tx>{_str_ref(f"{SHEET}!${col}$1", (s.name,))}</c:tx>'
    cat = f"<c:cat>{_str_ref(f'{SHEET}!$A$2:$A${n + 1}', spec.categories)}</c:cat>"
    val = f"<c:val>{_num_ref(f'{SHEET}!${col}$2:${col}${n + 1}', s.values, spec.number_format)}</c:val>"
    if spec.kind == "line":
        pattern = s.pattern or LINE_PATTERNS[j % len(LINE_PATTERNS)]
        marker = _MARKERS[j % len(_MARKERS)]
        line = (
            f'<a:ln w="28575" cap="rnd"><a:solidFill><a:srgbClr val="{colour}"/></a:solidFill>'
            f'<a:prstDash val="{_DASH.get(pattern, "solid")}"/><a:round/></a:ln>'
        )
        return (
            f"<c:ser>{head}<c:spPr>{line}</c:spPr>"
            f'<c:marker><c:symbol val="{marker}"/><c:size val="6"/><c:spPr><a:solidFill><a:srgbClr val="{colour}"/>'
            f'</a:solidFill><a:ln w="9525"><a:solidFill><a:srgbClr val="{colour}"/></a:solidFill></a:ln></c:spPr>'
            f'</c:marker>{_labels(spec, "t")}{cat}{val}<c:smooth val="0"/></c:ser>'
        )
    pattern = s.pattern or PATTERNS[j % len(PATTERNS)]
    points = "".join(
        f'<c:dPt><c:idx val="{i}"/><c:invertIfNegative val="0"/><c:bubble3D val="0"/>{_bar_sppr(pattern, c)}</c:dPt>'
        for i, c in enumerate(s.point_colours)
        if c
    )
    ends = {v for v in (spec.value_min, spec.value_max) if v is not None and v != 0}
    inside = tuple(i for i, v in enumerate(s.values) if v is not None and v in ends)
    return (
        f'<c:ser>{head}{_bar_sppr(pattern, colour)}<c:invertIfNegative val="0"/>{points}'
        f"{_labels(spec, 'outEnd', inside)}{cat}{val}</c:ser>"
    )


def _axes(spec: ChartSpec) -> str:
    bar = spec.kind == "bar"
    reverse = bar and spec.first_category_on_top
    cat_pos, val_pos = ("l", "b") if bar else ("b", "l")
    scaling = f'<c:orientation val="{"maxMin" if reverse else "minMax"}"/>'
    val_scaling = '<c:orientation val="minMax"/>'
    if spec.value_max is not None:
        val_scaling += f'<c:max val="{_num(spec.value_max)}"/>'
    if spec.value_min is not None:
        val_scaling += f'<c:min val="{_num(spec.value_min)}"/>'
    no_line = '<c:spPr><a:ln w="9525"><a:solidFill><a:srgbClr val="' + TEXT + '"/></a:solidFill></a:ln></c:spPr>'
    cat_title = _title(spec.category_axis_title, spec.font, FONT_SIZE, False) if spec.category_axis_title else ""
    val_title = _title(spec.value_axis_title, spec.font, FONT_SIZE, False) if spec.value_axis_title else ""
    cat_ax = (
        f'<c:catAx><c:axId val="{_AX_CAT}"/><c:scaling>{scaling}</c:scaling><c:delete val="0"/>'
        f'<c:axPos val="{cat_pos}"/>{cat_title}<c:numFmt formatCode="General" sourceLinked="0"/>'
        '<c:majorTickMark val="none"/><c:minorTickMark val="none"/><c:tickLblPos val="low"/>'
        f'{no_line}{_text_props(spec.font)}<c:crossAx val="{_AX_VAL}"/><c:crosses val="autoZero"/>'
        '<c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
    )
    unit = f'<c:majorUnit val="{_num(spec.major_unit)}"/>' if spec.major_unit else ""
    val_ax = (
        f'<c:valAx><c:axId val="{_AX_VAL}"/><c:scaling>{val_scaling}</c:scaling><c:delete val="0"/>'
        f'<c:axPos val="{val_pos}"/><c:majorGridlines><c:spPr><a:ln w="6350"><a:solidFill><a:srgbClr val="{GRID}"/>'
        f"</a:solidFill></a:ln></c:spPr></c:majorGridlines>{val_title}"
        f'<c:numFmt formatCode="{_esc(spec.number_format)}" sourceLinked="0"/><c:majorTickMark val="out"/>'
        f'<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>{no_line}{_text_props(spec.font)}'
        f'<c:crossAx val="{_AX_CAT}"/><c:crosses val="{"max" if reverse else "autoZero"}"/>'
        f'<c:crossBetween val="between"/>{unit}</c:valAx>'
    )
    return cat_ax + val_ax


def chart_xml(spec: ChartSpec, *, workbook_rel_id: str | None = WORKBOOK_REL_ID) -> bytes:
    """The chart part (UTF-8 XML, `c:chartSpace`), values cached; with `workbook_rel_id` None, no
    externalData (the chart still draws, but Word cannot edit its data). Same spec, same bytes."""
    series = "".join(_series(spec, j, s) for j, s in enumerate(spec.series))
    axes = f'<c:axId val="{_AX_CAT}"/><c:axId val="{_AX_VAL}"/>'
    if spec.kind == "line":
        plot = f'<c:lineChart><c:grouping val="standard"/><c:varyColors val="0"/>{series}<c:marker val="1"/>{axes}</c:lineChart>'  # noqa: E501
    else:
        direction = "bar" if spec.kind == "bar" else "col"
        plot = (
            f'<c:barChart><c:barDir val="{direction}"/><c:grouping val="clustered"/><c:varyColors val="0"/>'
            f'{series}<c:gapWidth val="{60 if len(spec.series) > 1 else 80}"/><c:overlap val="0"/>{axes}</c:barChart>'
        )
    legend = spec.legend if spec.legend is not None else len(spec.series) > 1
    legend_xml = (
        f'<c:legend><c:legendPos val="t"/><c:overlay val="0"/>{_text_props(spec.font)}</c:legend>' if legend else ""
    )
    title = (
        _title(spec.title, spec.font) + '<c:autoTitleDeleted val="0"/>'
        if spec.title
        else '<c:autoTitleDeleted val="1"/>'
    )
    external = (
        f'<c:externalData r:id="{workbook_rel_id}"><c:autoUpdate val="0"/></c:externalData>' if workbook_rel_id else ""
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<c:chartSpace xmlns:c="{_NS_C}" xmlns:a="{_NS_A}" xmlns:r="{_NS_R}">'
        '<c:date1904 val="0"/><c:lang val="de-DE"/><c:roundedCorners val="0"/>'
        f"<c:chart>{title}<c:plotArea><c:layout/>{plot}{_axes(spec)}"
        "<c:spPr><a:noFill/><a:ln><a:noFill/></a:ln></c:spPr></c:plotArea>"
        f'{legend_xml}<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart>'
        "<c:spPr><a:noFill/><a:ln><a:noFill/></a:ln></c:spPr>"
        f"{_text_props(spec.font)}{external}</c:chartSpace>"
    )
    return xml.encode("utf-8")


# --- the embedded workbook ------------------------------------------------------------------------

_NS_S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_XLSX_TIME = (1980, 1, 1, 0, 0, 0)  # fixed: same spec, same bytes
_XLSX_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _cell(ref: str, value: str | float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_esc(value)}</t></is></c>'
    return f'<c r="{ref}"><v>{_num(value)}</v></c>'


def _sheet(spec: ChartSpec) -> str:
    rows = [("", *(s.name for s in spec.series))]
    rows += [(c, *(s.values[i] for s in spec.series)) for i, c in enumerate(spec.categories)]
    body = "".join(
        f'<row r="{r + 1}">' + "".join(_cell(f"{_column(k)}{r + 1}", v) for k, v in enumerate(row)) + "</row>"
        for r, row in enumerate(rows)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{_NS_S}"><cols><col min="1" max="1" width="28" customWidth="1"/></cols>'
        f"<sheetData>{body}</sheetData></worksheet>"
    )


_XLSX_STATIC = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{_NS_PR}"><Relationship Id="rId1" '
        f'Type="{_XLSX_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{_NS_S}" xmlns:r="{_NS_R}"><sheets>'
        f'<sheet name="{SHEET}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{_NS_PR}">'
        f'<Relationship Id="rId1" Type="{_XLSX_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_XLSX_RELS}/styles" Target="styles.xml"/></Relationships>'
    ),
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<styleSheet xmlns="{_NS_S}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
        '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Standard" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
    ),
}


def workbook_xlsx(spec: ChartSpec) -> bytes:
    """The chart's data as a minimal .xlsx: sheet `SHEET`, categories in column A from row 2, one column per
    series with its name in row 1. The chart part's formulas refer to these cells. Same spec, same bytes."""
    import io
    import zipfile

    out = io.BytesIO()
    members = {**_XLSX_STATIC, "xl/worksheets/sheet1.xml": _sheet(spec)}
    with zipfile.ZipFile(out, "w") as zf:
        for name in ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                     "xl/worksheets/sheet1.xml", "xl/styles.xml"):  # fmt: skip
            info = zipfile.ZipInfo(name, _XLSX_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, members[name].encode("utf-8"))
    return out.getvalue()


def chart_rels_xml(workbook_target: str) -> bytes:
    """The chart part's relationships: its embedded workbook as `WORKBOOK_REL_ID`."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{_NS_PR}"><Relationship Id="{WORKBOOK_REL_ID}" Type="{REL_PACKAGE}" '
        f'Target="{_esc(workbook_target)}"/></Relationships>'
    ).encode()


def chart_parts(spec: ChartSpec, workbook_name: str = "Diagramm1.xlsx") -> ChartParts:
    """All members of the chart; the workbook is meant to go to `word/embeddings/<workbook_name>` (the chart
    part to `word/charts/`)."""
    target = f"../embeddings/{workbook_name}"
    return ChartParts(chart_xml(spec), chart_rels_xml(target), workbook_xlsx(spec), target)


# --- the drawing in the text ----------------------------------------------------------------------


def chart_inline_xml(rel_id: str, width_emu: int, height_emu: int, docpr_id: int, alt_text: str,
                     *, name: str = "Diagramm", title: str | None = None) -> str:  # fmt: skip
    """`wp:inline` (with its namespace declarations) that shows the chart related as `rel_id` from the
    document part; goes inside `w:drawing` in a run. `docpr_id` must be unique among the document's
    drawings. As a string, so that both lxml (the insert path) and python-docx (`parse_xml`) take it."""
    tooltip = f' title="{_esc(title)}"' if title else ""
    return (
        f'<wp:inline xmlns:wp="{_NS_WP}" xmlns:a="{_NS_A}" xmlns:c="{_NS_C}" xmlns:r="{_NS_R}" '
        'distT="0" distB="0" distL="0" distR="0">'
        f'<wp:extent cx="{int(width_emu)}" cy="{int(height_emu)}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:docPr id="{int(docpr_id)}" name="{_esc(name)}" descr="{_esc(alt_text)}"{tooltip}/>'
        "<wp:cNvGraphicFramePr/>"
        f'<a:graphic><a:graphicData uri="{CHART_URI}"><c:chart r:id="{_esc(rel_id)}"/></a:graphicData></a:graphic>'
        "</wp:inline>"
    )


def chart_inline(rel_id: str, width_emu: int, height_emu: int, docpr_id: int, alt_text: str,
                 *, name: str = "Diagramm", title: str | None = None):  # fmt: skip
    """`chart_inline_xml` as an lxml element (for the insert path)."""
    from lxml import etree

    xml = chart_inline_xml(rel_id, width_emu, height_emu, docpr_id, alt_text, name=name, title=title)
    return etree.fromstring(xml.encode("utf-8"))


def add_chart(
    document: Document,
    paragraph: Paragraph,
    spec: ChartSpec,
    width_emu: int,
    height_emu: int,
    *,
    title: str | None = None,
) -> Run:
    """Put a native chart into a python-docx document, at the end of `paragraph`; returns the new run.

    Creates the chart part (`/word/charts/chartN.xml`) and its embedded workbook
    (`/word/embeddings/Microsoft_Excel_WorksheetN.xlsx`) in the document's package, relates the chart from
    the document part, and appends a run with the inline drawing (alt text `spec.alt_text`, docPr name
    `spec.name`, tooltip `title`). Saving the document writes the parts and their content types.
    Use `EMU_PER_CM` (or docx.shared.Cm) for the size, e.g. 16 cm wide: `16 * EMU_PER_CM`.
    """
    from docx.opc.part import Part
    from docx.oxml import parse_xml

    part = document.part
    package = part.package
    chart_name = package.next_partname("/word/charts/chart%d.xml")
    workbook_name = package.next_partname("/word/embeddings/Microsoft_Excel_Worksheet%d.xlsx")
    chart_part = Part(chart_name, CT_CHART, chart_xml(spec), package)
    workbook_part = Part(workbook_name, CT_XLSX, workbook_xlsx(spec), package)
    if chart_part.relate_to(workbook_part, REL_PACKAGE) != WORKBOOK_REL_ID:  # a new part: its first rel
        raise AssertionError("the chart part's workbook relationship is not rId1")
    rel_id = part.relate_to(chart_part, REL_CHART)
    inline = chart_inline_xml(rel_id, width_emu, height_emu, part.next_id, spec.alt_text, name=spec.name, title=title)
    run = paragraph.add_run()
    drawing = parse_xml(
        f'<w:drawing xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">{inline}</w:drawing>'
    )
    run._r.append(drawing)
    return run
