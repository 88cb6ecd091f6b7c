"""The Word part of the web app: upload the paper, download it with the section, or the section alone."""

from __future__ import annotations

import hashlib
import io
import zipfile

import docx
from sqlalchemy import select

from impactcheck.store.models import Check, Upload
from tests.web.flows import PAPER, form_value, submit_example


def paper_docx(marker: str = "Sachverhalt des Testpapiers") -> bytes:
    d = docx.Document()
    d.add_heading("Beschlussvorlage 101.26.0601", level=1)
    d.add_paragraph(marker)
    d.add_heading("Finanzielle Auswirkungen", level=2)
    d.add_paragraph("Kosten: 120.000 € im Haushalt 2027.")
    d.add_heading("Anlagen", level=2)
    d.add_paragraph("Lageplan")
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def texts(data: bytes) -> list[str]:
    """Every paragraph's text in body order, also inside content controls and tables."""
    from docx.oxml.ns import qn

    body = docx.Document(io.BytesIO(data)).element.body
    return ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in body.iter(qn("w:p"))]


def test_upload_at_start_then_download_with_section(as_role, db_session):
    b = as_role("author")
    original = paper_docx()
    check_id = submit_example(b, "gasheizung-ersatz-kita/schaetzt", upload=original)
    stored = db_session.scalars(select(Upload).where(Upload.check_id == check_id)).one()
    assert stored.content == original and stored.sha256 == hashlib.sha256(original).hexdigest()
    page = b.get(f"/klimachecks/{check_id}").get_data(as_text=True)
    assert "Vorlage 101.26.0601.docx" in page
    response = b.post(f"/klimachecks/{check_id}/vorlage.docx", {"annex": "none"}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    assert "mit_Klimacheck.docx" in response.headers["Content-Disposition"]
    result = texts(response.data)
    # The section sits after "Finanzielle Auswirkungen" and before "Anlagen"; nothing of the paper is lost.
    assert result.index("Finanzielle Auswirkungen") < result.index("Anlagen")
    section = result[result.index("Kosten: 120.000 € im Haushalt 2027.") + 1 : result.index("Anlagen")]
    assert any("Klimacheck" in t for t in section)
    assert any("negativ" in t for t in section)
    for line in texts(original):
        assert line in result
    db_session.expire_all()
    assert db_session.scalars(select(Upload).where(Upload.check_id == check_id)).one().content == original


def test_new_upload_on_result_page_with_separate_annex(as_role, db_session):
    b = as_role("author")
    check_id = submit_example(b, "strassenumbenennung/ohne-zahlen")
    page = b.get(f"/klimachecks/{check_id}")
    assert page.status_code == 200
    response = b.post(
        f"/klimachecks/{check_id}/vorlage.docx",
        {"annex": "separate", "paper": (io.BytesIO(paper_docx("Neuer Stand")), "neu.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as z:
        names = sorted(z.namelist())
        assert names == ["neu_Klimacheck-Anhang.docx", "neu_mit_Klimacheck.docx"]
        annex = texts(z.read("neu_Klimacheck-Anhang.docx"))
        # The annex has the full answers: the kind of decision and the reason for the exit.
        assert "Was entscheidet die Vorlage?" in annex
        assert any(t.startswith("Personal, Wahl, Benennung") for t in annex)
        assert "Warum ist die Vorlage nicht klimarelevant?" in annex
        assert "Neuer Stand" not in annex
        assert "Neuer Stand" in texts(z.read("neu_mit_Klimacheck.docx"))
    db_session.expire_all()
    assert len(db_session.get(Check, check_id).uploads) == 1  # the owner's new upload is kept


def test_bad_files_get_a_german_message_and_nothing_is_stored(as_role, db_session):
    b = as_role("author")
    cases = [
        (b"Das ist kein Word.", "x.docx", "keine Word-Datei im Format .docx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "alt.doc", ".doc"),
    ]
    for content, name, needle in cases:
        before = db_session.scalar(select(Check.id).order_by(Check.id.desc()).limit(1))
        response = b.submit(
            "/klimachecks/neu",
            {**PAPER, "ruleset": "kassel-2030", "paper": (io.BytesIO(content), name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "Es gibt ein Problem" in html
        assert needle.lower() in html.lower(), html[html.find("error-message") :][:400]
        assert 'value="101.26.0601"' in html  # what was typed stays
        assert db_session.scalar(select(Check.id).order_by(Check.id.desc()).limit(1)) == before


def test_section_alone_as_docx(as_role):
    b = as_role("author")
    check_id = submit_example(b, "pv-schuldaecher/schaetzt")
    response = b.get(f"/klimachecks/{check_id}/klimacheck.docx")
    assert response.status_code == 200
    body = "\n".join(texts(response.data))
    assert "positiv" in body
    assert "Strom und Energie" in body and "Solarstrom verdrängt Netzstrom" in body


def test_sector_chart_native_in_word_and_svg_on_the_page(as_role):
    b = as_role("author")
    check_id = submit_example(b, "parkhaus-neubau/schaetzt")  # negative: sectors with an effect
    response = b.get(f"/klimachecks/{check_id}/klimacheck.docx")
    members = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert "word/charts/klimacheck-diagramm.xml" in members  # the native chart
    page = b.get(f"/klimachecks/{check_id}").get_data(as_text=True)
    svg = page[page.index('<div class="chart"><svg') : page.index("</svg>") + 6]
    assert '<title id="result-sectors-title">Bewertung nach Handlungsfeldern</title>' in svg
    assert "Gebäude: Vorlage −1, Alternative 0;" in svg  # the figures, described for screen readers
    assert "<img" not in svg and "diagramm.png" not in page
    assert b.get(f"/klimachecks/{check_id}/diagramm.png").status_code == 404  # no image route any more


def test_form_value_helper_formats_numbers_german():
    assert form_value(95000) == "95.000" and form_value(True) == "ja"
