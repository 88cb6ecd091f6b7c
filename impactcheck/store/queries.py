"""Read-only lookups shared by the web app and the CLI."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from impactcheck.core.errors import InputError, Problem
from impactcheck.core.i18n import N_, Message
from impactcheck.core.result import Result
from impactcheck.core.verification import Reference
from impactcheck.store.current import latest_filed
from impactcheck.store.models import Check, Revision
from impactcheck.store.snapshots import localized_result


def reference_for(check: Check, revision: Revision, timezone: str = "Europe/Berlin") -> Reference:
    """The reference line of a stored revision: "<check>-<revision>", its author, the (local) day it was
    submitted. Stored times are UTC; `timezone` is the municipality's (setting TIMEZONE)."""
    submitted = (revision.submitted_at or revision.updated_at).replace(tzinfo=dt.UTC)
    return Reference(
        check_id=f"{check.id}-{revision.number}",
        author=check.owner.display_name,
        date=submitted.astimezone(ZoneInfo(timezone)).date(),
    )


def stored_result(
    s: Session, ref: str, timezone: str = "Europe/Berlin", *, locale: str = "de", rulesets=None
) -> tuple[Result, Reference]:
    """The submitted Result of check "12" (its latest submitted revision) or "12-3" (revision 3), its texts
    in `locale` (store/snapshots.py; `rulesets(id)` gives the current rule set of an id)."""
    m = re.fullmatch(r"\s*(\d+)(?:-(\d+))?\s*", ref)
    if not m:
        raise InputError(Problem(Message(N_("„{ref}“ ist keine Klimacheck-Nummer (Form: 12 oder 12-3)"), ref=ref)))
    check = s.get(Check, int(m.group(1)))
    if check is None:
        raise InputError(Problem(Message(N_("Klimacheck {id} gibt es nicht"), id=m.group(1))))
    if m.group(2):
        revision = next((r for r in check.revisions if r.number == int(m.group(2)) and r.result is not None), None)
    else:
        revision = latest_filed(check.revisions)
    if revision is None:
        if m.group(2):
            message = Message(
                N_("Revision {n} von Klimacheck {id} ist noch nicht eingereicht"), n=m.group(2), id=check.id
            )
        else:
            message = Message(N_("Klimacheck {id} ist noch nicht eingereicht"), id=check.id)
        raise InputError(Problem(message))
    return localized_result(s, revision, locale, rulesets), reference_for(check, revision, timezone)
