"""Read-only lookups shared by the web app and the CLI."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from impactcheck.core.errors import InputError, Problem
from impactcheck.core.result import Result, result_from_dict
from impactcheck.core.verification import Reference
from impactcheck.store.current import latest_filed
from impactcheck.store.models import Check, Revision


def reference_for(check: Check, revision: Revision, timezone: str = "Europe/Berlin") -> Reference:
    """The reference line of a stored revision: "<check>-<revision>", its author, the (local) day it was
    submitted. Stored times are UTC; `timezone` is the municipality's (setting TIMEZONE)."""
    submitted = (revision.submitted_at or revision.updated_at).replace(tzinfo=dt.UTC)
    return Reference(
        check_id=f"{check.id}-{revision.number}",
        author=check.owner.display_name,
        date=submitted.astimezone(ZoneInfo(timezone)).date(),
    )


def stored_result(s: Session, ref: str, timezone: str = "Europe/Berlin") -> tuple[Result, Reference]:
    """The submitted Result of check "12" (its latest submitted revision) or "12-3" (revision 3)."""
    m = re.fullmatch(r"\s*(\d+)(?:-(\d+))?\s*", ref)
    if not m:
        raise InputError(Problem(f"„{ref}“ ist keine Klimacheck-Nummer (Form: 12 oder 12-3)"))
    check = s.get(Check, int(m.group(1)))
    if check is None:
        raise InputError(Problem(f"Klimacheck {m.group(1)} gibt es nicht"))
    if m.group(2):
        revision = next((r for r in check.revisions if r.number == int(m.group(2)) and r.result is not None), None)
    else:
        revision = latest_filed(check.revisions)
    if revision is None:
        what = f"Revision {m.group(2)} von Klimacheck {check.id}" if m.group(2) else f"Klimacheck {check.id}"
        raise InputError(Problem(f"{what} ist noch nicht eingereicht"))
    return result_from_dict(revision.result), reference_for(check, revision, timezone)
