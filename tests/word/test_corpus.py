"""Every .docx of the shared corpus (Word, LibreOffice, Google Docs, Pages, pandoc … output, and some broken
files): either the section goes in – exactly once, also after a second run, with nothing of the original
lost – or the file is refused with one clear German sentence. Nothing crashes.

The counts are the last line of the pytest run (see tests/conftest.py: the workers hand their counts to the controller).
"""

from __future__ import annotations

import pytest

from impactcheck.core.errors import InputError
from impactcheck.word import insert_section
from tests.support import CORPUS, require_corpus
from tests.word import docs

FILES = sorted(CORPUS.glob("*/*.docx")) if CORPUS.is_dir() else []
# The files we refuse, and why; any other refusal is a regression.
REFUSED = {
    "tests_resources_imagedata_without_rid.docx": "Datei ist leer",
    "tests_resources_nested_paragraphs_in_header3b.docx": "„word/media/image16.png“ fehlt",
}
TALLY = {"inserted": 0, "rejected": 0, "crashed": 0}


def test_corpus_is_there():
    corpus = require_corpus()
    assert len(list(corpus.glob("*/*.docx"))) >= 200


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_corpus_file(path, negative):
    outcome = "crashed"
    try:
        try:
            first = insert_section(path, negative)
        except InputError as exc:
            message = exc.one_line()
            assert path.name in REFUSED, f"refused a file we should take: {message}"
            assert message.startswith(f"{path}: ") and REFUSED[path.name] in message, message
            outcome = "rejected"
            return
        assert path.name not in REFUSED, "took a file we expected to refuse"
        original = path.read_bytes()
        docs.assert_kept(original, first.docx)
        second = insert_section(first.docx, negative, chart=False)
        assert second.anchor_kind == "content_control"
        docs.assert_kept(original, second.docx)
        outcome = "inserted"
    finally:
        TALLY[outcome] += 1
