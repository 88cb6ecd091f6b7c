"""Extensions created unbound and bound in the app factory (microblog style)."""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

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


def init_extensions(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: "de", timezone_selector=_timezone)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page explains itself
    login_manager.session_protection = "basic"
    app.session_interface = SessionInterface()
    if app.config.get("TRUST_PROXY"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
