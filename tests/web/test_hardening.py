"""What the code review and the new-user walkthrough found, each pinned by a test."""

from __future__ import annotations

import shutil
import time

from sqlalchemy import func, select

from impactcheck.store import operations as ops
from impactcheck.store.models import Check, PendingInput, User
from tests.support import RULES
from tests.web.conftest import PASSWORD, Browser
from tests.web.flows import SCREEN_NO, answer_all, example, start, submit_example


def pending_rows(db_session) -> int:
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(PendingInput))


def expire_login(app, b, url):
    """Open `url`, then let the login run out (the session with its CSRF token stays)."""
    b.get(url)
    app.config["SESSION_IDLE_MINUTES"] = 0.0001
    time.sleep(1.1)


# --- input after an expired login ----------------------------------------------------------------


def test_anonymous_post_stores_nothing(app, as_role, db_session):
    owner = as_role("author")
    check_id = start(owner)
    stranger = Browser(app.test_client())
    stranger.get("/login")
    response = stranger.post(f"/klimachecks/{check_id}/schritt/vorpruefung", {"betrifft_gebaeude": "x" * 5000})
    assert response.status_code == 302 and "wiederherstellen" not in response.headers["Location"]
    assert pending_rows(db_session) == 0


def test_expired_alternative_description_comes_back(app, as_role, db_session):
    b = as_role("author")
    check_id = start(b)
    answer_all(b, check_id, example("gasheizung-ersatz-kita/schaetzt")["answers"])
    expire_login(app, b, f"/klimachecks/{check_id}/alternative")
    response = b.post(
        f"/klimachecks/{check_id}/alternative", {"version": b.version(), "description": "Wärmepumpe mit PV"}
    )
    app.config["SESSION_IDLE_MINUTES"] = 480
    assert "wiederherstellen" in response.headers["Location"]
    login_page = b.get(response.headers["Location"]).get_data(as_text=True)
    back = b.client.post(
        response.headers["Location"],
        data={"csrf_token": b.token(login_page), "username": "author", "password": PASSWORD},
    )
    html = b.get(back.headers["Location"]).get_data(as_text=True)
    assert "Wärmepumpe mit PV" in html and "wiederhergestellt" in html


def test_expired_justification_returns_to_the_review_page(app, as_role):
    b = as_role("author")
    check_id = start(b)
    expire_login(app, b, f"/klimachecks/{check_id}/pruefen")
    response = b.post(f"/klimachecks/{check_id}/einreichen", {"version": b.version(), "justification": "Frist"})
    app.config["SESSION_IDLE_MINUTES"] = 480
    target = response.headers["Location"]
    assert "/pruefen?wiederherstellen" in target  # the review page, not the POST-only address


def test_kept_input_is_only_for_its_sender(app, as_role, db_session):
    b = as_role("author")
    check_id = start(b)
    url = f"/klimachecks/{check_id}/schritt/vorpruefung"
    expire_login(app, b, url)
    response = b.post(url, {"version": b.version(), **SCREEN_NO, "action": "next"})
    app.config["SESSION_IDLE_MINUTES"] = 480
    restore_path = (
        response.headers["Location"].split("next=")[1].replace("%2F", "/").replace("%3F", "?").replace("%3D", "=")
    )
    assert pending_rows(db_session) == 1
    other = as_role("author2")
    assert other.get(restore_path).status_code == 404  # not their check
    climate = as_role("climate")
    page = climate.get(restore_path)
    assert "wiederhergestellt" not in page.get_data(as_text=True)
    assert pending_rows(db_session) == 1  # still there for its owner


# --- login throttling ------------------------------------------------------------------------------


def test_repeated_wrong_passwords_lock_the_name_for_a_while(app):
    b = Browser(app.test_client())
    for _ in range(5):
        assert b.submit("/login", {"username": "author", "password": "falsch-falsch"}).status_code == 401
    locked = b.submit("/login", {"username": "author", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Zu viele fehlgeschlagene Anmeldungen" in locked.get_data(as_text=True)
    assert b.submit("/login", {"username": "climate", "password": PASSWORD}).status_code == 302


# --- review --------------------------------------------------------------------------------------


def test_nobody_approves_their_own_check(as_role):
    climate = as_role("climate")
    check_id = submit_example(climate, "strassenumbenennung/ohne-zahlen")
    page = climate.get(f"/klimachecks/{check_id}").get_data(as_text=True)
    assert "Entscheidung speichern" not in page
    assert "Eigene Klimachecks prüft eine andere Person" in page
    response = climate.post(f"/klimachecks/{check_id}/pruefung", {"decision": "approve", "version": "1"})
    assert response.status_code == 302
    assert "Eigene Klimachecks prüft" in climate.get(response.headers["Location"]).get_data(as_text=True)


def test_a_newer_draft_does_not_take_the_check_out_of_review(as_role, db_session):
    author = as_role("author")
    check_id = submit_example(author, "strassenumbenennung/ohne-zahlen")
    author.get(f"/klimachecks/{check_id}")
    assert author.post(f"/klimachecks/{check_id}/neue-revision").status_code == 302
    climate = as_role("climate")
    page = climate.get(f"/klimachecks/{check_id}").get_data(as_text=True)
    assert "Entscheidung speichern" in page
    response = climate.post(
        f"/klimachecks/{check_id}/pruefung",
        {"decision": "return", "comment": "Bitte Begründung ergänzen.", "version": climate.version(page)},
    )
    assert response.status_code == 302
    db_session.expire_all()
    check = db_session.get(Check, check_id)
    assert [r.status for r in check.revisions] == ["returned", "draft"]
    # The author sees the comment while revising.
    review = author.get(f"/klimachecks/{check_id}/pruefen").get_data(as_text=True)
    assert "Bitte Begründung ergänzen." in review


def test_review_error_keeps_the_comment(as_role):
    author = as_role("author")
    check_id = submit_example(author, "strassenumbenennung/ohne-zahlen")
    climate = as_role("climate")
    page = climate.get(f"/klimachecks/{check_id}").get_data(as_text=True)
    response = climate.post(
        f"/klimachecks/{check_id}/pruefung", {"decision": "approve", "comment": "Sehr gründlich!", "version": "999"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Sehr gründlich!" in html and "inzwischen geändert" in html
    assert page  # the first page had the form


def test_councillor_sees_the_submitted_state_not_the_draft(as_role):
    author = as_role("author")
    check_id = submit_example(author, "strassenumbenennung/ohne-zahlen", reference="R-77")
    author.get(f"/klimachecks/{check_id}")
    author.post(f"/klimachecks/{check_id}/neue-revision")
    council = as_role("council")
    register = council.get("/register").get_data(as_text=True)
    row = register[register.index("R-77") :][:1500]
    assert "Entwurf" not in row and "eingereicht" in row
    result = council.get(f"/klimachecks/{check_id}").get_data(as_text=True)
    assert "Revision 2" not in result


# --- submission ----------------------------------------------------------------------------------


def test_optional_negative_alternative_needs_no_justification(as_role, db_session):
    b = as_role("author")
    check_id = start(b)
    data = example("pv-schuldaecher/schaetzt")
    answer_all(b, check_id, data["answers"])
    b.submit(f"/klimachecks/{check_id}/alternative", {"description": "Gasheizung statt PV (schlechter)"})
    worse = {**data["answers"], "energie_massnahmen": ["fossil"], "fossil_kwh": 900000, "methode": "estimate"}
    worse.pop("pv_kwp")
    answer_all(b, check_id, worse, alternative=True)
    review = b.get(f"/klimachecks/{check_id}/pruefen").get_data(as_text=True)
    assert "Auch die Alternative ist negativ" not in review
    assert b.post(f"/klimachecks/{check_id}/einreichen", {"version": b.version(review)}).status_code == 302
    db_session.expire_all()
    revision = db_session.get(Check, check_id).current
    assert revision.verdict == "positive" and not revision.flagged
    assert revision.result["alternative"]["verdict"] == "negative"  # a worse alternative, and no justification


def test_rule_file_with_windows_line_endings_can_be_submitted(app, tmp_path, as_role, db_session):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    for path in (rules / "kassel-2030.yaml", rules / "factors" / "de-2026.yaml"):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    app.config["RULES_DIR"] = str(rules)
    from impactcheck.store.municipalities import Rulesets

    app.extensions["impactcheck.municipal_rules"] = Rulesets(rules)
    b = as_role("author")
    check_id = submit_example(b, "strassenumbenennung/ohne-zahlen")
    from impactcheck.store.models import RulesetSnapshot

    db_session.expire_all()
    revision = db_session.get(Check, check_id).current
    snapshot = db_session.get(RulesetSnapshot, revision.ruleset_sha256)
    assert "\r\n" in snapshot.content
    import hashlib

    assert hashlib.sha256(snapshot.content.encode("utf-8")).hexdigest() == revision.ruleset_sha256


def test_answers_to_removed_questions_do_not_block_a_draft(app, as_role, db_session):
    b = as_role("author")
    check_id = start(b)
    answer_all(b, check_id, example("strassenumbenennung/ohne-zahlen")["answers"])
    # The catalogue loses a question after the draft began: an old answer to it stays in the draft.
    revision = db_session.get(Check, check_id).current
    revision.answers = {**revision.answers, "gestrichene_frage": True}
    db_session.commit()
    review = b.get(f"/klimachecks/{check_id}/pruefen").get_data(as_text=True)
    assert "Das Regelwerk wurde geändert" in review and "gestrichene_frage" in review
    assert b.get(f"/klimachecks/{check_id}/weiter").headers["Location"].endswith("/pruefen")
    assert b.post(f"/klimachecks/{check_id}/einreichen", {"version": b.version(review)}).status_code == 302
    db_session.expire_all()
    assert "gestrichene_frage" not in db_session.get(Check, check_id).current.answers


# --- the wizard ----------------------------------------------------------------------------------


def test_save_with_an_invalid_number_keeps_it_and_saves_the_rest(as_role, db_session):
    b = as_role("author")
    check_id = start(b)
    b.submit(f"/klimachecks/{check_id}/schritt/vorpruefung", {**SCREEN_NO, "betrifft_energie": "ja", "action": "next"})
    response = b.submit(
        f"/klimachecks/{check_id}/schritt/energie",
        {
            "energie_massnahmen": ["effizienz", "fossil"],
            "strom_gespart_kwh": "250.000 kWh",
            "fossil_kwh": "achtzigtausend",
            "action": "save",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ihre übrigen Angaben auf dieser Seite sind gespeichert" in html
    assert 'value="achtzigtausend"' in html
    db_session.expire_all()
    answers = db_session.get(Check, check_id).current.answers
    assert answers["strom_gespart_kwh"] == 250000
    assert answers["energie_massnahmen"] == ["effizienz", "fossil"]
    assert "fossil_kwh" not in answers


def test_ambiguous_thousands_are_asked_not_guessed(as_role):
    b = as_role("author")
    check_id = start(b)
    b.submit(f"/klimachecks/{check_id}/schritt/vorpruefung", {**SCREEN_NO, "betrifft_energie": "ja", "action": "next"})
    response = b.submit(
        f"/klimachecks/{check_id}/schritt/energie",
        {"energie_massnahmen": ["effizienz"], "strom_gespart_kwh": "250,000", "methode": "detailed", "action": "next"},
    )
    assert response.status_code == 200  # not saved as either number
    assert "mehrdeutig: Meinen Sie 250.000 oder 250?" in response.get_data(as_text=True)


def test_a_step_that_dropped_out_meanwhile_still_keeps_the_input(as_role, db_session):
    b = as_role("author")
    check_id = start(b)
    b.submit(
        f"/klimachecks/{check_id}/schritt/vorpruefung", {**SCREEN_NO, "betrifft_ernaehrung": "ja", "action": "next"}
    )
    step = f"/klimachecks/{check_id}/schritt/ernaehrung"
    b.get(step)
    token, version = b.token(), b.version()
    # Another tab answers the screening differently: the food step drops out.
    b.submit(f"/klimachecks/{check_id}/schritt/vorpruefung", {**SCREEN_NO, "action": "next"})
    response = b.client.post(
        step, data={"csrf_token": token, "version": version, "ernaehrung_angebot": "mehr_pflanzlich", "action": "next"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "an anderer Stelle geändert" in html
    assert 'value="mehr_pflanzlich" checked' in html


def test_upload_names_are_cleaned():
    assert ops.clean_filename(r"C:\Users\x\..\..\Vorlage 12.docx") == "Vorlage 12.docx"
    assert ops.clean_filename("../../etc/passwd") == "passwd"
    assert ops.clean_filename('a"b<c>.docx') == "abc.docx"
    assert ops.clean_filename("") == "Vorlage.docx"


def test_settings_for_offered_rule_sets_apply_at_every_start(app, db_session, tmp_path):
    from impactcheck.bootstrap import prepare
    from impactcheck.store.models import Municipality

    url = app.config["DATABASE_URL"]
    config = {
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(tmp_path),
        "MUNICIPALITY_SLUG": "default",
        "MUNICIPALITY_NAME": "Stadt Musterhausen",
        "DEFAULT_RULESET": "schnellcheck",
        "RULESETS": None,
        "RULES_DIR": None,
    }
    prepare(config, create_admin=False).database.dispose()
    db_session.expire_all()
    municipality = db_session.scalar(select(Municipality).where(Municipality.slug == "default"))
    assert municipality.name == "Stadt Musterhausen"
    assert municipality.rulesets[0] == "schnellcheck" and "kassel-2030" in municipality.rulesets
    assert db_session.scalar(select(User).where(User.username == "author")).municipality_id == municipality.id


def test_a_fresh_post_to_a_dropped_step_shows_its_input_with_a_notice(as_role):
    b = as_role("author")
    check_id = start(b)
    b.submit(f"/klimachecks/{check_id}/schritt/vorpruefung", {**SCREEN_NO, "action": "next"})
    # The food step is not part of this check (no topic chosen); a post to it is not saved but shown.
    page = b.get(f"/klimachecks/{check_id}/schritt/exit")
    assert page.status_code == 200
    response = b.client.post(
        f"/klimachecks/{check_id}/schritt/ernaehrung",
        data={"csrf_token": b.token(), "version": b.version(), "ernaehrung_angebot": "mehr_pflanzlich"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Dieser Schritt entfällt nach Ihren aktuellen Angaben" in html
    assert 'value="mehr_pflanzlich" checked' in html
