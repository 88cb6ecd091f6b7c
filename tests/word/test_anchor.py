"""Where the section goes, in documents made by python-docx (raw XML where it has no API)."""

from __future__ import annotations

import pytest
from docx.oxml import parse_xml

from impactcheck.word import insert_section
from tests.word import docs
from tests.word.docs import WNS, append_xml, p_xml, r_xml, w

SDT = (
    f'<w:sdt {WNS}><w:sdtPr><w:alias w:val="Platz für den Klimacheck"/><w:tag w:val="Klimacheck"/>'
    '<w:id w:val="99"/><w:temporary/><w:showingPlcHdr/><w:text/></w:sdtPr><w:sdtContent>'
    "<w:p><w:r><w:t>Hier erscheint der Klimacheck.</w:t></w:r></w:p></w:sdtContent></w:sdt>"
)
BOOKMARK = p_xml(
    r_xml("Zur Klimawirkung siehe unten.")
    + '<w:bookmarkStart w:id="501" w:name="klimacheck"/><w:bookmarkEnd w:id="501"/>'
)
PLACEHOLDER = p_xml(r_xml("{{klimacheck}}"))


def insert(data: bytes, result, **kw):
    outcome = insert_section(data, result, **kw)
    docs.assert_kept(data, outcome.docx)
    return outcome


def placed(outcome) -> tuple[str, str]:
    sdt = docs.sections(docs.document(outcome.docx))[0]
    return docs.preceding_text(sdt), docs.following_text(sdt)


def paper(*blocks: str, financial: bool = True):
    """A Beschlussvorlage with raw blocks appended to its Sachverhalt."""

    def extra(d):
        for xml in blocks:
            append_xml(d, xml)

    return docs.make(lambda d: docs.beschlussvorlage(d, financial=financial, extra=extra))


@pytest.mark.parametrize(
    ("blocks", "financial", "kind"),
    [
        ((PLACEHOLDER, BOOKMARK, SDT), True, "content_control"),
        ((PLACEHOLDER, BOOKMARK), True, "bookmark"),
        ((PLACEHOLDER,), True, "placeholder"),
        ((), True, "heading"),
        ((), False, "end"),
    ],
)
def test_the_first_anchor_that_exists_wins(negative, blocks, financial, kind):
    assert insert(paper(*blocks, financial=financial), negative).anchor_kind == kind


def test_content_control_is_filled_and_stays_a_rich_text_control(negative):
    out = insert(paper(p_xml(r_xml("Vorher")), SDT, p_xml(r_xml("Nachher"))), negative)
    sdt = docs.sections(docs.document(out.docx))[0]
    assert placed(out) == ("Vorher", "Nachher")
    props = sdt.find(w("sdtPr"))
    assert props.find(w("alias")).get(w("val")) == "Platz für den Klimacheck"  # the author's words stay
    for gone in ("temporary", "showingPlcHdr", "text"):  # each would lose or refuse a section
        assert props.find(w(gone)) is None
    assert "Hier erscheint" not in docs.section_text(out.docx)
    assert "Ergebnis des Klimachecks: negativ" in docs.section_text(out.docx)


def test_bookmark_section_follows_its_paragraph_and_the_bookmark_stays(negative):
    out = insert(paper(BOOKMARK, p_xml(r_xml("Danach"))), negative)
    assert placed(out) == ("Zur Klimawirkung siehe unten.", "Danach")
    root = docs.document(out.docx)
    assert root.xpath("//w:bookmarkStart[@w:name='klimacheck']", namespaces=docs.NS)


def test_bookmark_between_paragraphs(negative):
    mark = f'<w:bookmarkStart {WNS} w:id="7" w:name="KLIMACHECK"/>'
    data = docs.make(lambda d: (d.add_paragraph("Eins"), append_xml(d, mark), d.add_paragraph("Zwei")))
    out = insert(data, negative)
    assert out.anchor_kind == "bookmark"
    assert placed(out) == ("Eins", "Zwei")


@pytest.mark.parametrize(
    "runs",
    [
        r_xml("{{klimacheck}}"),
        r_xml("  {{KlimaCheck}} "),
        r_xml("{{", "<w:rPr><w:b/></w:rPr>") + r_xml("Klima", "<w:rPr><w:i/></w:rPr>") + r_xml("check}}"),
        '<w:proofErr w:type="spellStart"/>' + r_xml("{{klima") + '<w:proofErr w:type="spellEnd"/>'
        + r_xml("check}}"),
    ],
    ids=["plain", "case-and-spaces", "split-runs", "split-spell-check"],
)  # fmt: skip
def test_placeholder_paragraph_is_replaced(negative, runs):
    out = insert(paper(p_xml(r_xml("Davor")), p_xml(runs), p_xml(r_xml("Danach"))), negative)
    assert out.anchor_kind == "placeholder"
    assert placed(out) == ("Davor", "Danach")
    assert "{{" not in "".join(docs.document(out.docx).xpath("//w:t/text()", namespaces=docs.NS))


def test_placeholder_must_be_the_whole_text(negative):
    out = insert(paper(p_xml(r_xml("Siehe {{klimacheck}} weiter unten."))), negative)
    assert out.anchor_kind == "heading"


def test_placeholder_in_a_table_cell(negative):
    def build(d):
        d.add_paragraph("Vorher")
        table = d.add_table(rows=1, cols=2)
        table.cell(0, 0).text = "Klimaauswirkungen"
        table.cell(0, 1).text = "{{klimacheck}}"

    out = insert(docs.make(build), negative)
    assert out.anchor_kind == "placeholder"
    sdt = docs.sections(docs.document(out.docx))[0]
    cell = sdt.getparent()
    assert cell.tag == w("tc")
    assert cell[-1].tag == w("p"), "Word needs a paragraph at the end of every cell"


def test_inline_content_control_in_its_own_paragraph(negative):
    inline = p_xml(
        '<w:sdt><w:sdtPr><w:tag w:val="klimacheck"/></w:sdtPr><w:sdtContent>'
        + r_xml("Klicken Sie hier")
        + "</w:sdtContent></w:sdt>"
    )
    out = insert(paper(p_xml(r_xml("Davor")), inline, p_xml(r_xml("Danach"))), negative)
    assert out.anchor_kind == "content_control"
    assert placed(out) == ("Davor", "Danach")
    assert "Klicken Sie hier" not in "".join(docs.document(out.docx).xpath("//w:t/text()", namespaces=docs.NS))


def test_tracked_changes_around_and_inside_the_placeholder_paragraph_stay(negative):
    when = 'w:author="Amt 61" w:date="2026-03-01T10:00:00Z"'
    deletion = f'<w:del w:id="11" {when}><w:r><w:delText xml:space="preserve">Entwurf: </w:delText></w:r></w:del>'
    before = p_xml(r_xml("Alt ") + f'<w:ins w:id="13" {when}>{r_xml("neu")}</w:ins>')
    out = insert(paper(before, p_xml(deletion + r_xml("{{klimacheck}}")), p_xml(r_xml("Danach"))), negative)
    assert out.anchor_kind == "placeholder"
    root = docs.document(out.docx)
    kept = docs.sections(root)[0].getprevious()
    assert docs.text_of(kept) == "" and kept.find(w("del")) is not None, "the deletion keeps its paragraph"
    assert docs.tracked(root) == [("ins", "neu"), ("del", "Entwurf: ")]


def test_placeholder_typed_as_a_tracked_insertion_goes_with_its_insertion(negative):
    when = 'w:author="Amt 61" w:date="2026-03-01T10:00:00Z"'
    typed = p_xml(f'<w:ins w:id="12" {when}>{r_xml("{{klima")}</w:ins>' + r_xml("check}}"))
    other = p_xml(f'<w:ins w:id="14" {when}>{r_xml("Bleibt eingefügt.")}</w:ins>')
    data = paper(p_xml(r_xml("Davor")), typed, other)
    out = insert_section(data, negative)
    assert out.anchor_kind == "placeholder"
    assert placed(out) == ("Davor", "Bleibt eingefügt.")
    assert docs.tracked(docs.document(out.docx)) == [("ins", "Bleibt eingefügt.")]


def test_comment_on_the_placeholder_survives(negative):
    def build(d):
        docs.beschlussvorlage(d)
        p = d.add_paragraph("{{klimacheck}}")
        d.add_comment(p.runs, text="Bitte Klimacheck einfügen", author="Amt 61")

    data = docs.make(build)
    out = insert(data, negative)
    assert out.anchor_kind == "placeholder"
    root = docs.document(out.docx)
    for tag in ("commentRangeStart", "commentRangeEnd", "commentReference"):
        assert root.xpath(f"//w:{tag}", namespaces=docs.NS), f"{tag} lost"


def test_heading_section_ends_before_next_heading_of_same_level(negative):
    out = insert(paper(), negative)
    assert out.anchor_kind == "heading"
    assert placed(out) == ("Produkt 11.02.01, Investitionsnummer I-4711.", "Anlagen")
    heading = docs.heading_paragraph(out.docx)
    assert heading.find(f"{w('pPr')}/{w('pStyle')}").get(w("val")) == "Heading1"


def test_heading_at_level_two_ends_before_the_next_level_two_not_a_level_three(negative):
    def build(d):
        d.add_heading("Begründung", 1)
        d.add_heading("3.2 Finanzielle Auswirkungen", 2)
        d.add_paragraph("Kosten.")
        d.add_heading("Folgekosten", 3)
        d.add_paragraph("Wartung.")
        d.add_heading("Personal", 2)

    out = insert(docs.make(build), negative)
    assert placed(out) == ("Wartung.", "Personal")
    assert docs.heading_paragraph(out.docx).find(f"{w('pPr')}/{w('pStyle')}").get(w("val")) == "Heading2"


@pytest.mark.parametrize(
    ("ids", "names", "drop_outline"),
    [
        ({"Heading1": "berschrift1", "Heading2": "berschrift2"}, None, False),  # Word in German
        ({"Heading1": "Ueberschrift1", "Heading2": "Ueberschrift2"},
         {"Heading1": "Überschrift 1", "Heading2": "Überschrift 2"}, True),  # a house template, names only
    ],
    ids=["word-german-ids", "house-template-names"],
)  # fmt: skip
def test_german_heading_styles(negative, ids, names, drop_outline):
    def build(d):
        docs.beschlussvorlage(d)
        docs.rename_styles(d, ids, names, drop_outline)

    out = insert(docs.make(build), negative)
    assert out.anchor_kind == "heading"
    assert placed(out)[1] == "Anlagen"
    style = docs.heading_paragraph(out.docx).find(f"{w('pPr')}/{w('pStyle')}").get(w("val"))
    assert style == ids["Heading1"]


def test_auto_numbered_headings_number_the_section_too(negative):
    def build(d):
        docs.beschlussvorlage(d)
        docs.number_headings(d, ["Heading1", "Heading2"])

    out = insert(docs.make(build), negative)
    assert placed(out)[1] == "Anlagen"
    assert docs.heading_paragraph(out.docx).find(f"{w('pPr')}/{w('pStyle')}").get(w("val")) == "Heading1"


def test_numbering_set_on_the_heading_paragraph_is_copied(negative):
    def build(d):
        num = docs.number_headings(d, [])
        for text in ("Sachverhalt", "Finanzielle Auswirkungen", "Anlagen"):
            p = d.add_paragraph(text, style="Heading 1")
            p._p.get_or_add_pPr().append(
                parse_xml(f'<w:numPr {WNS}><w:ilvl w:val="0"/><w:numId w:val="{num}"/></w:numPr>')
            )
            d.add_paragraph("Text.")

    out = insert(docs.make(build), negative)
    numpr = docs.heading_paragraph(out.docx).find(f"{w('pPr')}/{w('numPr')}")
    assert numpr is not None and numpr.find(w("numId")).get(w("val")) == "77"


def test_manually_numbered_heading_with_colon(negative):
    def build(d):
        d.add_heading("2. Sachverhalt", 1)
        d.add_heading("3.  Finanzielle  Auswirkungen:", 1)
        d.add_paragraph("Keine.")
        d.add_heading("4. Anlagen", 1)

    assert placed(insert(docs.make(build), negative)) == ("Keine.", "4. Anlagen")


def test_no_heading_style_at_all_falls_back_to_direct_formatting_with_outline_level(negative):
    def build(d):
        d.add_paragraph("Text ohne Überschriften.")
        styles = d.styles.element
        for style in list(styles.iter(w("style"))):
            if style.get(w("styleId")).startswith("Heading"):
                styles.remove(style)

    out = insert(docs.make(build), negative)
    assert out.anchor_kind == "end"
    ppr = docs.heading_paragraph(out.docx).find(w("pPr"))
    assert ppr.find(w("pStyle")) is None
    assert ppr.find(w("outlineLvl")).get(w("val")) == "0"
    assert ppr.getparent().find(f"{w('r')}/{w('rPr')}/{w('b')}") is not None


def test_section_under_a_heading_gets_the_next_level(negative):
    out = insert(paper(p_xml(r_xml("{{klimacheck}}"))), negative)
    # The placeholder stands in "Sachverhalt" (Heading 1): the section is a subsection.
    assert docs.heading_paragraph(out.docx).find(f"{w('pPr')}/{w('pStyle')}").get(w("val")) == "Heading2"


def test_end_of_body_keeps_the_final_section_properties_last(negative):
    out = insert(docs.make(lambda d: d.add_paragraph("Nur ein Satz.")), negative)
    body = docs.document(out.docx).find(w("body"))
    assert out.anchor_kind == "end"
    assert body[-1].tag == w("sectPr")
    assert body[-2].tag == w("sdt")


def test_section_stays_before_a_section_break_that_closes_the_financial_section(negative):
    def build(d):
        d.add_heading("Finanzielle Auswirkungen", 1)
        d.add_paragraph("Kosten.")
        d.add_section()  # python-docx puts the old section's properties into a new empty paragraph
        d.add_heading("Anlagen", 1)

    out = insert(docs.make(build), negative)
    sdt = docs.sections(docs.document(out.docx))[0]
    assert docs.preceding_text(sdt) == "Kosten."
    assert sdt.getnext().find(f"{w('pPr')}/{w('sectPr')}") is not None


def test_headers_and_footers_are_untouched(negative):
    def build(d):
        docs.beschlussvorlage(d)
        d.sections[0].header.paragraphs[0].text = "Stadt Kassel – Der Magistrat"
        d.sections[0].footer.paragraphs[0].text = "Seite 1"
        d.sections[0].different_first_page_header_footer = True
        d.sections[0].first_page_header.paragraphs[0].text = "Erste Seite"

    data = docs.make(build)
    out = insert(data, negative)
    before, after = docs.members(data), docs.members(out.docx)
    parts = [n for n in before if "header" in n or "footer" in n]
    assert len(parts) >= 3
    assert all(before[n] == after[n] for n in parts)
    sect = docs.document(out.docx).find(f"{w('body')}/{w('sectPr')}")
    assert len(sect.findall(w("headerReference"))) == len(
        docs.document(data).find(f"{w('body')}/{w('sectPr')}").findall(w("headerReference"))
    )


@pytest.mark.parametrize("blocks", [(), (PLACEHOLDER,), (BOOKMARK,), (SDT,)], ids=["heading", "placeholder",
                                                                                  "bookmark", "sdt"])  # fmt: skip
def test_inserting_again_replaces_and_gives_the_same_file(negative, blocks):
    first = insert(paper(*blocks), negative)
    second = insert_section(first.docx, negative)
    assert second.anchor_kind == "content_control"
    assert second.docx == first.docx


def test_financial_section_last_in_the_paper_gets_the_section_at_the_end_of_the_body(negative):
    """No heading after "Finanzielle Auswirkungen": the section closes the body (it once landed inside the
    heading's paragraph, where Word and LibreOffice show nothing)."""

    def build(d):
        d.add_heading("Beschlussvorschlag", 1)
        d.add_paragraph("Text.")
        d.add_heading("Finanzielle Auswirkungen", 1)
        d.add_paragraph("Keine.")

    outcome = insert(docs.make(build), negative)
    assert outcome.anchor_kind == "heading"
    sdt = docs.sections(docs.document(outcome.docx))[0]
    assert sdt.getparent().tag == w("body")
    assert placed(outcome) == ("Keine.", "")
