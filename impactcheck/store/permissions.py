"""Who may see and do what with a check: the one place that decides it.

Plain functions of the user row and the check row (no Flask): the web views (through
`impactcheck.web.access`), the templates, the JSON API and `operations` ask here. Every rule is scoped
to the user's municipality first.
"""

from __future__ import annotations

from typing import Any

CREATORS = ("author", "climate")  # start checks and edit their own drafts
READERS_OF_ALL = ("council", "climate", "admin")  # see the register of all checks of their municipality
REVIEWERS = ("climate",)  # approve or return submitted checks (never their own: four eyes)
OUTCOME_RECORDERS = ("author", "climate")  # record the council's decision (see may_record_outcome)
INSERTERS = ("author", "climate")  # put the section into a paper of their own
BUDGET_READERS = ("council", "climate", "admin")  # the climate budget of their municipality (/klimabudget)


def _signed_in(user: Any) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", True))


def _same_place(user: Any, check: Any) -> bool:
    return check.municipality_id == user.municipality_id and check.deleted_at is None


def may_see(user: Any, check: Any) -> bool:
    """Authors see their own checks; councillors what was submitted; the climate department and the
    admin every check of their municipality. A deleted draft is gone for everyone."""
    if not _signed_in(user) or not _same_place(user, check):
        return False
    if user.role == "author":
        return check.owner_id == user.id
    if user.role == "council":
        return check.filed_status is not None
    return user.role in READERS_OF_ALL


def may_see_all(user: Any) -> bool:
    """List every check of the municipality (the register), not only one's own."""
    return _signed_in(user) and user.role in READERS_OF_ALL


def may_edit(user: Any, check: Any) -> bool:
    """Change the check (its draft, a new revision): its owner, in a creating role."""
    return may_see(user, check) and user.role in CREATORS and check.owner_id == user.id


def may_start(user: Any) -> bool:
    return _signed_in(user) and user.role in CREATORS


def four_eyes(user: Any, check: Any) -> bool:
    """The four-eyes rule: nobody reviews a check of their own."""
    return check.owner_id != user.id


def may_review(user: Any, check: Any, revision: Any, awaiting: Any) -> bool:
    """Approve or return `revision`: the climate department, when it is the revision awaiting review
    (`awaiting`, store.current.awaiting_review), and never for a check of one's own (four eyes)."""
    return (
        may_see(user, check)
        and user.role in REVIEWERS
        and revision is not None
        and revision is awaiting
        and four_eyes(user, check)
    )


def reviews_own(user: Any, check: Any) -> bool:
    """A reviewer looking at a check of their own: the page says another colleague reviews it."""
    return _signed_in(user) and user.role in REVIEWERS and not four_eyes(user, check)


def may_record_outcome(user: Any, check: Any) -> bool:
    """Record the council's decision: the check's author (in a creating role) and the climate
    department of its municipality, once a revision is submitted."""
    if not _signed_in(user) or user.role not in OUTCOME_RECORDERS or not _same_place(user, check):
        return False
    if check.filed_number is None:
        return False
    return user.role == "climate" or check.owner_id == user.id


def records_outcomes(user: Any) -> bool:
    """Records council decisions at all (for the list of decisions due)."""
    return _signed_in(user) and user.role in OUTCOME_RECORDERS


def may_insert_into_paper(user: Any) -> bool:
    """Offered "In Ihre Vorlage einfügen" on a check they may read: those who write council papers.
    Councillors read the paper the administration sends them; the admin runs the installation."""
    return _signed_in(user) and user.role in INSERTERS


def may_delete_draft(user: Any, check: Any) -> bool:
    """Delete a check: its owner (in a creating role), while it was never submitted (a submitted check
    is part of the record)."""
    return may_edit(user, check) and check.filed_number is None


def may_see_budget(user: Any) -> bool:
    """The municipality's climate budget (target path and the council's decisions against it): the
    climate department, the council and the admin; authors see their own checks only."""
    return _signed_in(user) and user.role in BUDGET_READERS


def may_download_report(user: Any) -> bool:
    """The yearly report to the council (Word) of their municipality: whoever sees the climate budget."""
    return may_see_budget(user)


def may_read_audit(user: Any) -> bool:
    """The audit log of a check: the climate department and the admin."""
    return _signed_in(user) and user.role in ("climate", "admin")
