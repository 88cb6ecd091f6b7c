"""The sector chart as a native Word chart, and the chart writer behind it (word/nativechart.py).

What Word and LibreOffice need: a chart part with every label and value cached, related from the document
part with the chart relationship and content type, an embedded workbook holding the same table (for
"Daten bearbeiten" in Word), and the inline drawing with alt text. LibreOffice really draws it: the PDF it
makes holds the chart's labels as text, and a page is rendered to artifacts/ to be looked at.
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import docx
import openpyxl
import pytest
from lxml import etree

from impactcheck.word import chart_alt_text, has_chart, insert_section, sector_chart
from impactcheck.word import nativechart as nc
from tests.support import ROOT, require_program
from tests.word import docs
from tests.word import libreoffice as lo
from tests.word.test_visual import beschlussvorlage as city_paper

NS = {
    "c": nc.CHART_URI,
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "pr": "http://schemas.openxmlformats.org/package/2006/relationships",
}
ARTIFACTS = ROOT / "artifacts"
YEARS = tuple(str(y) for y in range(2019, 2031))
PATH = nc.ChartSpec(
    kind="line",
    categories=YEARS,
    series=(
        nc.Series("Zielpfad", tuple(round(1000 * 0.9**i, 1) for i in range(12))),
        nc.Series("Emissionen mit Beschlüssen", tuple(round(1000 * 0.93**i, 1) if i < 8 else None for i in range(12))),
    ),
    title="Zielpfad und Emissionen",
    value_axis_title="t CO2e",
    number_format="#,##0",
    data_labels=False,
    alt_text="Liniendiagramm: Zielpfad und Emissionen 2019 bis 2030",
    name="Zielpfad",
)
SECTORS = nc.ChartSpec(
    kind="column",
    categories=("Gebäude", "Mobilität", "Industrie", "Strom", "Ernährung", "Landnutzung"),
    series=(
        nc.Series("Erlaubt 2026", (310.0, 250.0, 120.0, 200.0, 80.0, 20.0)),
        nc.Series("Wirkung der Beschlüsse", (12.5, -3.0, 0.0, 40.0, None, -1.5)),
    ),
    title="Budget je Sektor 2026",
    number_format='#,##0.0;"−"#,##0.0',
    alt_text="Säulendiagramm: Budget je Sektor",
    name="Sektoren",
)


def xml(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def cached(chart: etree._Element, series: int, what: str) -> list[str]:
    return chart.xpath(f"//c:ser[{series + 1}]/c:{what}//c:pt/c:v/text()", namespaces=NS)


# --- the sector chart ---------------------------------------------------------------------------


def test_sector_chart_spec_is_the_scores_on_a_fixed_scale(negative, positive):
    spec = sector_chart(negative)
    assert spec.kind == "bar" and (spec.value_min, spec.value_max, spec.major_unit) == (-2, 2, 1)
    labels = [s.label if s.affects_verdict else f"{s.label}*" for s in negative.sectors]
    assert list(spec.categories) == labels and labels[-1].endswith("*")
    proposal, alternative = spec.series
    assert (proposal.name, alternative.name) == ("Vorlage", "Alternative")
    assert list(proposal.values) == [s.score for s in negative.sectors]
    alt = {s.id: s.score for s in negative.alternative.assessment.sectors}
    assert list(alternative.values) == [alt[s.id] for s in negative.sectors]
    assert proposal.pattern == "solid" and alternative.pattern == "hatched"  # told apart without colour
    assert proposal.point_colours[0] == "C62828" and alternative.point_colours[0] == "2E7D32"  # Gebäude −2 / +1
    assert spec.alt_text == chart_alt_text(negative)
    assert len(sector_chart(positive).series) == 1


def test_alt_text_names_every_sector_and_score(negative):
    text = chart_alt_text(negative)
    assert text.startswith("Balkendiagramm der Bewertung je Handlungsfeld auf einer Skala von −2")
    assert "Vorlage: Gebäude −2, Strom und Energie −2; ohne Auswirkung: Mobilität" in text
    assert "Alternative: Gebäude +1, Strom und Energie +2" in text
    for sector in negative.sectors:
        assert sector.label in text
    assert "Mit Stern markierte Handlungsfelder fließen nicht in das Ergebnis ein." in text


def test_no_chart_after_the_quick_exit(not_relevant, negative, positive):
    assert not has_chart(not_relevant)
    assert has_chart(negative) and has_chart(positive)


def test_chart_part_caches_labels_and_scores_with_a_real_minus(negative):
    spec = sector_chart(negative)
    chart = xml(nc.chart_xml(spec))
    assert chart.tag == f"{{{nc.CHART_URI}}}chartSpace"
    assert chart.xpath("//c:barChart/c:barDir/@val", namespaces=NS) == ["bar"]
    assert cached(chart, 0, "cat") == list(spec.categories)
    assert cached(chart, 0, "val") == [str(s.score) for s in negative.sectors]
    assert cached(chart, 0, "tx") == ["Vorlage"] and cached(chart, 1, "tx") == ["Alternative"]
    assert chart.xpath("//c:valAx/c:scaling/c:min/@val", namespaces=NS) == ["-2"]
    assert chart.xpath("//c:valAx/c:scaling/c:max/@val", namespaces=NS) == ["2"]
    assert chart.xpath("//c:valAx/c:numFmt/@formatCode", namespaces=NS) == ['+0;"−"0;0']
    assert chart.xpath("//c:ser[2]/c:spPr/a:pattFill/@prst", namespaces=NS) == ["wdUpDiag"]
    assert chart.xpath("//c:ser[1]/c:spPr/a:solidFill", namespaces=NS)
    assert chart.xpath("//c:externalData/@r:id", namespaces=NS) == [nc.WORKBOOK_REL_ID]
    assert "−2 deutlich negativ" in "".join(chart.xpath("//c:valAx/c:title//a:t/text()", namespaces=NS))
    assert nc.chart_xml(spec) == nc.chart_xml(sector_chart(negative))  # same Result, same bytes


def test_embedded_workbook_holds_the_cells_the_chart_refers_to(negative):
    spec = sector_chart(negative)
    parts = nc.chart_parts(spec)
    assert parts.workbook == nc.workbook_xlsx(spec)  # deterministic: no time stamps
    sheet = openpyxl.load_workbook(io.BytesIO(parts.workbook))[nc.SHEET]
    chart = xml(parts.chart_xml)
    n = len(spec.categories)
    assert chart.xpath("//c:ser[1]/c:cat//c:f/text()", namespaces=NS) == [f"{nc.SHEET}!$A$2:$A${n + 1}"]
    assert chart.xpath("//c:ser[2]/c:val//c:f/text()", namespaces=NS) == [f"{nc.SHEET}!$C$2:$C${n + 1}"]
    assert [sheet.cell(row=r, column=1).value for r in range(2, n + 2)] == list(spec.categories)
    assert [sheet.cell(row=1, column=c).value for c in (2, 3)] == ["Vorlage", "Alternative"]
    assert [sheet.cell(row=r, column=3).value for r in range(2, n + 2)] == list(spec.series[1].values)
    (rel,) = xml(parts.chart_rels_xml).iter(f"{{{NS['pr']}}}Relationship")
    assert (rel.get("Id"), rel.get("Type"), rel.get("Target")) == (nc.WORKBOOK_REL_ID, nc.REL_PACKAGE,
                                                                   parts.workbook_target)  # fmt: skip


def test_a_missing_figure_is_a_gap_never_a_zero():
    chart = xml(nc.chart_xml(SECTORS))
    assert chart.xpath("//c:ser[2]/c:val//c:ptCount/@val", namespaces=NS) == ["6"]
    assert chart.xpath("//c:ser[2]/c:val//c:pt/@idx", namespaces=NS) == ["0", "1", "2", "3", "5"]
    assert chart.xpath("//c:dispBlanksAs/@val", namespaces=NS) == ["gap"]
    sheet = openpyxl.load_workbook(io.BytesIO(nc.workbook_xlsx(SECTORS)))[nc.SHEET]
    assert sheet["C6"].value is None and sheet["C4"].value == 0


def test_line_and_column_charts():
    line = xml(nc.chart_xml(PATH))
    assert line.xpath("//c:lineChart/c:ser/c:spPr/a:ln/a:prstDash/@val", namespaces=NS) == ["solid", "dash"]
    assert len(set(line.xpath("//c:ser/c:marker/c:symbol/@val", namespaces=NS))) == 2
    assert cached(line, 0, "cat") == list(YEARS)
    assert line.xpath("//c:chart/c:title//a:t/text()", namespaces=NS) == ["Zielpfad und Emissionen"]
    assert line.xpath("//c:ser/c:dLbls/c:showVal/@val", namespaces=NS) == ["0", "0"]
    column = xml(nc.chart_xml(SECTORS))
    assert column.xpath("//c:barChart/c:barDir/@val", namespaces=NS) == ["col"]
    fills = column.xpath("//c:ser/c:spPr", namespaces=NS)
    assert fills[0].find("a:solidFill", NS) is not None and fills[1].find("a:pattFill", NS) is not None
    assert column.xpath("//c:legend/c:legendPos/@val", namespaces=NS) == ["t"]


def test_a_spec_that_does_not_fit_is_refused():
    with pytest.raises(ValueError, match="3 values for 2 categories"):
        nc.ChartSpec(kind="bar", categories=("a", "b"), series=(nc.Series("x", (1, 2, 3)),))
    with pytest.raises(ValueError, match="not a finite number"):
        nc.ChartSpec(kind="line", categories=("2026",), series=(nc.Series("x", (float("nan"),)),))
    with pytest.raises(ValueError, match="unknown chart kind"):
        nc.ChartSpec(kind="pie", categories=(), series=())  # type: ignore[arg-type]


def test_labels_are_escaped_and_stripped_of_what_xml_forbids():
    spec = nc.ChartSpec(kind="bar", categories=('<b>&"x"\x0b',), series=(nc.Series("A & B", (1.0,)),), alt_text='"<>"')
    assert cached(xml(nc.chart_xml(spec)), 0, "cat") == ['<b>&"x"']
    sheet = openpyxl.load_workbook(io.BytesIO(nc.workbook_xlsx(spec)))[nc.SHEET]
    assert sheet["A2"].value == '<b>&"x"'
    inline = nc.chart_inline("rId9", 100, 50, 7, spec.alt_text, name="N & M")
    assert inline.find("wp:docPr", NS).attrib == {"id": "7", "name": "N & M", "descr": '"<>"'}


# --- in a python-docx document (the yearly report) ----------------------------------------------


def test_add_chart_makes_parts_python_docx_and_word_can_open(tmp_path):
    d = docx.Document()
    d.add_paragraph("Bericht")
    first = nc.add_chart(d, d.add_paragraph(), PATH, 16 * nc.EMU_PER_CM, 8 * nc.EMU_PER_CM, title="Zielpfad")
    nc.add_chart(d, d.add_paragraph(), SECTORS, 16 * nc.EMU_PER_CM, 7 * nc.EMU_PER_CM)
    assert first._r.xpath(".//c:chart/@r:id")
    path = tmp_path / "bericht.docx"
    d.save(path)
    members = docs.members(path.read_bytes())
    for name in ("word/charts/chart1.xml", "word/charts/chart2.xml", "word/embeddings/Microsoft_Excel_Worksheet1.xlsx",
                 "word/embeddings/Microsoft_Excel_Worksheet2.xlsx", "word/charts/_rels/chart1.xml.rels"):  # fmt: skip
        assert name in members, name
    types = members["[Content_Types].xml"].decode()
    assert f'PartName="/word/charts/chart1.xml" ContentType="{nc.CT_CHART}"' in types
    assert nc.CT_XLSX in types
    rels = xml(members["word/_rels/document.xml.rels"])
    assert sorted(r.get("Target") for r in rels if r.get("Type") == nc.REL_CHART) == [
        "charts/chart1.xml",
        "charts/chart2.xml",
    ]
    body = xml(members["word/document.xml"])
    doc_prs = body.xpath("//wp:docPr", namespaces=NS)
    assert [p.get("descr") for p in doc_prs] == [PATH.alt_text, SECTORS.alt_text]
    assert len({p.get("id") for p in doc_prs}) == 2 and doc_prs[0].get("title") == "Zielpfad"
    again = docx.Document(str(path))
    assert len(again.inline_shapes) == 2
    again.save(tmp_path / "wieder.docx")  # python-docx keeps the parts when it saves again
    assert "word/charts/chart2.xml" in docs.members((tmp_path / "wieder.docx").read_bytes())


# --- the section --------------------------------------------------------------------------------


def test_an_old_picture_chart_is_replaced_by_the_native_one(negative):
    """A paper that holds a section of the PNG days: the picture and its relationship go."""
    paper = docs.make(docs.beschlussvorlage)
    first = insert_section(paper, negative).docx
    members = docs.members(first)
    rels = members["word/_rels/document.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdKlimacheckChart9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/image" Target="media/klimacheck-diagramm.png"/></Relationships>',
    )
    old = io.BytesIO()
    with zipfile.ZipFile(old, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, rels if name == "word/_rels/document.xml.rels" else data)
        zf.writestr("word/media/klimacheck-diagramm.png", b"\x89PNG\r\n\x1a\n")
    out = insert_section(old.getvalue(), negative).docx
    after = docs.members(out)
    assert "word/media/klimacheck-diagramm.png" not in after
    assert b"klimacheck-diagramm.png" not in after["word/_rels/document.xml.rels"]
    assert set(docs.CHART_MEMBERS) <= set(after)


def test_drawing_nothing_imports_no_plotting_library(tmp_path):
    probe = f"""
import sys
from impactcheck.core.answers import evaluate_submission, load_submission
from impactcheck.core.registry import resolve_ruleset
from impactcheck.word import insert_section, standalone_section_docx
r = evaluate_submission(resolve_ruleset("kassel-2030"),
    load_submission({str(ROOT / "impactcheck/rules/examples/kassel-2030/parkhaus-neubau/schaetzt.yaml")!r}))
insert_section(standalone_section_docx(r), r)
print(sorted({{m.split(".")[0] for m in sys.modules}} & {{"matplotlib", "numpy", "PIL", "openpyxl"}}))
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


# --- LibreOffice draws them -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered(soffice, lo_workdir, negative):
    """A paper in a city's house style (tests/word/test_visual.py) with the section (negative, with
    alternative), and a report-like document with a line and a column chart, as PDF."""
    report = docx.Document()
    report.add_paragraph("Bericht")
    nc.add_chart(report, report.add_paragraph(), PATH, 16 * nc.EMU_PER_CM, 8 * nc.EMU_PER_CM)
    nc.add_chart(report, report.add_paragraph(), SECTORS, 16 * nc.EMU_PER_CM, 8 * nc.EMU_PER_CM)
    out = io.BytesIO()
    report.save(out)
    sources = {
        "native-chart-section.docx": insert_section(docs.make(city_paper), negative).docx,
        "native-chart-report.docx": out.getvalue(),
    }
    return lo.convert(sources, "pdf", lo_workdir / "charts", soffice)


def _pages(pdf: bytes, workdir) -> list[str]:
    pdftotext = require_program("pdftotext")
    path = workdir / "chart.pdf"
    path.write_bytes(pdf)
    text = subprocess.run([pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")


def _render(pdf: bytes, page: int, name: str, workdir) -> None:
    """Page `page` (1-based) as artifacts/<name>.png, to be looked at by a person."""
    pdftoppm = require_program("pdftoppm")
    path = workdir / f"{name}.pdf"
    path.write_bytes(pdf)
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / name
    subprocess.run([pdftoppm, "-r", "80", "-f", str(page), "-l", str(page), "-singlefile", "-png", str(path),
                    str(target)], check=True)  # fmt: skip
    assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000


def test_libreoffice_draws_the_section_chart(rendered, negative, lo_workdir):
    pages = _pages(rendered["native-chart-section.docx"], lo_workdir)
    (page,) = [i for i, text in enumerate(pages) if "deutlich negativ · −1" in text]  # the axis title
    text = pages[page]
    for label in sector_chart(negative).categories:
        assert label in text
    for word in ("Vorlage", "Alternative", "−2", "+2", "+1"):  # legend, axis, data labels
        assert word in text
    _render(rendered["native-chart-section.docx"], page + 1, "native-chart-section", lo_workdir)


def test_libreoffice_draws_the_report_charts(rendered, lo_workdir):
    text = "".join(_pages(rendered["native-chart-report.docx"], lo_workdir))
    for word in ("Zielpfad und Emissionen", "Emissionen mit Beschlüssen", "2019", "2030", "t CO2e",
                 "Budget je Sektor 2026", "Landnutzung", "Wirkung der Beschlüsse"):  # fmt: skip
        assert word in text, word
    _render(rendered["native-chart-report.docx"], 1, "native-chart-report", lo_workdir)


def test_chart_text_uses_the_papers_body_font(negative):
    def faces(paper: bytes) -> set[str]:
        chart = xml(docs.members(insert_section(paper, negative).docx)["word/charts/klimacheck-diagramm.xml"])
        return set(chart.xpath("//a:latin/@typeface", namespaces=NS))

    def arial(d) -> None:
        d.styles["Normal"].font.name = "Arial"
        docs.beschlussvorlage(d)

    assert faces(docs.make(arial)) == {"Arial"}
    assert faces(docs.make(docs.beschlussvorlage)) == {"+mn-lt"}  # python-docx's template: the theme's font
