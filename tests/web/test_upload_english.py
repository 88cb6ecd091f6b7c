"""An English-speaking author uploading a broken or hostile .docx reads why in English (issue 11, point 5):
by the browser's Accept-Language, and by the account's language setting. Nothing is stored."""

from __future__ import annotations

import io
import re
import zipfile

import docx
from sqlalchemy import select

from impactcheck.store.models import Check
from tests.web.flows import PAPER

EN = {"Accept-Language": "en-US,en;q=0.9"}
DE = {"Accept-Language": "de-DE,de;q=0.9"}
MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
MACROS = (
    "the file contains macros (.docm/.dotm); macros could run program code when the file is opened, so we do "
    "not accept such files – please save it as .docx without macros"
)


def paper() -> bytes:
    d = docx.Document()
    d.add_heading("Beschlussvorlage 101.26.0601", level=1)
    d.add_heading("Finanzielle Auswirkungen", level=2)
    d.add_paragraph("Kosten: 120.000 € im Haushalt 2027.")
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def member(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(name)


def rezip(data: bytes, *, replace=None, add=None) -> bytes:
    """The same package with members replaced or added."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            dst.writestr(name, replace.get(name, src.read(name)))
        for name, blob in add.items():
            dst.writestr(name, blob)
    return out.getvalue()


def docm() -> bytes:
    """A .docm in disguise: the main part declared macro-enabled."""
    good = paper()
    types = member(good, "[Content_Types].xml").decode()
    macros = "application/vnd.ms-word.document.macroEnabled.main+xml"
    return rezip(good, replace={"[Content_Types].xml": types.replace(MAIN, macros)})


def upload(b, content: bytes, name: str, headers: dict):
    return b.submit(
        "/klimachecks/neu",
        {**PAPER, "ruleset": "kassel-2030", "paper": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        headers=headers,
    )


def error_text(html: str) -> str:
    """The visible text of the page's error messages."""
    found = re.findall(r'class="[^"]*error-message[^"]*"[^>]*>(.*?)</', html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", f) for f in found)


def test_a_broken_upload_is_explained_in_the_browsers_language(as_role, db_session):
    b = as_role("author")
    before = db_session.scalar(select(Check.id).order_by(Check.id.desc()).limit(1))
    cases = [
        (docm(), "vorlage.docm", MACROS, "enthält Makros"),
        (
            b"Das ist kein Word.",
            "x.docx",
            "not a Word file in .docx format; please save the council paper in Word as .docx",
            "keine Word-Datei",
        ),
        (
            rezip(paper(), add={"../../evil.txt": b"x"}),
            "pfad.docx",
            "the entry “../../evil.txt” lies outside the document",
            "außerhalb des Dokuments",
        ),
    ]
    for content, name, english, german in cases:
        response = upload(b, content, name, EN)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert f"{name}: {english}" in html, error_text(html) or html[:2000]
        assert german not in html
        assert 'value="101.26.0601"' in html  # what was typed stays
        # The same upload from a German browser: the German sentence, as always.
        html = upload(b, content, name, DE).get_data(as_text=True)
        assert german in html and english not in html
    assert db_session.scalar(select(Check.id).order_by(Check.id.desc()).limit(1)) == before


def test_the_accounts_language_decides_for_the_message(as_role):
    b = as_role("author")
    assert b.submit("/konto", {"locale": "en"}, headers=DE).status_code == 302
    html = upload(b, docm(), "vorlage.docm", DE).get_data(as_text=True)
    assert f"vorlage.docm: {MACROS}" in html
    assert "Makros" not in html


def test_what_the_insertion_will_drop_is_said_in_english(as_role):
    """A paper with its template on a server is accepted; the note that the link goes is in English."""
    good = paper()
    settings = member(good, "word/settings.xml").replace(
        b"<w:defaultTabStop",
        b'<w:attachedTemplate xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
        b'r:id="rId1"/><w:defaultTabStop',
        1,
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'attachedTemplate" Target="http://vorlagen.example.org/makros.dotm" TargetMode="External"/></Relationships>'
    )
    data = rezip(good, replace={"word/settings.xml": settings}, add={"word/_rels/settings.xml.rels": rels})
    b = as_role("author")
    response = upload(b, data, "vorlage.docx", EN)
    assert response.status_code == 302, error_text(response.get_data(as_text=True))
    page = b.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Note: the link to the document template “http://vorlagen.example.org/makros.dotm” was removed" in page
    assert "Hinweis" not in page
