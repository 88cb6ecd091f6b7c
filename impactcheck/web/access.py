"""Who may see and change what. Controllers call these before any operation."""

from __future__ import annotations

import functools

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select

from impactcheck.store.models import Check
from impactcheck.web.context import db

CREATORS = ("author", "climate")  # may start checks and edit their own drafts
READERS_OF_ALL = ("council", "climate", "admin")  # see the register of all checks
REVIEWERS = ("climate",)


def roles_required(*roles: str):
    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def load_check(check_id: int, *, edit: bool = False) -> Check:
    """The check, if the current user may see it (and, with `edit`, change it); else 404 or 403.

    Authors do not learn that other people's checks exist (404); the others get 403 where they may
    look but not touch. Every lookup is scoped to the user's municipality.
    """
    check = db().scalar(
        select(Check).where(
            Check.id == check_id,
            Check.municipality_id == current_user.municipality_id,
            Check.deleted_at.is_(None),  # a deleted draft is gone for everyone (the audit log keeps it)
        )
    )
    if check is None:
        abort(404)
    role = current_user.role
    own = check.owner_id == current_user.id
    if role == "author" and not own:
        abort(404)
    if role == "council" and check.filed_status is None:
        abort(404)  # councillors read what was submitted, not drafts
    if edit and not (own and role in CREATORS):
        abort(403)
    return check
