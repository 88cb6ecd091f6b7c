"""Who may see and change what. Controllers call these before any operation."""

from __future__ import annotations

import functools

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from impactcheck.store import permissions
from impactcheck.store.models import Check
from impactcheck.web.context import db

# The role lists and every "may …" rule live in store/permissions.py; these names stay for the views.
CREATORS, READERS_OF_ALL, REVIEWERS = permissions.CREATORS, permissions.READERS_OF_ALL, permissions.REVIEWERS
OUTCOME_RECORDERS, INSERTERS = permissions.OUTCOME_RECORDERS, permissions.INSERTERS
may_record_outcome = permissions.may_record_outcome
may_insert_into_paper = permissions.may_insert_into_paper
may_delete_draft = permissions.may_delete_draft


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


# Built once with bound parameters: every check page runs it, and building a statement (and its cache
# key) costs more than running it.
# Its revisions come in the same statement: every check page reads the current one.
_VISIBLE_CHECK = (
    select(Check)
    .where(
        Check.id == bindparam("check_id"),
        Check.municipality_id == bindparam("municipality_id"),
        Check.deleted_at.is_(None),  # a deleted draft is gone for everyone (the audit log keeps it)
    )
    .options(joinedload(Check.revisions))
)


def load_check(check_id: int, *, edit: bool = False) -> Check:
    """The check, if the current user may see it (and, with `edit`, change it); else 404 or 403
    (store/permissions.py decides).

    Authors do not learn that other people's checks exist (404); the others get 403 where they may
    look but not touch. Every lookup is scoped to the user's municipality.
    """
    params = {"check_id": check_id, "municipality_id": current_user.municipality_id}
    check = db().scalars(_VISIBLE_CHECK, params).unique().one_or_none()
    if check is None or not permissions.may_see(current_user, check):
        abort(404)
    if edit and not permissions.may_edit(current_user, check):
        abort(403)
    return check


def is_installation_admin(user) -> bool:
    """Whether `user` runs the installation: creates and edits municipalities and their admins
    (web/municipalities.py). An admin with the flag `installation_admin`; within their own municipality
    they are an admin like any other. Navigation and views ask here."""
    return bool(getattr(user, "is_authenticated", False)) and user.role == "admin" and bool(user.installation_admin)


def installation_admin_required(view):
    @functools.wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not is_installation_admin(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped
