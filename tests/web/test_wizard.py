"""Wizard behaviour: one topic per page, nothing typed is ever lost, conflicts are named."""

from __future__ import annotations

import re
import time

from impactcheck.store.models import Check
from tests.web.flows import SCREEN_NO, start


def title_of(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def test_step_title_and_heading_say_step_n_of_m(as_role):
    b = as_role("author")
    check_id = start(b)
    html = b.get(f"/klimachecks/{check_id}/schritt/vorpruefung").get_data(as_text=True)
    assert re.search(r"Schritt 1 von \d+", title_of(html))
    assert re.search(r"<h1>.*Schritt 1 von \d+", html, re.S)
    # All "no": the count shrinks to the screening and its exit page.
    b.submit(f"/klimachecks/{check_id}/schritt/vorpruefung", {**SCREEN_NO, "action": "next"})
    html = b.get(f"/klimachecks/{check_id}/schritt/exit").get_data(as_text=True)
    assert "Schritt 2 von 2" in title_of(html)
    # Two topics: the count grows to the screening, "Gebäude" and "Klimaanpassung" (no exit page).
    answers = {**SCREEN_NO, "betrifft_gebaeude": "ja", "betrifft_anpassung": "ja"}
    b.submit(f"/klimachecks/{check_id}/schritt/vorpruefung", {**answers, "action": "next"})
    html = b.get(f"/klimachecks/{check_id}/schritt/gebaeude").get_data(as_text=True)
    assert "Schritt 2 von 3" in title_of(html)
    assert re.search(r"<h1>.*Schritt 2 von 3", html, re.S)
    html = b.get(f"/klimachecks/{check_id}/schritt/anpassung").get_data(as_text=True)
    assert "Schritt 3 von 3" in title_of(html)


def test_none_button_answers_every_topic_no(as_role, db_session):
    b = as_role("author")
    check_id = start(b)
    url = f"/klimachecks/{check_id}/schritt/vorpruefung"
    assert 'value="none" id="none-button"' in b.get(url).get_data(as_text=True)
    response = b.submit(url, {"entscheidung_art": "massnahme", "action": "none"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/schritt/exit")
    db_session.expire_all()
    # The same answers as the form with every topic "Nein" (what the other tests send as SCREEN_NO).
    expected = {k: (v if k == "entscheidung_art" else False) for k, v in SCREEN_NO.items()}
    assert db_session.get(Check, check_id).current.answers == expected


def test_none_button_keeps_an_answer_given_on_the_page(as_role, db_session):
    b = as_role("author")
    check_id = start(b)
    url = f"/klimachecks/{check_id}/schritt/vorpruefung"
    form = {"entscheidung_art": "finanzierung", "umfang_geaendert": "ja", "action": "none"}
    assert b.submit(url, form).status_code == 302
    db_session.expire_all()
    answers = db_session.get(Check, check_id).current.answers
    assert answers["umfang_geaendert"] is True  # the author's "Ja" is not overwritten
    assert all(answers[k] is False for k in answers if k.startswith("betrifft_"))
    assert len([k for k in answers if k.startswith("betrifft_")]) == 10


def test_help_and_example_next_to_each_question(as_role):
    b = as_role("author")
    check_id = start(b)
    html = b.get(f"/klimachecks/{check_id}/schritt/vorpruefung").get_data(as_text=True)
    # The kind of decision, the follow-up on changed scope (shown by the browser when it applies)
    # and the ten topics: each with its help and its example.
    assert html.count('class="help"') == 12
    assert html.count("Beispiel:") == 12
    assert 'id="help-entscheidung_art"' in html and 'id="help-betrifft_nachfrage"' in html
    assert "Neubau einer Kita; Austausch der Heizung im Rathaus" in html


def test_validation_error_keeps_input_and_links_summary(as_role, db_session):
    b = as_role("author")
    check_id = start(b)
    b.submit(f"/klimachecks/{check_id}/schritt/vorpruefung", {**SCREEN_NO, "betrifft_energie": "ja", "action": "next"})
    response = b.submit(
        f"/klimachecks/{check_id}/schritt/energie",
        {
            "energie_massnahmen": ["pv", "mehr_verbrauch", "fossil"],
            "fossil_kwh": "viel",
            "strom_mehr_kwh": "250.000.000",  # the maximum is 100.000.000 kWh/a
            "pv_kwp": "12.500,5",
            "methode": "estimate",
            "action": "next",
        },
    )
    assert response.status_code == 200  # no redirect: the page comes back with the errors
    html = response.get_data(as_text=True)
    assert "Es gibt ein Problem" in html
    assert 'href="#q-fossil_kwh"' in html and 'href="#q-strom_mehr_kwh"' in html
    assert 'href="#q-pv_kwp"' not in html  # the valid number is no problem
    assert "Bitte geben Sie eine Zahl ein" in html
    assert "über dem Höchstwert" in html
    assert title_of(html).startswith("Fehler:")
    # What was typed is still there, also the valid value and the invalid ones.
    assert 'value="viel"' in html and 'value="250.000.000"' in html and 'value="12.500,5"' in html
    db_session.expire_all()
    answers = db_session.get(Check, check_id).current.answers
    assert "pv_kwp" not in answers and "energie_massnahmen" not in answers  # nothing half-saved


def test_required_question_missing(as_role):
    b = as_role("author")
    check_id = start(b)
    response = b.submit(
        f"/klimachecks/{check_id}/schritt/vorpruefung",
        {"entscheidung_art": "massnahme", "betrifft_gebaeude": "ja", "action": "next"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    # The nine other topics are missing, in the summary and at the field.
    assert html.count("Bitte beantworten Sie diese Frage.") == 9 * 2
    assert 'href="#q-betrifft_nachfrage"' in html and 'href="#q-betrifft_gebaeude"' not in html
    assert 'name="betrifft_gebaeude" value="ja" checked' in html
    assert 'value="massnahme" checked' in html
    # Without the kind of decision the topics are not asked yet: only that one question is missing.
    response = b.submit(f"/klimachecks/{check_id}/schritt/vorpruefung", {"betrifft_gebaeude": "ja", "action": "next"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count("Bitte beantworten Sie diese Frage.") == 1 * 2
    assert 'href="#q-entscheidung_art"' in html


def test_back_saves_what_was_typed(as_role, db_session):
    b = as_role("author")
    check_id = start(b)
    b.submit(
        f"/klimachecks/{check_id}/schritt/vorpruefung", {**SCREEN_NO, "betrifft_ernaehrung": "ja", "action": "next"}
    )
    response = b.submit(
        f"/klimachecks/{check_id}/schritt/ernaehrung", {"ernaehrung_angebot": "mehr_pflanzlich", "action": "back"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/schritt/vorpruefung")
    db_session.expire_all()
    assert db_session.get(Check, check_id).current.answers["ernaehrung_angebot"] == "mehr_pflanzlich"
    html = b.get(f"/klimachecks/{check_id}/schritt/ernaehrung").get_data(as_text=True)
    assert 'value="mehr_pflanzlich" checked' in html


def test_save_for_later_and_resume(as_role, db_session):
    b = as_role("author")
    check_id = start(b)
    response = b.submit(
        f"/klimachecks/{check_id}/schritt/vorpruefung",
        {"entscheidung_art": "massnahme", "betrifft_gebaeude": "ja", "action": "save"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/klimachecks")
    listing = b.get("/klimachecks").get_data(as_text=True)
    assert "Entwurf" in listing and "Fortsetzen" in listing
    resume = b.get(f"/klimachecks/{check_id}/weiter")
    assert resume.headers["Location"].endswith("/schritt/vorpruefung")
    html = b.get(resume.headers["Location"]).get_data(as_text=True)
    assert 'name="betrifft_gebaeude" value="ja" checked' in html
    assert 'name="entscheidung_art" value="massnahme" checked' in html
    db_session.expire_all()
    assert db_session.get(Check, check_id).current.answers == {
        "entscheidung_art": "massnahme",
        "betrifft_gebaeude": True,
    }


def test_second_tab_gets_conflict_not_overwrite(as_role, db_session):
    b = as_role("author")
    check_id = start(b)
    url = f"/klimachecks/{check_id}/schritt/vorpruefung"
    b.get(url)
    old_version = b.version()
    token = b.token()
    # Tab one saves.
    b.submit(url, {**SCREEN_NO, "betrifft_gebaeude": "ja", "action": "next"})
    # Tab two, opened before, saves with its old version.
    response = b.client.post(url, data={"csrf_token": token, "version": old_version, **SCREEN_NO, "action": "next"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "an anderer Stelle geändert" in html
    db_session.expire_all()
    assert db_session.get(Check, check_id).current.answers["betrifft_gebaeude"] is True  # not overwritten
    # The second tab's input is on the page, and saving again now takes it on purpose.
    assert 'name="betrifft_gebaeude" value="nein" checked' in html
    again = b.client.post(url, data={"csrf_token": token, "version": b.version(html), **SCREEN_NO, "action": "next"})
    assert again.status_code == 302
    db_session.expire_all()
    assert db_session.get(Check, check_id).current.answers["betrifft_gebaeude"] is False


def test_dropped_answers_are_told_and_discarded(as_role, db_session):
    b = as_role("author")
    check_id = start(b)
    b.submit(
        f"/klimachecks/{check_id}/schritt/vorpruefung", {**SCREEN_NO, "betrifft_ernaehrung": "ja", "action": "next"}
    )
    b.submit(
        f"/klimachecks/{check_id}/schritt/ernaehrung",
        {"ernaehrung_angebot": "mehr_pflanzlich", "ernaehrung_regional": "ja", "action": "next"},
    )
    # Back to the screening: no topic after all. The food answers drop out.
    b.submit(f"/klimachecks/{check_id}/schritt/vorpruefung", {**SCREEN_NO, "action": "next"})
    b.submit(
        f"/klimachecks/{check_id}/schritt/exit",
        {"exit_reason": "information", "exit_explanation": "Nur ein Bericht.", "action": "next"},
    )
    review = b.get(f"/klimachecks/{check_id}/pruefen").get_data(as_text=True)
    assert "Diese Antworten werden nicht übernommen" in review
    assert "Wie sieht das Speiseangebot künftig aus?" in review
    response = b.post(f"/klimachecks/{check_id}/einreichen", {"version": b.version(review)})
    page = b.get(response.headers["Location"]).get_data(as_text=True)
    assert "nicht übernommen" in page
    db_session.expire_all()
    answers = db_session.get(Check, check_id).current.answers
    assert "ernaehrung_angebot" not in answers and answers["exit_reason"] == "information"


def test_hidden_step_redirects(as_role):
    b = as_role("author")
    check_id = start(b)
    response = b.get(f"/klimachecks/{check_id}/schritt/gebaeude")
    assert response.status_code == 302
    assert b.get(f"/klimachecks/{check_id}/schritt/gibtsnicht").status_code == 404


def test_same_page_condition_is_sent_to_the_browser(as_role):
    b = as_role("author")
    check_id = start(b)
    b.submit(f"/klimachecks/{check_id}/schritt/vorpruefung", {**SCREEN_NO, "betrifft_gebaeude": "ja", "action": "next"})
    html = b.get(f"/klimachecks/{check_id}/schritt/gebaeude").get_data(as_text=True)
    # geb_standard depends on geb_massnahme on the same page: rendered with its condition, hidden
    # until the browser (or the next save) finds it applies.
    assert re.search(
        r'id="q-geb_standard"[^>]*data-when="\{&#34;question&#34;: &#34;geb_massnahme&#34;, &#34;in&#34;: '
        r'\[&#34;neubau&#34;, &#34;sanierung&#34;\]\}" hidden',
        html,
    )


def test_expired_login_keeps_the_input(app, as_role, db_session):
    app.config["SESSION_IDLE_MINUTES"] = 0.0001  # expire at once
    b = as_role("author")
    app.config["SESSION_IDLE_MINUTES"] = 480
    check_id = start(b)
    url = f"/klimachecks/{check_id}/schritt/vorpruefung"
    b.get(url)
    app.config["SESSION_IDLE_MINUTES"] = 0.0001
    time.sleep(1.1)
    response = b.client.post(
        url,
        data={
            "csrf_token": b.token(),
            "version": b.version(),
            **SCREEN_NO,
            "betrifft_flaechen": "ja",
            "action": "next",
        },
    )
    app.config["SESSION_IDLE_MINUTES"] = 480
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "wiederherstellen" in response.headers["Location"]
    db_session.expire_all()
    assert db_session.get(Check, check_id).current.answers == {}  # nothing saved without a login
    login_page = b.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ihre Eingaben sind aufbewahrt" in login_page
    back = b.client.post(
        response.headers["Location"],
        data={"csrf_token": b.token(login_page), "username": "author", "password": "richtig-langes-passwort"},
    )
    assert back.status_code == 302 and "wiederherstellen=" in back.headers["Location"]
    html = b.get(back.headers["Location"]).get_data(as_text=True)
    assert "wiederhergestellt" in html
    assert 'name="betrifft_flaechen" value="ja" checked' in html
    # The stash is used once.
    again = b.get(back.headers["Location"]).get_data(as_text=True)
    assert "wiederhergestellt" not in again


def test_stashed_input_is_not_offered_to_someone_else(app, as_role):
    app.config["SESSION_IDLE_MINUTES"] = 480
    owner = as_role("author")
    check_id = start(owner)
    url = f"/klimachecks/{check_id}/schritt/vorpruefung"
    owner.get(url)
    app.config["SESSION_IDLE_MINUTES"] = 0.0001
    time.sleep(1.1)
    response = owner.client.post(
        url, data={"csrf_token": owner.token(), "version": owner.version(), **SCREEN_NO, "action": "next"}
    )
    app.config["SESSION_IDLE_MINUTES"] = 480
    target = response.headers["Location"].split("next=")[1]
    from urllib.parse import unquote

    other = as_role("author2")
    assert other.get(unquote(target)).status_code == 404
