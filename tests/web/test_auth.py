"""Login, logout, cookies, CSRF, and the health check."""

from __future__ import annotations

from impactcheck.store import operations as ops
from impactcheck.store.models import User
from tests.web.conftest import PASSWORD, Browser


def test_login_logout(browser):
    assert browser.get("/klimachecks").status_code == 302
    response = browser.submit(
        "/login?next=/register", {"username": "climate", "password": PASSWORD}, post_url="/login?next=/register"
    )
    assert response.headers["Location"] == "/register"
    assert browser.get("/register").status_code == 200
    browser.post("/logout")
    assert browser.get("/register").status_code == 302


def test_wrong_password_and_unknown_user_look_the_same(browser):
    a = browser.submit("/login", {"username": "author", "password": "falsch-falsch"})
    b = browser.submit("/login", {"username": "niemand", "password": "falsch-falsch"})
    assert a.status_code == b.status_code == 401
    assert "Benutzername oder Passwort ist falsch" in a.get_data(as_text=True)
    assert a.get_data(as_text=True).count("falsch") == b.get_data(as_text=True).count("falsch")


def test_deactivated_user_cannot_log_in_and_is_logged_out(app, as_role, db_session):
    b = as_role("author")
    user = db_session.query(User).filter_by(username="author").one()
    ops.set_active(db_session, None, user, False)
    db_session.commit()
    assert b.get("/klimachecks").status_code == 302  # the running session ends too
    response = Browser(app.test_client()).submit("/login", {"username": "author", "password": PASSWORD})
    assert response.status_code == 401


def test_next_cannot_point_elsewhere(browser):
    response = browser.submit(
        "/login?next=https://evil.example/",
        {"username": "author", "password": PASSWORD},
        post_url="/login?next=https://evil.example/",
    )
    assert response.headers["Location"] == "/"
    browser.post("/logout")
    response = browser.submit(
        "/login?next=//evil.example/x",
        {"username": "author", "password": PASSWORD},
        post_url="/login?next=//evil.example/x",
    )
    assert response.headers["Location"] == "/"


def test_session_cookie_flags(app):
    client = app.test_client()
    b = Browser(client)
    response = b.submit("/login", {"username": "author", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP in development
    tls = Browser(app.test_client())
    page = tls.client.get("/login", base_url="https://klimacheck.example")
    token = tls.token(page.get_data(as_text=True))
    response = tls.client.post(
        "/login",
        base_url="https://klimacheck.example",
        data={"csrf_token": token, "username": "author", "password": PASSWORD},
    )
    assert "Secure" in response.headers["Set-Cookie"]


def test_healthz(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok" and response.json["database"] == "ok"


def test_healthz_reports_broken_database(app, tmp_path):
    from impactcheck.app import create_app

    broken = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path / "i"),
            "DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3",
        }
    )
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "error"


def test_error_pages_are_german(as_role):
    b = as_role("author")
    html = b.get("/gibt-es-nicht").get_data(as_text=True)
    assert "Seite nicht gefunden" in html and "Traceback" not in html


def test_security_headers(app):
    response = app.test_client().get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
