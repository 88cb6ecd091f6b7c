"""The Klimacheck section as WordprocessingML, built from one Result (nothing is recomputed here).

`build_section(result, reference, code, layout, chart)` returns one block content control (w:sdt tagged
`klimacheck`, alias "Klimacheck") holding, in this order: a heading; the verdict in words beside a coloured
marker (with the screening reason after a quick exit); the table of sectors with scores and reasons (the
sectors without any effect share one row); the chart; the emission
estimate with method, lines, factors and sources; the climate cost for each CO2 price; for a negative
verdict the alternative side by side with the proposal; notes; and the reference line (check id, rule
set and version, date, author, verification code).

Styles are looked up in the document (`StyleSheet`) and fall back to direct formatting; the language of
the document is left alone (no w:lang anywhere). The fixed texts and numbers are in the Result's language
(`result.locale`: German as stored, English for a Result from `core.localize`), through the catalogue.
"""

from __future__ import annotations

import copy
import zlib
from dataclasses import dataclass
from typing import NamedTuple

from lxml import etree

from impactcheck.core.i18n import N_, Words
from impactcheck.core.labels import METHOD_LABELS, SCALE_LABELS, SCOPE_LABELS  # not core.model: no pydantic here
from impactcheck.core.result import Assessment, Emissions, Result
from impactcheck.core.sensitivity import sentences
from impactcheck.core.verification import Reference
from impactcheck.word import ooxml
from impactcheck.word.anchor import SECTION_MARK, TAG
from impactcheck.word.nativechart import chart_inline
from impactcheck.word.ooxml import el, qn
from impactcheck.word.styles import StyleSheet

VERDICT_COLOURS = {"positive": "2E7D32", "negative": "C62828", "neutral": "616161", "not_relevant": "757575"}
SCORE_TINTS = {-2: "F6D5D5", -1: "FBEAEA", 1: "E6F2E7", 2: "CDE6CF"}
HEADER_FILL = "F2F2F2"
MUTED = "595959"
BORDER = "A6A6A6"
EMU_PER_TWIP = 635
HEADING_TEXT = N_("Klimacheck")
MAX_CHART_TWIPS = 9072  # 16 cm


class Chart(NamedTuple):
    """A native chart part related from the document part as `rel_id` (word/nativechart.py)."""

    rel_id: str
    aspect: float  # height over width
    alt_text: str  # wp:docPr/@descr
    docpr_id: int
    name: str  # wp:docPr/@name
    title: str  # wp:docPr/@title (Word's tooltip)


class Layout(NamedTuple):
    """Where the section goes, as far as its looks depend on it."""

    sheet: StyleSheet
    level: int = 1  # heading level, 1-based
    width: int = 9072  # twips available
    heading_ppr: etree._Element | None = None  # copied from a heading of the document, if there is one
    heading_rpr: etree._Element | None = None
    show_paper: bool = False  # a document of its own names the paper; the author's paper needs not
    mark_id: int = 1  # w:id of the hidden bookmark around the section, unique in the document


def sdt_id(tag: str) -> int:
    """A stable id for our content controls (w:id must be an integer; Word only needs it unique)."""
    return zlib.crc32(tag.encode()) & 0x7FFFFFFF


def content_control(tag: str, alias: str, blocks: list[etree._Element], mark: tuple[str, int]) -> etree._Element:
    """The block content control around our blocks, plus a hidden bookmark from the first to the last.

    The bookmark is for editors that keep bookmarks but not block controls: LibreOffice (7.4) saves the
    control as an inline one in the first paragraph and drops its tag; the bookmark still marks what to
    replace next time (see `anchor`).
    """
    name, mark_id = mark
    first, last = blocks[0], blocks[-1]
    first.insert(
        1 if len(first) and first[0].tag == ooxml.W_PPR else 0, el("w:bookmarkStart", {"w:id": mark_id, "w:name": name})
    )
    last.append(el("w:bookmarkEnd", {"w:id": mark_id}))
    return el(
        "w:sdt",
        None,
        el(
            "w:sdtPr",
            None,
            el("w:alias", {"w:val": alias}),
            el("w:tag", {"w:val": tag}),
            el("w:id", {"w:val": sdt_id(tag)}),
        ),
        el("w:sdtContent", None, *blocks),
    )


# --- runs and paragraphs --------------------------------------------------------------------

# Child order of w:pPr and w:rPr as the schema demands it (Word refuses files that mix them up).
_PPR_ORDER = [
    "pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
    "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
    "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid",
    "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection",
    "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange",
]  # fmt: skip


def set_ordered(parent: etree._Element, tag: str, attrs: dict, order: list[str]) -> etree._Element:
    """Set child w:`tag` of `parent` (replacing one that exists) at its place in the schema order."""
    existing = parent.find(qn(f"w:{tag}"))
    if existing is not None:
        parent.remove(existing)
    node = el(f"w:{tag}", attrs)
    rank = order.index(tag)
    for i, child in enumerate(parent):
        local = etree.QName(child).localname if isinstance(child.tag, str) else ""
        if local in order and order.index(local) > rank:
            parent.insert(i, node)
            return node
    parent.append(node)
    return node


def run(text: str, *, bold=False, italic=False, size=None, colour=None, rpr=None) -> etree._Element:
    """A w:r with text; `size` in points. `rpr` (an element to copy) replaces the other formatting."""
    if rpr is not None:
        props = copy.deepcopy(rpr)
    else:
        props = el(
            "w:rPr",
            None,
            el("w:b") if bold else None,
            el("w:bCs") if bold else None,
            el("w:i") if italic else None,
            el("w:color", {"w:val": colour}) if colour else None,
            el("w:sz", {"w:val": int(size * 2)}) if size else None,
            el("w:szCs", {"w:val": int(size * 2)}) if size else None,
        )
    t = el("w:t", {"xml:space": "preserve"})
    t.text = text
    return el("w:r", None, props if len(props) else None, t)


def para(*runs: etree._Element, style=None, keep_next=False, before=None, after=None, jc=None) -> etree._Element:
    spacing = {"w:before": before, "w:after": after} if before is not None or after is not None else None
    ppr = el(
        "w:pPr",
        None,
        el("w:pStyle", {"w:val": style}) if style else None,
        el("w:keepNext") if keep_next else None,
        el("w:spacing", spacing) if spacing else None,
        el("w:jc", {"w:val": jc}) if jc else None,
    )
    return el("w:p", None, ppr if len(ppr) else None, *runs)


def text_para(text: str, **kw) -> etree._Element:
    fmt = {k: kw.pop(k) for k in ("bold", "italic", "size", "colour") if k in kw}
    return para(run(text, **fmt), **kw)


def labelled(label: str, text: str, **kw) -> etree._Element:
    """'Label: text' with the label in bold."""
    return para(run(f"{label}: ", bold=True), run(text), **kw)


# --- tables -----------------------------------------------------------------------------------


@dataclass
class Cell:
    content: list[etree._Element] | str
    fill: str | None = None
    span: int = 1
    bold: bool = False
    colour: str | None = None
    align: str | None = None


class Tables:
    def __init__(self, sheet: StyleSheet, width: int):
        self.width = width
        self.grid_style = sheet.table_grid()

    def table(self, fractions: list[float], rows: list[list[Cell]], *, header_rows=1, borders=True, caption=None):
        widths = [int(self.width * f) for f in fractions]
        props = el(
            "w:tblPr",
            None,
            el("w:tblStyle", {"w:val": self.grid_style}) if self.grid_style and borders else None,
            el("w:tblW", {"w:w": 5000, "w:type": "pct"}),
            self._borders(borders),
            el("w:tblLayout", {"w:type": "fixed"}),
            el(
                "w:tblCellMar",
                None,
                el("w:top", {"w:w": 40, "w:type": "dxa"}),
                el("w:left", {"w:w": 85, "w:type": "dxa"}),
                el("w:bottom", {"w:w": 40, "w:type": "dxa"}),
                el("w:right", {"w:w": 85, "w:type": "dxa"}),
            ),
            el(
                "w:tblLook",
                {
                    "w:val": "04A0",
                    "w:firstRow": 1,
                    "w:lastRow": 0,
                    "w:firstColumn": 0,
                    "w:lastColumn": 0,
                    "w:noHBand": 1,
                    "w:noVBand": 1,
                },
            ),
            el("w:tblCaption", {"w:val": caption}) if caption else None,
        )
        grid = el("w:tblGrid", None, *(el("w:gridCol", {"w:w": w}) for w in widths))
        tbl = el("w:tbl", None, props, grid)
        for i, cells in enumerate(rows):
            tbl.append(self._row(cells, widths, header=i < header_rows))
        return tbl

    def _borders(self, borders: bool) -> etree._Element | None:
        if borders and self.grid_style:
            return None
        kind = {"w:val": "single", "w:sz": 4, "w:space": 0, "w:color": BORDER} if borders else {"w:val": "nil"}
        sides = ("top", "left", "bottom", "right", "insideH", "insideV")
        return el("w:tblBorders", None, *(el(f"w:{side}", kind) for side in sides))

    def _row(self, cells: list[Cell], widths: list[int], header: bool) -> etree._Element:
        trpr = el("w:trPr", None, el("w:cantSplit"), el("w:tblHeader") if header else None)
        tr = el("w:tr", None, trpr)
        col = 0
        for cell in cells:
            width = sum(widths[col : col + cell.span])
            col += cell.span
            fill = HEADER_FILL if header and cell.fill is None else cell.fill
            tcpr = el(
                "w:tcPr",
                None,
                el("w:tcW", {"w:w": width, "w:type": "dxa"}),
                el("w:gridSpan", {"w:val": cell.span}) if cell.span > 1 else None,
                el("w:shd", {"w:val": "clear", "w:color": "auto", "w:fill": fill}) if fill else None,
                el("w:vAlign", {"w:val": "center" if cell.align == "center" else "top"}),
            )
            content = cell.content
            if isinstance(content, str):
                lines = content.split("\n") if content else [""]
                content = [
                    para(run(t, bold=cell.bold or header, colour=cell.colour), before=0, after=0, jc=cell.align)
                    for t in lines
                ]
            tr.append(el("w:tc", None, tcpr, *content))
        return tr


def cell_para(*runs: etree._Element, jc: str | None = None) -> etree._Element:
    return para(*runs, before=0, after=0, jc=jc)


# --- the section --------------------------------------------------------------------------------


def score_text(score: int, w: Words | None = None) -> str:
    w = w or Words("de")
    sign = f"+{score}" if score > 0 else ("−" + str(-score) if score < 0 else "0")
    return f"{sign} {w(SCALE_LABELS[score]) if score in SCALE_LABELS else ''}".strip()


def _t(value: float | None, w: Words) -> str:
    return w.t(value).replace("-", "−")


def _num(value: float | int, w: Words) -> str:
    return w.num(value).replace("-", "−")


def _chain(line) -> list:
    """The typical values a line multiplies in (a typical size standing in for the quantity is the quantity)."""
    terms = list(line.terms)
    if line.method == "estimate" and terms and terms[0].unit == line.unit and terms[0].value == line.quantity:
        terms = terms[1:]
    return terms


def build_section(result: Result, reference: Reference, code: str, layout: Layout, chart: Chart | None):
    """The section, wrapped in its content control, ready for `Anchor.place`; its fixed texts in the
    language of `result` (German unless it was localized, see core.localize)."""
    b = _Builder(result, layout)
    w = b.w
    blocks = [b.heading()]
    if layout.show_paper and result.paper:
        blocks.append(b.paper_line())
    blocks += b.verdict(result.assessment)
    a = result.assessment
    blocks += b.notes(a)
    if not a.screening.exited:
        blocks += b.sectors(a)
        if chart is not None:
            blocks.append(b.chart(chart))
        blocks += b.emissions(a.emissions)
    if result.alternative is not None:
        blocks += b.alternative(result)
    elif result.requires_alternative:
        blocks.append(
            labelled(
                w(N_("Alternative")),
                w(
                    N_(
                        "Nach dem Regelwerk ist bei diesem Ergebnis eine klimafreundlichere Alternative darzustellen; "
                        "sie liegt noch nicht vor."
                    )
                ),
            )
        )
    for message in (*result.messages, *a.messages):
        blocks.append(labelled(w(N_("Hinweis")), message))
    _keep_with_next(blocks[-1])  # the reference line never stands alone on a page
    blocks.append(b.reference_line(reference, code))
    # The tag and the alias stay: they find the section again in every language.
    return content_control(TAG, "Klimacheck", blocks, (SECTION_MARK, layout.mark_id))


def _keep_with_next(block: etree._Element) -> None:
    """Keep a paragraph (or the last row of a table) on the page of the block that follows it."""
    if block.tag == ooxml.W_TBL:
        rows = block.findall(qn("w:tr"))
        paragraphs = list(rows[-1].iter(ooxml.W_P)) if rows else []
    else:
        paragraphs = [block]
    for p in paragraphs:
        ppr = p.find(ooxml.W_PPR)
        if ppr is None:
            ppr = el("w:pPr")
            p.insert(0, ppr)
        set_ordered(ppr, "keepNext", {}, _PPR_ORDER)


class _Builder:
    def __init__(self, result: Result, layout: Layout):
        self.result = result
        self.layout = layout
        self.tables = Tables(layout.sheet, layout.width)
        self.w = Words(result.locale)

    def heading(self) -> etree._Element:
        return heading_paragraph(self.w(HEADING_TEXT), self.layout)

    def paper_line(self) -> etree._Element:
        return text_para(paper_text(self.result, self.w), bold=True)

    def verdict(self, a: Assessment) -> list[etree._Element]:
        """The verdict in words beside a marker: white capitals on the verdict's colour (contrast ≥ 4.5:1)."""
        w = self.w
        colour = VERDICT_COLOURS.get(a.verdict, VERDICT_COLOURS["neutral"])
        label = run(a.verdict_label.upper(), bold=True, colour="FFFFFF", size=10)
        marker = Cell([cell_para(label, jc="center")], fill=colour, align="center")
        words = [
            cell_para(run(w(N_("Ergebnis des Klimachecks: ")), bold=True), run(a.verdict_label, bold=True)),
            cell_para(run(a.verdict_reason)),
        ]
        reason = a.screening.reason_label or a.screening.reason or ""
        if a.screening.exited and reason not in a.verdict_reason:
            text = "; ".join(x for x in (reason, a.screening.explanation) if x)
            words.append(cell_para(run(w(N_("Vorprüfung: ")), bold=True), run(text)))
        fraction = min(0.25, 2300 / max(self.layout.width, 1))  # room for "KLIMARELEVANT" on one line
        table = self.tables.table(
            [fraction, 1 - fraction],
            [[marker, Cell(words)]],
            header_rows=0,
            borders=False,
            caption=w(N_("Ergebnis des Klimachecks")),
        )
        return [table, text_para("", before=0, after=0, size=4)]

    def notes(self, a: Assessment) -> list[etree._Element]:
        """Decision kind, what the verdict rests on, fragility and open points (Results that record them)."""
        if a.screening.exited:
            return []
        w = self.w
        out = []
        if a.decision is not None:
            text = a.decision.label + (
                w(N_(" – Wirkung indirekt: bewertet wird, was der Beschluss ermöglicht."))
                if a.decision.indirect
                else ""
            )
            out.append(labelled(w(N_("Art der Entscheidung")), text))
        if a.basis:
            basis = "; ".join(f"{x.name}: {x.display}" for x in a.basis)
            out.append(labelled(w(N_("Das Ergebnis stützt sich auf")), basis))
        robust = sentences(a.robustness, own=False, locale=w.locale)
        if robust:
            out.append(labelled(w(N_("Ergebnis nicht robust")), " ".join(robust)))
        if a.open_points:
            names = ", ".join(p.name for p in a.open_points)
            text = w(N_("{names} – unbekannt oder in dieser Vorlage nicht entschieden; mit 0 bewertet."), names=names)
            out.append(labelled(w(N_("Offene Punkte")), text))
        return out

    def sectors(self, a: Assessment) -> list[etree._Element]:
        """One row per sector with an effect or a reason; the sectors without either share the last row."""
        w = self.w
        rows = [[Cell(w(N_("Handlungsfeld"))), Cell(w(N_("Bewertung"))), Cell(w(N_("Begründung")))]]
        quiet = []
        for s in a.sectors:
            label = s.label if s.affects_verdict else f"{s.label}*"
            if not s.score and not s.reasons:
                quiet.append(label)
                continue
            reasons = [cell_para(run(("– " if len(s.reasons) > 1 else "") + r)) for r in s.reasons]
            rows.append(
                [
                    Cell(label),
                    Cell(score_text(s.score, w), fill=SCORE_TINTS.get(s.score)),
                    Cell(reasons or [cell_para(run("–", colour=MUTED))]),
                ]
            )
        if quiet:
            others = w(N_("Übrige Handlungsfelder")) if len(rows) > 1 else w(N_("Alle Handlungsfelder"))
            rows.append([Cell(others), Cell(score_text(0, w)), Cell(", ".join(quiet))])
        title = w(N_("Bewertung nach Handlungsfeldern"))
        out = [
            text_para(title, bold=True, keep_next=True),
            self.tables.table([0.27, 0.23, 0.50], rows, caption=title),
        ]
        if any(not s.affects_verdict for s in a.sectors):
            out.append(text_para(w(N_("* nachrichtlich; fließt nicht in das Ergebnis ein")), size=8, colour=MUTED))
        return out

    def chart(self, chart: Chart) -> etree._Element:
        width = min(self.layout.width, MAX_CHART_TWIPS) * EMU_PER_TWIP
        inline = chart_inline(chart.rel_id, width, int(width * chart.aspect), chart.docpr_id, chart.alt_text,
                              name=chart.name, title=chart.title)  # fmt: skip
        return para(el("w:r", None, el("w:drawing", None, inline)), before=120, after=120)

    def emissions(self, em: Emissions) -> list[etree._Element]:
        w = self.w
        out = [text_para(w(N_("Treibhausgasemissionen")), bold=True, keep_next=True)]
        if em.t_co2e_per_year is None:
            out.append(text_para(w(N_("Die Emissionen wurden nicht beziffert."))))
            return out
        summary = w(N_("{tonnes} pro Jahr"), tonnes=_t(em.t_co2e_per_year, w))
        summary += w(N_(" (Einsparung)")) if em.t_co2e_per_year < 0 else ""
        if em.t_co2e_total is not None and em.lifetime_years:
            summary += w(
                N_(", {tonnes} über {years} Jahre"), tonnes=_t(em.t_co2e_total, w), years=_num(em.lifetime_years, w)
            )
        method = w(METHOD_LABELS[em.method]) if em.method in METHOD_LABELS else (em.method or w(N_("nicht angegeben")))
        summary += w(N_(" (Methode: {method})."), method=method)
        if em.threshold_t_co2e_per_year is not None:
            threshold = _num(em.threshold_t_co2e_per_year, w)
            if em.significant:
                summary += w(
                    N_(" Erheblichkeitsschwelle von {threshold} t CO2e pro Jahr überschritten."), threshold=threshold
                )
            else:
                summary += w(
                    N_(" Erheblichkeitsschwelle von {threshold} t CO2e pro Jahr nicht überschritten."),
                    threshold=threshold,
                )
        out.append(para(run(summary)))
        if em.lines:
            rows = [
                [
                    Cell(w(N_("Emissionsquelle"))),
                    Cell(w(N_("Menge"))),
                    Cell(w(N_("Emissionsfaktor"))),
                    Cell(w(N_("t CO2e pro Jahr")), align="right"),
                ]
            ]
            for line in em.lines:
                amount = f"{_num(line.quantity, w)} {line.unit}"
                for t in _chain(line):
                    amount += f"\n× {_num(t.value, w)}" + ("" if t.unit == "1" else f" {t.unit}")
                if line.per == "once" and line.t_co2e_once is not None:
                    amount += "\n" + w(N_("einmalig {tonnes}"), tonnes=_t(line.t_co2e_once, w))
                scope = w(SCOPE_LABELS[line.scope]) if line.scope in SCOPE_LABELS else line.scope
                label = f"{line.label}\n{scope}"
                if line.method:
                    label += f", {w(METHOD_LABELS[line.method]) if line.method in METHOD_LABELS else line.method}"
                if not line.counts:
                    label += "\n" + w(N_("nachrichtlich, nicht im Ergebnis"))
                figure = w.num(line.t_co2e_per_year, 1).replace("-", "−")
                rows.append(
                    [
                        Cell(label),
                        Cell(amount),
                        Cell(f"{_num(line.factor_value, w)} {line.factor_unit}\n{line.factor_label}"),
                        Cell(figure if line.counts else f"({figure})", align="right"),
                    ]
                )
            out.append(self.tables.table([0.30, 0.20, 0.32, 0.18], rows, caption=w(N_("Emissionen nach Quellen"))))
        if em.climate_cost:
            years = _num(em.lifetime_years, w) if em.lifetime_years else None
            rows = [
                [
                    Cell(w(N_("Klimakosten"))),
                    Cell(w(N_("Preis je t")), align="right"),
                    Cell(w(N_("pro Jahr")), align="right"),
                    Cell(w(N_("über {years} Jahre"), years=years) if years else w(N_("gesamt")), align="right"),
                ]
            ]
            for c in em.climate_cost:
                rows.append(
                    [
                        Cell(c.label),
                        Cell(f"{w.num(c.eur_per_t)} €", align="right"),
                        Cell(_cost(c.eur_per_year, w), align="right"),
                        Cell(_cost(c.eur_total, w), align="right"),
                    ]
                )
            out.append(text_para("", size=4, before=0, after=0))
            out.append(self.tables.table([0.40, 0.16, 0.20, 0.24], rows, caption=w(N_("Klimakosten"))))
        out.append(self._sources(em))
        return out

    def _sources(self, em: Emissions) -> etree._Element:
        seen: dict[str, str] = {}
        for line in em.lines:
            seen.setdefault(f"{line.factor_label} ({line.factor_year})", line.factor_source)
            for t in line.terms:
                if t.source:
                    seen.setdefault(f"{t.label} ({t.year})", t.source)
        for c in em.climate_cost:
            seen.setdefault(c.label, c.source)
        text = "; ".join(f"{what}: {source}" for what, source in seen.items())
        return text_para(self.w(N_("Quellen: {sources}"), sources=text), size=8, colour=MUTED, before=60)

    def alternative(self, result: Result) -> list[etree._Element]:
        alt = result.alternative
        assert alt is not None
        a, b = result.assessment, alt.assessment
        w = self.w
        out = [
            text_para(w(N_("Alternative")), bold=True, keep_next=True),
            para(run(alt.description)),
        ]
        rows = [[Cell(""), Cell(w(N_("Vorlage"))), Cell(w(N_("Alternative")))]]
        rows.append(
            [
                Cell(w(N_("Ergebnis")), bold=True),
                Cell(a.verdict_label, bold=True, colour=VERDICT_COLOURS.get(a.verdict)),
                Cell(b.verdict_label, bold=True, colour=VERDICT_COLOURS.get(b.verdict)),
            ]
        )
        other = {s.id: s for s in b.sectors}
        for s in a.sectors:
            o = other.get(s.id)
            if o is None or (s.score == 0 and o.score == 0):
                continue
            rows.append(
                [
                    Cell(s.label),
                    Cell(score_text(s.score, w), fill=SCORE_TINTS.get(s.score)),
                    Cell(score_text(o.score, w), fill=SCORE_TINTS.get(o.score)),
                ]
            )
        ea, eb = a.emissions, b.emissions
        rows.append(
            [Cell(w(N_("Emissionen pro Jahr"))), Cell(_t(ea.t_co2e_per_year, w)), Cell(_t(eb.t_co2e_per_year, w))]
        )
        if ea.t_co2e_total is not None or eb.t_co2e_total is not None:
            rows.append([Cell(w(N_("Emissionen gesamt"))), Cell(self._total(ea)), Cell(self._total(eb))])
        costs_b = {c.id: c for c in eb.climate_cost}
        for c in ea.climate_cost:
            cb = costs_b.get(c.id)
            rows.append(
                [
                    Cell(w(N_("{price}, gesamt"), price=c.label)),
                    Cell(_cost(c.eur_total, w)),
                    Cell(_cost(cb.eur_total, w) if cb else "–"),
                ]
            )
        caption = w(N_("Vorlage und Alternative im Vergleich"))
        out.append(self.tables.table([0.40, 0.30, 0.30], rows, caption=caption))
        if ea.t_co2e_per_year is not None and eb.t_co2e_per_year is not None:
            _keep_with_next(out[-1])
            diff = ea.t_co2e_per_year - eb.t_co2e_per_year
            if diff > 0:
                text = w(N_("Die Alternative spart {tonnes} pro Jahr gegenüber der Vorlage."), tonnes=_t(diff, w))
            elif diff < 0:
                text = w(N_("Die Alternative verursacht {tonnes} pro Jahr mehr als die Vorlage."), tonnes=_t(-diff, w))
            else:
                text = w(N_("Vorlage und Alternative verursachen gleich viel Emissionen."))
            out.append(para(run(text), before=120))
        return out

    def _total(self, em: Emissions) -> str:
        w = self.w
        if em.t_co2e_total is None:
            return "–"
        if not em.lifetime_years:
            return _t(em.t_co2e_total, w)
        return w(N_("{tonnes} ({years} Jahre)"), tonnes=_t(em.t_co2e_total, w), years=_num(em.lifetime_years, w))

    def reference_line(self, reference: Reference, code: str) -> etree._Element:
        return reference_line(self.result, reference, code)


def heading_paragraph(text: str, layout: Layout) -> etree._Element:
    """A real heading: the look of a heading of the document, else its heading style, else direct formatting."""
    if layout.heading_ppr is not None or layout.heading_rpr is not None:
        ppr = copy.deepcopy(layout.heading_ppr) if layout.heading_ppr is not None else el("w:pPr")
        if layout.sheet.outline_level(ooxml.val(ppr, "w:pStyle")) is None:
            set_ordered(ppr, "outlineLvl", {"w:val": layout.level - 1}, _PPR_ORDER)
        return el("w:p", None, ppr, run(text, rpr=layout.heading_rpr))
    style = layout.sheet.heading_style(layout.level)
    if style is not None:
        return para(run(text), style=style)
    # No heading style in this document: look like one, and be one for navigation and PDF tags.
    size = {1: 14, 2: 13}.get(layout.level, 12)
    p = para(run(text, bold=True, size=size), keep_next=True, before=240, after=120)
    set_ordered(p.find(ooxml.W_PPR), "outlineLvl", {"w:val": layout.level - 1}, _PPR_ORDER)
    return p


def page_break_before(p: etree._Element) -> etree._Element:
    ppr = p.find(ooxml.W_PPR)
    if ppr is None:
        ppr = el("w:pPr")
        p.insert(0, ppr)
    set_ordered(ppr, "pageBreakBefore", {}, _PPR_ORDER)
    return p


def paper_text(result: Result, w: Words) -> str:
    """ "Vorlage 101.26.0815 – Title" (either part may be missing)."""
    paper = result.paper
    ref = paper.get("reference")
    return " – ".join(
        x for x in (w(N_("Vorlage {reference}"), reference=ref) if ref else None, paper.get("title")) if x
    )


def reference_line(result: Result, reference: Reference, code: str) -> etree._Element:
    r = result.ruleset
    w = Words(result.locale)
    parts = [w(N_("Klimacheck Nr. {number}"), number=reference.check_id) if reference.check_id else w(HEADING_TEXT)]
    parts.append(w(N_("Regelwerk „{title}“ ({id}), Version {version}"), title=r.title, id=r.id, version=r.version))
    day = reference.day()
    date = f"{day:%d.%m.%Y}" if w.locale == "de" else f"{day:%d %B %Y}".lstrip("0")
    parts.append(w(N_("Stand {date}"), date=date))
    if reference.author:
        parts.append(w(N_("bearbeitet von {author}"), author=reference.author))
    parts.append(w(N_("Prüfcode {code}"), code=code))
    return text_para(" · ".join(parts), size=8, colour=MUTED, before=120)


def _cost(eur: float | None, w: Words) -> str:
    """Climate cost in words a council reads: a saving is "vermieden", not a negative cost."""
    if eur is None:
        return "–"
    return w(N_("{amount} vermieden"), amount=w.eur(-eur)) if eur < 0 else w.eur(eur)
