"""Strict Open XML (ISO/IEC 29500 Strict) is read as Transitional: the section goes in, nothing of the
original is lost, the output is Transitional and python-docx reads every value of it; the safety checks
hold for Strict files as for any other."""

from __future__ import annotations

import io
import subprocess
import sys
import time
import zipfile

import docx
import pytest
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.shared import Cm, Pt
from lxml import etree

from impactcheck.core.errors import InputError
from impactcheck.word import Limits, check_docx, insert_section, strict
from impactcheck.word.limits import MB, Clock
from tests.support import RULES
from tests.word import docs, hostile, strictdocs

S = "http://purl.oclc.org/ooxml/"
SW = f'xmlns:w="{S}wordprocessingml/main"'
ANSWERS = RULES / "examples" / "kassel-2030" / "gasheizung-ersatz-kita" / "schaetzt.yaml"


def _extras(d: docx.document.Document) -> None:
    """What carries the values Strict writes differently: measures, percentages, sides, alignments."""
    p = d.add_paragraph("Kosten & Nutzen <brutto>, „zitiert“ – eingerückt und zentriert.")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.left_indent, p.paragraph_format.right_indent = Cm(1.25), Cm(0.5)
    p.paragraph_format.first_line_indent = Cm(-0.63)
    p.paragraph_format.space_before, p.paragraph_format.line_spacing = Pt(6), 1.15
    right = d.add_paragraph("Rechtsbündig\tmit Tabulator.")
    right.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    right.paragraph_format.tab_stops.add_tab_stop(Cm(15), WD_TAB_ALIGNMENT.RIGHT)
    table = d.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.RIGHT
    for row, texts in zip(table.rows, (("Maßnahme", "Kosten"), ("Heizung", "180.000 €")), strict=True):
        for cell, text in zip(row.cells, texts, strict=True):
            cell.text = text
            cell.width = Cm(4.5) if text in ("Maßnahme", "Heizung") else Cm(7.25)
    tbl_pr = table._tbl.tblPr
    width = tbl_pr.find(docs.w("tblW"))
    width.set(docs.w("w"), "2500")
    width.set(docs.w("type"), "pct")
    tbl_pr.find(docs.w("tblLook")).addprevious(
        etree.fromstring(
            f'<w:tblCellMar {docs.WNS}><w:left w:w="113" w:type="dxa"/><w:right w:w="113" w:type="dxa"/></w:tblCellMar>'
        )
    )
    table.cell(0, 0)._tc.get_or_add_tcPr().append(etree.fromstring(f'<w:textDirection {docs.WNS} w:val="btLr"/>'))
    d.add_picture(io.BytesIO(strictdocs.png()), width=Cm(3))
    d.add_paragraph().add_run("Groß geschrieben").font.size = Pt(14)


@pytest.fixture(scope="module")
def paper() -> bytes:
    """A Transitional council paper (python-docx) with the values Strict writes differently."""
    return docs.make(lambda d: docs.beschlussvorlage(d, extra=_extras))


@pytest.fixture(scope="module")
def strict_paper(paper) -> bytes:
    return strictdocs.to_strict(paper)


def c14n(blob: bytes) -> bytes:
    return etree.tostring(etree.fromstring(blob), method="c14n")


def convert(xml: str | bytes, member: str = "word/document.xml") -> bytes:
    """One part through the converter, fed in pieces of 7 bytes (boundaries everywhere)."""
    data = xml.encode() if isinstance(xml, str) else xml
    pieces = [data[i : i + 7] for i in range(0, len(data), 7)]
    return b"".join(strict.convert(pieces, member, "vorlage.docx", Clock(30, "vorlage.docx")))


# --- whole documents ---------------------------------------------------------------------------


def test_premise_the_test_paper_is_strict(strict_paper):
    main = docs.members(strict_paper)["word/document.xml"]
    assert docs.is_strict(strict_paper)
    assert b'w:conformance="strict"' in main and b"schemas.openxmlformats.org/wordprocessingml" not in main
    assert b'w:w="612pt"' in main and b'w:val="start"' not in main and b'w:start="' in main
    assert b'w:w="50%"' in main and b'w:val="end"' in main and b'w:val="lr"' in main


def test_strict_paper_gets_the_section_and_keeps_everything(strict_paper, negative):
    out = insert_section(strict_paper, negative)
    assert out.anchor_kind == "heading"
    assert out.notes == (strict.NOTE,)
    docs.assert_kept(strict_paper, out.docx)
    assert not docs.is_strict(out.docx)
    assert "Klimacheck" in docs.section_text(out.docx)
    section = docs.sections(docs.document(out.docx))[0]
    assert docs.preceding_text(section) == "Produkt 11.02.01, Investitionsnummer I-4711."
    again = insert_section(out.docx, negative)
    assert again.anchor_kind == "content_control" and again.notes == ()
    docs.assert_kept(strict_paper, again.docx)


def test_python_docx_reads_the_values_as_in_the_transitional_original(paper, strict_paper, negative):
    before = docx.Document(io.BytesIO(paper))
    after = docx.Document(io.BytesIO(insert_section(strict_paper, negative, chart=False).docx))
    a, b = before.sections[0], after.sections[0]
    assert (b.page_width, b.page_height, b.left_margin, b.top_margin) == (
        a.page_width, a.page_height, a.left_margin, a.top_margin,
    )  # fmt: skip

    def look(p):
        f = p.paragraph_format
        tabs = [(t.position, t.alignment) for t in f.tab_stops]
        return p.text, p.alignment, f.left_indent, f.right_indent, f.first_line_indent, f.space_before, tabs

    assert [look(p) for p in after.paragraphs] == [look(p) for p in before.paragraphs]  # the section: a w:sdt
    widths = [[c.width for c in row.cells] for row in before.tables[0].rows]
    assert [[c.width for c in row.cells] for row in after.tables[0].rows] == widths
    assert after.tables[0].alignment == WD_TABLE_ALIGNMENT.RIGHT
    shape_before, shape_after = before.inline_shapes[0], after.inline_shapes[0]
    assert (shape_after.width, shape_after.height) == (shape_before.width, shape_before.height)
    big = next(p for p in after.paragraphs if p.text == "Groß geschrieben")
    assert big.runs[0].font.size == Pt(14)


def test_every_part_comes_back_as_it_was_before_strict(paper, strict_paper):
    """Strict made by the test's own tables, read back by ours: the Transitional original, part for part."""
    checked = check_docx(strict_paper, name="vorlage.docx")
    assert checked.notes == [strict.NOTE]
    original, back = docs.members(paper), docs.members(checked.data)
    assert sorted(original) == sorted(back)
    for name, blob in original.items():
        if name.endswith((".xml", ".rels")):
            assert c14n(back[name]) == c14n(blob), name
        else:
            assert back[name] == blob, name


def test_corpus_strict_files_have_no_strict_name_left(negative):
    from tests.support import require_corpus

    corpus = require_corpus()
    for path in (corpus / "docx2python/tests_resources_strict.docx", corpus / "pandoc/test_command_7691.docx"):
        out = insert_section(path, negative)
        for name, blob in docs.members(out.docx).items():
            assert S.encode() not in blob, name
            assert b"conformance" not in blob, name
        document = docx.Document(io.BytesIO(out.docx))
        assert document.sections[0].page_width == Pt(612)
        for table in document.tables:
            assert all(c.width is not None for row in table.rows for c in row.cells)


def test_large_strict_document_is_converted_in_pieces(paper, negative):
    body = hostile.word_paragraphs(8 * MB)
    big = strictdocs.to_strict(hostile.with_document(paper, body))
    started = time.monotonic()
    out = insert_section(big, negative, chart=False)
    assert time.monotonic() - started < 25
    assert not docs.is_strict(out.docx) and len(docs.sections(docs.document(out.docx))) == 1


def test_cli_inserts_into_a_strict_paper(strict_paper, tmp_path):
    source, target = tmp_path / "strict.docx", tmp_path / "out.docx"
    source.write_bytes(strict_paper)
    proc = subprocess.run(
        [sys.executable, "-m", "impactcheck", "docx", "insert", "--rules", "kassel-2030", "--answers", str(ANSWERS),
         str(source), "-o", str(target)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Strict Open XML" in proc.stdout and "Prüfcode" in proc.stdout
    docs.assert_kept(strict_paper, target.read_bytes())


# --- the safety checks hold for Strict files ------------------------------------------------------


def _replace(data: bytes, name: str, blob: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, blob if info.filename == name else src.read(info))
    return out.getvalue()


@pytest.mark.parametrize("part", ["word/document.xml", "word/styles.xml", "docProps/app.xml"])
def test_dtd_in_a_strict_part_is_refused(strict_paper, negative, part):
    body = docs.members(strict_paper)[part].split(b"?>", 1)[1]
    poisoned = _replace(strict_paper, part, b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + body)
    with pytest.raises(InputError, match="DTD oder Entity-Deklaration"):
        insert_section(poisoned, negative, name="vorlage.docx")


def test_broken_strict_part_is_refused(strict_paper, negative):
    broken = _replace(strict_paper, "word/styles.xml", b'<w:styles xmlns:w="' + S.encode() + b'wordprocessingml/main">')
    with pytest.raises(InputError, match=r"„word/styles\.xml“ ist kein gültiges XML"):
        insert_section(broken, negative, name="vorlage.docx")


def test_strict_limits_hold_while_converting(strict_paper, negative):
    with pytest.raises(InputError, match="ZIP-Bombe"):
        insert_section(strict_paper, negative, limits=Limits(max_uncompressed=20_000))
    with pytest.raises(InputError, match="XML-Knoten"):
        insert_section(strict_paper, negative, limits=Limits(max_xml_nodes=500))
    with pytest.raises(InputError, match="Sekunden"):
        insert_section(strict_paper, negative, limits=Limits(max_seconds=0))


# --- the converter, part by part ------------------------------------------------------------------


def test_markup_is_kept_exactly():
    source = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<!-- vorher --><?vorher x?>'
        f'<w:document {SW} xmlns:r="{S}officeDocument/relationships" xmlns:mc="http://schemas.openxmlformats.org/'
        'markup-compatibility/2006" xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" '
        'mc:Ignorable="w14"><w:body><!-- a comment --><w:p w14:paraId="1A2B3C4D"><w:r><w:t xml:space="preserve">'
        " A &amp; B &lt;c&gt; ] ]]&gt; </w:t></w:r><w:r><w:t><![CDATA[<nicht> & markup]]></w:t></w:r>"
        '<?mso-application progid="Word"?>text <w:bookmarkStart w:id="0" w:name="a&quot;b&#9;c&#10;d"/>tail'
        f'<x:own xmlns:x="urn:example" xmlns="urn:default" x:a="1"><inner r:id="rId1">ü€😀</inner></x:own>'
        '<w:hyperlink r:id="rId2"/></w:p><w:sectPr/></w:body></w:document>'
    )
    expected = source.replace(f"{S}wordprocessingml/main", docs.W).replace(
        f"{S}officeDocument/relationships", docs.NS["r"]
    )
    out = convert(source)
    assert out.startswith(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')
    assert c14n(out) == c14n(expected.encode())
    assert b"<!-- vorher -->" in out and b"<?vorher x?>" in out


def test_utf16_part_is_read_and_written_as_utf8():
    source = f'<?xml version="1.0" encoding="UTF-16"?><w:document {SW}><w:body><w:p><w:r><w:t>Grüße</w:t>'
    source += "</w:r></w:p></w:body></w:document>"
    out = convert(b"\xff\xfe" + source.encode("utf-16-le"))
    assert etree.fromstring(out).findtext(f".//{docs.w('t')}") == "Grüße"


VALUES = [
    # (Strict element, local name of the Transitional element, its attributes)
    ('<w:pgSz w:w="612pt" w:h="11in"/>', "pgSz", {"w": "12240", "h": "15840"}),
    ('<w:pgMar w:top="2.5cm" w:left="25mm" w:header="1pc" w:gutter="0pt"/>', "pgMar",
     {"top": "1417", "left": "1417", "header": "240", "gutter": "0"}),
    ('<w:ind w:start="36pt" w:end="1cm" w:hanging="18pt" w:startChars="100"/>', "ind",
     {"left": "720", "right": "567", "hanging": "360", "leftChars": "100"}),
    ('<w:ind w:start="10pt" w:left="300"/>', "ind", {"left": "300"}),
    ('<w:spacing w:before="6pt" w:after="0pt" w:line="12.95pt" w:lineRule="auto"/>', "spacing",
     {"before": "120", "after": "0", "line": "259", "lineRule": "auto"}),
    ('<w:tblW w:w="50%" w:type="pct"/>', "tblW", {"w": "2500", "type": "pct"}),
    ('<w:tcW w:w="233.75pt" w:type="dxa"/>', "tcW", {"w": "4675", "type": "dxa"}),
    ('<w:tblInd w:w="-5.4pt" w:type="dxa"/>', "tblInd", {"w": "-108", "type": "dxa"}),
    ('<w:tab w:val="end" w:pos="15cm"/>', "tab", {"val": "right", "pos": "8504"}),
    ('<w:jc w:val="start"/>', "jc", {"val": "left"}),
    ('<w:jc w:val="both"/>', "jc", {"val": "both"}),
    ('<w:lvlJc w:val="end"/>', "lvlJc", {"val": "right"}),
    ('<w:textDirection w:val="lr"/>', "textDirection", {"val": "btLr"}),
    ('<w:textDirection w:val="tbV"/>', "textDirection", {"val": "lrTbV"}),
    ('<w:sz w:val="10.5pt"/>', "sz", {"val": "21"}),
    ('<w:sz w:val="24"/>', "sz", {"val": "24"}),
    ('<w:position w:val="-3pt"/>', "position", {"val": "-6"}),
    ('<w:zoom w:percent="100%"/>', "zoom", {"percent": "100"}),
    ('<w:w w:val="90%"/>', "w", {"val": "90"}),
    ('<w:defaultTabStop w:val="36pt"/>', "defaultTabStop", {"val": "720"}),
    ('<w:pStyle w:val="12pt"/>', "pStyle", {"val": "12pt"}),  # an id that looks like a measure
    ('<w:bookmarkStart w:id="1" w:name="50%"/>', "bookmarkStart", {"id": "1", "name": "50%"}),
    ('<w:onOff w:val="true"/>', "onOff", {"val": "true"}),
]  # fmt: skip


@pytest.mark.parametrize(("strict_xml", "local", "expected"), VALUES, ids=[v[0] for v in VALUES])
def test_values_become_transitional(strict_xml, local, expected):
    out = etree.fromstring(convert(f"<w:body {SW}>{strict_xml}</w:body>"))
    node = out[0]
    assert node.tag == docs.w(local)
    assert {etree.QName(k).localname: v for k, v in node.attrib.items()} == expected


def test_sides_are_renamed_only_where_they_are_sides():
    out = etree.fromstring(
        convert(
            f"<w:document {SW} w:conformance='strict'><w:tblBorders><w:top w:val='single'/><w:start w:val='single' "
            "w:sz='4' w:space='0'/><w:end w:val='nil'/></w:tblBorders><w:tcMar><w:start w:w='0.2in' w:type='dxa'/>"
            "</w:tcMar><w:lvl w:ilvl='0'><w:start w:val='3'/></w:lvl></w:document>"
        )
    )
    assert out.get(docs.w("conformance")) is None
    borders, margins, level = out
    assert [etree.QName(c).localname for c in borders] == ["top", "left", "right"]
    assert borders[1].get(docs.w("sz")) == "4" and borders[1].get(docs.w("space")) == "0"
    assert margins[0].tag == docs.w("left") and margins[0].get(docs.w("w")) == "288"
    assert level[0].tag == docs.w("start") and level[0].get(docs.w("val")) == "3"


def test_math_and_drawing_values():
    source = (
        f'<w:body {SW} xmlns:m="{S}officeDocument/math" xmlns:a="{S}drawingml/main" '
        f'xmlns:wp="{S}drawingml/wordprocessingDrawing" xmlns:c="{S}drawingml/chart">'
        '<m:wrapIndent m:val="1in"/><m:brkBinSub m:val="--"/><m:mathFont m:val="Cambria Math"/>'
        '<wp:extent cx="1in" cy="914400"/><wp:docPr id="1" name="50%" descr="5cm"/>'
        f'<a:graphicData uri="{S}drawingml/picture"/><a:lumMod val="75%"/><a:gs pos="12.5%"/>'
        '<a:off x="-1cm" y="0"/><a:rPr kern="12pt" spc="-1.5pt" baseline="30%" sz="1100"/>'
        '<c:holeSize val="50%"/><c:gapWidth val="150%"/></w:body>'
    )
    out = etree.fromstring(convert(source))
    values = [dict(el.attrib) for el in out]
    assert [list(v.values()) for v in values] == [
        ["1440"], ["--"], ["Cambria Math"],
        ["914400", "914400"], ["1", "50%", "5cm"],
        ["http://schemas.openxmlformats.org/drawingml/2006/picture"], ["75000"], ["12500"],
        ["-360000", "0"], ["1200", "-150", "30000", "1100"],
        ["50"], ["150"],
    ]  # fmt: skip
    assert etree.QName(out[0]).namespace == "http://schemas.openxmlformats.org/officeDocument/2006/math"


def test_data_binding_prefix_mappings_are_mapped():
    out = convert(
        f"<w:dataBinding {SW} w:prefixMappings=\"xmlns:ns0='{S}officeDocument/extendedProperties' "
        "xmlns:ns1='urn:own'\" w:xpath='/ns0:Properties[1]/ns0:Company[1]'/>"
    )
    mappings = etree.fromstring(out).get(docs.w("prefixMappings"))
    assert mappings == (
        "xmlns:ns0='http://schemas.openxmlformats.org/officeDocument/2006/extended-properties' xmlns:ns1='urn:own'"
    )


def test_relationship_types():
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{S}officeDocument/relationships/officeDocument" Target="word/document.xml"/>'
        f'<Relationship Id="rId2" Type="{S}officeDocument/relationships/extendedProperties" Target="docProps/app.xml"/>'
        '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
        'core-properties" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId4" Type="{S}officeDocument/relationships/hyperlink" Target="https://example.org/?a=1&amp;b=2"'
        ' TargetMode="External"/>'
        '<Relationship Id="rId5" Type="http://schemas.microsoft.com/office/2011/relationships/people" Target="p.xml"/>'
        "</Relationships>"
    )
    out = etree.fromstring(convert(rels, "_rels/.rels"))
    assert [(r.get("Type").rsplit("/", 1)[-1], r.get("Target")) for r in out] == [
        ("officeDocument", "word/document.xml"),
        ("extended-properties", "docProps/app.xml"),
        ("core-properties", "docProps/core.xml"),
        ("hyperlink", "https://example.org/?a=1&b=2"),
        ("people", "p.xml"),
    ]
    assert all(S not in r.get("Type") for r in out)
    assert out[0].get("Type") == "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
