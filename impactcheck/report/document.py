"""Writing into the python-docx document: headings, paragraphs, lists and tables in the template's
styles (report/styles.py), with direct formatting where the template lacks a style.

Tables are written as WordprocessingML directly (one parse per table): the annex of a large year has
thousands of rows, and python-docx's cell objects cost a multiple of that.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from xml.sax.saxutils import escape

from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_BREAK
from docx.oxml import parse_xml
from docx.shared import Pt

from impactcheck.report.styles import ReportStyles, report_styles

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # no XML 1.0 character
HEADING_SIZES = {0: 24, 1: 16, 2: 13, 3: 11}  # pt, for templates without the style
TEXT_WIDTH_TWIPS = 9000  # about 16 cm: the table's width when the template's page is not known


def clean(text: object) -> str:
    return _NOT_XML.sub("", "" if text is None else str(text))


class Writer:
    def __init__(self, document):
        self.document = document
        self.styles: ReportStyles = report_styles(document)
        self.width = _text_width(document)

    # --- paragraphs ------------------------------------------------------------------------------

    def _styled(self, text: str, style_id: str | None, *, fallback_size: int | None = None, bold=False):
        p = self.document.add_paragraph()
        if style_id:
            p.style = self.document.styles.get_by_id(style_id, _PARAGRAPH)
        run = p.add_run(clean(text))
        if not style_id and fallback_size:
            run.font.size = Pt(fallback_size)
            run.bold = True
        elif bold:
            run.bold = True
        return p

    def title(self, text: str):
        p = self._styled(text, self.styles.paragraph["title"], fallback_size=HEADING_SIZES[0])
        if not self.styles.paragraph["title"]:
            _outline(p, 0)  # still the document's first heading for navigation and PDF bookmarks
        return p

    def subtitle(self, text: str):
        return self._styled(text, self.styles.paragraph["subtitle"], fallback_size=14)

    def heading(self, text: str, level: int = 1):
        style = self.styles.heading(level)
        p = self._styled(text, style, fallback_size=HEADING_SIZES.get(level, 11))
        if not style:
            _outline(p, level - 1)
            p.paragraph_format.keep_with_next = True
            p.paragraph_format.space_before = Pt(12)
        return p

    def paragraph(
        self, text: str = "", *, bold: bool = False, italic: bool = False, small: bool = False, keep: bool = False
    ):
        """A body paragraph; `keep`: on the page of what follows (the introduction of a table)."""
        p = self.document.add_paragraph()
        if keep:
            p.paragraph_format.keep_with_next = True
        if self.styles.normal:
            p.style = self.document.styles.get_by_id(self.styles.normal, _PARAGRAPH)
        if text:
            run = p.add_run(clean(text))
            run.bold = bold or None
            run.italic = italic or None
            if small:
                run.font.size = Pt(8.5)
        return p

    def bullets(self, items: Sequence[str]) -> None:
        style = self.styles.paragraph["bullet"]
        for item in items:
            if style:
                p = self.document.add_paragraph(style=self.document.styles.get_by_id(style, _PARAGRAPH))
                p.add_run(clean(item))
            else:  # no list style: a dash and a hanging indent look like one
                p = self.paragraph("– " + clean(item))
                p.paragraph_format.left_indent = Pt(14)
                p.paragraph_format.first_line_indent = Pt(-10)

    def caption(self, text: str):
        style = self.styles.paragraph["caption"]
        p = self._styled(text, style)
        if not style:
            p.runs[0].italic = True
            p.runs[0].font.size = Pt(9)
        p.paragraph_format.keep_with_next = True
        return p

    def page_break(self) -> None:
        self.document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    # --- tables ----------------------------------------------------------------------------------

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[object]],
        *,
        widths: Sequence[float] | None = None,
        numeric: Sequence[int] = (),
        small: bool = False,
        total: Sequence[object] | None = None,
    ) -> None:
        """A table: the header row repeats on every page, numeric columns are right-aligned, rows do
        not break across pages. `widths` are shares of the text width; `total` a bold last row."""
        n = len(header)
        shares = list(widths) if widths else [1 / n] * n
        scale = sum(shares) or 1
        twips = [max(300, int(self.width * w / scale)) for w in shares]
        size = '<w:sz w:val="17"/><w:szCs w:val="17"/>' if small else ""
        right = set(numeric)

        def cell(text: object, i: int, bold: bool = False) -> str:
            jc = '<w:jc w:val="right"/>' if i in right else ""
            b = "<w:b/>" if bold else ""
            value = escape(clean(text))
            return (
                f'<w:tc><w:tcPr><w:tcW w:w="{twips[i]}" w:type="dxa"/></w:tcPr><w:p><w:pPr><w:spacing w:before="0" '
                f'w:after="0"/>{jc}</w:pPr><w:r><w:rPr>{b}{size}</w:rPr><w:t xml:space="preserve">{value}</w:t>'
                "</w:r></w:p></w:tc>"
            )

        def row(values: Sequence[object], *, head: bool = False, bold: bool = False) -> str:
            trpr = "<w:trPr><w:cantSplit/>" + ("<w:tblHeader/>" if head else "") + "</w:trPr>"
            return "<w:tr>" + trpr + "".join(cell(v, i, head or bold) for i, v in enumerate(values)) + "</w:tr>"

        style = f'<w:tblStyle w:val="{escape(self.styles.table_grid)}"/>' if self.styles.table_grid else ""
        borders = (
            ""
            if self.styles.table_grid
            else "<w:tblBorders>"
            + "".join(
                f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="808080"/>'
                for side in ("top", "left", "bottom", "right", "insideH", "insideV")
            )
            + "</w:tblBorders>"
        )
        parts = [
            f'<w:tbl xmlns:w="{W_NS}"><w:tblPr>{style}<w:tblW w:w="{sum(twips)}" w:type="dxa"/>{borders}'
            '<w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" '
            'w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>',
            "".join(f'<w:gridCol w:w="{t}"/>' for t in twips),
            "</w:tblGrid>",
            row(header, head=True),
            *(row(r) for r in rows),
        ]
        if total is not None:
            parts.append(row(total, bold=True))
        parts.append("</w:tbl>")
        table = parse_xml("".join(parts))
        body = self.document.element.body
        body._insert_tbl(table) if hasattr(body, "_insert_tbl") else body.append(table)
        self.paragraph()  # Word needs a paragraph between two tables; it also gives air


_PARAGRAPH = WD_STYLE_TYPE.PARAGRAPH


def _outline(paragraph, level: int) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    node = parse_xml(f'<w:outlineLvl xmlns:w="{W_NS}" w:val="{level}"/>')
    ppr.append(node)


def _text_width(document) -> int:
    """The last section's text width in twips (page width minus margins)."""
    try:
        section = document.sections[-1]
        width = section.page_width - section.left_margin - section.right_margin
        return max(4000, int(width / 635))  # EMU -> twips
    except (IndexError, TypeError, AttributeError):
        return TEXT_WIDTH_TWIPS
