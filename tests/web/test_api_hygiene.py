"""Input hygiene in the JSON API: control characters in a body never reach the database (NUL was a 500 on
PostgreSQL, \\x01 and \\x0b broke every Word download of the check), and ids beyond an integer column are
not found – as in the web forms (tests/web/test_input_hygiene.py). On both databases."""

from __future__ import annotations

from sqlalchemy import select

from impactcheck.store.models import Check, Revision
from tests.web.test_api import PAPER, SCREEN_NO, Client, created
from tests.web.test_input_hygiene import HUGE

DIRTY = "Kita\x01 Wolfsanger\x0bNeubau\x00\x1b[31m\x7f\ufffe"


def test_control_characters_in_api_bodies_are_stripped_and_word_still_works(app, as_role, db_session):
    author = Client(app, "author")
    check_id, etag = created(author, title=DIRTY, department="Amt\x00 für Hochbau", committee="Bau\r\nausschuss")
    check = db_session.get(Check, check_id)
    assert check.title == "Kita Wolfsanger\nNeubau[31m"
    assert check.department == "Amt für Hochbau"
    assert check.committee == "Bau\nausschuss"
    screened = author.call("PATCH", f"/checks/{check_id}/answers", {"answers": SCREEN_NO}, etag=etag)
    assert screened.status_code == 200, screened.get_data(as_text=True)
    exit_answers = {"exit_reason": "information", "exit_explanation": "Nur\x00 ein\x08 Bericht."}
    answered = author.call(
        "PATCH", f"/checks/{check_id}/answers", {"answers": exit_answers}, etag=screened.headers["ETag"]
    )
    assert answered.status_code == 200, answered.get_data(as_text=True)
    db_session.expire_all()
    revision = db_session.scalars(select(Revision).where(Revision.check_id == check_id)).one()
    assert revision.answers["exit_explanation"] == "Nur ein Bericht."
    done = author.call("POST", f"/checks/{check_id}/submit", {}, etag=answered.headers["ETag"])
    assert done.status_code == 200, done.get_data(as_text=True)
    word = as_role("author").get(f"/klimachecks/{check_id}/klimacheck.docx")
    assert word.status_code == 200 and word.data[:2] == b"PK"


def test_control_characters_in_an_api_alternative_are_stripped(app, db_session):
    from tests.web.flows import example

    author = Client(app, "author")
    check_id, etag = created(author, reference="API-NEG-2", title="Neubau Feuerwache Nord")
    answers = example("neubau-feuerwache/schaetzt")["answers"]
    saved = author.call("PATCH", f"/checks/{check_id}/answers", {"answers": answers}, etag=etag)
    assert saved.status_code == 200, saved.get_data(as_text=True)
    body = {"description": "Wärmepumpe\x00 mit\x08 PV\tund\x0cSpeicher"}
    put = author.call("PUT", f"/checks/{check_id}/alternative", body, etag=saved.headers["ETag"])
    assert put.status_code == 200, put.get_data(as_text=True)
    db_session.expire_all()
    revision = db_session.scalars(select(Revision).where(Revision.check_id == check_id)).one()
    assert revision.alternative_description == "Wärmepumpe mit PV\tund\nSpeicher"


def test_api_ids_out_of_range_are_not_found(app):
    author = Client(app, "author")
    for path in (f"/checks/{HUGE}", f"/checks/{2**31}", f"/checks/{HUGE}/result"):
        response = author.call("GET", path)
        assert response.status_code == 404, (path, response.status_code)
    assert author.call("PATCH", f"/checks/{HUGE}/answers", {"answers": {}}, etag="x").status_code == 404
    assert author.call("GET", "/checks?q=a%00b").status_code == 200
    assert author.call("POST", "/checks", {**PAPER, "reference": "\x00"}).status_code == 422
