"""The package writer: changed members new, every other member copied byte for byte."""

from __future__ import annotations

import io
import zipfile

from impactcheck.word import insert_section
from tests.word import docs


def infos(data: bytes) -> dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: i for i in zf.infolist()}


def raw(data: bytes, info: zipfile.ZipInfo) -> bytes:
    start = info.header_offset
    name_len, extra_len = (
        int.from_bytes(data[start + 26 : start + 28], "little"),
        int.from_bytes(data[start + 28 : start + 30], "little"),
    )
    begin = start + 30 + name_len + extra_len
    return data[begin : begin + info.compress_size]


def test_output_is_a_valid_zip_and_untouched_members_keep_their_compressed_bytes(negative):
    paper = docs.make(docs.beschlussvorlage)
    out = insert_section(paper, negative).docx
    with zipfile.ZipFile(io.BytesIO(out)) as zf:
        assert zf.testzip() is None
    before, after = infos(paper), infos(out)
    assert list(after)[: len(before)] == list(before), "order of members kept"
    for name in ("word/styles.xml", "word/numbering.xml", "docProps/thumbnail.jpeg", "word/theme/theme1.xml"):
        assert raw(out, after[name]) == raw(paper, before[name]), name
        assert after[name].date_time == before[name].date_time


def test_parts_no_relationship_reaches_and_archive_comments_stay(negative):
    """python-docx's own save would drop an unreferenced part; copying the archive keeps it."""
    paper = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docs.make(docs.beschlussvorlage))) as src, zipfile.ZipFile(paper, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename), compress_type=zipfile.ZIP_DEFLATED)
        dst.writestr("customXml/vorlagen-metadaten.xml", "<meta><ris>ALLRIS</ris></meta>")
        dst.comment = b"Archiv der Stadt"
    out = insert_section(paper.getvalue(), negative).docx
    docs.assert_kept(paper.getvalue(), out)
    with zipfile.ZipFile(io.BytesIO(out)) as zf:
        assert zf.read("customXml/vorlagen-metadaten.xml") == b"<meta><ris>ALLRIS</ris></meta>"
        assert zf.comment == b"Archiv der Stadt"


def test_stored_members_and_non_ascii_names_survive(negative):
    paper = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docs.make(docs.beschlussvorlage))) as src, zipfile.ZipFile(paper, "w") as dst:
        for item in src.infolist():
            dst.writestr(item.filename, src.read(item.filename), compress_type=zipfile.ZIP_STORED)
        dst.writestr("customXml/Übersicht.xml", "<ü/>")
    out = insert_section(paper.getvalue(), negative).docx
    docs.assert_kept(paper.getvalue(), out)
    assert infos(out)["word/styles.xml"].compress_type == zipfile.ZIP_STORED
    assert "customXml/Übersicht.xml" in infos(out)
