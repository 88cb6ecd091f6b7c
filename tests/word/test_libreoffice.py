"""Where the section goes, in documents LibreOffice wrote (see conftest.LO_SOURCES and libreoffice.py)."""

from __future__ import annotations

import pytest

from impactcheck.word import insert_section
from tests.word import docs
from tests.word.docs import w

CASES = {
    # name: (anchor kind, text before the section, text after it, style of the section's heading)
    "lo_heading": ("heading", "Produkt 11.02.01.", "Anlagen", "Berschrift1"),
    "lo_manual_number": ("heading", "Keine.", "4. Anlagen", "Heading1"),
    "lo_placeholder_split": ("placeholder", "", "Danach eingefügt.", "Berschrift2"),
    "lo_placeholder_cell": ("placeholder", None, None, "Berschrift2"),
    "lo_bookmark": ("bookmark", "Die Klimawirkung ist unten dargestellt.", "Weiterer Text.", "Berschrift2"),
    "lo_bold_titles": ("heading", "Die Kosten betragen 10.000 Euro.", "Anlagen", "Normal"),
    "lo_end": ("end", "Nur Text.", "", "Berschrift1"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_libreoffice_document(lo_docx, negative, name):
    kind, before, after, style = CASES[name]
    data = lo_docx[name]
    out = insert_section(data, negative)
    docs.assert_kept(data, out.docx)
    assert out.anchor_kind == kind
    sdt = docs.sections(docs.document(out.docx))[0]
    if before is not None:
        assert (docs.preceding_text(sdt), docs.following_text(sdt)) == (before, after)
    assert docs.heading_paragraph(out.docx).find(f"{w('pPr')}/{w('pStyle')}").get(w("val")) == style
    again = insert_section(out.docx, negative)
    docs.assert_kept(data, again.docx)
    assert again.docx == out.docx


def test_german_heading_styles_have_localised_ids(lo_docx):
    """The premise of the cases above: LibreOffice wrote "Überschrift 1" with the id "Berschrift1"."""
    styles = docs.members(lo_docx["lo_heading"])["word/styles.xml"].decode()
    assert 'w:styleId="Berschrift1"' in styles and 'w:val="Überschrift 1"' in styles


def test_tracked_changes_headers_and_footers_survive(lo_docx, negative):
    data = lo_docx["lo_placeholder_split"]
    root = docs.document(data)
    assert ("del", "Entwurf: ") in docs.tracked(root) and ("del", "gelöscht ") in docs.tracked(root)
    out = insert_section(data, negative).docx
    assert docs.tracked(docs.document(out)) == docs.tracked(root)
    before, after = docs.members(data), docs.members(out)
    parts = [n for n in before if "header" in n or "footer" in n]
    assert parts and all(before[n] == after[n] for n in parts)


def test_placeholder_cell_keeps_the_table_whole(lo_docx, negative):
    out = insert_section(lo_docx["lo_placeholder_cell"], negative).docx
    sdt = docs.sections(docs.document(out))[0]
    cell = sdt.getparent()
    assert cell.tag == w("tc")
    assert docs.text_of(cell.getprevious()) == "Klimaauswirkungen"
    assert cell[-1].tag == w("p")


def test_bold_title_section_heading_looks_like_the_others_and_is_a_heading(lo_docx, negative):
    out = insert_section(lo_docx["lo_bold_titles"], negative).docx
    heading = docs.heading_paragraph(out)
    assert heading.find(f"{w('pPr')}/{w('outlineLvl')}").get(w("val")) == "0"
    assert heading.find(f"{w('r')}/{w('rPr')}/{w('b')}") is not None


def test_section_saved_again_by_libreoffice_is_replaced_not_duplicated(lo_docx, negative):
    """LibreOffice 7.4 keeps our control only as an inline one without its tag; the hidden bookmarks
    around the section still tell what to replace."""
    saved = lo_docx["lo_roundtrip.docx"]
    root = docs.document(saved)
    assert not docs.sections(root), "premise: LibreOffice dropped the tag"
    assert root.xpath("//w:bookmarkStart[@w:name='_Klimacheck']", namespaces=docs.NS)
    out = insert_section(saved, negative, annex="end").docx
    new = docs.document(out)
    assert len(docs.sections(new)) == 1 and len(docs.sections(new, "klimacheck-anhang")) == 1
    texts = docs.original_texts(new)
    assert texts.count("Anlagen") == 1
    assert sum("Prüfcode" in t for t in texts) == 0, "no stray reference line outside the section"
    original = docs.original_texts(docs.document(docs.make(docs.beschlussvorlage)))
    assert texts == original


def test_section_in_a_strict_paper_opens_in_libreoffice(lo_docx):
    """Our output for a Strict Open XML paper (Transitional) opens in LibreOffice with everything in it."""
    saved = docs.document(lo_docx["lo_strict.docx"])
    texts = [docs.text_of(p) for p in saved.iter(w("p"))]
    assert "Klimacheck" in texts
    assert any("Prüfcode" in t for t in texts)
    original = docs.original_texts(docs.document(docs.make(docs.beschlussvorlage)))
    assert [t for t in texts if t in original] == original
