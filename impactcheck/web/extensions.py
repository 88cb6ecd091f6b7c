"""Extensions created unbound and bound in the app factory (microblog style)."""

from __future__ import annotations

from flask import Flask, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel, get_locale
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from impactcheck.core.i18n import register_locale

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over TLS (directly or via a trusted proxy)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


SECURITY_HEADERS = {
    # Only our own scripts, styles and images; no framing (clickjacking); forms post only to us.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _timezone() -> str:
    """Pages show stored UTC times in the time zone of the user's municipality (web/context.py)."""
    from impactcheck.web.context import municipality_timezone

    return municipality_timezone()


LOCALES = ("de", "en")  # "de" is the source language of every text; "en" has a catalogue (translations/)
LANG_SESSION_KEY = "lang"  # a language chosen by link (?lang=en) before login, kept in the session cookie


def select_locale() -> str:
    """The page's language: the user's own setting, else one picked by link in this browser session, else the
    browser's Accept-Language (best match among LOCALES), else German. The API follows an explicit
    Accept-Language of its client first: a program asks for the language it parses."""
    from flask_login import current_user

    if not has_request_context():  # e.g. a CLI command in an app context: the source language
        return "de"
    header = browser_language()
    if header and request.path.startswith("/api/"):
        return header
    own = getattr(current_user, "locale", None) if current_user and current_user.is_authenticated else None
    if own in LOCALES:
        return own
    chosen = session.get(LANG_SESSION_KEY)
    if chosen in LOCALES:
        return chosen
    return header or "de"


def browser_language() -> str | None:
    """The first of LOCALES in the browser's Accept-Language, by quality; "en-GB" counts as "en" (unlike
    werkzeug's best_match, which would prefer an exact "de;q=0.5" to the first choice "en-GB")."""
    for value, quality in request.accept_languages:  # highest quality first
        primary = value.replace("_", "-").split("-")[0].lower()
        if quality > 0 and primary in LOCALES:
            return primary
    return None


def _remember_chosen_language():
    """`?lang=de|en` on any page keeps that language for this browser session (the login page links it)."""
    lang = request.args.get("lang")
    if lang in LOCALES and session.get(LANG_SESSION_KEY) != lang:
        session[LANG_SESSION_KEY] = lang


def init_extensions(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=_timezone)
    # Core and store messages (InputError.one_line(), Problem.text()) are shown in the request's language.
    register_locale(get_locale)
    app.before_request(_remember_chosen_language)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page explains itself
    login_manager.session_protection = "basic"
    app.session_interface = SessionInterface()
    if app.config.get("TRUST_PROXY"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
