"""Logging in and out, and which login cookies still count. Input that arrived after the login expired
is kept and offered back."""

from __future__ import annotations

import time
from urllib.parse import unquote, urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user

from impactcheck.store import logins
from impactcheck.store import operations as ops
from impactcheck.store.models import User
from impactcheck.web import ldapauth, oidc, sso
from impactcheck.web.context import commit, db
from impactcheck.web.extensions import login_manager
from impactcheck.web.forms import LoginForm
from impactcheck.web.hygiene import has_controls
from impactcheck.web.restore import IDLE_USER, stash_expired_post

bp = Blueprint("auth", __name__)

SESSION_VERSION = "sv"  # the user's session version when this cookie logged in (see User.session_version)
LOGIN_AT = "login_at"  # when this cookie logged in (seconds), for SESSION_MAX_HOURS
LOGIN_SOURCE = "login_source"  # "oidc" or "ldap" when single sign-on logged this cookie in


def client_address() -> str | None:
    """The client's address: the socket's peer, or with TRUST_PROXY the address the proxy reports in
    X-Forwarded-For (ProxyFix, see extensions.py) – never a header the client could simply make up."""
    return request.remote_addr


def safe_next(target: str | None) -> str | None:
    """Only paths on this site: never redirect to another host after login, never a header break."""
    if not target or has_controls(unquote(target)) or "\\" in unquote(target):
        return None  # browsers read a backslash as a slash, so "/\\evil.example" would leave the site
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def start_session(user: User, source: str | None = None) -> None:
    """Log `user` in on this cookie: local password, LDAP and OIDC alike, under the user's current
    session version (so logout, a new password or a deactivation end it like any other)."""
    session.pop("expired", None)
    session.pop(IDLE_USER, None)
    login_user(user)
    session[SESSION_VERSION] = user.session_version
    session["seen"] = int(time.time())
    session[LOGIN_AT] = time.time()
    if source:
        session[LOGIN_SOURCE] = source


def _end_session(*, keep_input: bool) -> None:
    if keep_input:
        session[IDLE_USER] = current_user.id  # see restore.py: their late input is kept
        logout_user()
        session["expired"] = True
    else:
        logout_user()
        session.clear()


@bp.before_app_request
def _session_still_counts():
    """A cookie counts only for the session version it logged in with: logout, a new password or a
    deactivation end every copy of it. Optionally a login also ends SESSION_MAX_HOURS after it began."""
    if not current_user.is_authenticated:
        idle_user = session.get(IDLE_USER)
        if idle_user is not None:
            user = db().get(User, idle_user) if isinstance(idle_user, int) else None
            if user is None or session.get(SESSION_VERSION) != user.session_version:
                session.clear()  # a revoked cookie leaves no input behind for the user either
        return
    if g.get("api_token"):
        return  # a bearer token of the JSON API (web/api.py): no cookie, no session to end
    if session.get(SESSION_VERSION) != current_user.session_version:
        _end_session(keep_input=False)
        return
    hours = current_app.config.get("SESSION_MAX_HOURS")
    if hours and time.time() - float(session.get(LOGIN_AT, 0)) > float(hours) * 3600:
        _end_session(keep_input=True)  # like the idle timeout: the same person's login ran out


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


def _throttled_message(attempt: logins.Attempt) -> str:
    if attempt.locked:
        return _(
            "Zu viele fehlgeschlagene Anmeldungen mit diesem Benutzernamen. Die Anmeldung ist zum Schutz "
            "gesperrt, bis die Administration sie freigibt oder einen Tag lang kein Fehlversuch mehr kam."
        )
    if attempt.wait < 60:
        return ngettext(
            "Zu viele fehlgeschlagene Anmeldungen. Bitte versuchen Sie es in %(num)d Sekunde erneut.",
            "Zu viele fehlgeschlagene Anmeldungen. Bitte versuchen Sie es in %(num)d Sekunden erneut.",
            attempt.wait,
        )
    return ngettext(
        "Zu viele fehlgeschlagene Anmeldungen. Bitte versuchen Sie es in %(num)d Minute erneut.",
        "Zu viele fehlgeschlagene Anmeldungen. Bitte versuchen Sie es in %(num)d Minuten erneut.",
        (attempt.wait + 59) // 60,
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("wizard.index"))
    form = LoginForm()
    failed = False
    attempt = None
    problem, status = None, 200  # single sign-on: the person refused here, or the directory down
    if form.validate_on_submit():
        attempt = logins.begin(db(), client_address(), form.username.data)
        if attempt.allowed:
            try:
                # The local password, or with LDAP on the directory's (ldapauth.py): throttled alike.
                user = ldapauth.password_login(db(), form.username.data, form.password.data)
            except ldapauth.DirectoryUnavailable:
                user, status = None, 503
                problem = _(
                    "Der Verzeichnisdienst ist nicht erreichbar, daher kann Ihr Passwort gerade nicht geprüft "
                    "werden. Bitte versuchen Sie es später erneut."
                )
            except sso.Refused as refused:
                logins.succeeded(db(), attempt)  # the password was right; the account is what is missing
                user, problem, status = None, refused.message, 403
            if user is None:
                failed = problem is None
            else:
                logins.succeeded(db(), attempt)
                start_session(user, source=ops.sso_source(user))
                return redirect(safe_next(request.args.get("next")) or url_for("wizard.index"))
        else:
            form.username.errors = [_throttled_message(attempt)]
    throttled = attempt is not None and not attempt.allowed
    status = 429 if throttled else 401 if failed else status
    headers = {"Retry-After": str(attempt.wait or 24 * 3600)} if throttled else {}
    page = render_template(
        "login.html",
        form=form,
        failed=failed,
        locked_minutes=0,
        problem=problem,
        oidc_label=(current_app.config.get("OIDC_BUTTON_LABEL") or _("Mit dem Konto der Verwaltung anmelden"))
        if oidc.enabled()
        else None,
        ldap=ldapauth.enabled(),
    )
    return page, status, headers


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        logins.end_sessions(db(), current_user)  # a copy of this cookie must not outlive the logout
        commit()
    source = session.get(LOGIN_SOURCE)
    logout_user()
    session.clear()
    flash(_("Sie sind abgemeldet."), "info")
    return oidc.logout_redirect(source) or redirect(url_for("auth.login"))
