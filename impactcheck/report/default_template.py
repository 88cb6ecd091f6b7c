"""Write the report's default template (`bericht-vorlage.docx`, shipped in this package):
python-docx's own default document, set up for a German council report — A4, 2.5 cm margins, a sans
serif at 10.5 pt, German language, headings and a grid table style, the page number in the footer.

    python -m impactcheck.report.default_template [OUT.docx]

A municipality starts its house template from this file (or from any .docx of its own): styles are
found by name, see report/styles.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

FONT = "Liberation Sans"  # metric-compatible with Arial; Word substitutes Arial where it is missing


def make_default_template():
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    document = docx.Document()
    for section in document.sections:
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2.5)
        section.top_margin, section.bottom_margin = Cm(2.5), Cm(2)
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        footer.add_run("Seite ")
        _page_field(footer, OxmlElement, qn)
    styles = document.styles
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10.5)
    rpr = normal.element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "de-DE")
    rpr.append(lang)
    normal.paragraph_format.space_after = Pt(6)
    dark = RGBColor(0x1F, 0x3A, 0x5F)
    for name, size in (("Title", 26), ("Heading 1", 16), ("Heading 2", 13), ("Heading 3", 11)):
        style = styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.color.rgb = dark
    styles["Subtitle"].font.name = FONT
    styles["Caption"].font.name = FONT
    # Drop the demo paragraph python-docx's template has none of; keep the body empty.
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    document.core_properties.title = "Klimacheck-Bericht"
    document.core_properties.language = "de-DE"
    document.core_properties.author = "impactcheck"
    return document


def _page_field(paragraph, OxmlElement, qn) -> None:
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, None), ("end", None)):
        if kind:
            node = OxmlElement("w:fldChar")
            node.set(qn("w:fldCharType"), kind)
        elif text:
            node = OxmlElement("w:instrText")
            node.set(qn("xml:space"), "preserve")
            node.text = f" {text} "
        else:
            node = OxmlElement("w:t")
            node.text = "1"
        run._r.append(node)


def main(argv: list[str]) -> None:
    from impactcheck.report.template import DEFAULT_TEMPLATE

    target = Path(argv[0]) if argv else DEFAULT_TEMPLATE
    make_default_template().save(str(target))
    print(target)


if __name__ == "__main__":
    main(sys.argv[1:])
