"""XML parts are read as a parser reads them: encoding by byte-order mark and declaration, DTDs by the parser.

Each hostile part is refused by `check_docx` (the upload check) with a sentence naming the part and what is
wrong; HTML that is not XML (an altChunk part) is not mistaken for XML with a DTD.
"""

from __future__ import annotations

import time

import docx
import pytest

from impactcheck.core.errors import InputError
from impactcheck.word import Limits, check_docx, insert_section
from tests.word import docs, hostile
from tests.word.hostile import Entry

NAME = "vorlage.docx"


@pytest.fixture(scope="module")
def good():
    return docs.make(docs.beschlussvorlage)


def document_text(good: bytes) -> str:
    """word/document.xml without its XML declaration."""
    text = docs.members(good)["word/document.xml"].decode("utf-8")
    assert text.startswith("<?xml ")
    return text[text.index("?>") + 2 :]


def with_part(good: bytes, member: str, data: bytes) -> bytes:
    return hostile.raw_zip(hostile.replaced(good, x=Entry(member, data)))


def refused(data: bytes, *words: str) -> str:
    started = time.monotonic()
    with pytest.raises(InputError) as info:
        check_docx(data, name=NAME)
    assert time.monotonic() - started < 5
    message = info.value.one_line()
    assert message.startswith(f"{NAME}: ") and "\n" not in message, message
    for word in words:
        assert word in message, message
    return message


def test_utf16_is_read_and_utf32_refused(good, negative):
    body = document_text(good)
    utf16 = with_part(good, "word/document.xml", ('<?xml version="1.0" encoding="UTF-16"?>' + body).encode("utf-16"))
    out = insert_section(utf16, negative)
    assert docs.original_texts(docs.document(utf16)) == docs.original_texts(docs.document(out.docx))
    utf32 = with_part(good, "word/document.xml", ('<?xml version="1.0" encoding="UTF-32"?>' + body).encode("utf-32"))
    refused(utf32, "„word/document.xml“", "UTF-32", "nur UTF-8 und UTF-16")


def test_utf32_with_an_entity_declaration_is_refused(good):
    """The issue's file: it passed the old DTD check and gave a corrupt output document."""
    poisoned = '<?xml version="1.0" encoding="UTF-32"?><!DOCTYPE w:document [<!ENTITY a "aaaa">]>'
    refused(with_part(good, "word/document.xml", (poisoned + document_text(good)).encode("utf-32")), "UTF-32")


@pytest.mark.parametrize("codec", ["utf-32-le", "utf-32-be"])
def test_utf32_without_byte_order_mark_declaring_its_encoding_is_refused_at_once(good, codec):
    """The file that made `docx insert` hang: no BOM, but the declaration says UTF-32."""
    data = ('<?xml version="1.0" encoding="UTF-32"?>' + document_text(good)).encode(codec)
    refused(with_part(good, "word/document.xml", data), "UTF-32")


def test_ebcdic_is_refused_at_the_check(good):
    """An EBCDIC part used to be stored and to fail only at insertion."""
    data = ('<?xml version="1.0" encoding="IBM037"?>' + document_text(good)).encode("cp037")
    refused(with_part(good, "word/document.xml", data), "EBCDIC", "IBM037")


def test_an_8_bit_code_page_is_refused(good):
    data = ('<?xml version="1.0" encoding="ISO-8859-1"?>' + document_text(good)).encode("latin-1")
    refused(with_part(good, "word/document.xml", data), "ISO-8859-1", "nur UTF-8 und UTF-16")


def test_a_declaration_that_contradicts_the_bytes_is_refused(good):
    data = ('<?xml version="1.0" encoding="UTF-16"?>' + document_text(good)).encode("utf-8")
    refused(with_part(good, "word/document.xml", data), "gibt die Zeichenkodierung UTF-16 an")


@pytest.mark.parametrize("member", ["docProps/core.xml", "word/styles.xml", "word/_rels/document.xml.rels"])
def test_undecodable_bytes_are_refused(good, member):
    text = docs.members(good)[member]
    bad = text.replace(b"?>", b"?><!-- \xff\xfe -->", 1)
    refused(with_part(good, member, bad), member, "keine gültigen Zeichen")


def test_a_part_we_only_copy_must_be_well_formed_xml_too(good):
    refused(
        with_part(good, "docProps/app.xml", b"<Properties><Pages>1</Properties>"),
        "docProps/app.xml",
        "kein gültiges XML",
    )


def test_a_dtd_in_a_part_that_is_not_xml_by_its_name_but_by_its_content_type(good):
    """Content types decide what is XML; a DTD in an XML part named .dat is still found by the parser."""
    types = docs.members(good)["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/customXml/item9.dat" ContentType="application/xml"/></Types>'
    )
    poisoned = b'<?xml version="1.0" encoding="UTF-32"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'.decode().encode(
        "utf-32"
    )
    data = hostile.raw_zip(
        [*hostile.replaced(good, t=Entry("[Content_Types].xml", types)), Entry("customXml/item9.dat", poisoned)]
    )
    refused(data, "customXml/item9.dat")


def test_a_style_sheet_whose_content_type_says_it_is_not_xml_is_still_checked_as_xml(good):
    """The insertion reads the styles part as a tree, so it is checked as XML whatever [Content_Types].xml says."""
    styles = "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"
    types = docs.members(good)["[Content_Types].xml"].replace(styles.encode(), b"application/octet-stream")
    poisoned = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><w:styles xmlns:w="' + docs.W.encode() + b'"/>'
    data = hostile.raw_zip(
        hostile.replaced(good, t=Entry("[Content_Types].xml", types), s=Entry("word/styles.xml", poisoned))
    )
    refused(data, "„word/styles.xml“", "DTD")
    many = b'<w:styles xmlns:w="' + docs.W.encode() + b'">' + b'<w:style w:styleId="S"/>' * 40_000 + b"</w:styles>"
    data = hostile.raw_zip(
        hostile.replaced(good, t=Entry("[Content_Types].xml", types), s=Entry("word/styles.xml", many))
    )
    with pytest.raises(InputError, match="zu umfangreich"):
        check_docx(data, name=NAME, limits=Limits(max_tree_nodes=30_000))


# --- an HTML altChunk: not XML, so its <!DOCTYPE html> is no DTD ----------------------------------------

ALT_CHUNK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/aFChunk"
HTML = (
    '<!DOCTYPE html>\r\n<html><head><meta charset="utf-8"><title>Tabelle</title></head><body>'
    "<table><tr><td>Kosten</td><td>180.000 €</td></tr></table></body></html>"
).encode()


def with_alt_chunk(good: bytes) -> bytes:
    """An altChunk as Word and the Open XML SDK write it: w:altChunk in the body, an aFChunk relationship to
    word/afchunk.htm, whose content type is text/html."""
    members = docs.members(good)
    document = members["word/document.xml"].replace(b"<w:sectPr", b'<w:altChunk r:id="rIdAltChunk1"/><w:sectPr', 1)
    rels = members["word/_rels/document.xml.rels"].replace(
        b"</Relationships>",
        f'<Relationship Id="rIdAltChunk1" Type="{ALT_CHUNK}" Target="afchunk.htm"/></Relationships>'.encode(),
    )
    types = members["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/word/afchunk.htm" ContentType="text/html"/></Types>'
    )
    entries = hostile.replaced(
        good,
        d=Entry("word/document.xml", document),
        r=Entry("word/_rels/document.xml.rels", rels),
        t=Entry("[Content_Types].xml", types),
    )
    return hostile.raw_zip([*entries, Entry("word/afchunk.htm", HTML)])


def test_an_html_alt_chunk_is_accepted_and_kept(good, negative):
    paper = with_alt_chunk(good)
    docx.Document(__import__("io").BytesIO(paper))  # python-docx opens it: a real document
    check_docx(paper, name=NAME)
    out = insert_section(paper, negative, name=NAME)
    docs.assert_kept(paper, out.docx)
    assert docs.members(out.docx)["word/afchunk.htm"] == HTML
    assert b'<w:altChunk r:id="rIdAltChunk1"/>' in docs.members(out.docx)["word/document.xml"]
