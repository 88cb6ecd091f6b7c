"""Every route × every role (and anonymous, and a user of another municipality) gets the right status."""

from __future__ import annotations

import pytest
import yaml

from impactcheck.store.models import User
from tests.support import RULES
from tests.web.conftest import Browser
from tests.web.flows import answer_all, start

WHO = ("anonymous", "author", "author2", "council", "climate", "admin", "fremd", "fremdadmin")


@pytest.fixture
def world(app, as_role, db_session):
    """A draft and a submitted check of `author`, a draft of `climate`."""
    author = as_role("author")
    draft = start(author, reference="D-1")
    submitted = start(author, reference="S-1")
    data = yaml.safe_load((RULES / "examples/kassel-2030/strassenumbenennung/ohne-zahlen.yaml").read_text())
    answer_all(author, submitted, data["answers"])
    review = author.get(f"/klimachecks/{submitted}/pruefen").get_data(as_text=True)
    assert author.post(f"/klimachecks/{submitted}/einreichen", {"version": author.version(review)}).status_code == 302
    revised = start(author, reference="R-1")
    answer_all(author, revised, data["answers"])
    review = author.get(f"/klimachecks/{revised}/pruefen").get_data(as_text=True)
    assert author.post(f"/klimachecks/{revised}/einreichen", {"version": author.version(review)}).status_code == 302
    author.get(f"/klimachecks/{revised}")
    assert author.post(f"/klimachecks/{revised}/neue-revision").status_code == 302  # a newer draft
    user_id = db_session.query(User).filter_by(username="council").one().id
    return {"draft": draft, "submitted": submitted, "revised": revised, "user": user_id}


# (method, url template, {who: status}); missing roles default to the "*" entry.
ANON = {"anonymous": 302}
OWN_DRAFT = {"author": 200, "climate": 403, "admin": 403, "*": 404, **ANON}
READ_SUBMITTED = {"author": 200, "council": 200, "climate": 200, "admin": 200, "*": 404, **ANON}
RECORD_OUTCOME = {"council": 403, "admin": 403, "*": 404, **ANON}  # the council's decision (issue 9)
ROUTES = [
    ("GET", "/healthz", {"*": 200, "anonymous": 200}),
    ("GET", "/login", {"*": 302, "anonymous": 200}),
    ("GET", "/", {"*": 302, **ANON}),
    ("GET", "/klimachecks", {"author": 200, "author2": 200, "climate": 200, "fremd": 200, "*": 403, **ANON}),
    ("GET", "/klimachecks/neu", {"author": 200, "author2": 200, "climate": 200, "fremd": 200, "*": 403, **ANON}),
    ("GET", "/klimachecks/{draft}", {"author": 302, "*": 404, **ANON}),
    (
        "GET",
        "/klimachecks/{draft}/schritt/vorpruefung",
        {"author": 200, "climate": 403, "admin": 403, "*": 404, **ANON},
    ),
    ("GET", "/klimachecks/{draft}/pruefen", {"author": 200, "climate": 403, "admin": 403, "*": 404, **ANON}),
    ("GET", "/klimachecks/{draft}/vorlage", {"author": 200, "climate": 403, "admin": 403, "*": 404, **ANON}),
    ("GET", "/klimachecks/{draft}/alternative", {"author": 200, "climate": 403, "admin": 403, "*": 404, **ANON}),
    ("GET", "/klimachecks/{draft}/weiter", {"author": 302, "climate": 403, "admin": 403, "*": 404, **ANON}),
    (
        "GET",
        "/klimachecks/{submitted}",
        {"author": 200, "council": 200, "climate": 200, "admin": 200, "*": 404, **ANON},
    ),
    (
        "GET",
        "/klimachecks/{submitted}/ergebnis.json",
        {"author": 200, "council": 200, "climate": 200, "admin": 200, "*": 404, **ANON},
    ),
    (
        "GET",
        "/klimachecks/{submitted}/klimacheck.docx",
        {"author": 200, "council": 200, "climate": 200, "admin": 200, "*": 404, **ANON},
    ),
    (
        "GET",
        "/klimachecks/{submitted}/diagramm.png",
        {"author": 200, "council": 200, "climate": 200, "admin": 200, "*": 404, **ANON},
    ),
    (
        "GET",
        "/klimachecks/{submitted}/schritt/vorpruefung",
        {"author": 302, "council": 403, "climate": 403, "admin": 403, "*": 404, **ANON},
    ),
    (
        "GET",
        "/register",
        {"council": 200, "climate": 200, "admin": 200, "fremd": 200, "fremdadmin": 200, "*": 403, **ANON},
    ),
    ("GET", "/admin/benutzer", {"admin": 200, "fremdadmin": 200, "*": 403, **ANON}),
    ("POST", "/klimachecks/{submitted}/pruefung", {"climate": 302, "fremd": 404, "*": 403, **ANON}),
    (
        "POST",
        "/klimachecks/{submitted}/neue-revision",
        {"author": 302, "council": 403, "climate": 403, "admin": 403, "*": 404, **ANON},
    ),
    ("POST", "/klimachecks/{draft}/einreichen", {"author": 422, "climate": 403, "admin": 403, "*": 404, **ANON}),
    ("POST", "/admin/benutzer/{user}/aktiv", {"admin": 302, "fremdadmin": 404, "*": 403, **ANON}),
    ("POST", "/logout", {"*": 302}),
    # Form posts: the owner gets the form back with its errors (200/422) or is sent on (302).
    ("POST", "/klimachecks/neu", {"author": 200, "author2": 200, "climate": 200, "fremd": 200, "*": 403, **ANON}),
    ("POST", "/klimachecks/{draft}/schritt/vorpruefung", OWN_DRAFT),
    ("POST", "/klimachecks/{draft}/vorlage", OWN_DRAFT),
    ("POST", "/klimachecks/{draft}/alternative", OWN_DRAFT),
    (
        "POST",
        "/klimachecks/{draft}/alternative/entfernen",
        {"author": 302, "climate": 403, "admin": 403, "*": 404, **ANON},
    ),
    # Only those who write papers insert the section into one (access.may_insert_into_paper); without a
    # file (none stored for this check) the page comes back with the message at the form.
    (
        "POST",
        "/klimachecks/{submitted}/vorlage.docx",
        {"author": 422, "council": 403, "climate": 422, "admin": 403, "*": 404, **ANON},
    ),
    ("POST", "/admin/benutzer", {"admin": 422, "fremdadmin": 422, "*": 403, **ANON}),
    ("POST", "/admin/benutzer/{user}/passwort", {"admin": 302, "fremdadmin": 404, "*": 403, **ANON}),
    # A submitted check with a newer draft: everyone who may read sees the submitted revision only.
    ("GET", "/klimachecks/{revised}", READ_SUBMITTED),
    ("GET", "/klimachecks/{revised}?revision=2", {"*": 404, **ANON}),
    ("GET", "/klimachecks/{revised}/ergebnis.json?revision=2", {"*": 404, **ANON}),
    # --- register (issue 9)
    # Paged, sorted, searched and with a malformed date: the same answer for every role (test_register.py
    # checks the contents).
    (
        "GET",
        "/register?seite=2&pro_seite=25&sort=-co2&q=Kita&von=kaputt&votum=negative",
        {"council": 200, "climate": 200, "admin": 200, "fremd": 200, "fremdadmin": 200, "*": 403, **ANON},
    ),
    (
        "GET",
        "/klimachecks?seite=2&pro_seite=25",
        {"author": 200, "author2": 200, "climate": 200, "fremd": 200, "*": 403, **ANON},
    ),
    # --- exports (issue 9)
    # The register's readers, each municipality its own checks (test_export.py checks the contents).
    (
        "GET",
        "/register/export.csv",
        {"council": 200, "climate": 200, "admin": 200, "fremd": 200, "fremdadmin": 200, "*": 403, **ANON},
    ),
    (
        "GET",
        "/register/export.xlsx?status=submitted",
        {"council": 200, "climate": 200, "admin": 200, "fremd": 200, "fremdadmin": 200, "*": 403, **ANON},
    ),
    # --- outcome (issue 9)
    # The author and the climate department record the decision; readers who may not get 403; a
    # check with only a draft has none (its author is sent back to the draft).
    ("GET", "/klimachecks/{submitted}/beschluss", {**RECORD_OUTCOME, "author": 200, "climate": 200}),
    ("GET", "/klimachecks/{revised}/beschluss", {**RECORD_OUTCOME, "author": 200, "climate": 200}),
    ("GET", "/klimachecks/{draft}/beschluss", {"author": 302, "*": 404, **ANON}),
    ("POST", "/klimachecks/{submitted}/beschluss", {**RECORD_OUTCOME, "author": 422, "climate": 422}),
    ("POST", "/klimachecks/{draft}/beschluss", {"author": 302, "*": 404, **ANON}),
    (
        "GET",
        "/beschluesse-nachtragen",
        {"author": 200, "author2": 200, "climate": 200, "fremd": 200, "*": 403, **ANON},
    ),
    # --- overview (issue 9)
    (
        "GET",
        "/uebersicht",
        {"council": 200, "climate": 200, "admin": 200, "fremd": 200, "fremdadmin": 200, "*": 403, **ANON},
    ),
    (
        "GET",
        "/uebersicht?zeitraum=alle&von=kaputt&votum=negative&pruefer=99999999999",
        {"council": 200, "climate": 200, "admin": 200, "fremd": 200, "fremdadmin": 200, "*": 403, **ANON},
    ),
    # --- wizard additions (issue 9)
    ("GET", "/klimachecks/{draft}/loeschen", {"author": 200, "climate": 403, "admin": 403, "*": 404, **ANON}),
    # A check that was ever submitted is kept: its owner is sent to it with a message.
    (
        "GET",
        "/klimachecks/{revised}/loeschen",
        {"author": 302, "council": 403, "climate": 403, "admin": 403, "*": 404, **ANON},
    ),
    # The author (second in WHO) deletes the draft; from then on it is gone for everyone (404), the
    # author's second click included (302 to the list). Refusals before the delete: test_wizard.
    ("POST", "/klimachecks/{draft}/loeschen", {"author": 302, "*": 404, **ANON}),
    (
        "POST",
        "/klimachecks/{revised}/loeschen",
        {"author": 302, "council": 403, "climate": 403, "admin": 403, "*": 404, **ANON},
    ),
]
ROUTES_IDS = [f"{m} {u}" for m, u, _ in ROUTES]


def expected(statuses: dict, who: str) -> int:
    return statuses.get(who, statuses.get("*"))


@pytest.mark.parametrize(("method", "url", "statuses"), ROUTES, ids=ROUTES_IDS)
def test_route_matrix(app, world, method, url, statuses):
    path = url.format(**world)
    for who in WHO:
        b = Browser(app.test_client())
        if who == "anonymous":
            b.get("/login")  # a session with a CSRF token, as a browser would have
        else:
            b.login(who)
            b.get(
                "/klimachecks/neu"
                if who in ("author", "author2", "climate", "fremd")
                else "/register"
                if who != "admin"
                else "/admin/benutzer"
            )
        if method == "GET":
            response = b.get(path)
        else:
            data = {}
            if path.endswith("/pruefung"):
                # A reviewer posts from the result page, with the version shown there.
                page = b.get(path.removesuffix("/pruefung"))
                version = b.version() if page.status_code == 200 else None
                data = {"decision": "approve", "comment": "", "version": version or "1"}
            response = b.post(path, data)
        assert response.status_code == expected(statuses, who), (who, method, path, response.status_code)
        if response.status_code == 302 and who == "anonymous":
            assert "/login" in response.headers["Location"]


def test_post_without_csrf_token_is_rejected(app, world):
    b = Browser(app.test_client())
    b.login("author")
    response = b.client.post(f"/klimachecks/{world['draft']}/schritt/vorpruefung", data={"betrifft_gebaeude": "ja"})
    assert response.status_code == 400
    assert "Formular abgelaufen" in response.get_data(as_text=True)
    response = b.client.post("/login", data={"username": "author", "password": "x"})
    assert response.status_code == 400
