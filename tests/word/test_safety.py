"""Only real .docx files get in; everything else gets one clear German sentence."""

from __future__ import annotations

import io
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from impactcheck.core.errors import InputError
from impactcheck.word import Limits, insert_section, open_docx
from impactcheck.word.safety import MB
from tests.word import docs

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@pytest.fixture(scope="module")
def good():
    return docs.make(docs.beschlussvorlage)


def rezip(data: bytes, *, drop=(), replace=None, add=None, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """The same package with members dropped, replaced or added."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", compression) as dst:
        for name in src.namelist():
            if name not in drop:
                dst.writestr(name, replace.get(name, src.read(name)))
        for name, blob in add.items():
            dst.writestr(name, blob)
    return out.getvalue()


def refused(data, match: str, **kw) -> str:
    with pytest.raises(InputError) as info:
        insert_section(data, kw.pop("result"), name="vorlage.docx", **kw)
    message = info.value.one_line()
    assert message.startswith("vorlage.docx: ")
    assert "\n" not in message
    assert match in message, message
    return message


def content_types(data: bytes) -> str:
    return docs.members(data)["[Content_Types].xml"].decode()


def test_not_a_zip(negative):
    refused(b"Sehr geehrte Damen und Herren", "keine Word-Datei im Format .docx", result=negative)


def test_empty_file(negative):
    refused(b"", "leer", result=negative)


def test_truncated_zip(good, negative):
    refused(good[: len(good) // 2], "ZIP-Archiv der .docx-Datei ist nicht lesbar", result=negative)


def test_encrypted_docx_is_an_ole_container_with_an_encrypted_package(negative):
    # What Word writes for a password-protected .docx: a compound file with these two streams.
    data = OLE + b"\x00" * 504 + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 64
    data += "EncryptedPackage".encode("utf-16-le") + b"\x00" * 1024
    refused(data, "verschlüsselt", result=negative)


def test_legacy_doc_written_by_libreoffice(lo_legacy_doc, negative):
    assert lo_legacy_doc.startswith(OLE)
    refused(lo_legacy_doc, "altes Word-Format .doc, bitte als .docx speichern", result=negative)


def test_odt_and_rtf_and_pdf(negative):
    odt = io.BytesIO()
    with zipfile.ZipFile(odt, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", "<office:document-content/>")
    refused(odt.getvalue(), "OpenDocument-Text (.odt)", result=negative)
    refused(b"{\\rtf1\\ansi Hallo}", "RTF-Datei", result=negative)
    refused(b"%PDF-1.7\n", "PDF-Datei", result=negative)


@pytest.mark.parametrize("how", ["vba-part", "content-type", "dotm"])
def test_macros_are_refused_and_we_say_why(good, negative, how):
    types = content_types(good)
    main = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    if how == "vba-part":
        data = rezip(good, add={"word/vbaProject.bin": b"\x01" * 64})
    elif how == "content-type":
        data = rezip(good, replace={"[Content_Types].xml": types.replace(
            main, "application/vnd.ms-word.document.macroEnabled.main+xml")})  # fmt: skip
    else:
        data = rezip(good, replace={"[Content_Types].xml": types.replace(
            main, "application/vnd.ms-word.template.macroEnabledTemplate.main+xml")})  # fmt: skip
    message = refused(data, "Makros", result=negative)
    assert "Programmcode ausführen" in message


def test_template_dotx(good, negative):
    main = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    tmpl = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
    refused(rezip(good, replace={"[Content_Types].xml": content_types(good).replace(main, tmpl)}), ".dotx",
            result=negative)  # fmt: skip


def test_size_limit_default_and_configured(good, negative):
    big = rezip(good, add={"word/media/big.bin": bytes(range(256)) * (84 * 1024)}, compression=zipfile.ZIP_STORED)
    assert len(big) > 20 * MB
    refused(big, "erlaubt sind höchstens 20,0 MB", result=negative)
    refused(good, "erlaubt sind höchstens 0,0 MB", result=negative, limits=Limits(max_bytes=1000))


def test_size_limit_is_checked_before_reading_a_path(tmp_path, negative):
    path = tmp_path / "gross.docx"
    with path.open("wb") as fh:
        fh.truncate(21 * MB)  # sparse: the check must not need to read it
    with pytest.raises(InputError, match="erlaubt sind höchstens 20,0 MB"):
        insert_section(path, negative)


def test_zip_bomb_by_ratio(good, negative):
    bomb = rezip(good, add={"word/media/image9.png": b"\0" * (60 * MB)})
    assert len(bomb) < 1 * MB
    message = refused(bomb, "ZIP-Bombe", result=negative)
    assert "image9.png" in message


def test_zip_bomb_by_total_size(good, negative):
    parts = {f"word/media/n{i}.bin": bytes(range(256)) * 4096 for i in range(3)}  # 3 MB, not compressible
    refused(rezip(good, add=parts), "ZIP-Bombe", result=negative, limits=Limits(max_uncompressed=2 * MB))


def test_zip_bomb_by_member_count(good, negative):
    many = {f"customXml/x{i}.txt": b"" for i in range(5_001)}
    refused(rezip(good, add=many), "zu viele Einträge", result=negative)


DTDS = {
    "entity": '<?xml version="1.0"?>\n<!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa">]>\n',
    "external": '<?xml version="1.0"?><!-- harmless comment --><!DOCTYPE x SYSTEM "http://127.0.0.1:{port}/x.dtd">',
    "doctype-only": "<!DOCTYPE html>",
}


@pytest.mark.parametrize("kind", sorted(DTDS))
@pytest.mark.parametrize("part", ["word/document.xml", "word/styles.xml", "word/_rels/document.xml.rels"])
def test_xml_with_a_dtd_is_refused_and_nothing_is_fetched(good, negative, kind, part):
    fetched = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            fetched.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY a "x">')

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        original = docs.members(good)[part].decode()
        body = original.split("?>", 1)[1]  # without the XML declaration
        poisoned = DTDS[kind].format(port=server.server_port) + body
        refused(rezip(good, replace={part: poisoned}), "DTD oder Entity-Deklaration", result=negative)
    finally:
        server.shutdown()
    assert fetched == []


def test_dtd_in_a_utf16_part_is_found(good, negative):
    poisoned = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><x/>'
    data = rezip(good, add={"customXml/item9.xml": b"\xff\xfe" + poisoned.encode("utf-16-le")})
    refused(data, "DTD", result=negative)


@pytest.mark.parametrize(
    ("drop", "match"),
    [("word/document.xml", "Hauptdokument „word/document.xml“ fehlt"), ("[Content_Types].xml", "[Content_Types].xml")],
)
def test_missing_parts(good, negative, drop, match):
    refused(rezip(good, drop=(drop,)), match, result=negative)


def test_dangling_relationship(good, negative):
    refused(rezip(good, drop=("word/styles.xml",)), "„word/styles.xml“ fehlt", result=negative)


def test_broken_main_document_xml(good, negative):
    refused(rezip(good, replace={"word/document.xml": "<w:document><w:body>"}), "kein gültiges XML", result=negative)


def test_renamed_main_part_is_found_through_the_relationships(good, negative):
    members = docs.members(good)
    renamed = rezip(
        good,
        drop=("word/document.xml", "word/_rels/document.xml.rels"),
        replace={
            "_rels/.rels": members["_rels/.rels"].replace(b"word/document.xml", b"word/vorlage.xml"),
            "[Content_Types].xml": members["[Content_Types].xml"].replace(b"/word/document.xml", b"/word/vorlage.xml"),
        },
        add={"word/vorlage.xml": members["word/document.xml"],
             "word/_rels/vorlage.xml.rels": members["word/_rels/document.xml.rels"]},
    )  # fmt: skip
    out = insert_section(renamed, negative)
    docs.assert_kept(renamed, out.docx)
    assert set(docs.CHART_MEMBERS) <= set(docs.members(out.docx))


def test_open_docx_alone_accepts_a_good_file(good, tmp_path):
    path = tmp_path / "vorlage.docx"
    path.write_bytes(good)
    checked = open_docx(path)
    assert checked.main_part == "word/document.xml"
    assert checked.name == str(path)


def test_missing_path_and_folder(tmp_path, negative):
    with pytest.raises(InputError, match="Datei nicht gefunden"):
        insert_section(tmp_path / "fehlt.docx", negative)
    with pytest.raises(InputError, match="Ordner"):
        insert_section(tmp_path, negative)
