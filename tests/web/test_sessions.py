"""Sessions can be revoked: logout, a new password and a deactivation end every login cookie of the
user (copies included), and a login ends at the latest SESSION_MAX_HOURS after it began. On both
databases."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from sqlalchemy import func, select

from impactcheck.store.models import PendingInput, Revision, User
from tests.web.conftest import PASSWORD, Browser
from tests.web.flows import SCREEN_NO, start


def copy_of(app, browser: Browser) -> Browser:
    """Another client with the same session cookie, as someone who copied it would have."""
    thief = Browser(app.test_client())
    thief.client.set_cookie(app.config["SESSION_COOKIE_NAME"], browser.client.get_cookie("session").value)
    return thief


def logged_in(browser: Browser) -> bool:
    return browser.get("/klimachecks").status_code == 200


def user_id(db_session, name: str) -> int:
    return db_session.scalar(select(User.id).where(User.username == name))


def test_a_copied_cookie_stops_working_at_logout(app, as_role):
    author = as_role("author")
    thief = copy_of(app, author)
    assert logged_in(thief)
    author.post("/logout")
    assert not logged_in(thief)  # before: the copy kept working after logout


def test_logout_ends_every_session_of_the_user_only(as_role):
    laptop, phone, colleague = as_role("author"), as_role("author"), as_role("author2")
    laptop.get("/klimachecks")
    laptop.post("/logout")
    assert not logged_in(phone)
    assert logged_in(colleague)
    again = as_role("author")  # logging in again works, and does not end the others
    assert logged_in(again) and logged_in(colleague)


def test_a_copied_cookie_changes_nothing_after_logout(app, as_role, db_session):
    author = as_role("author")
    check_id = start(author)
    url = f"/klimachecks/{check_id}/schritt/vorpruefung"
    author.get(url)
    thief = copy_of(app, author)
    form = {"csrf_token": author.token(), "version": author.version(), **SCREEN_NO, "action": "next"}
    author.post("/logout")
    response = thief.client.post(url, data=form)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "wiederherstellen" not in response.headers["Location"]  # nothing kept for the owner either
    db_session.expire_all()
    assert db_session.scalars(select(Revision).where(Revision.check_id == check_id)).one().answers == {}
    assert db_session.scalar(select(func.count()).select_from(PendingInput)) == 0


def test_a_password_reset_by_the_admin_ends_every_session(app, as_role, db_session):
    author = as_role("author")
    thief = copy_of(app, author)
    colleague = as_role("author2")
    admin = as_role("admin")
    admin.get("/admin/benutzer")
    admin.post(f"/admin/benutzer/{user_id(db_session, 'author')}/passwort", {"password": "ein-neues-passwort"})
    assert not logged_in(author) and not logged_in(thief)
    assert logged_in(colleague) and admin.get("/admin/benutzer").status_code == 200
    assert Browser(app.test_client()).submit("/login", {"username": "author", "password": "ein-neues-passwort"})


def test_setting_the_own_password_keeps_this_session_and_ends_the_others(app, as_role, db_session):
    admin = as_role("admin")
    copy = copy_of(app, admin)
    admin.get("/admin/benutzer")
    response = admin.post(f"/admin/benutzer/{user_id(db_session, 'admin')}/passwort", {"password": "mein-neues-pw"})
    assert response.status_code == 302
    assert "ist geändert" in admin.get("/admin/benutzer").get_data(as_text=True)
    assert copy.get("/admin/benutzer").status_code == 302


def test_a_password_set_at_the_command_line_ends_every_session(app, as_role, tmp_path):
    author = as_role("author")
    env = {
        **os.environ,
        "IMPACTCHECK_INSTANCE": str(tmp_path / "cli"),
        "IMPACTCHECK_DATABASE_URL": app.config["DATABASE_URL"],
    }
    proc = subprocess.run(
        [sys.executable, "-m", "impactcheck", "users", "password", "author"],
        input="vom-server-gesetzt\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert not logged_in(author)


def test_deactivating_and_reactivating_does_not_revive_a_session(app, as_role, db_session):
    author = as_role("author")
    admin = as_role("admin")
    admin.get("/admin/benutzer")
    toggle = f"/admin/benutzer/{user_id(db_session, 'author')}/aktiv"
    admin.post(toggle)
    admin.get("/admin/benutzer")
    admin.post(toggle)
    db_session.expire_all()
    assert db_session.scalar(select(User.active).where(User.username == "author"))
    assert not logged_in(author)  # before: active again, the old cookie worked again


def test_a_login_ends_after_the_absolute_lifetime_despite_activity(app, as_role):
    app.config["SESSION_MAX_HOURS"] = 2 / 3600  # two seconds
    author = as_role("author")
    logged_in_at = time.monotonic()
    check_id = start(author)
    url = f"/klimachecks/{check_id}/schritt/vorpruefung"
    while time.monotonic() - logged_in_at < 1.6:  # busy all the time: the idle timeout never strikes
        assert author.get(url).status_code == 200
        time.sleep(0.3)
    time.sleep(max(0.0, 2.2 - (time.monotonic() - logged_in_at)))
    response = author.post(url, {"version": author.version(), **SCREEN_NO, "action": "next"})
    assert response.status_code == 302
    # The same person's login ran out: as after the idle timeout, the input is kept for after login.
    assert "wiederherstellen" in response.headers["Location"]
    page = author.get(response.headers["Location"]).get_data(as_text=True)
    assert "Anmeldung war abgelaufen" in page
    app.config["SESSION_MAX_HOURS"] = 24
    back = author.client.post(
        response.headers["Location"],
        data={"csrf_token": author.token(page), "username": "author", "password": PASSWORD},
    )
    assert back.status_code == 302 and "wiederherstellen" in back.headers["Location"]
    assert "wiederhergestellt" in author.get(back.headers["Location"]).get_data(as_text=True)
