"""The report's styles in whatever template it is built on, found by name with fallbacks.

A house template names its styles its own way: Word in German writes the built-in "heading 1" with the
id "berschrift1", LibreOffice "Heading1", a municipality's template may have "Überschrift 1" or none at
all. Headings and the grid table are found as the Word section finds them (word/styles.py); the other
styles by their English or German names. What is missing is None, and the writer falls back to direct
formatting (bold, size, borders), so the report builds and reads on any template.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from impactcheck.word import ooxml
from impactcheck.word.ooxml import qn, val
from impactcheck.word.styles import StyleSheet

# Paragraph styles by their casefolded names, the first that exists wins.
NAMES = {
    "title": ("title", "titel"),
    "subtitle": ("subtitle", "untertitel"),
    "caption": ("caption", "beschriftung"),
    "bullet": ("list bullet", "aufzählungszeichen", "liste mit aufzählungszeichen"),
    "small": ("footnote text", "fußnotentext"),
}


@dataclass(frozen=True)
class ReportStyles:
    headings: dict[int, str | None]  # 1-based level -> paragraph style id
    paragraph: dict[str, str | None]  # key of NAMES -> paragraph style id
    table_grid: str | None
    normal: str | None

    def heading(self, level: int) -> str | None:
        return self.headings.get(level)


def _names(styles_element) -> dict[str, str]:
    """Casefolded style name -> id, paragraph styles only."""
    found: dict[str, str] = {}
    for node in styles_element.iter(qn("w:style")):
        if (node.get(qn("w:type")) or "paragraph") != "paragraph" or not node.get(qn("w:styleId")):
            continue
        name = " ".join((val(node, "w:name") or "").split()).casefold()
        found.setdefault(name, node.get(qn("w:styleId")))
    return found


def report_styles(document) -> ReportStyles:
    """The styles of a python-docx document (its styles part may be missing: then none)."""
    try:
        # A plain lxml copy: python-docx's element classes narrow lxml's API (xpath without namespaces=),
        # and word/styles.py works on plain trees, as the insert path reads them.
        element = ooxml.parse(etree.tostring(document.styles.element))
    except (KeyError, AttributeError):
        element = None
    sheet = StyleSheet(element)
    names = _names(element) if element is not None else {}
    return ReportStyles(
        headings={level: sheet.heading_style(level) for level in (1, 2, 3)},
        paragraph={key: next((names[n] for n in options if n in names), None) for key, options in NAMES.items()},
        table_grid=sheet.table_grid(),
        normal=sheet.default_paragraph,
    )
