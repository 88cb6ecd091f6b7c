"""Logging in and out. Input that arrived after the login expired is kept and offered back."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from impactcheck.store import operations as ops
from impactcheck.store.models import Check
from impactcheck.web.context import commit, db
from impactcheck.web.extensions import login_manager
from impactcheck.web.forms import LoginForm

bp = Blueprint("auth", __name__)

# Wizard pages whose input is kept when it arrives after the login expired.
KEEP_INPUT_ENDPOINTS = {"wizard.step", "wizard.alternative_step"}


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
    target = request.full_path if request.query_string else request.path
    if request.method == "POST" and request.endpoint in KEEP_INPUT_ENDPOINTS:
        check_id = (request.view_args or {}).get("check_id")
        check = db().get(Check, check_id) if check_id else None
        if check is not None:
            data = {
                k: request.form.getlist(k) if len(request.form.getlist(k)) > 1 else request.form[k]
                for k in request.form
                if k not in ("csrf_token", "action")
            }
            token = ops.stash_pending_input(db(), check, request.path, data)
            commit()
            target = f"{request.path}?wiederherstellen={token}"
            flash(
                _(
                    "Ihre Anmeldung war abgelaufen. Ihre Eingaben sind aufbewahrt: Melden Sie sich an, "
                    "dann sehen Sie sie wieder und können sie speichern."
                ),
                "info",
            )
    elif session.pop("expired", False):
        flash(_("Ihre Anmeldung ist abgelaufen. Bitte melden Sie sich erneut an."), "info")
    return redirect(url_for("auth.login", next=target))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("wizard.index"))
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        user = ops.authenticate(db(), form.username.data, form.password.data)
        if user is None:
            failed = True
        else:
            session.pop("expired", None)
            login_user(user)
            session["seen"] = int(time.time())
            return redirect(_safe_next(request.args.get("next")) or url_for("wizard.index"))
    status = 401 if failed else 200
    return render_template("login.html", form=form, failed=failed), status


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash(_("Sie sind abgemeldet."), "info")
    return redirect(url_for("auth.login"))
