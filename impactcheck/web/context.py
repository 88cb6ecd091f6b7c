"""Per-application and per-request state: the database, the rule sets, the logged-in user."""

from __future__ import annotations

import time
from pathlib import Path

from flask import Flask, current_app, g, session
from flask_login import current_user, logout_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from impactcheck.core.errors import Problem
from impactcheck.core.model import RuleSet
from impactcheck.core.registry import RulesetCache
from impactcheck.core.registry import rules_dir as registry_rules_dir
from impactcheck.store import municipalities as municipal
from impactcheck.store.db import Database, finish
from impactcheck.store.models import User
from impactcheck.store.operations import CONFLICT_MESSAGE, ConflictError


def init_app(app: Flask) -> None:
    app.extensions["impactcheck.db"] = Database(app.config["DATABASE_URL"])
    rules_dir = app.config.get("RULES_DIR")
    app.extensions["impactcheck.rules"] = RulesetCache(Path(rules_dir) if rules_dir else None)
    # Per municipality: its own rule sets (RULES_DIR/kommunen/<slug>/) before the shared ones.
    app.extensions["impactcheck.municipal_rules"] = municipal.Rulesets(
        Path(rules_dir) if rules_dir else registry_rules_dir(), shared=app.extensions["impactcheck.rules"]
    )
    from impactcheck.store import logins

    logins.configure(app.config)  # the LOGIN_* settings; the counts themselves are in the database

    @app.teardown_appcontext
    def _close_session(exc):
        s = g.pop("db", None)
        if s is not None:
            finish(s, failed=exc is not None)

    @app.before_request
    def _idle_timeout():
        # A login ends after SESSION_IDLE_MINUTES without a request; the session itself (and with
        # it the CSRF token) stays, so a form sent after that can be kept and offered back.
        if not current_user.is_authenticated:
            return
        now = int(time.time())
        seen = session.get("seen", now)
        if now - seen > float(current_app.config["SESSION_IDLE_MINUTES"]) * 60:
            session["expired_user"] = current_user.id  # see restore.py: their late input is kept
            logout_user()
            session["expired"] = True
            return
        if now - seen >= 30 or "seen" not in session:
            session["seen"] = now

    from impactcheck.web.extensions import login_manager

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        try:
            user = db().scalar(_USER_WITH_MUNICIPALITY, {"user_id": int(user_id)})
        except ValueError:
            return None
        return user if user is not None and user.active else None


# The municipality joined in: every page shows its name (and reads its settings). Built once: every
# request of a logged-in user runs it.
_USER_WITH_MUNICIPALITY = select(User).where(User.id == bindparam("user_id")).options(joinedload(User.municipality))


def database() -> Database:
    return current_app.extensions["impactcheck.db"]


def db() -> Session:
    """The request's database session (one transaction per request)."""
    if "db" not in g:
        g.db = database().session()
    return g.db


def commit() -> None:
    """Commit the request's work; a concurrent change to the same draft becomes a clear conflict."""
    try:
        db().commit()
    except StaleDataError:
        db().rollback()
        raise ConflictError([Problem(CONFLICT_MESSAGE)]) from None


def rulesets() -> RulesetCache:
    return current_app.extensions["impactcheck.rules"]


def _slug() -> str | None:
    return current_user.municipality.slug if current_user.is_authenticated else None


def ruleset(ruleset_id: str) -> RuleSet:
    """A rule set by id as the logged-in user's municipality sees it: its own folder first, then the
    shared rule sets (store/municipalities.py). Every check a user reaches is of that municipality."""
    return current_app.extensions["impactcheck.municipal_rules"].get(ruleset_id, _slug())


def ruleset_getter():
    """`ruleset` bound to the current user's municipality, usable after the request (streamed exports)."""
    return current_app.extensions["impactcheck.municipal_rules"].getter(_slug())


def offered_rulesets() -> list[str]:
    """Rule set ids the user's municipality offers, default first."""
    municipality = current_user.municipality
    ids = list(municipality.rulesets or [])
    return ids or [current_app.config["DEFAULT_RULESET"]]


def municipality_timezone() -> str:
    """The time zone of the logged-in user's municipality (else the setting TIMEZONE): how stored UTC
    times are shown and which local days a date filter means. The one reader for the web app."""
    user = current_user if current_user.is_authenticated else None
    return municipal.timezone_of(user.municipality if user else None, current_app.config)


def users_of_municipality() -> list[User]:
    return list(
        db().scalars(select(User).where(User.municipality_id == current_user.municipality_id).order_by(User.username))
    )
