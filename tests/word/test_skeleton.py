"""The skeleton (the main document held as a tree only where the insertion may look) writes the document
back as the whole tree would: for every document of the corpus and for generated ones, the same XML."""

from __future__ import annotations

import zipfile

import pytest
from lxml import etree

from impactcheck.word import ooxml
from impactcheck.word.limits import Clock, Limits
from impactcheck.word.skeleton import Skeleton
from impactcheck.word.styles import StyleSheet
from tests.support import CORPUS, require_corpus
from tests.word import docs, hostile


def _transitional_documents() -> list:
    """The corpus files with a readable Transitional main document (the others are refused before any of
    this; test_corpus says why)."""
    found = []
    for path in sorted(CORPUS.glob("*/*.docx")) if CORPUS.is_dir() else []:
        try:
            main = zipfile.ZipFile(path).read("word/document.xml")
            ooxml.parse(main)
        except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError):
            continue
        if b"purl.oclc.org/ooxml/wordprocessingml" not in main[:4096]:
            found.append(path)
    return found


FILES = _transitional_documents()


def same_xml(a: etree._Element, b: etree._Element) -> bool:
    """Equal as namespace-aware XML: names with their namespaces, attributes, texts, in order (prefixes and
    repeated namespace declarations aside)."""
    if (a.tag, dict(a.attrib), a.text or "", a.tail or "") != (b.tag, dict(b.attrib), b.text or "", b.tail or ""):
        return False
    return len(a) == len(b) and all(same_xml(x, y) for x, y in zip(a, b, strict=True))


def skeleton_of(main: bytes, styles: bytes | None, chunk: int) -> Skeleton:
    sheet = StyleSheet(ooxml.parse(styles) if styles else None)
    chunks = [main[i : i + chunk] for i in range(0, len(main), chunk)]
    return Skeleton(sheet, [], Limits(), "word/document.xml", "test", keep_text=True).read(chunks, Clock(30, "t"))


def assert_round_trip(main: bytes, styles: bytes | None) -> Skeleton:
    whole = ooxml.parse(main)
    for chunk in (997, 64 * 1024):  # chunk ends everywhere: inside tags, texts, between blocks
        skeleton = skeleton_of(main, styles, chunk)
        written = b"".join(skeleton.serialized())
        assert same_xml(etree.fromstring(written), whole)
    return skeleton


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_corpus_documents_are_written_back_as_they_were(path):
    zf = zipfile.ZipFile(path)
    main = zf.read("word/document.xml")
    styles = zf.read("word/styles.xml") if "word/styles.xml" in zf.namelist() else None
    assert_round_trip(main, styles)


def test_the_corpus_is_there():
    require_corpus()
    assert len(FILES) >= 200


def test_a_long_paper_is_mostly_text_and_only_its_headings_a_tree():
    good = docs.make(docs.beschlussvorlage)
    main = b"".join(hostile.document_xml(hostile.word_paragraphs(2 * hostile.MB)))
    skeleton = assert_round_trip(main, docs.members(good)["word/styles.xml"])
    tree = etree.tostring(skeleton.root)
    assert len(tree) < len(main) / 20, "bold words in running text do not make a paragraph a title"
    assert b"Finanzielle Auswirkungen" in tree
