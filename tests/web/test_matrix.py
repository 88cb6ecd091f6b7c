"""Every route × every role (and anonymous, and a user of another municipality) gets the right status."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from impactcheck.core.registry import resolve_ruleset
from impactcheck.store import operations as ops
from impactcheck.store.db import Database
from impactcheck.store.models import Municipality, User
from tests.support import RULES, scratch_postgres_database
from tests.web.conftest import PASSWORD, Browser, seeded_app

# (user name, municipality, role): the home municipality's users, then Nachbargemeinde's, one of each role.
USERS = (
    ("author", "default", "author"),
    ("author2", "default", "author"),
    ("council", "default", "council"),
    ("climate", "default", "climate"),
    ("admin", "default", "admin"),
    ("fremdautor", "nachbar", "author"),
    ("fremdrat", "nachbar", "council"),
    ("fremd", "nachbar", "climate"),
    ("fremdadmin", "nachbar", "admin"),
)
WHO = ("anonymous", *(u for u, _m, _r in USERS))
# A route's statuses are written for the checks of the home municipality: keys are the home users and
# the other municipality's users by these names. Run against Nachbargemeinde's checks, its users take
# the home users' places (by role) and the home users the foreigners' (MIRROR).
FOREIGN_KEY = {"author": "fremdautor", "council": "fremdrat", "climate": "fremd", "admin": "fremdadmin"}
HOME_KEY = {"fremdautor": "author", "fremdrat": "council", "fremd": "climate", "fremdadmin": "admin"}
MIRROR = {
    **HOME_KEY,
    **{u: FOREIGN_KEY[r] for u, m, r in USERS if m == "default"},
}


def _check(s, author: User, answers: dict | None, reference: str, *, newer_draft: bool = False) -> int:
    """A check of `author` made by the operations the wizard calls (faster than through its pages,
    which test_flows and test_wizard drive): a draft, or with `answers` a submitted one."""
    rs = resolve_ruleset("kassel-2030")
    paper = ops.PaperData(reference=reference, title=f"Vorlage {reference}", department="Amt", committee="Rat")
    check = ops.create_check(s, author, paper=paper, ruleset=rs)
    if answers is not None:
        revision = check.current
        ops.save_step(s, author, revision, step_id="alle", values=answers, expected_version=revision.version)
        ops.submit(s, author, check, rs, expected_version=revision.version)
    if newer_draft:
        ops.new_revision(s, author, check)
    s.commit()
    return check.id


def _world(s, side: str) -> dict:
    """In one municipality (the home one, or Nachbargemeinde): a draft and a submitted check of its
    author, and a submitted check with a newer draft. Nachbargemeinde gets the two users it lacks."""
    nachbar = s.scalar(select(Municipality).where(Municipality.slug == "nachbar"))
    ops.update_municipality(s, nachbar, name=nachbar.name, rulesets=["kassel-2030", "schnellcheck"])
    for username, role in (("fremdautor", "author"), ("fremdrat", "council")):
        ops.create_user(s, None, municipality=nachbar, username=username, password=PASSWORD, role=role)
    s.commit()
    author = s.scalar(select(User).where(User.username == ("author" if side == "default" else "fremdautor")))
    data = yaml.safe_load((RULES / "examples/kassel-2030/strassenumbenennung/ohne-zahlen.yaml").read_text())
    draft = _check(s, author, None, "D-1")
    submitted = _check(s, author, data["answers"], "S-1")
    revised = _check(s, author, data["answers"], "R-1", newer_draft=True)
    admin = s.scalar(select(User).where(User.username == "admin"))
    ops.set_installation_admin(s, None, admin, True)  # runs the installation, too
    s.commit()
    council = "council" if side == "default" else "fremdrat"
    return {
        "draft": draft,
        "submitted": submitted,
        "revised": revised,
        "user": s.scalar(select(User.id).where(User.username == council)),
        "municipality": nachbar.id if side == "nachbar" else admin.municipality_id,
        "side": side,
    }


def _landing(who: str) -> str:
    """A page with a form (so a CSRF token) that `who` may open."""
    if who in ("author", "author2", "climate", "fremd", "fremdautor"):
        return "/klimachecks/neu"
    return "/admin/benutzer" if who in ("admin", "fremdadmin") else "/register"


class Template:
    """A database of one side with its world, and every user's login (cookie and CSRF token) on it,
    built once per backend; each case works on a copy, so what a case changes stays in that case."""

    def __init__(self, kind: str, url: str, world: dict, logins: dict, admin_url: str | None):
        self.kind, self.url, self.world, self.logins, self.admin_url = kind, url, world, logins, admin_url

    def copy(self) -> tuple[str, Callable[[], None]]:
        if self.kind == "sqlite":
            source = Path(make_url(self.url).database)
            target = source.with_name(f"{source.stem}-{uuid.uuid4().hex[:8]}.sqlite3")
            shutil.copy(source, target)
            return f"sqlite:///{target}", lambda: target.unlink(missing_ok=True)
        name = f"{make_url(self.url).database}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(self.url).database}"'))

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        return make_url(self.url).set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="module")
def matrix(backend, tmp_path_factory):
    """The app, and a Template per side (the home municipality's checks, Nachbargemeinde's)."""
    kind, fresh = backend
    admin_url = os.environ.get("IMPACTCHECK_TEST_POSTGRES_URL") if kind == "postgresql" else None
    templates, drops, app = {}, [], None
    for side in ("default", "nachbar"):
        folder = tmp_path_factory.mktemp(f"matrix-{side}")
        if kind == "sqlite":
            url = fresh()
        else:
            url, drop = scratch_postgres_database("impactcheck_matrix")
            drops.append(drop)
        application = seeded_app(url, folder)
        with application.extensions["impactcheck.db"].session() as s:
            world = _world(s, side)
        logins = {}
        for who in WHO:
            b = Browser(application.test_client())
            b.get("/login")  # anonymous: a session with a CSRF token, as a browser would have
            if who != "anonymous":
                b.login(who)
                b.get(_landing(who))
            logins[who] = (b.client.get_cookie(application.config["SESSION_COOKIE_NAME"]).value, b.token())
        application.extensions["impactcheck.db"].dispose()  # a template has no open connection
        templates[side] = Template(kind, url, world, logins, admin_url)
        app = app or application
    yield app, templates
    app.extensions["impactcheck.db"].dispose()
    for drop in drops:
        drop()


@pytest.fixture
def world(request, matrix):
    """The case's own copy of its side's database, put under the app; the world's ids."""
    app, templates = matrix
    template = templates[getattr(request, "param", "default")]
    url, drop = template.copy()
    previous = app.extensions["impactcheck.db"]
    app.extensions["impactcheck.db"] = Database(url)
    app.config["DATABASE_URL"] = url
    yield {**template.world, "template": template}
    app.extensions["impactcheck.db"].dispose()
    app.extensions["impactcheck.db"] = previous
    drop()


@pytest.fixture
def app(matrix):
    return matrix[0]


def browser_of(app, template: Template, who: str) -> Browser:
    """A browser logged in as `who` (by the template's cookie), holding its CSRF token."""
    cookie, token = template.logins[who]
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    b = Browser(client)
    b.last_html = f'<input name="csrf_token" value="{token}">'
    return b


# (method, url template, {who: status}); missing roles default to the "*" entry.
ANON = {"anonymous": 302}
OWN_DRAFT = {"author": 200, "climate": 403, "admin": 403, "*": 404, **ANON}
READ_SUBMITTED = {"author": 200, "council": 200, "climate": 200, "admin": 200, "*": 404, **ANON}
INSTALLATION = {"installation": True, "*": 403, **ANON}  # see expected()
RECORD_OUTCOME = {"council": 403, "admin": 403, "*": 404, **ANON}  # the council's decision (issue 9)
ANON_API = {"anonymous": 401}
API_OWN_DRAFT = {"climate": 403, "admin": 403, "*": 404, **ANON_API}
CREATING = ("author", "author2", "climate", "fremd", "fremdautor")
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
    # Anonymising a departed user (test_privacy): the page, and a post without the typed confirmation.
    ("GET", "/admin/benutzer/{user}/anonymisieren", {"admin": 200, "fremdadmin": 404, "*": 403, **ANON}),
    ("POST", "/admin/benutzer/{user}/anonymisieren", {"admin": 422, "fremdadmin": 404, "*": 403, **ANON}),
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
    # --- the climate budget (issue 12): the climate department, the council and the admin of each
    # municipality; without a target file the page explains how to set one up (test_budget.py: contents).
    (
        "GET",
        "/klimabudget",
        {"council": 200, "climate": 200, "admin": 200, "fremd": 200, "fremdadmin": 200, "*": 403, **ANON},
    ),
    # --- the yearly report to the council (issue 12): the budget page's readers; without a climate target
    # (none here) they are sent to the budget page, which says what is missing (test_report.py: the document).
    (
        "GET",
        "/klimabudget/bericht/2026.docx",
        {"council": 302, "climate": 302, "admin": 302, "fremd": 302, "fremdadmin": 302, "*": 403, **ANON},
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
    # --- municipalities of the installation (issue 10): the installation admin ("admin" here) only,
    # for every municipality; not scoped by municipality, so not mirrored.
    ("GET", "/admin/kommunen", {**INSTALLATION, "admin": 200}),
    ("GET", "/admin/kommunen/{municipality}", {**INSTALLATION, "admin": 200}),
    ("POST", "/admin/kommunen", {**INSTALLATION, "admin": 422}),
    ("POST", "/admin/kommunen/{municipality}", {**INSTALLATION, "admin": 422}),
    ("POST", "/admin/kommunen/{municipality}/admins", {**INSTALLATION, "admin": 422}),
    # --- OParl (issue 11, engineer F): the start from the council information system is the start form's
    # (here without an endpoint: the page says so); the public view of a paper's checks needs no login and
    # knows no paper of these checks (test_oparl.py reads a real one).
    (
        "GET",
        "/klimachecks/neu/ratsinfo",
        {"author": 200, "author2": 200, "climate": 200, "fremd": 200, "*": 403, **ANON},
    ),
    (
        "GET",
        "/klimachecks/neu/ratsinfo?adresse=http://127.0.0.1:9/paper/1&suche=Kita",
        {"author": 200, "author2": 200, "climate": 200, "fremd": 200, "*": 403, **ANON},
    ),
    ("GET", "/api/v1/oparl/papers/" + "0" * 64, {"*": 404, "anonymous": 404}),
    ("GET", "/api/v1/oparl/papers/kein-hash", {"*": 404, "anonymous": 404}),
    # --- verification code and councillors (issue 11, engineer E): /pruefen needs no login (a malformed
    # code: the form again, 422; test_verify.py checks real codes); a councillor's committees are set by
    # the councillor or an admin of the municipality (an empty form saves no committee). Each URL once
    # (its GET is the same view and access check: test_councillors.py).
    ("GET", "/pruefen?code=kaputt", {"*": 422, "anonymous": 422}),
    ("GET", "/meine-ausschuesse", {"council": 200, "*": 403, **ANON}),
    ("POST", "/einstellungen/ausschuesse", {"council": 302, "*": 403, **ANON}),
    ("POST", "/admin/benutzer/{user}/ausschuesse", {"admin": 302, "fremdadmin": 404, "*": 403, **ANON}),
    # --- API tokens and moving accounts to single sign-on (issue 10/11, the lead). An empty label: the
    # form again (422); no token with that id (404). Without SSO configured a release still works.
    # --- the user's own account page: the interface language (an empty choice: as the browser says).
    ("GET", "/konto", {"*": 200, **ANON}),
    ("POST", "/konto", {"*": 302, **ANON}),
    ("GET", "/konto/api-tokens", {"*": 200, **ANON}),
    ("POST", "/konto/api-tokens", {"*": 422, **ANON}),
    ("POST", "/konto/api-tokens/99999/widerrufen", {"*": 404, **ANON}),
    ("GET", "/admin/benutzer/{user}/api-tokens", {"admin": 200, "fremdadmin": 404, "*": 403, **ANON}),
    ("POST", "/admin/benutzer/{user}/api-tokens", {"admin": 422, "fremdadmin": 404, "*": 403, **ANON}),
    ("POST", "/admin/benutzer/{user}/api-tokens/99999/widerrufen", {"admin": 404, "fremdadmin": 404, "*": 403, **ANON}),
    ("POST", "/admin/benutzer/{user}/sso-freigeben", {"admin": 302, "fremdadmin": 404, "*": 403, **ANON}),
    # --- the rest of the routes (every route is here: test_every_route_is_in_the_matrix)
    ("POST", "/login", {"*": 302, "anonymous": 200}),
    ("GET", "/login/oidc", {"*": 404, "anonymous": 404}),  # single sign-on is not configured here
    ("GET", "/login/oidc/callback", {"*": 404, "anonymous": 404}),
    ("GET", "/klimachecks/{draft}/alternative/schritt/vorpruefung", {**OWN_DRAFT, "author": 302}),
    ("POST", "/klimachecks/{draft}/alternative/schritt/vorpruefung", {**OWN_DRAFT, "author": 302}),
    ("POST", "/admin/benutzer/{user}/entsperren", {"admin": 302, "fremdadmin": 404, "*": 403, **ANON}),
    ("GET", "/einstellungen/ausschuesse", {"council": 200, "*": 403, **ANON}),
    ("GET", "/admin/benutzer/{user}/ausschuesse", {"admin": 200, "fremdadmin": 404, "*": 403, **ANON}),
    # --- the JSON API (issue 11, the lead), here with the browser's login (and its CSRF token in
    # X-CSRFToken, an empty JSON body); tokens, versions and contents: test_api.py. Not logged in: 401.
    ("GET", "/api/v1/openapi.json", {"*": 200, "anonymous": 200}),
    ("GET", "/api/v1/checks", {"*": 200, **ANON_API}),
    ("GET", "/api/v1/rulesets", {"*": 200, **ANON_API}),
    ("GET", "/api/v1/rulesets/kassel-2030", {"*": 200, **ANON_API}),
    ("POST", "/api/v1/checks", {**{u: 422 for u in CREATING}, "*": 403, **ANON_API}),
    ("GET", "/api/v1/checks/{draft}", {"author": 200, "climate": 200, "admin": 200, "*": 404, **ANON_API}),
    ("GET", "/api/v1/checks/{submitted}", {**READ_SUBMITTED, **ANON_API}),
    ("GET", "/api/v1/checks/{submitted}/result", {**READ_SUBMITTED, **ANON_API}),
    ("GET", "/api/v1/checks/{draft}/result", {"*": 404, **ANON_API}),
    ("PATCH", "/api/v1/checks/{draft}/answers", {**API_OWN_DRAFT, "author": 422}),
    ("PUT", "/api/v1/checks/{draft}/alternative", {**API_OWN_DRAFT, "author": 422}),
    ("DELETE", "/api/v1/checks/{draft}/alternative", {**API_OWN_DRAFT, "author": 428}),
    ("POST", "/api/v1/checks/{draft}/submit", {**API_OWN_DRAFT, "author": 428}),
    ("POST", "/api/v1/checks/{submitted}/revisions", {**API_OWN_DRAFT, "author": 201, "council": 403}),
]
# A route with a check (or account, municipality) in its URL runs against each municipality's; one
# without answers every user from their own municipality, so once is enough.
CASES = [
    pytest.param(side, method, url, statuses, id=f"{side} {method} {url}")
    for method, url, statuses in ROUTES
    for side in (("default", "nachbar") if "{" in url else ("default",))
]


def expected(statuses: dict, who: str, side: str = "default", url: str = "") -> int:
    """What `who` gets. Against Nachbargemeinde's checks its users stand in for the home users; a page
    without a check in its URL answers a foreigner as it answers the home user of the same role."""
    if statuses.get("installation"):
        return statuses.get(who, statuses["*"])
    key = who if side == "default" else MIRROR.get(who, who)
    if "{" not in url and key in HOME_KEY:
        key = HOME_KEY[key]
    return statuses.get(key, statuses.get("*"))


@pytest.mark.parametrize(("world", "method", "url", "statuses"), CASES, indirect=["world"])
def test_route_matrix(app, world, method, url, statuses):
    path = url.format(**world)
    for who in WHO:
        b = browser_of(app, world["template"], who)
        if path.startswith("/api/"):
            body = None if method == "GET" else {}
            response = b.client.open(path, method=method, json=body, headers={"X-CSRFToken": b.token()})
        elif method == "GET":
            response = b.get(path)
        else:
            data = {}
            if path.endswith("/pruefung"):
                # A reviewer posts from the result page, with the version shown there.
                page = b.get(path.removesuffix("/pruefung"))
                version = b.version() if page.status_code == 200 else None
                data = {"decision": "approve", "comment": "", "version": version or "1"}
            response = b.post(path, data)
        want = expected(statuses, who, world["side"], url)
        assert response.status_code == want, (world["side"], who, method, path, response.status_code)
        if response.status_code == 302 and who == "anonymous":
            assert "/login" in response.headers["Location"]


def test_post_without_csrf_token_is_rejected(app, world):
    b = browser_of(app, world["template"], "author")
    response = b.client.post(f"/klimachecks/{world['draft']}/schritt/vorpruefung", data={"betrifft_gebaeude": "ja"})
    assert response.status_code == 400
    assert "Formular abgelaufen" in response.get_data(as_text=True)
    response = b.client.post("/login", data={"username": "author", "password": "x"})
    assert response.status_code == 400


def test_every_route_is_in_the_matrix(app):
    """Each route and method of the app (but its static files) is in ROUTES, with a placeholder or a
    concrete value where the route has a variable part."""
    import re

    listed = [(m, u.split("?")[0]) for m, u, _ in ROUTES]
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        pattern = re.compile("^" + re.sub(r"<(?:\w+:)?\w+>", r"[^/]+", rule.rule) + "$")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert any(m == method and pattern.match(u) for m, u in listed), (method, rule.rule)
