"""Logging in and out. Input that arrived after the login expired is kept and offered back."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from impactcheck.store import operations as ops
from impactcheck.web.context import db
from impactcheck.web.extensions import login_manager
from impactcheck.web.forms import LoginForm
from impactcheck.web.restore import IDLE_USER, stash_expired_post

bp = Blueprint("auth", __name__)

# Failed logins per user name: after MAX_FAILURES within WINDOW seconds, that name waits. In memory:
# `serve` runs one process; a restart forgets, which is acceptable for slowing down guessing.
MAX_FAILURES = 5
WINDOW = 15 * 60
_failures: dict[str, list[float]] = {}
_failures_lock = threading.Lock()


def _locked_for(username: str) -> int:
    """Seconds until `username` may try again (0: now)."""
    now = time.time()
    with _failures_lock:
        recent = [t for t in _failures.get(username, []) if now - t < WINDOW]
        _failures[username] = recent
        if len(recent) < MAX_FAILURES:
            return 0
        return int(WINDOW - (now - recent[0])) + 1


def _record_failure(username: str) -> None:
    with _failures_lock:
        _failures.setdefault(username, []).append(time.time())


def _safe_next(target: str | None) -> str | None:
    """Only paths on this site: never redirect to another host after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@login_manager.unauthorized_handler
def unauthorized():
    target = stash_expired_post()
    if target is None:
        target = request.full_path if request.query_string else request.path
        if request.method == "POST":
            # A POST-only address cannot be opened after login; go back to a page instead.
            target = url_for("wizard.index")
        if session.get("expired"):
            flash(_("Ihre Anmeldung ist abgelaufen. Bitte melden Sie sich erneut an."), "info")
    session.pop("expired", None)
    return redirect(url_for("auth.login", next=target))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("wizard.index"))
    form = LoginForm()
    failed = False
    locked = 0
    if form.validate_on_submit():
        name = form.username.data.strip().lower()
        locked = _locked_for(name)
        user = None if locked else ops.authenticate(db(), form.username.data, form.password.data)
        if locked:
            pass
        elif user is None:
            failed = True
            _record_failure(name)
        else:
            session.pop("expired", None)
            session.pop(IDLE_USER, None)
            login_user(user)
            session["seen"] = int(time.time())
            return redirect(_safe_next(request.args.get("next")) or url_for("wizard.index"))
    status = 429 if locked else 401 if failed else 200
    minutes = (locked + 59) // 60
    return render_template("login.html", form=form, failed=failed, locked_minutes=minutes if locked else 0), status


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash(_("Sie sind abgemeldet."), "info")
    return redirect(url_for("auth.login"))
