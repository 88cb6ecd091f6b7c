"""Input hygiene: what a browser (or someone pretending to be one) sends never becomes a 500 or a stored
character that breaks a later page, a Word download or PostgreSQL. On both databases."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys

import pytest
from sqlalchemy import select

from impactcheck import settings
from impactcheck.bootstrap import prepare
from impactcheck.store.models import Check, Revision, User
from tests.web.conftest import PASSWORD, Browser
from tests.web.flows import PAPER, SCREEN_NO, answer_all, example, start

HUGE = "99999999999999999999"  # more than any integer column holds (PostgreSQL int4 and int8, SQLite)


# --- integer ids out of range ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"/klimachecks/{HUGE}",
        f"/klimachecks/{2**31}",  # just beyond PostgreSQL's integer
        f"/klimachecks/{HUGE}/ergebnis.json",
        f"/klimachecks/{HUGE}/schritt/vorpruefung",
        f"/klimachecks/{HUGE}/weiter",
    ],
)
def test_ids_out_of_range_are_not_found(as_role, url):
    response = as_role("author").get(url)
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.get_data(as_text=True)


def test_admin_actions_on_ids_out_of_range_are_not_found(as_role):
    admin = as_role("admin")
    admin.get("/admin/benutzer")
    assert admin.post(f"/admin/benutzer/{HUGE}/aktiv").status_code == 404
    assert admin.post(f"/admin/benutzer/{HUGE}/passwort", {"password": "ein-neues-passwort"}).status_code == 404


# --- the `next` address after login ------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/register\r\nSet-Cookie: boese=1",  # header injection: a redirect with CRLF is a 500 in werkzeug
        "/register%0d%0aSet-Cookie:%20boese=1",
        "/\\evil.example/",  # browsers read a backslash as a slash: //evil.example
        "/\tevil",
    ],
)
def test_next_with_control_characters_or_backslash_is_ignored(browser, target):
    from urllib.parse import quote

    url = "/login?next=" + quote(target, safe="%/")
    response = browser.submit(url, {"username": "author", "password": PASSWORD}, post_url=url)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "boese" not in response.headers.get("Set-Cookie", "")


def test_a_plain_next_still_works(browser):
    response = browser.submit(
        "/login?next=/register?status=draft",
        {"username": "climate", "password": PASSWORD},
        post_url="/login?next=/register%3Fstatus%3Ddraft",
    )
    assert response.headers["Location"] == "/register?status=draft"


# --- messages that would reveal accounts ---------------------------------------------------------------


def test_taken_name_of_another_municipality_is_not_revealed(as_role):
    admin = as_role("admin")
    form = {"username": "fremdadmin", "display_name": "", "role": "author", "password": "ein-langes-passwort"}
    html = admin.submit("/admin/benutzer", form).get_data(as_text=True)
    assert "gibt es schon" not in html
    assert "nicht verfügbar" in html
    # The name the admin typed stays in the field, but no message names it as an existing account.
    assert "„fremdadmin“" not in html


def test_taken_name_of_the_own_municipality_is_named(as_role):
    admin = as_role("admin")
    form = {"username": "author2", "display_name": "", "role": "author", "password": "ein-langes-passwort"}
    html = admin.submit("/admin/benutzer", form).get_data(as_text=True)
    assert "Den Benutzernamen „author2“ gibt es schon." in html


# --- files the installation creates ------------------------------------------------------------------


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    previous = os.umask(0o022)  # the usual default: files world-readable unless created otherwise
    yield
    os.umask(previous)


def test_database_and_secret_key_are_private(tmp_path, open_umask):
    config = settings.load(instance=tmp_path / "instance")
    settings.ensure_instance(config)
    prepared = prepare(config, create_admin=True)
    database = tmp_path / "instance" / "impactcheck.sqlite3"
    try:
        with prepared.database.engine.connect() as conn:  # the WAL file exists while a connection is open
            conn.exec_driver_sql("SELECT 1")
            wal = database.with_name(database.name + "-wal")
            assert wal.exists() and _mode(wal) == 0o600
    finally:
        prepared.database.dispose()
    assert _mode(database) == 0o600  # it holds the password hashes
    assert _mode(tmp_path / "instance" / "secret_key") == 0o600
    assert _mode(tmp_path / "instance") == 0o700


def test_the_app_factory_creates_a_private_database(tmp_path, open_umask):
    """Run by a WSGI server straight from create_app (no `serve`), the app must not create it readable."""
    from impactcheck.app import create_app

    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance")})
    try:
        app.test_client().get("/healthz")
    finally:
        app.extensions["impactcheck.db"].dispose()
    assert _mode(tmp_path / "instance" / "impactcheck.sqlite3") == 0o600
    assert _mode(tmp_path / "instance" / "secret_key") == 0o600


def test_cli_creates_a_private_database(tmp_path, open_umask):
    env = {**os.environ, "IMPACTCHECK_INSTANCE": str(tmp_path / "instance")}
    proc = subprocess.run(
        [sys.executable, "-m", "impactcheck", "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert _mode(tmp_path / "instance" / "impactcheck.sqlite3") == 0o600


# --- too much text is not a file that is too large ------------------------------------------------------


def _new_check_form(browser, **fields):
    browser.get("/klimachecks/neu")
    return {"csrf_token": browser.token(), **PAPER, "ruleset": "kassel-2030", **fields}


@pytest.mark.parametrize("multipart", [True, False])
def test_a_huge_text_field_is_not_called_a_file(as_role, db_session, multipart):
    author = as_role("author")
    data = _new_check_form(author, title="Kita " * 200_000)  # 1 MB of text
    kwargs = {"content_type": "multipart/form-data"} if multipart else {}
    if multipart:
        data["paper"] = (io.BytesIO(b""), "")  # the form's empty file field, as a browser sends it
    response = author.client.post("/klimachecks/neu", data=data, **kwargs)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Datei zu groß" not in html
    assert "Eingabe zu lang" in html and "Zeichen" in html
    assert db_session.scalar(select(Check.id)) is None


def test_a_file_that_is_too_large_is_still_413(app, as_role):
    app.config.update(UPLOAD_MAX_BYTES=1024 * 1024, MAX_CONTENT_LENGTH=2 * 1024 * 1024)
    author = as_role("author")
    data = _new_check_form(author, paper=(io.BytesIO(b"x" * (3 * 1024 * 1024)), "gross.docx"))
    response = author.client.post("/klimachecks/neu", data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "Datei zu groß" in response.get_data(as_text=True)


def test_a_text_over_its_limit_gets_the_field_message(as_role):
    author = as_role("author")
    data = _new_check_form(author, title="x" * 1001)
    response = author.client.post("/klimachecks/neu", data=data)
    assert response.status_code == 200
    assert "Höchstens 1.000 Zeichen" in response.get_data(as_text=True)  # the field says how long it may be


# --- control characters ----------------------------------------------------------------------------------

DIRTY = "Kita\x01 Wolfsanger\x0bNeubau\x00\x1b[31m\x7f\ufffe"


def test_control_characters_never_reach_the_database_and_word_still_works(as_role, db_session):
    """\\x01 and \\x0b in a title made every Word download of the check fail; NUL was a 500 on PostgreSQL."""
    author = as_role("author")
    check_id = start(author, title=DIRTY, department="Amt\x00 für Hochbau", committee="Bauausschuss\r\nzweite Zeile")
    data = example("strassenumbenennung/ohne-zahlen")
    answer_all(author, check_id, data["answers"])
    review = author.get(f"/klimachecks/{check_id}/pruefen").get_data(as_text=True)
    submitted = author.post(
        f"/klimachecks/{check_id}/einreichen", {"version": author.version(review), "justification": "a\x00b"}
    )
    assert submitted.status_code == 302
    check = db_session.get(Check, check_id)
    assert check.title == "Kita Wolfsanger\nNeubau[31m"
    assert check.department == "Amt für Hochbau"
    assert check.committee == "Bauausschuss\nzweite Zeile"  # a browser's CRLF becomes one newline
    word = author.get(f"/klimachecks/{check_id}/klimacheck.docx")
    assert word.status_code == 200 and word.data[:2] == b"PK"
    assert author.get(f"/klimachecks/{check_id}").status_code == 200


def test_control_characters_in_the_alternative_and_answers_are_stripped(as_role, db_session):
    author = as_role("author")
    data = example("gasheizung-ersatz-kita/schaetzt")
    check_id = start(author)
    answer_all(author, check_id, data["answers"])
    response = author.submit(
        f"/klimachecks/{check_id}/alternative", {"description": "Wärmepumpe\x00 mit\x08 PV\tund\x0cSpeicher"}
    )
    assert response.status_code == 302
    revision = db_session.scalars(select(Revision).where(Revision.check_id == check_id)).one()
    assert revision.alternative_description == "Wärmepumpe mit PV\tund\nSpeicher"


def test_nul_in_a_login_name_or_a_query_is_no_error(app, as_role, browser):
    response = browser.submit("/login", {"username": "auth\x00or", "password": PASSWORD})
    assert response.status_code in (302, 401)  # the name without NUL is "author": either is fine, never 500
    author = as_role("author")
    assert author.get("/klimachecks/neu?wiederherstellen=ab%00cd").status_code == 200
    check_id = start(author)
    assert author.get(f"/klimachecks/{check_id}/schritt/vor%00pruefung").status_code in (302, 404)
    climate = as_role("climate")
    assert climate.get("/register?status=draft%00&verdict=%01").status_code == 200


def test_a_step_post_with_nul_is_saved_clean(as_role, db_session):
    author = as_role("author")
    check_id = start(author)
    url = f"/klimachecks/{check_id}/schritt/vorpruefung"
    response = author.submit(url, {**SCREEN_NO, "entscheidung_art": "mass\x00nahme", "action": "next"})
    assert response.status_code == 302
    revision = db_session.scalars(select(Revision).where(Revision.check_id == check_id)).one()
    assert revision.answers["entscheidung_art"] == "massnahme"


def test_cli_refuses_control_characters_in_a_user_name(tmp_path):
    env = {**os.environ, "IMPACTCHECK_INSTANCE": str(tmp_path / "instance")}
    proc = subprocess.run(
        [sys.executable, "-m", "impactcheck", "users", "add", "a\x01b", "--role", "author"],
        env=env,
        input="ein-langes-passwort\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "Benutzername" in proc.stderr


def test_admin_form_strips_control_characters_from_a_new_account(as_role, db_session):
    admin = as_role("admin")
    form = {
        "username": "neu\x00er",
        "display_name": "Frau\x07 Neu",
        "role": "author",
        "password": "ein-langes-passwort",
    }
    assert admin.submit("/admin/benutzer", form).status_code == 302
    user = db_session.scalar(select(User).where(User.username == "neuer"))
    assert user is not None and user.display_name == "Frau Neu"
    assert (
        Browser(admin.client.application.test_client())
        .submit("/login", {"username": "neuer", "password": "ein-langes-passwort"})
        .status_code
        == 302
    )
