"""A realistic Beschlussvorlage with the section inserted, rendered by LibreOffice to PDF and by pdftoppm to
PNG in artifacts/word/ (git-ignored) – to be looked at by a person: does the section belong to the paper?

The test itself checks what a machine can: the PDF has the section after "Finanzielle Auswirkungen" and
before "Anlagen", the chart and the annex are rendered, and every page became a PNG.
"""

from __future__ import annotations

import subprocess

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.shared import Cm, Pt, RGBColor

from impactcheck.word import insert_section
from tests.support import ROOT, require_program
from tests.word import docs
from tests.word.docs import WNS

ARTIFACTS = ROOT / "artifacts" / "word"


def city_template(d) -> None:
    """House style of a city administration: Arial (Liberation Sans here) 11 pt, black headings, A4."""
    section = d.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin = Cm(2.5), Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    normal = d.styles["Normal"]
    normal.font.name, normal.font.size = "Arial", Pt(11)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.1
    for level, size in ((1, 12), (2, 11)):
        style = d.styles[f"Heading {level}"]
        style.font.name, style.font.size, style.font.bold = "Arial", Pt(size), True
        fonts = style.element.rPr.rFonts
        for theme in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):  # else the theme font wins
            fonts.attrib.pop(f"{{{docs.W}}}{theme}", None)
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.paragraph_format.space_before, style.paragraph_format.space_after = Pt(12), Pt(6)
    header = section.header.paragraphs[0]
    header.text = "Stadt Kassel · Der Magistrat"
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer = section.footer.paragraphs[0]
    footer.text = "Vorlage 101.26.0601 · Seite "
    footer._p.append(parse_xml(f'<w:fldSimple {WNS} w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>'))


def beschlussvorlage(d) -> None:
    city_template(d)
    title = d.add_paragraph()
    run = title.add_run("Beschlussvorlage")
    run.bold, run.font.size = True, Pt(16)
    facts = d.add_table(rows=4, cols=2)
    facts.alignment = WD_TABLE_ALIGNMENT.LEFT
    for row, (label, value) in zip(
        facts.rows,
        [
            ("Vorlage Nr.", "101.26.0601"),
            ("Datum", "3. März 2026"),
            ("Federführung", "Amt für Hochbau und Gebäudebewirtschaftung"),
            ("Beratungsfolge", "Bau- und Planungsausschuss (Entscheidung)"),
        ],
        strict=True,
    ):
        row.cells[0].text, row.cells[1].text = label, value
        row.cells[0].width, row.cells[1].width = Cm(4), Cm(12)
        row.cells[0].paragraphs[0].runs[0].bold = True
    subject = d.add_paragraph()
    subject.paragraph_format.space_before = Pt(12)
    run = subject.add_run("Ersatz der Heizungsanlage in der Kita Wolfsanger")
    run.bold, run.font.size = True, Pt(13)
    d.add_heading("1. Beschlussvorschlag", 1)
    d.add_paragraph(
        "Der Bau- und Planungsausschuss beschließt, die Heizungsanlage der Kita Wolfsanger zu ersetzen, und "
        "beauftragt den Magistrat mit der Ausschreibung."
    )
    d.add_heading("2. Sachverhalt", 1)
    for text in (
        "Die Gasheizung der Kita Wolfsanger stammt aus dem Jahr 1995. Sie ist mehrfach ausgefallen; "
        "Ersatzteile sind nicht mehr lieferbar. Der Schornsteinfeger hat die Anlage beanstandet.",
        "Die Kita betreut 75 Kinder in vier Gruppen. Ein Ausfall im Winter würde den Betrieb unterbrechen. "
        "Die Verwaltung schlägt deshalb vor, die Anlage vor der nächsten Heizperiode zu ersetzen.",
        "Geprüft wurden ein neuer Gas-Brennwertkessel und eine Luft-Wasser-Wärmepumpe mit Photovoltaik auf "
        "dem Dach. Die Ergebnisse der Prüfung sind im Klimacheck unten dargestellt.",
    ):
        d.add_paragraph(text)
    d.add_heading("3. Finanzielle Auswirkungen", 1)
    d.add_paragraph("Die Kosten des Gas-Brennwertkessels betragen einschließlich Planung:")
    costs = d.add_table(rows=3, cols=2, style="Table Grid")
    for row, (label, value) in zip(
        costs.rows, [("Kessel und Montage", "142.000 €"), ("Planung", "38.000 €"), ("Summe", "180.000 €")],
        strict=True,
    ):  # fmt: skip
        row.cells[0].text, row.cells[1].text = label, value
        row.cells[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    d.add_paragraph("Die Mittel stehen im Haushalt 2026 unter Produkt 11.02.01, Investitionsnummer I-4711, bereit.")
    d.add_heading("4. Anlagen", 1)
    d.add_paragraph("Lageplan der Kita Wolfsanger", style="List Number")
    d.add_paragraph("Kostenschätzung des Planungsbüros", style="List Number")


def test_rendered_paper_for_a_person_to_look_at(negative, reference):
    soffice = require_program("soffice")
    pdftoppm = require_program("pdftoppm")
    pdftotext = require_program("pdftotext")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("beschlussvorlage*"):
        old.unlink()
    paper = docs.make(beschlussvorlage)
    out = insert_section(paper, negative, reference, annex="end")
    assert out.anchor_kind == "heading"
    docs.assert_kept(paper, out.docx)
    target = ARTIFACTS / "beschlussvorlage.docx"
    target.write_bytes(out.docx)
    (ARTIFACTS / "beschlussvorlage-ohne.docx").write_bytes(paper)
    profile = (ARTIFACTS.parent / ".lo-profile").resolve().as_uri()
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(ARTIFACTS),
         str(target)],
        capture_output=True, timeout=300, check=True,
    )  # fmt: skip
    pdf = ARTIFACTS / "beschlussvorlage.pdf"
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    finance, section, annex_list = (
        text.index(s) for s in ("3. Finanzielle Auswirkungen", "Ergebnis des", "4. Anlagen")
    )
    assert finance < section < annex_list
    assert text.index("Anlage: Fragen und Antworten") > annex_list
    assert "Prüfcode " + out.verification_code in text
    subprocess.run([pdftoppm, "-r", "70", "-png", str(pdf), str(ARTIFACTS / "beschlussvorlage")], check=True)
    pages = sorted(ARTIFACTS.glob("beschlussvorlage-*.png"))
    pdfinfo = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert len(pages) == int(next(line.split()[-1] for line in pdfinfo.splitlines() if line.startswith("Pages:")))
