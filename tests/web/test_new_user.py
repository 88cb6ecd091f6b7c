"""What a new user hit (issue 9, point 6), one test (or a few) per finding, through the test client.

The browser-side halves (Enter in a real field, where focus lands after an error, axe) are in
test_browser.py.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select, update

from impactcheck.store.models import AuditEntry, Check, User, utcnow
from tests.web.conftest import Browser
from tests.web.flows import PAPER, SCREEN_NO, start, submit_example


class Elements(HTMLParser):
    """Start tags in document order, with their attributes and the id of the enclosing form."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str], str | None]] = []
        self._forms: list[str | None] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._forms.append(a.get("id"))
        self.tags.append((tag, a, self._forms[-1] if self._forms else None))

    def handle_endtag(self, tag):
        if tag == "form" and self._forms:
            self._forms.pop()

    def submit_buttons(self, form_id: str) -> list[dict[str, str]]:
        """The submit buttons whose form owner is the form `form_id`, in tree order (HTML's rule for
        the default button that Enter presses)."""
        found = []
        for tag, a, enclosing in self.tags:
            owner = a.get("form", enclosing)
            is_submit = (tag == "button" and a.get("type", "submit") == "submit") or (
                tag == "input" and a.get("type") in ("submit", "image")
            )
            if is_submit and owner == form_id:
                found.append(a)
        return found


def an_hour_ago() -> dt.datetime:
    return utcnow() - dt.timedelta(hours=1)


def html_of(response) -> str:
    return response.get_data(as_text=True)


# --- 1. Enter means "Weiter" ------------------------------------------------------------------


def test_enter_on_a_step_presses_weiter_not_zurueck(as_role):
    """The browser's default button is the first submit button of the form in tree order; the back
    link at the top submitted "back" (browser test: test_browser.test_enter_in_a_field_goes_on)."""
    b = as_role("author")
    check_id = start(b)
    for url in (f"/klimachecks/{check_id}/schritt/vorpruefung", f"/klimachecks/{check_id}/schritt/exit"):
        if url.endswith("/exit"):
            b.submit(f"/klimachecks/{check_id}/schritt/vorpruefung", {**SCREEN_NO, "action": "next"})
        buttons = Elements(html_of(b.get(url))).submit_buttons("stepform")
        assert buttons[0].get("name") == "action" and buttons[0].get("value") == "next", buttons[:2]
        # The copy is out of the tab order and hidden from screen readers; the visible buttons stay.
        assert buttons[0].get("tabindex") == "-1" and buttons[0].get("aria-hidden") == "true"
        assert [x.get("value") for x in buttons].count("back") == 2  # back link and "Zurück" button


def test_enter_on_the_alternative_saves_it(as_role):
    b = as_role("author")
    check_id = start(b)
    buttons = Elements(html_of(b.get(f"/klimachecks/{check_id}/alternative"))).submit_buttons("alternativeform")
    assert "name" not in buttons[0] and buttons[0].get("tabindex") == "-1"  # the save button, not "Ändern …"


@pytest.mark.parametrize("page", ["/klimachecks/neu", "/klimachecks/{id}/vorlage"])
def test_enter_on_the_paper_form_is_weiter(as_role, page):
    b = as_role("author")
    check_id = start(b)
    html = html_of(b.get(page.format(id=check_id)))
    form = re.search(r'<form method="post" enctype="multipart/form-data".*?</form>', html, re.S).group(0)
    assert re.findall(r"<button[^>]*>([^<]*)", form) == ["Weiter"]


# --- 2. errors at the point of action, focus moved there --------------------------------------


def _position(html: str, needle: str) -> int:
    assert needle in html, needle
    return html.index(needle)


def test_upload_error_is_said_at_the_upload_form(as_role):
    b = as_role("author")
    check_id = submit_example(b, "strassenumbenennung/ohne-zahlen")
    b.get(f"/klimachecks/{check_id}")
    response = b.post(
        f"/klimachecks/{check_id}/vorlage.docx?revision=1",
        {"annex": "end", "paper": (io.BytesIO(b"kein Word"), "vorlage.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    html = html_of(response)
    # The message sits directly above the upload form (below "Für die Vorlage"), not at the top.
    summary = _position(html, 'id="upload-error-summary"')
    assert _position(html, 'id="word"') < summary < _position(html, 'action="/klimachecks/')
    assert html.count("data-error-summary") == 1  # the one that focus.js focuses
    assert 'aria-describedby="paper-hint paper-error"' in html and 'id="paper-error"' in html
    assert 'id="annex-end" name="annex" value="end" checked' in html  # the choice is kept
    assert "static/focus.js" in html
    assert "get_flashed_messages" not in html and 'class="notice notice--error"' not in html  # no message at the top


def test_no_file_at_all_is_said_at_the_upload_form(as_role):
    b = as_role("author")
    check_id = submit_example(b, "strassenumbenennung/ohne-zahlen")
    b.get(f"/klimachecks/{check_id}")
    response = b.post(f"/klimachecks/{check_id}/vorlage.docx", {"annex": "none"}, content_type="multipart/form-data")
    assert response.status_code == 422
    html = html_of(response)
    assert _position(html, 'id="word"') < _position(html, "Bitte wählen Sie Ihre Vorlage als Word-Datei")


def test_review_decision_error_is_said_at_the_review_form(as_role):
    author = as_role("author")
    check_id = submit_example(author, "strassenumbenennung/ohne-zahlen")
    climate = as_role("climate")
    climate.get(f"/klimachecks/{check_id}")
    response = climate.post(f"/klimachecks/{check_id}/pruefung", {"version": climate.version(), "comment": "x" * 4001})
    assert response.status_code == 422
    html = html_of(response)
    summary = _position(html, 'id="review-error-summary"')
    assert _position(html, 'id="pruefung"') < summary < _position(html, f'action="/klimachecks/{check_id}/pruefung"')
    assert 'href="#decision-approve"' in html and 'href="#comment"' in html
    assert "Bitte wählen Sie eine Entscheidung." in html
    assert "Höchstens 4.000 Zeichen sind möglich; Ihr Text hat 4.001." in html
    assert 'aria-describedby="comment-error"' in html and 'aria-describedby="decision-error"' in html
    assert "static/focus.js" in html


def test_submit_error_is_said_at_the_submit_button(as_role):
    """The review page is long: a refused submission is said in its "Einreichen" section."""
    b = as_role("author")
    check_id = start(b)
    review = html_of(b.get(f"/klimachecks/{check_id}/pruefen"))
    response = b.post(f"/klimachecks/{check_id}/einreichen", {"version": b.version(review)})
    assert response.status_code == 422
    html = html_of(response)
    assert _position(html, 'id="einreichen"') < _position(html, "data-error-summary")


def test_paper_form_moves_focus_to_its_error_summary(as_role):
    b = as_role("author")
    response = b.submit("/klimachecks/neu", {**PAPER, "title": "", "ruleset": "kassel-2030"})
    html = html_of(response)
    assert "data-error-summary" in html and "static/focus.js" in html
    assert "<title>Fehler:" in html
    assert 'aria-describedby="title-hint title-error"' in html and 'aria-invalid="true"' in html


# --- 3. councillors are not offered the author's upload ---------------------------------------


def test_upload_form_only_for_those_who_write_papers(app, as_role):
    author = as_role("author")
    check_id = submit_example(author, "strassenumbenennung/ohne-zahlen")
    for who, offered in (("author", True), ("climate", True), ("council", False), ("admin", False)):
        b = author if who == "author" else as_role(who)
        html = html_of(b.get(f"/klimachecks/{check_id}"))
        assert ("In Ihre Vorlage einfügen" in html) is offered, who
        assert ("vorlage.docx" in html) is offered, who
        assert "Klimacheck-Abschnitt als Word-Datei" in html  # the section alone is for every reader
        response = b.post(
            f"/klimachecks/{check_id}/vorlage.docx",
            {"annex": "none", "paper": (io.BytesIO(b"PK"), "meine.docx")},
            content_type="multipart/form-data",
        )
        assert response.status_code == (422 if offered else 403), who


# --- 4. a long title is kept whole, or the form says why not ----------------------------------

LONG_TITLE = (
    "Bebauungsplan Nr. 4711 „Quartier an der Fulda – Nördliche Erweiterung“: Aufstellungsbeschluss, "
    "Billigung des Vorentwurfs und frühzeitige Beteiligung der Öffentlichkeit und der Träger öffentlicher "
    "Belange gemäß §§ 3 Abs. 1 und 4 Abs. 1 BauGB; zugleich Änderung des Flächennutzungsplans "
)


def test_a_title_of_1000_characters_is_stored_whole(as_role, db_session):
    title = (LONG_TITLE * 4)[:999] + "Ä"
    assert len(title) == 1000
    b = as_role("author")
    form = html_of(b.get("/klimachecks/neu"))
    field = re.search(r'<input[^>]*id="title"[^>]*>', form).group(0)
    assert "maxlength" not in field  # a browser would cut a pasted title there without a word
    assert "bis zu 1.000 Zeichen" in form
    check_id = start(b, title=title)
    db_session.expire_all()
    assert db_session.get(Check, check_id).title == title
    assert title in html_of(b.get(f"/klimachecks/{check_id}/pruefen"))


def test_a_longer_title_gets_a_message_not_a_cut(as_role, db_session):
    b = as_role("author")
    response = b.submit("/klimachecks/neu", {**PAPER, "title": LONG_TITLE * 5, "ruleset": "kassel-2030"})
    assert response.status_code == 200
    html = html_of(response)
    length = len((LONG_TITLE * 5).strip())
    assert f"Höchstens 1.000 Zeichen sind möglich; Ihr Text hat {length:,}".replace(",", ".") in html
    assert db_session.scalar(select(Check.id)) is None
    assert (LONG_TITLE * 5).strip()[:900] in html  # the typed title stays, to be shortened


def test_no_fixed_form_field_cuts_text_silently(as_role):
    """No maxlength on the forms' text fields: the server names a limit instead of the browser cutting."""
    b = as_role("author")
    check_id = start(b)
    admin = as_role("admin")
    for browser, url in (
        (b, "/klimachecks/neu"),
        (b, f"/klimachecks/{check_id}/vorlage"),
        (b, f"/klimachecks/{check_id}/alternative"),
        (admin, "/admin/benutzer"),
    ):
        html = html_of(browser.get(url))
        assert "maxlength" not in html, url


# --- 5. the same paper started twice: a warning with a link; drafts can be deleted ------------


def _start_form(b: Browser, **paper) -> tuple[int, str]:
    response = b.submit("/klimachecks/neu", {**PAPER, "ruleset": "kassel-2030", **paper})
    return response.status_code, html_of(response)


def _checks(db_session) -> int:
    db_session.expire_all()
    return len(db_session.scalars(select(Check).where(Check.deleted_at.is_(None))).all())


def test_the_same_reference_again_warns_and_links_the_own_check(as_role, db_session):
    b = as_role("author")
    first = start(b, reference="V/2026/0815")
    db_session.execute(update(Check).values(created_at=an_hour_ago()))
    db_session.commit()
    status, html = _start_form(b, reference="  v/2026/0815 ", title="Noch einmal")  # case and spaces ignored
    assert status == 200 and _checks(db_session) == 1
    assert "Zu dieser Drucksache gibt es schon einen Klimacheck" in html
    assert f'href="/klimachecks/{first}/weiter"' in html and "(Ihr Klimacheck)" in html
    assert "Ersatz der Heizungsanlage in der Kita Wolfsanger" in html  # its title: the author's own
    assert 'name="trotzdem" value="v/2026/0815"' in html and "Trotzdem neu beginnen" in html
    assert 'value="Noch einmal"' in html  # what was typed stays
    assert html.index("schon-begonnen") < html.index("Trotzdem neu beginnen")  # at the button pressed
    # "Trotzdem neu beginnen" starts the second check.
    response = b.post(
        "/klimachecks/neu",
        {
            **PAPER,
            "reference": "v/2026/0815",
            "title": "Noch einmal",
            "ruleset": "kassel-2030",
            "trotzdem": "v/2026/0815",
        },
    )
    assert response.status_code == 302 and "/schritt/" in response.headers["Location"]
    assert _checks(db_session) == 2


def test_a_changed_reference_after_the_warning_is_checked_again(as_role, db_session):
    b = as_role("author")
    start(b, reference="A-1")
    start(b, reference="B-2", title="Andere")
    db_session.execute(update(Check).values(created_at=an_hour_ago()))
    db_session.commit()
    b.get("/klimachecks/neu")
    # Confirmed for A-1, but the author changed the reference to B-2, which exists too: warned again.
    response = b.post("/klimachecks/neu", {**PAPER, "reference": "B-2", "ruleset": "kassel-2030", "trotzdem": "a-1"})
    assert response.status_code == 200 and "Trotzdem neu beginnen" in html_of(response)
    assert _checks(db_session) == 2


def test_another_authors_check_is_named_by_its_office_only(as_role, db_session):
    other = as_role("author2")
    start(other, reference="101.26.0999", title="Geheimer Entwurf", department="Kulturamt")
    status, html = _start_form(as_role("author"), reference="101.26.0999")
    assert status == 200
    assert "Ein Klimacheck einer anderen Person, einbringendes Amt: Kulturamt" in html
    assert "Geheimer Entwurf" not in html and "/klimachecks/1/" not in html


def test_the_climate_department_gets_a_link_to_a_submitted_check(as_role, db_session):
    author = as_role("author")
    check_id = submit_example(author, "strassenumbenennung/ohne-zahlen", reference="101.26.0777")
    draft = start(as_role("author2"), reference="101.26.0777", title="Entwurf daneben", trotzdem="101.26.0777")
    status, html = _start_form(as_role("climate"), reference="101.26.0777")
    assert status == 200
    assert f'href="/klimachecks/{check_id}"' in html  # submitted: the department reads it in the register
    assert f"/klimachecks/{draft}" not in html and "Entwurf daneben" not in html  # a draft: its office only


def test_deleted_and_other_municipalities_checks_do_not_warn(as_role, db_session):
    b = as_role("author")
    check_id = start(b, reference="X-9")
    db_session.execute(update(Check).values(created_at=an_hour_ago(), deleted_at=an_hour_ago()))
    db_session.commit()
    assert _start_form(b, reference="X-9")[0] == 302
    start(as_role("fremd"), ruleset="schnellcheck", reference="Y-1")
    assert _start_form(b, reference="Y-1")[0] == 302
    assert check_id


def test_a_double_click_on_weiter_is_not_warned_about(as_role, db_session):
    """The second click of a double click finds the check the first made a moment ago: it goes there."""
    b = as_role("author")
    html = html_of(b.get("/klimachecks/neu"))
    data = {**PAPER, "ruleset": "kassel-2030", "csrf_token": b.token(html)}
    first = b.client.post("/klimachecks/neu", data=data)
    second = b.client.post("/klimachecks/neu", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert _checks(db_session) == 1


def test_the_owner_deletes_a_draft_after_a_confirmation(as_role, db_session):
    b = as_role("author")
    check_id = start(b, reference="L-1")
    review = html_of(b.get(f"/klimachecks/{check_id}/pruefen"))
    assert f'href="/klimachecks/{check_id}/loeschen"' in review and "Entwurf löschen" in review
    assert f'href="/klimachecks/{check_id}/loeschen"' in html_of(b.get(f"/klimachecks/{check_id}/vorlage"))
    page = b.get(f"/klimachecks/{check_id}/loeschen")
    assert page.status_code == 200
    html = html_of(page)
    assert "Entwurf löschen?" in html and "L-1" in html and 'name="csrf_token"' in html
    assert db_session.get(Check, check_id).deleted_at is None  # the page only asks
    response = b.post(f"/klimachecks/{check_id}/loeschen")
    assert response.status_code == 302 and response.headers["Location"].endswith("/klimachecks")
    listing = html_of(b.get("/klimachecks"))
    assert "Der Entwurf „L-1“ ist gelöscht." in listing
    assert f"/klimachecks/{check_id}/" not in listing
    db_session.expire_all()
    assert db_session.get(Check, check_id).deleted_at is not None
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "check.delete")).one()
    assert entry.check_id == check_id and entry.user_id == db_session.scalar(
        select(User.id).where(User.username == "author")
    )
    assert b.get(f"/klimachecks/{check_id}/pruefen").status_code == 404
    # A second click: the same message, no error.
    again = b.post(f"/klimachecks/{check_id}/loeschen")
    assert again.status_code == 302 and again.headers["Location"].endswith("/klimachecks")


def test_only_the_owner_deletes_and_only_a_never_submitted_check(as_role, db_session):
    author = as_role("author")
    draft = start(author, reference="M-1")
    submitted = submit_example(author, "strassenumbenennung/ohne-zahlen", reference="M-2")
    climate = as_role("climate")
    climate.get("/klimachecks/neu")
    assert climate.post(f"/klimachecks/{draft}/loeschen").status_code == 403
    assert as_role("author2").post(f"/klimachecks/{draft}/loeschen").status_code == 404
    author.get(f"/klimachecks/{submitted}")
    assert author.post(f"/klimachecks/{submitted}/neue-revision").status_code == 302  # a draft revision
    review = html_of(author.get(f"/klimachecks/{submitted}/pruefen"))
    assert "/loeschen" not in review  # submitted once: part of the record
    response = author.post(f"/klimachecks/{submitted}/loeschen")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/klimachecks/{submitted}")
    assert "können nicht gelöscht werden" in html_of(author.get(response.headers["Location"]))
    db_session.expire_all()
    assert db_session.get(Check, draft).deleted_at is None
    assert db_session.get(Check, submitted).deleted_at is None


def test_delete_without_the_form_token_is_refused(as_role, db_session):
    b = as_role("author")
    check_id = start(b, reference="N-1")
    assert b.client.post(f"/klimachecks/{check_id}/loeschen").status_code == 400
    db_session.expire_all()
    assert db_session.get(Check, check_id).deleted_at is None


# --- 6 and 7: no attribute "None"; every scroll box reachable by keyboard ---------------------


def _pages(as_role) -> list[tuple[str, str]]:
    """(url, html) of the app's pages as each role sees them, including pages with errors."""
    author = as_role("author")
    exit_check = submit_example(author, "strassenumbenennung/ohne-zahlen", reference="P-1")
    numbers = submit_example(author, "gasheizung-ersatz-kita/schaetzt", reference="P-2")
    draft = start(author, reference="P-3")
    climate, council, admin = as_role("climate"), as_role("council"), as_role("admin")
    anonymous = Browser(author.client.application.test_client())
    pages = []
    for b, url in (
        (anonymous, "/login"),
        (author, "/klimachecks"),
        (author, "/klimachecks/neu"),
        (author, f"/klimachecks/{draft}/vorlage"),
        (author, f"/klimachecks/{draft}/schritt/vorpruefung"),
        (author, f"/klimachecks/{draft}/pruefen"),
        (author, f"/klimachecks/{draft}/alternative"),
        (author, f"/klimachecks/{draft}/loeschen"),
        (author, f"/klimachecks/{numbers}"),
        (author, f"/klimachecks/{exit_check}"),
        (climate, f"/klimachecks/{numbers}"),
        (climate, "/register"),
        (council, "/register"),
        (council, f"/klimachecks/{numbers}"),
        (admin, "/admin/benutzer"),
        (author, "/register"),  # 403
        (author, "/klimachecks/999999"),  # 404
    ):
        pages.append((url, html_of(b.get(url))))
    # Pages with errors: the paper form and the user form.
    pages.append(("POST /klimachecks/neu", html_of(author.submit("/klimachecks/neu", {"ruleset": "kassel-2030"}))))
    pages.append(("POST /admin/benutzer", html_of(admin.submit("/admin/benutzer", {"role": "author"}))))
    return pages


def test_no_page_renders_an_attribute_none(as_role):
    for url, html in _pages(as_role):
        assert 'autocomplete="None"' not in html, url
        assert not re.search(r'\s[\w-]+="None"', html), (url, re.findall(r'\s[\w-]+="None"', html))


def test_every_scroll_box_is_a_named_keyboard_stop(as_role):
    seen = 0
    for url, html in _pages(as_role):
        for tag, a, _form in Elements(html).tags:
            if tag == "div" and "table-scroll" in a.get("class", "").split():
                seen += 1
                assert a.get("tabindex") == "0", (url, a)
                assert a.get("role") == "region" and a.get("aria-label", "").strip(), (url, a)
    assert seen >= 8  # the calculation tables, the sectors, the lists
