"""Bearer tokens for the JSON API: made by their user (or an admin for a user of the municipality),
shown once, stored as SHA-256 only, revoked at any time. Only this module writes `api_token`; the audit
entries are written through operations.audit.

A token acts as its user with the user's role: it stops working when revoked, when the user is
deactivated, and when the user leaves (anonymisation deactivates). It never outlives the account.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from impactcheck.core.errors import Problem
from impactcheck.core.i18n import N_, Message
from impactcheck.store import operations
from impactcheck.store.models import ApiToken, User, utcnow

PREFIX = "ic_"  # recognisable in logs and secret scanners
MAX_ACTIVE = 20  # per user: a script per purpose, not a token per request
LABEL_MAX = 100
TOUCH = dt.timedelta(minutes=5)  # last_used_at is written at most this often (not on every request)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def active_tokens(s: Session, user: User) -> list[ApiToken]:
    return list(
        s.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def create(s: Session, actor: User, user: User, label: str) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the token itself, which is never stored."""
    label = " ".join((label or "").split())
    if not label:
        raise operations.OperationError(
            [Problem(N_("Geben Sie dem Token eine Bezeichnung (wofür es ist)."), path=("label",))]
        )
    if len(label) > LABEL_MAX:
        raise operations.OperationError(
            [Problem(Message(N_("Die Bezeichnung ist zu lang (höchstens {n} Zeichen)."), n=LABEL_MAX), path=("label",))]
        )
    if not user.active:
        raise operations.OperationError([Problem(N_("Für ein deaktiviertes Konto gibt es keine Tokens."))])
    if len(active_tokens(s, user)) >= MAX_ACTIVE:
        raise operations.OperationError(
            [
                Problem(
                    Message(
                        N_("Es gibt schon {n} gültige Tokens für dieses Konto. Widerrufen Sie zuerst eines."),
                        n=MAX_ACTIVE,
                    )
                )
            ]
        )
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, label=label, token_hash=digest(token), prefix=token[:10], created_at=utcnow())
    s.add(row)
    s.flush()
    operations.audit(
        s, actor, "token.create", municipality_id=user.municipality_id, user=user.username, token=row.id, label=label
    )
    return row, token


def revoke(s: Session, actor: User, row: ApiToken) -> bool:
    """Revoke a token (True), or nothing when it was revoked already (a double click: False)."""
    done = s.execute(
        update(ApiToken).where(ApiToken.id == row.id, ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow())
    ).rowcount
    if done:
        s.refresh(row)
        operations.audit(
            s, actor, "token.revoke", municipality_id=row.user.municipality_id, user=row.user.username, token=row.id
        )
    return bool(done)


def user_for(s: Session, token: str) -> User | None:
    """The active user a presented token acts for, or None (unknown, revoked, account deactivated)."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    row = s.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token), ApiToken.revoked_at.is_(None)))
    if row is None or not row.user.active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > TOUCH:
        row.last_used_at = now
    return row.user
