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
OUTCOME_RECORDERS = ("author", "climate")  # record the council's decision (see may_record_outcome)


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


def may_record_outcome(user, check: Check) -> bool:
    """Whether `user` may record the council's decision on `check`: its author (in a creating role)
    and the climate department of its municipality, once a revision is submitted. The one place that
    decides it: the outcome views and the check page ask here."""
    if not getattr(user, "is_authenticated", False) or user.role not in OUTCOME_RECORDERS:
        return False
    if check.municipality_id != user.municipality_id or check.deleted_at is not None or check.filed_number is None:
        return False
    return user.role == "climate" or check.owner_id == user.id


INSERTERS = ("author", "climate")  # put the section into a paper of their own (see may_insert_into_paper)


def may_insert_into_paper(user) -> bool:
    """Whether `user` is offered "In Ihre Vorlage einfügen" on a check page they may read: those who
    write council papers (authors, and the climate department helping them). Councillors read the
    paper the administration sends them and the admin runs the installation: neither uploads a paper
    here. The result page and the upload POST both ask here."""
    return bool(getattr(user, "is_authenticated", False)) and user.role in INSERTERS


def may_delete_draft(user, check: Check) -> bool:
    """Whether `user` may delete `check`: its owner (in a creating role), while it was never
    submitted (a submitted check is part of the record). The pages and the delete views ask here;
    `operations.delete_draft` refuses a submitted check on its own as well."""
    return (
        bool(getattr(user, "is_authenticated", False))
        and user.role in CREATORS
        and check.owner_id == user.id
        and check.municipality_id == user.municipality_id
        and check.deleted_at is None
        and check.filed_number is None
    )
