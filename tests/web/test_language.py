"""The interface language: the user's setting, a link before login, the browser's Accept-Language, German."""

from __future__ import annotations

import re

from sqlalchemy import select

from impactcheck.store.models import AuditEntry, User
from tests.web.conftest import Browser
from tests.web.test_api import make_token

EN = {"Accept-Language": "en-US,en;q=0.9"}
DE = {"Accept-Language": "de-DE,de;q=0.9"}


def lang(html: str) -> str:
    m = re.search(r'<html lang="([^"]+)"', html)
    assert m, html[:200]
    return m.group(1)


def test_german_is_the_default(browser):
    page = browser.get("/login").get_data(as_text=True)
    assert lang(page) == "de"
    assert "Melden Sie sich mit dem Konto an" in page


def test_the_browser_language_decides_before_login(browser):
    page = browser.get("/login", headers=EN).get_data(as_text=True)
    assert lang(page) == "en"
    assert "Log in with the account you received from your administration." in page
    assert "Anmelden" not in page and "Benutzername" not in page
    # A language the app does not have falls back to German; the best match among de/en wins.
    assert lang(browser.get("/login", headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)) == "de"
    assert lang(browser.get("/login", headers={"Accept-Language": "fr, en;q=0.5"}).get_data(as_text=True)) == "en"
    # The first choice counts, by language: British English before a German second choice.
    assert lang(browser.get("/login", headers={"Accept-Language": "en-GB,de;q=0.5"}).get_data(as_text=True)) == "en"
    assert lang(browser.get("/login", headers={"Accept-Language": "de-AT,en;q=0.8"}).get_data(as_text=True)) == "de"


def test_a_link_chooses_the_language_for_the_browser_session(browser):
    assert lang(browser.get("/login?lang=en", headers=DE).get_data(as_text=True)) == "en"
    assert lang(browser.get("/login", headers=DE).get_data(as_text=True)) == "en"  # kept in the session
    assert lang(browser.get("/login?lang=de", headers=EN).get_data(as_text=True)) == "de"
    assert lang(browser.get("/login?lang=xx", headers=EN).get_data(as_text=True)) == "de"  # ignored


def test_login_errors_and_wtforms_messages_in_english(app):
    b = Browser(app.test_client())
    b.get("/login", headers=EN)
    page = b.client.post("/login", data={"csrf_token": b.token(), "username": "", "password": ""}, headers=EN)
    text = page.get_data(as_text=True)
    assert "Please enter your user name." in text and "Bitte" not in text


def test_the_users_setting_wins_and_is_logged(app, as_role, db_session):
    author = as_role("author")
    page = author.get("/konto", headers=DE)
    assert page.status_code == 200 and lang(page.get_data(as_text=True)) == "de"
    saved = author.submit("/konto", {"locale": "en"}, headers=DE)
    assert saved.status_code == 302
    page = author.get("/konto", headers=DE).get_data(as_text=True)
    assert lang(page) == "en"  # the setting beats the browser's German
    assert "Your language setting has been saved." in page
    assert "Meine Klimachecks" not in author.get("/", headers=DE, follow_redirects=True).get_data(as_text=True)
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "user.locale")).one()
    assert entry.detail["locale"] == "en"
    assert db_session.scalars(select(User).where(User.username == "author")).one().locale == "en"
    # "as set in the browser": the browser decides again
    author.submit("/konto", {"locale": ""}, headers=DE)
    assert lang(author.get("/konto", headers=DE).get_data(as_text=True)) == "de"
    assert lang(author.get("/konto", headers=EN).get_data(as_text=True)) == "en"


def test_an_unknown_language_is_refused_in_the_users_language(as_role):
    author = as_role("author")
    author.get("/konto", headers=EN)
    refused = author.post("/konto", {"locale": "fr"}, headers=EN)
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Not a valid choice" in text  # WTForms' own message, in the interface's language
    author.get("/konto", headers=DE)
    refused = author.post("/konto", {"locale": "fr"}, headers=DE)
    assert refused.status_code == 422 and "Not a valid choice" not in refused.get_data(as_text=True)


def test_the_api_answers_in_the_clients_language(app):
    client = app.test_client()
    german = client.get("/api/v1/checks").get_json()
    assert german["title"] == "Nicht angemeldet"
    english = client.get("/api/v1/checks", headers=EN).get_json()
    assert english["title"] == "Not logged in"
    assert english["detail"] == "Log in or send a token (Authorization: Bearer …)."
    bearer = {"Authorization": f"Bearer {make_token(app, 'author')}"}
    missing = client.get("/api/v1/checks/999999", headers={**EN, **bearer}).get_json()
    assert (missing["title"], missing["detail"]) == ("Not found", "There is no climate check 999999 for you.")
    missing = client.get("/api/v1/checks/999999", headers=bearer).get_json()
    assert missing["detail"] == "Einen Klimacheck 999999 gibt es für Sie nicht."


def test_the_login_page_links_the_other_language(browser):
    page = browser.get("/login?next=/meine", headers=DE).get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" lang="en" hreflang="en">English</a>', page)
    assert link, "no link to the English page"
    english = browser.get(link.group(1).replace("&amp;", "&"), headers=DE).get_data(as_text=True)
    assert lang(english) == "en" and 'lang="de" hreflang="de">Deutsch</a>' in english
    assert "next=/meine" in link.group(1).replace("%2F", "/")


# Words that give a German text away: function words no English sentence has, the app's own nouns,
# the German letters. The English browser test (test_browser.py) uses the same list.
GERMAN_WORDS = re.compile(
    r"\b(?:der|die|das|und|nicht|ist|sind|ein|eine|einen|mit|für|oder|von|zu|zum|zur|auf|bei|Sie|Ihr|Ihre|"
    r"wird|werden|kein|keine|noch|nach|über|wie|sich|dem|den|des|im|vom|am|Klimacheck|Klimachecks|Vorlage|"
    r"Ergebnis|Schritt|Weiter|Zurück|Jahr|Jahre|Prüfcode|Amt|Gremium|Regelwerk|Entwurf|eingereicht)\b"
    r"|[äöüÄÖÜß]"
)


def visible_lines(html: str) -> list[str]:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", "\n", html)
    html = html.replace("&nbsp;", " ").replace("&amp;", "&").replace("&#34;", '"').replace("&#39;", "'")
    return [line.strip() for line in html.splitlines() if line.strip()]


def test_pages_without_checks_have_no_german_left(app, as_role):
    """The pages around the checks, empty, for each role that sees them: nothing German but names."""
    names = {"Frau Climate", "Frau Admin", "Frau Author", "Frau Council", "Herr Zweiter", "Nachbargemeinde"}
    pages = {
        "climate": ["/register", "/uebersicht", "/beschluesse-nachtragen", "/konto", "/konto/api-tokens", "/pruefen"],
        "admin": ["/admin/benutzer", "/konto"],
        "author": ["/klimachecks", "/klimachecks/999999"],
        "council": ["/meine-ausschuesse"],
    }
    left = {}
    for role, paths in pages.items():
        user = as_role(role)
        for path in paths:
            response = user.get(path, headers=EN)
            assert lang(response.get_data(as_text=True)) == "en", path
            for line in visible_lines(response.get_data(as_text=True)):
                for name in names:
                    line = line.replace(name, " ")
                if GERMAN_WORDS.search(line):
                    left.setdefault(line[:120], []).append(f"{role} {path}")
    assert not left, "German left:\n" + "\n".join(f"  {k!r} ← {v}" for k, v in sorted(left.items()))


def test_the_rule_sets_own_english_texts_on_the_wizard_pages(app, as_role):
    """Questions, options, step titles and answers in English where the rule set has them (`text_en`,
    `label_en`, `title_en`), on the step page, the review page and in the API; German stays German."""
    from impactcheck.core.registry import resolve_ruleset
    from tests.web.flows import answer_all, example, start

    rs = resolve_ruleset("kassel-2030")
    first = rs.all_steps[0]
    question = next(q for q in first.questions if q.text_en and getattr(q, "options", None))
    option = next(o for o in question.options if o.label_en)
    assert question.text_en != question.text and option.label_en != option.label

    author = as_role("author")
    check_id = start(author)
    step = author.get(f"/klimachecks/{check_id}/schritt/{first.id}", headers=EN).get_data(as_text=True)
    assert question.text_en in step and option.label_en in step
    assert question.text not in step and option.label not in step
    german = author.get(f"/klimachecks/{check_id}/schritt/{first.id}", headers=DE).get_data(as_text=True)
    assert question.text in german and option.label in german and question.text_en not in german
    # Kept markup (web/questionmarkup.py) is per language: German again after English, and back.
    step = author.get(f"/klimachecks/{check_id}/schritt/{first.id}", headers=EN).get_data(as_text=True)
    assert question.text_en in step and question.text not in step

    answer_all(author, check_id, example("pv-schuldaecher/schaetzt")["answers"])
    review = author.get(f"/klimachecks/{check_id}/pruefen", headers=EN).get_data(as_text=True)
    assert first.title_en in review and f">{first.title}<" not in review
    assert rs.title_en in review and "Yes</dd>" in review and "Ja</dd>" not in review

    bearer = {"Authorization": f"Bearer {make_token(app, 'author')}"}
    detail = app.test_client().get("/api/v1/rulesets/kassel-2030", headers={**EN, **bearer}).get_json()
    texts = {q["text"] for s in detail["steps"] for q in s["questions"]}
    assert question.text_en in texts and question.text not in texts


def test_a_page_keeps_its_catalogue_until_the_locale_changes(app):
    """Templates look the catalogue up once per request (web/templating.page_translations); a template
    rendered under force_locale, and the page after it, still get the right language."""
    from flask import render_template_string
    from flask_babel import force_locale

    text = "{{ _('Abbrechen') }}"
    with app.test_request_context("/", headers=EN):
        assert render_template_string(text) == "Cancel"
        with force_locale("de"):
            assert render_template_string(text) == "Abbrechen"
        assert render_template_string(text) == "Cancel"
    with app.test_request_context("/", headers=DE):
        assert render_template_string(text) == "Abbrechen"
