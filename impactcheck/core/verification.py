"""Who, when and which check: the reference line of every rendered Result, and its verification code.

The verification code lets a reader of a printed paper ask the climate department "is this the check you
approved?": it is derived from the Result JSON and the check id only, so the web app, the Word section and
the CLI show the same code for the same check, and any change of the result changes the code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reference:
    """What a rendered check says about itself beyond the Result (rule set id, title, version come from it).

    `check_id` is the stored check's id as text (None for a headless check from the CLI), `author` the name
    of the person who filled it in, `date` the day it refers to (None: today, when rendered).
    """

    check_id: str | None = None
    author: str | None = None
    date: dt.date | None = None

    def day(self) -> dt.date:
        return self.date or dt.date.today()


def canonical_json(data: Any) -> str:
    """One spelling of a JSON value: sorted keys, no spaces, UTF-8 text (tuples serialise as lists)."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def verification_code(result_dict: dict[str, Any], check_id: str | None) -> str:
    """A short code like "3F9A-07C2": the first 32 bits of SHA-256 over the canonical Result JSON and id.

    `result_dict` is `Result.to_dict()` or the same JSON read back from storage; both give the same code.
    """
    payload = canonical_json({"check_id": check_id, "result": result_dict})
    digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:8].upper()
    return f"{digest[:4]}-{digest[4:]}"
