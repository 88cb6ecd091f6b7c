"""Checks whose council session is over while their decision is not yet recorded ("Beschluss nachtragen").

On the current-state columns of the check row only (no revision is loaded): the list pages with
`listing.paginate`, the navigation shows the count (one COUNT statement).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from impactcheck.store.models import Check


def outcomes_due(municipality_id: int, today: dt.date, owner_id: int | None = None) -> Select:
    """Submitted, not deleted checks of the municipality whose session date lies before `today`
    (the municipality's local day) and that have no recorded outcome; only `owner_id`'s if given.
    Newest session first, then the newest check."""
    return (
        select(Check)
        .where(
            Check.municipality_id == municipality_id,
            Check.deleted_at.is_(None),
            Check.filed_number.is_not(None),
            Check.outcome.is_(None),
            Check.meeting_date < today,
            *([Check.owner_id == owner_id] if owner_id is not None else []),
        )
        .order_by(Check.meeting_date.desc(), Check.id.desc())
    )


def _count_statement(by_owner: bool) -> Select:
    # Built once with bound parameters: the navigation asks on every page, and building the statement
    # (and its cache key) cost more than running it.
    return (
        outcomes_due(bindparam("municipality_id"), bindparam("today"), bindparam("owner_id") if by_owner else None)
        .with_only_columns(func.count())
        .order_by(None)
    )  # count(*): index-only


_COUNTS = {by_owner: _count_statement(by_owner) for by_owner in (False, True)}


def count_outcomes_due(s: Session, municipality_id: int, today: dt.date, owner_id: int | None = None) -> int:
    params = {"municipality_id": municipality_id, "today": today}
    if owner_id is not None:
        params["owner_id"] = owner_id
    return s.scalar(_COUNTS[owner_id is not None], params) or 0
