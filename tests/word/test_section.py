"""What the section shows, and how it is built: real headings, table header rows, no language, alt text."""

from __future__ import annotations

import io
import re

import docx
import pytest
from lxml import etree

from impactcheck.core.answers import evaluate_submission, load_submission
from impactcheck.core.result import result_from_dict
from impactcheck.core.verification import Reference, verification_code
from impactcheck.word import annex_docx, chart_alt_text, insert_section, standalone_section_docx
from impactcheck.word.nativechart import CHART_URI as CHART_NS
from tests.word import docs
from tests.word.conftest import EXAMPLES
from tests.word.docs import NS, w


@pytest.fixture(scope="module")
def paper():
    return docs.make(docs.beschlussvorlage)


def section(data: bytes, tag: str = "klimacheck"):
    found = docs.sections(docs.document(data), tag)
    assert len(found) == 1
    return found[0]


def cell_texts(row) -> list[str]:
    return ["\n".join(docs.text_of(p) for p in tc.iter(w("p"))) for tc in row.iter(w("tc"))]


def tables(sdt) -> list:
    return sdt.findall(f"{w('sdtContent')}/{w('tbl')}")


def table_with_header(sdt, first: str):
    for tbl in tables(sdt):
        rows = tbl.findall(w("tr"))
        if rows and cell_texts(rows[0])[0] == first:
            return rows
    raise AssertionError(f"no table headed {first!r}")


@pytest.mark.parametrize(
    ("fixture", "word", "fill"),
    [("negative", "NEGATIV", "C62828"), ("positive", "POSITIV", "2E7D32"), ("not_relevant", "NICHT KLIMARELEVANT",
                                                                             "757575")],
)  # fmt: skip
def test_verdict_in_words_beside_a_coloured_marker(request, paper, fixture, word, fill):
    result = request.getfixturevalue(fixture)
    sdt = section(insert_section(paper, result).docx)
    marker = tables(sdt)[0].find(f"{w('tr')}/{w('tc')}")
    assert marker.find(f"{w('tcPr')}/{w('shd')}").get(w("fill")) == fill
    assert docs.text_of(marker) == word
    words = docs.text_of(marker.getnext())
    assert f"Ergebnis des Klimachecks: {result.assessment.verdict_label}" in words
    assert result.assessment.verdict_reason in words


def test_sector_table_with_scores_reasons_and_a_repeated_header_row(paper, negative):
    sdt = section(insert_section(paper, negative).docx)
    rows = table_with_header(sdt, "Handlungsfeld")
    assert rows[0].find(f"{w('trPr')}/{w('tblHeader')}") is not None
    assert all(r.find(f"{w('trPr')}/{w('tblHeader')}") is None for r in rows[1:])
    body = {cells[0]: cells[1:] for cells in map(cell_texts, rows[1:])}
    assert body["Gebäude"] == ["−2 deutlich negativ", "Neue Gasheizung legt fossile Wärme für rund 20 Jahre fest"]
    assert body["Strom und Energie"] == ["−2 deutlich negativ", "Erhöht den Verbrauch fossiler Energie"]
    # The sectors without effect or reason share one row; a sector outside the verdict is marked.
    assert body["Übrige Handlungsfelder"] == [
        "0 keine Auswirkung",
        "Mobilität, Industrie und Wirtschaft, Ernährung, Landnutzung, Beschaffung, Klimaanpassung*",
    ]
    assert list(body) == ["Gebäude", "Strom und Energie", "Übrige Handlungsfelder"]


def test_all_sectors_without_effect_one_row_and_no_chart(paper, kassel_2026_1):
    neutral = evaluate_submission(kassel_2026_1, load_submission(EXAMPLES / "kassel-2030" / "zuschuss-stadtfest.yaml"))
    assert neutral.verdict == "neutral" and not any(s.score for s in neutral.sectors)
    out = insert_section(paper, neutral)
    rows = [cell_texts(r) for r in table_with_header(section(out.docx), "Handlungsfeld")]
    assert len(rows) == 2 and rows[1][0] == "Alle Handlungsfelder"
    assert not set(docs.CHART_MEMBERS) & set(docs.members(out.docx))


def test_emissions_with_method_lines_factors_sources_and_climate_cost(paper, negative):
    text = docs.section_text(insert_section(paper, negative).docx)
    assert "23,8 t CO2e pro Jahr, 475,0 t CO2e über 20 Jahre (Methode: detailliert)" in text
    assert "Erheblichkeitsschwelle von 100 t CO2e pro Jahr nicht überschritten" in text
    sdt = section(insert_section(paper, negative).docx)
    lines = table_with_header(sdt, "Emissionsquelle")
    assert cell_texts(lines[1]) == ["Erdgas\ndirekt", "95.000 kWh/a", "250 g CO2e/kWh\nErdgas (Lebenszyklus)", "23,8"]
    costs = {c[0]: c[1:] for c in map(cell_texts, table_with_header(sdt, "Klimakosten")[1:])}
    for cost in negative.emissions.climate_cost:
        assert cost.label in costs
    assert costs["CO2-Preis nach BEHG 2026"] == ["55 €", "1.306 €", "26.125 €"]
    assert costs["Umweltschadenskosten nach UBA"] == ["1.000 €", "23.750 €", "475.000 €"]
    assert "energiekompetenz-bw.de, Emissionsfaktoren (GEMIS 4.95)" in text
    assert "Brennstoffemissionshandelsgesetz" in text


def test_negative_verdict_shows_the_alternative_side_by_side(paper, negative):
    sdt = section(insert_section(paper, negative).docx)
    text = docs.section_text(insert_section(paper, negative).docx)
    assert negative.alternative.description in text
    rows = [cell_texts(r) for r in table_with_header(sdt, "")]
    assert rows[0] == ["", "Vorlage", "Alternative"]
    by_label = {r[0]: r[1:] for r in rows[1:]}
    assert by_label["Ergebnis"] == ["negativ", "positiv"]
    assert by_label["Gebäude"] == ["−2 deutlich negativ", "+1 eher positiv"]
    assert by_label["Emissionen pro Jahr"] == ["23,8 t CO2e", "6,7 t CO2e"]
    assert "Die Alternative spart 17,0 t CO2e pro Jahr gegenüber der Vorlage." in text


def test_negative_without_alternative_says_it_is_missing(paper, kassel_2026_1):
    from impactcheck.core.evaluate import evaluate

    bare = evaluate(kassel_2026_1, dict(_answers("gasheizung-kita")))
    assert bare.requires_alternative and bare.alternative is None
    text = docs.section_text(insert_section(paper, bare).docx)
    assert "Alternative darzustellen; sie liegt noch nicht vor" in text


def _answers(name):
    return load_submission(EXAMPLES / "kassel-2030" / f"{name}.yaml").answers


def test_screening_exit_shows_the_reason_and_no_table_or_chart(paper, not_relevant):
    out = insert_section(paper, not_relevant)
    sdt = section(out.docx)
    text = docs.section_text(out.docx)
    assert "Vorprüfung: " in text
    assert not_relevant.assessment.screening.reason_label in text
    assert len(tables(sdt)) == 1  # the verdict only
    assert not sdt.xpath(".//w:drawing", namespaces=NS)
    assert not set(docs.CHART_MEMBERS) & set(docs.members(out.docx))


def test_reference_line_names_check_rules_date_author_and_code(paper, negative, reference):
    out = insert_section(paper, negative, reference)
    last = docs.text_of(section(out.docx).find(w("sdtContent"))[-1])
    code = verification_code(negative.to_dict(), "K-2026-0042")
    assert out.verification_code == code
    assert last == (
        "Klimacheck Nr. K-2026-0042 · Regelwerk „Klimacheck Kassel – Klimaneutralität 2030“ (kassel-2030), "
        f"Version 2026.1 · Stand 03.03.2026 · bearbeitet von Maria Muster · Prüfcode {code}"
    )


def test_verification_code_is_short_stable_and_survives_storage(negative, positive):
    code = verification_code(negative.to_dict(), "17")
    assert re.fullmatch(r"[0-9A-F]{4}-[0-9A-F]{4}", code)
    assert verification_code(result_from_dict(negative.to_dict()).to_dict(), "17") == code
    assert verification_code(negative.to_dict(), "18") != code
    assert verification_code(positive.to_dict(), "17") != code
    assert verification_code(negative.to_dict(), None) != code


def test_chart_with_alt_text_and_title(paper, negative):
    out = insert_section(paper, negative)
    sdt = section(out.docx)
    (doc_pr,) = sdt.xpath(".//wp:docPr", namespaces=NS)
    assert doc_pr.get("descr") == chart_alt_text(negative)
    assert doc_pr.get("title")
    chart_ns = {**NS, "c": CHART_NS, "a": "http://schemas.openxmlformats.org/drawingml/2006/main"}
    assert sdt.xpath(".//a:graphicData/@uri", namespaces=chart_ns) == [CHART_NS]
    (rel_id,) = sdt.xpath(".//a:graphicData/c:chart/@r:id", namespaces=chart_ns)
    members = docs.members(out.docx)
    (rel,) = etree.fromstring(members["word/_rels/document.xml.rels"]).xpath(f"//*[@Id='{rel_id}']")
    assert rel.get("Type").endswith("/relationships/chart") and rel.get("Target") == "charts/klimacheck-diagramm.xml"
    assert b'PartName="/word/charts/klimacheck-diagramm.xml" ContentType="application/vnd.openxmlformats-' \
           b'officedocument.drawingml.chart+xml"' in members["[Content_Types].xml"]  # fmt: skip
    chart = etree.fromstring(members["word/charts/klimacheck-diagramm.xml"])
    cached = chart.xpath("//c:ser[1]/c:cat//c:pt/c:v/text()", namespaces=chart_ns)
    assert cached == [s.label if s.affects_verdict else f"{s.label}*" for s in negative.sectors]
    assert members["word/embeddings/klimacheck-diagramm.xlsx"].startswith(b"PK")
    # python-docx reopens it and sees the drawing
    assert len(docx.Document(io.BytesIO(out.docx)).inline_shapes) == 1


def test_without_chart_and_an_old_chart_is_cleaned_up(paper, negative):
    with_chart = insert_section(paper, negative).docx
    without = insert_section(with_chart, negative, chart=False).docx
    assert not section(without).xpath(".//w:drawing", namespaces=NS)
    members = docs.members(without)
    assert not set(docs.CHART_MEMBERS) & set(members)
    assert "klimacheck-diagramm" not in members["[Content_Types].xml"].decode()
    assert "klimacheck-diagramm" not in members["word/_rels/document.xml.rels"].decode()
    assert without == insert_section(paper, negative, chart=False).docx


def test_heading_is_a_real_heading_and_the_language_is_left_alone(paper, negative):
    out = insert_section(paper, negative).docx
    sdt = section(out)
    assert sdt.find(f"{w('sdtPr')}/{w('alias')}").get(w("val")) == "Klimacheck"
    assert docs.heading_paragraph(out).find(f"{w('pPr')}/{w('pStyle')}").get(w("val")) == "Heading1"
    assert not sdt.xpath(".//w:lang", namespaces=NS)
    assert docs.members(out)["word/styles.xml"] == docs.members(paper)["word/styles.xml"]
    assert docs.members(out)["word/settings.xml"] == docs.members(paper)["word/settings.xml"]


def test_table_grid_style_when_present_direct_borders_when_not(paper, negative):
    sdt = section(insert_section(paper, negative).docx)
    grid = table_with_header(sdt, "Handlungsfeld")[0].getparent()
    assert grid.find(f"{w('tblPr')}/{w('tblStyle')}").get(w("val")) == "TableGrid"

    def no_grid(d):
        docs.beschlussvorlage(d)
        styles = d.styles.element
        styles.remove(next(s for s in styles.iter(w("style")) if s.get(w("styleId")) == "TableGrid"))

    sdt = section(insert_section(docs.make(no_grid), negative).docx)
    tbl = table_with_header(sdt, "Handlungsfeld")[0].getparent()
    assert tbl.find(f"{w('tblPr')}/{w('tblStyle')}") is None
    assert tbl.find(f"{w('tblPr')}/{w('tblBorders')}/{w('insideH')}").get(w("val")) == "single"


def test_annex_at_the_end_replaced_and_removed(paper, negative, positive):
    out = insert_section(paper, negative, annex="end").docx
    body = docs.document(out).find(w("body"))
    assert body[-2].tag == w("sdt") and body[-1].tag == w("sectPr")
    annex = section(out, "klimacheck-anhang")
    text = "\n".join(docs.text_of(p) for p in annex.iter(w("p")))
    for answer in (*negative.assessment.answers, *negative.alternative.assessment.answers):
        assert answer.question in text and answer.display in text
    assert "Antworten zur Alternative" in text
    heading = annex.find(f"{w('sdtContent')}/{w('p')}")
    assert heading.find(f"{w('pPr')}/{w('pageBreakBefore')}") is not None
    again = insert_section(out, positive, annex="end").docx
    docs.assert_kept(paper, again)
    assert len(docs.sections(docs.document(again), "klimacheck-anhang")) == 1
    assert "Antworten zur Alternative" not in "".join(
        docs.document(again).xpath("//w:sdt[w:sdtPr/w:tag/@w:val='klimacheck-anhang']//w:t/text()", namespaces=NS)
    )
    removed = insert_section(again, positive).docx
    assert not docs.sections(docs.document(removed), "klimacheck-anhang")
    docs.assert_kept(paper, removed)


def test_annex_as_a_separate_document(paper, negative, reference):
    out = insert_section(paper, negative, reference, annex="separate")
    assert not docs.sections(docs.document(out.docx), "klimacheck-anhang")
    assert out.annex_docx == annex_docx(negative, reference)
    d = docx.Document(io.BytesIO(out.annex_docx))
    assert d.core_properties.language == "de-DE"
    text = docs.section_text(out.annex_docx, "klimacheck-anhang")
    assert "Anlage: Fragen und Antworten zum Klimacheck" in text
    assert "Vorlage 101.26.0601 – Ersatz der Heizungsanlage in der Kita Wolfsanger" in text
    assert f"Prüfcode {out.verification_code}" in text


def test_standalone_document(negative, reference):
    data = standalone_section_docx(negative, reference, annex=True)
    d = docx.Document(io.BytesIO(data))
    assert round(d.sections[0].page_width.cm) == 21
    assert 'w:val="de-DE"' in docs.members(data)["word/styles.xml"].decode()
    text = docs.section_text(data)
    assert text.startswith("Klimacheck\nVorlage 101.26.0601 – Ersatz der Heizungsanlage in der Kita Wolfsanger")
    assert len(docs.sections(docs.document(data), "klimacheck-anhang")) == 1


def test_reference_date_defaults_to_today(paper, negative):
    import datetime as dt

    text = docs.section_text(insert_section(paper, negative, Reference()).docx)
    assert f"Stand {dt.date.today():%d.%m.%Y}" in text
    assert "bearbeitet von" not in text and "Klimacheck Nr." not in text


# --- what catalogue 2026.2 adds to the section ------------------------------------------------


def _reading(kassel, path):
    from tests.support import RULES

    return evaluate_submission(kassel, load_submission(RULES / "examples" / "kassel-2030" / path))


def test_open_points_decision_kind_and_typical_values_are_in_the_section(paper, kassel):
    result = _reading(kassel, "ersatzneubau-kita/andere-lesart.yaml")
    assert result.assessment.open_points, "this reading leaves the energy standard open"
    text = docs.section_text(insert_section(paper, result).docx)
    assert "Art der Entscheidung: Eine konkrete Maßnahme" in text
    names = ", ".join(p.name for p in result.assessment.open_points)
    assert f"Offene Punkte: {names} – unbekannt oder in dieser Vorlage nicht entschieden" in text
    assert "Das Ergebnis stützt sich auf: " in text
    # Typical values multiply the floor area, and their sources are cited.
    typical = {t.label: t for line in result.emissions.lines for t in line.terms if t.source}
    assert typical
    for label, term in typical.items():
        assert f"{label} ({term.year}): {term.source}" in text


def test_a_fragile_verdict_is_said_in_the_section(paper, kassel):
    from impactcheck.core.evaluate import evaluate
    from impactcheck.core.sensitivity import sentences

    answers = {a.id: a.value for a in _reading(kassel, "ersatzneubau-kita/schaetzt.yaml").assessment.answers}
    # Gas-heated containers half the size of the new building: the saving nearly vanishes, so the
    # verdict hangs on the figures.
    answers.update(heizung_alt="gas", geb_flaeche_m2=1200, geb_flaeche_alt_m2=600, geb_pv="nein")
    del answers["geb_pv_kwp"]
    result = evaluate(kassel, answers)
    assert result.assessment.robustness.fragile
    text = docs.section_text(insert_section(paper, result).docx)
    assert "Ergebnis nicht robust: " in text
    for sentence in sentences(result.assessment.robustness, own=False):
        assert sentence in text
