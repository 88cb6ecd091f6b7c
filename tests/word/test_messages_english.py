"""Broken and hostile .docx files get their one sentence in English too (issue 11, point 5).

The files are built here and go through the real reading path (`check_docx`, as the upload does;
`insert_section` and `impactcheck docx insert --lang en`, as the CLI does). Each message is asserted in
English – numbers written the English way – and nothing of the German sentence may be left in it.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from impactcheck.core.answers import evaluate_submission, load_submission
from impactcheck.core.errors import InputError
from impactcheck.core.i18n import speaking, translated
from impactcheck.core.registry import resolve_ruleset
from impactcheck.word import Limits, check_docx, insert_section
from impactcheck.word.limits import MB
from tests.support import RULES, run_cli
from tests.word import docs, hostile
from tests.word.hostile import Entry

NAME = "vorlage.docx"
MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
ANSWERS = RULES / "examples" / "kassel-2030" / "parkhaus-neubau" / "schaetzt.yaml"
# What gives a German sentence away: its function words and letters, and the words of these messages.
GERMAN = re.compile(
    r"\b(?:der|die|das|und|nicht|ist|sind|ein|eine|keine|kein|mit|für|oder|von|zu|auf|bitte|Datei|Eintrag|"
    r"Einträge|beschädigt|entpackt|erlaubt|höchstens|möglicherweise|Vorlage|speichern|fehlt|Hauptdokument|"
    r"Paket|Hinweis|entfernt|Makros|Zeichenkodierung|gespeichert|Knoten|verarbeitet)\b|[„äöüÄÖÜß]",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def good() -> bytes:
    return docs.make(docs.beschlussvorlage)


def rezip(data: bytes, *, drop=(), replace=None, add=None) -> bytes:
    """The same package with members dropped, replaced or added (written by zipfile)."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for member in src.namelist():
            if member not in drop:
                dst.writestr(member, replace.get(member, src.read(member)))
        for member, blob in add.items():
            dst.writestr(member, blob)
    return out.getvalue()


def refused(data: bytes, **limits) -> tuple[str, str]:
    """(German, English) of the one line the upload's check answers `data` with."""
    with pytest.raises(InputError) as info:
        check_docx(data, name=NAME, **({"limits": Limits(**limits)} if limits else {}))
    german, english = info.value.one_line("de"), info.value.one_line("en")
    with speaking("en"):  # the language a command's --lang (or the web request) sets
        assert info.value.one_line() == english
    assert german.startswith(f"{NAME}: ") and english.startswith(f"{NAME}: ")
    assert "\n" not in english
    return german, english


def assert_english(english: str, expected: str, german: str, *, names=()) -> None:
    """`expected` said, and no German word left (the file's and members' own names aside)."""
    assert expected in english, english
    rest = english.replace(NAME, "")
    for name in names:
        rest = rest.replace(name, "")
    assert not GERMAN.findall(rest), (english, GERMAN.findall(rest))
    assert english != german


def content_types(data: bytes) -> str:
    return docs.members(data)["[Content_Types].xml"].decode()


# --- not a .docx at all ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"Sehr geehrte Damen und Herren", "not a Word file in .docx format; please save the council paper in Word"),
        (b"", "the file is empty"),
        (b"%PDF-1.7\n", "PDF file, not a .docx file; please use the Word file of the council paper"),
        (b"{\\rtf1\\ansi Hallo}", "RTF file, not a .docx file; please save it as .docx"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le") + b"\0" * 500,
            "old Word format .doc",
        ),
        (b"PK\x03\x04" + b"\0" * 200, "damaged: the ZIP archive of the .docx file cannot be read"),
    ],
    ids=["text", "empty", "pdf", "rtf", "doc", "broken-zip"],
)
def test_files_that_are_no_docx(data, expected):
    german, english = refused(data)
    assert_english(english, expected, german)


def test_a_file_too_big_says_its_size_the_english_way():
    german, english = refused(b"PK\x03\x04" + bytes(2 * MB), max_bytes=MB + MB // 2)
    assert "Datei ist 2,0 MB groß; erlaubt sind höchstens 1,5 MB" in german
    assert_english(english, "the file is 2.0 MB; at most 1.5 MB is allowed", german)


# --- hostile archives -----------------------------------------------------------------------------


def test_a_zip_bomb_by_ratio(good):
    german, english = refused(rezip(good, add={"word/media/image9.png": bytes(5 * MB)}))
    assert "möglicherweise eine ZIP-Bombe" in german
    assert_english(
        english,
        "“word/media/image9.png” unpacks to 5.0 MB, more than 200 times its size – possibly a ZIP bomb",
        german,
        names=["word/media/image9.png"],
    )


def test_a_zip_bomb_by_member_count(good):
    many = {f"customXml/x{i}.txt": b"" for i in range(1_200)}
    members = len(docs.members(good)) + len(many)
    german, english = refused(rezip(good, add=many), max_members=1_000)
    assert_english(
        english, f"too many entries in the ZIP archive ({members}, at most 1000) – possibly a ZIP bomb", german
    )


def test_a_directory_that_lies_about_the_size(good):
    document = docs.members(good)["word/document.xml"]
    entries = hostile.replaced(good, d=Entry("word/document.xml", document, size=len(document) // 2))
    german, english = refused(hostile.raw_zip(entries))
    assert_english(
        english,
        "“word/document.xml” unpacks to more than the archive's directory states – possibly a ZIP bomb",
        german,
        names=["word/document.xml"],
    )


def test_a_wrong_checksum(good):
    document = docs.members(good)["word/document.xml"]
    entries = hostile.replaced(good, d=Entry("word/document.xml", document, crc=12345))
    german, english = refused(hostile.raw_zip(entries))
    assert_english(
        english,
        "“word/document.xml” has a wrong checksum (CRC); the archive is damaged",
        german,
        names=["word/document.xml"],
    )


def test_a_member_path_outside_the_package(good):
    german, english = refused(rezip(good, add={"../../etc/evil.txt": b"x"}))
    assert "liegt außerhalb des Dokuments" in german
    assert_english(
        english,
        "the entry “../../etc/evil.txt” lies outside the document (a path with “..”, a leading “/”, a drive or “\\”);"
        " no Office program writes that, the file is not processed",
        german,
        names=["../../etc/evil.txt"],
    )


@pytest.mark.parametrize("how", ["vba-part", "docm"])
def test_macros(good, how):
    if how == "vba-part":
        data = rezip(good, add={"word/vbaProject.bin": b"\x01" * 64})
    else:
        macros = "application/vnd.ms-word.document.macroEnabled.main+xml"
        data = rezip(good, replace={"[Content_Types].xml": content_types(good).replace(MAIN, macros)})
    german, english = refused(data)
    assert "Makros könnten beim Öffnen Programmcode ausführen" in german
    assert_english(
        english,
        "the file contains macros (.docm/.dotm); macros could run program code when the file is opened, so we do "
        "not accept such files – please save it as .docx without macros",
        german,
    )


# --- broken packages and parts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("drop", "expected", "names"),
    [
        ("word/document.xml", "damaged: the main document “word/document.xml” is missing", ["word/document.xml"]),
        ("[Content_Types].xml", "not a .docx file: [Content_Types].xml is missing (a ZIP archive, but not an", []),
        ("_rels/.rels", "damaged: _rels/.rels is missing, the main document cannot be found", []),
        (
            "word/styles.xml",
            "damaged: “word/styles.xml” is missing although “word/document.xml” refers to it",
            ["word/styles.xml", "word/document.xml"],
        ),
    ],
    ids=["main-document", "content-types", "package-relationships", "dangling"],
)
def test_missing_parts(good, drop, expected, names):
    german, english = refused(rezip(good, drop=(drop,)))
    assert_english(english, expected, german, names=names)


def test_a_template_is_no_document(good):
    template = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
    data = rezip(good, replace={"[Content_Types].xml": content_types(good).replace(MAIN, template)})
    german, english = refused(data)
    assert_english(english, "document template (.dotx), not a document; please save it as .docx", german)


def test_broken_xml(good):
    german, english = refused(rezip(good, replace={"word/document.xml": "<w:document><w:body>"}))
    assert_english(english, "damaged: “word/document.xml” is not valid XML (", german, names=["word/document.xml"])


def test_a_dtd(good):
    document = docs.members(good)["word/document.xml"].decode()
    body = document.split("?>", 1)[1]
    dtd = '<?xml version="1.0"?>\n<!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa">]>\n' + body
    german, english = refused(rezip(good, replace={"word/document.xml": dtd}))
    assert_english(
        english,
        "“word/document.xml” contains a DTD or entity declaration (<!DOCTYPE/<!ENTITY); real Word files never do",
        german,
        names=["word/document.xml"],
    )


def test_an_encoding_office_does_not_allow(good):
    """The part of the sentence that names the encoding is a message of its own, translated too."""
    document = docs.members(good)["word/document.xml"].decode()
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?>' + document.split("?>", 1)[1]
    german, english = refused(rezip(good, replace={"word/document.xml": latin}))
    assert "ist in der Zeichenkodierung „ISO-8859-1“ gespeichert" in german
    assert_english(
        english,
        "“word/document.xml” is stored in the character encoding “ISO-8859-1”; only UTF-8 and UTF-16 are allowed in "
        "Word files – the file is damaged or has been altered, please save it again in Word",
        german,
        names=["word/document.xml"],
    )


def test_a_part_over_the_node_limit_says_the_limit_the_english_way(good):
    german, english = refused(good, max_xml_nodes=1_500)
    assert "mehr als 1.500 XML-Knoten" in german
    assert "more than 1,500 XML nodes" in english, english
    assert_english(english, "we do not process parts that large", german, names=re.findall(r"“([^”]+)”", english))


# --- the CLI: --lang en -----------------------------------------------------------------------------


def test_the_cli_refuses_a_broken_file_in_english(capsys, tmp_path, good):
    source = tmp_path / "vorlage.docx"
    source.write_bytes(rezip(good, add={"word/vbaProject.bin": b"\x01" * 64}))
    out = tmp_path / "out.docx"
    args = ("docx", "insert", "--rules", "kassel-2030", "--answers", ANSWERS, source, "-o", out)
    code, _, german = run_cli(capsys, *args)
    assert code == 2 and "enthält Makros" in german
    code, _, english = run_cli(capsys, *args, "--lang", "en")
    assert code == 2 and not out.exists()
    lines = english.splitlines()
    assert len(lines) == 1 and "Traceback" not in english, english
    assert "the file contains macros (.docm/.dotm)" in lines[0], lines[0]
    assert not GERMAN.findall(lines[0].replace(str(source), "")), lines[0]


def test_what_is_dropped_is_said_in_english(capsys, tmp_path, good):
    """An attached template on a server: the insertion drops it and says so, in the language asked for."""
    data = hostile.with_attached_template(good, "http://vorlagen.example.org/makros.dotm")
    expected = (
        "Note: the link to the document template “http://vorlagen.example.org/makros.dotm” was removed – Word "
        "would load it from outside the file when opening it"
    )
    with speaking("en"):
        (note,) = check_docx(data, name=NAME).notes
    assert note.startswith("Hinweis: die Verknüpfung mit der Dokumentvorlage „http://vorlagen.example.org/makros.dotm“")
    assert translated(note, "en") == expected
    source, out = tmp_path / "vorlage.docx", tmp_path / "out.docx"
    source.write_bytes(data)
    code, said, err = run_cli(
        capsys, "docx", "insert", "--rules", "kassel-2030", "--answers", ANSWERS, source, "-o", out, "--lang", "en"
    )
    assert code == 0, err
    assert f"{out}: {expected}" in said, said
    result = evaluate_submission(resolve_ruleset("kassel-2030", RULES), load_submission(ANSWERS))
    outcome = insert_section(data, result, name=NAME)
    assert [translated(n, "en") for n in outcome.notes] == [expected]
