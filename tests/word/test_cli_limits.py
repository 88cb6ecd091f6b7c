"""`impactcheck docx insert` with hostile files: exit 2 and one line, quickly, and no output written."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zlib

import pytest

from tests.support import RULES
from tests.word import docs, hostile
from tests.word.hostile import MB, Entry

ANSWERS = RULES / "examples" / "kassel-2030" / "gasheizung-ersatz-kita/schaetzt.yaml"


@pytest.fixture(scope="module")
def good():
    return docs.make(docs.beschlussvorlage)


def insert(source, output, timeout: float = 60) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "impactcheck", "docx", "insert", "--rules", "kassel-2030", "--answers", str(ANSWERS),
         str(source), "-o", str(output)],
        capture_output=True, text=True, check=False, timeout=timeout, env=os.environ,
    )  # fmt: skip
    return proc, time.monotonic() - started


def assert_bad_input(proc: subprocess.CompletedProcess, *words: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_a_bomb_with_a_bad_crc_gives_exit_2_and_one_line(good, tmp_path):
    """The issue's file: the directory claims the real size of document.xml, the data inflates 50 MB more
    (white space after the root: still XML), the CRC is wrong. It used to end in exit 1 ("interner Fehler")."""
    document = b"".join(hostile.document_xml(hostile.word_paragraphs(200_000)))
    packed, _, _ = hostile.deflated([document, *(b" " * MB for _ in range(50))])
    bomb = Entry("word/document.xml", b"", packed=packed, crc=zlib.crc32(b"anders"), size=len(document))
    source = tmp_path / "vorlage.docx"
    source.write_bytes(hostile.raw_zip(hostile.replaced(good, x=bomb)))
    proc, _ = insert(source, tmp_path / "out.docx")
    assert_bad_input(proc, "vorlage.docx", "word/document.xml", "größer entpackt")
    assert not (tmp_path / "out.docx").exists()


def test_a_huge_document_xml_gives_exit_2_within_seconds(good, tmp_path):
    source = tmp_path / "gross.docx"
    source.write_bytes(hostile.with_document(good, hostile.repeated_paragraphs(199 * MB)))
    proc, seconds = insert(source, tmp_path / "out.docx")
    assert_bad_input(proc, "gross.docx", "word/document.xml")
    assert seconds < 15, seconds


def test_utf32_without_a_byte_order_mark_does_not_hang(good, tmp_path):
    """The file that kept `docx insert` busy for minutes: refused at once."""
    text = docs.members(good)["word/document.xml"].decode()
    data = ('<?xml version="1.0" encoding="UTF-32"?>' + text[text.index("?>") + 2 :]).encode("utf-32-le")
    source = tmp_path / "utf32.docx"
    source.write_bytes(hostile.raw_zip(hostile.replaced(good, x=Entry("word/document.xml", data))))
    proc, seconds = insert(source, tmp_path / "out.docx", timeout=30)
    assert_bad_input(proc, "utf32.docx", "UTF-32")
    assert seconds < 10, seconds


def test_what_is_dropped_is_said_on_success(good, tmp_path):
    source = tmp_path / "vorlage.docx"
    source.write_bytes(hostile.with_attached_template(good, "http://vorlagen.example.org/makros.dotm"))
    out = tmp_path / "out.docx"
    proc, _ = insert(source, out)
    assert proc.returncode == 0, proc.stderr
    assert f"{out}: Hinweis: die Verknüpfung mit der Dokumentvorlage „http://vorlagen.example.org/makros.dotm“" in (
        proc.stdout
    )
    assert b"attachedTemplate" not in docs.members(out.read_bytes())["word/settings.xml"]
