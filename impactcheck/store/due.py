"""Checks whose council session is over while their decision is not yet recorded ("Beschluss nachtragen").

On the current-state columns of the check row only (no revision is loaded): the list pages with
`listing.paginate`, the navigation shows the count (one COUNT statement).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, func, select
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


def count_outcomes_due(s: Session, municipality_id: int, today: dt.date, owner_id: int | None = None) -> int:
    query = outcomes_due(municipality_id, today, owner_id)
    return s.scalar(query.with_only_columns(func.count()).order_by(None)) or 0  # count(*): index-only
