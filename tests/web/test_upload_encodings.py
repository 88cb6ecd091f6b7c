"""XML encodings of an uploaded paper at the start form: an EBCDIC or UTF-32 document.xml (with an entity
declaration, or without a byte-order mark) is refused before anything is stored – the EBCDIC one used to be
stored and to fail only at insertion – while a real document with an HTML altChunk part (`<!DOCTYPE html>`,
which is not XML) is accepted and stored. On SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from impactcheck.store.models import Check, Upload
from tests.web.flows import PAPER
from tests.word import docs, hostile
from tests.word.hostile import Entry
from tests.word.test_xml_safety import document_text, with_alt_chunk


@pytest.fixture(scope="module")
def good():
    return docs.make(docs.beschlussvorlage)


def _encoded(good: bytes, declaration: str, codec: str) -> bytes:
    data = (f'<?xml version="1.0" encoding="{declaration}"?>' + document_text(good)).encode(codec)
    return hostile.raw_zip(hostile.replaced(good, x=Entry("word/document.xml", data)))


def _utf32_entity(good: bytes) -> bytes:
    poisoned = '<?xml version="1.0" encoding="UTF-32"?><!DOCTYPE w:document [<!ENTITY a "aaaa">]>'
    data = (poisoned + document_text(good)).encode("utf-32")
    return hostile.raw_zip(hostile.replaced(good, x=Entry("word/document.xml", data)))


REFUSED = {
    "ebcdic": (lambda good: _encoded(good, "IBM037", "cp037"), "EBCDIC"),
    "utf32-entity": (_utf32_entity, "UTF-32"),
    "utf32-without-bom": (lambda good: _encoded(good, "UTF-32", "utf-32-be"), "UTF-32"),
}


def started(browser, paper: bytes):
    return browser.submit(
        "/klimachecks/neu",
        {**PAPER, "ruleset": "kassel-2030", "paper": (io.BytesIO(paper), "vorlage.docx")},
        content_type="multipart/form-data",
    )


def stored(db_session, model) -> int:
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_a_paper_in_a_refused_encoding_is_not_stored(as_role, db_session, good, kind):
    build, needle = REFUSED[kind]
    response = started(as_role("author"), build(good))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Es gibt ein Problem" in html and needle in html and "word/document.xml" in html
    assert stored(db_session, Check) == 0 and stored(db_session, Upload) == 0


def test_a_paper_with_an_html_alt_chunk_is_accepted_and_stored(as_role, db_session, good):
    paper = with_alt_chunk(good)
    assert b"<!DOCTYPE html>" in docs.members(paper)["word/afchunk.htm"]
    response = started(as_role("author"), paper)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert stored(db_session, Check) == 1 and stored(db_session, Upload) == 1
    assert db_session.scalars(select(Upload)).one().content == paper  # kept as uploaded, its HTML part too
