"""Fixtures for the web app and the store, on SQLite and (when configured, always in CI) PostgreSQL."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from impactcheck.app import create_app
from impactcheck.bootstrap import prepare
from impactcheck.store import operations as ops
from impactcheck.store.models import Base, Municipality
from tests.support import require

PASSWORD = "richtig-langes-passwort"
ROLES = ("author", "council", "climate", "admin")
BACKENDS = ("sqlite", "postgresql")


KEEP_ENV = ("IMPACTCHECK_TEST_POSTGRES_URL", "IMPACTCHECK_STRICT")


def pytest_collection_modifyitems(config, items):
    """A test marked `one_backend` uses a database fixture only to reach its data: it is collected for
    the first backend alone (deselected, not skipped, for the others)."""
    keep, dropped = [], []
    for item in items:
        spec = getattr(item, "callspec", None)
        other = spec is not None and spec.params.get("backend", BACKENDS[0]) != BACKENDS[0]
        (dropped if other and item.get_closest_marker("one_backend") else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(autouse=True)
def _isolated(monkeypatch):
    """No IMPACTCHECK_* setting of the developer's shell. (Failed logins are counted in the database,
    which every test gets fresh.)"""
    for key in list(os.environ):
        if key.startswith("IMPACTCHECK_") and key not in KEEP_ENV:
            monkeypatch.delenv(key)


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing():
    """Hundreds of logins per run: use a cheap hash in tests (the production default stays scrypt)."""
    previous = ops.PASSWORD_METHOD
    ops.PASSWORD_METHOD = "pbkdf2:sha256:1000"
    yield
    ops.PASSWORD_METHOD = previous


def _pg_admin_url() -> str | None:
    return os.environ.get("IMPACTCHECK_TEST_POSTGRES_URL")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, tmp_path_factory):
    """A migrated empty database per backend and test session; yields a function giving a clean URL."""
    if request.param == "sqlite":
        template = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
        url = f"sqlite:///{template}"
        prepare(_config(url, template.parent), create_admin=False).database.dispose()
        counter = iter(range(1_000_000))

        def fresh() -> str:
            path = template.parent / f"db{next(counter)}.sqlite3"
            shutil.copy(template, path)
            return f"sqlite:///{path}"

        yield "sqlite", fresh
        return
    admin_url = _pg_admin_url()
    require(admin_url, "IMPACTCHECK_TEST_POSTGRES_URL not set (PostgreSQL tests)")
    name = f"impactcheck_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    prepared = prepare(_config(url, tmp_path_factory.mktemp("pg")), create_admin=False)
    engine = prepared.database.engine
    tables = [t.name for t in Base.metadata.sorted_tables]

    emptying = "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"

    def fresh() -> str:
        # TRUNCATE, not DELETE: fresh table files keep rows in insertion order (no reuse of the space of
        # deleted rows by autovacuum), so a test never depends on when autovacuum ran.
        with engine.begin() as conn:
            conn.exec_driver_sql(emptying)
        return url

    yield "postgresql", fresh
    prepared.database.dispose()
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _config(url: str, instance: Path) -> dict:
    return {
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(instance),
        "MUNICIPALITY_SLUG": "default",
        "MUNICIPALITY_NAME": None,
        "DEFAULT_RULESET": "kassel-2030",
        "RULESETS": None,
        "RULES_DIR": None,
    }


@pytest.fixture
def app(backend, tmp_path):
    _, fresh = backend
    application = seeded_app(fresh(), tmp_path)
    yield application
    application.extensions["impactcheck.db"].dispose()


def seeded_app(url: str, tmp_path: Path):
    """The app on `url` with the test users: one of each role and a second author at home, a climate
    officer and an admin in the neighbouring municipality "nachbar"."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
    }
    application = create_app(config)
    prepared = prepare({**_config(url, tmp_path), "MUNICIPALITY_SLUG": "default"}, create_admin=False)
    with prepared.database.session() as s:
        municipality = s.get(Municipality, prepared.municipality_id)
        for role in ROLES:
            ops.create_user(
                s,
                None,
                municipality=municipality,
                username=role,
                password=PASSWORD,
                role=role,
                display_name=f"Frau {role.title()}",
            )
        ops.create_user(
            s,
            None,
            municipality=municipality,
            username="author2",
            password=PASSWORD,
            role="author",
            display_name="Herr Zweiter",
        )
        other = ops.ensure_municipality(s, slug="nachbar", name="Nachbargemeinde", rulesets=["schnellcheck"])
        ops.create_user(s, None, municipality=other, username="fremd", password=PASSWORD, role="climate")
        ops.create_user(s, None, municipality=other, username="fremdadmin", password=PASSWORD, role="admin")
        s.commit()
    prepared.database.dispose()
    return application


@pytest.fixture
def db_session(app):
    with app.extensions["impactcheck.db"].session() as s:
        yield s


TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
VERSION = re.compile(r'name="version"[^>]*value="(-?\d+)"|value="(-?\d+)"[^>]*name="version"')


class Browser:
    """The Flask test client with what a browser does: keep cookies, send the form's CSRF token."""

    def __init__(self, client):
        self.client = client
        self.last_html = ""

    def _remember(self, response) -> None:
        # A redirect's body is not a page the user sees; keep the last real page.
        if response.mimetype == "text/html" and not 300 <= response.status_code < 400:
            self.last_html = response.get_data(as_text=True)

    def get(self, url, **kw):
        response = self.client.get(url, **kw)
        self._remember(response)
        return response

    def token(self, html: str | None = None) -> str:
        m = TOKEN.search(html or self.last_html)
        assert m, "no CSRF token on the page"
        return m.group(1) or m.group(2)

    def version(self, html: str | None = None) -> str | None:
        m = VERSION.search(html or self.last_html)
        return (m.group(1) or m.group(2)) if m else None

    def submit(self, page_url: str, data: dict, post_url: str | None = None, **kw):
        """GET the page (as a browser shows the form), then POST the form with its token and version."""
        page = self.get(page_url)
        assert page.status_code == 200, (page_url, page.status_code)
        payload = {"csrf_token": self.token()}
        version = self.version()
        if version is not None:
            payload["version"] = version
        payload.update(data)
        response = self.client.post(post_url or page_url, data=payload, **kw)
        self._remember(response)
        return response

    def post(self, url: str, data: dict | None = None, **kw):
        """POST with the token of the last page seen."""
        payload = {"csrf_token": self.token()}
        payload.update(data or {})
        response = self.client.post(url, data=payload, **kw)
        self._remember(response)
        return response

    def login(self, username: str, password: str = PASSWORD):
        response = self.submit("/login", {"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response


@pytest.fixture
def browser(app):
    return Browser(app.test_client())


@pytest.fixture
def as_role(app):
    """A logged-in Browser for a role (or a username)."""

    def make(username: str) -> Browser:
        b = Browser(app.test_client())
        b.login(username)
        return b

    return make


@pytest.fixture
def live(app):
    """The app on a real loopback port, one thread per request: two clicks really meet in the app."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
