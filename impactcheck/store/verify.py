"""Is this Klimacheck genuine? The verification code of a filed revision, and looking it up.

The code (core/verification.py) is stored on each filed revision when it is submitted (operations.submit)
and was filled for older ones by migration 0007 the same way, so /pruefen finds by an indexed query what
the Word section printed. Only filed revisions (submitted, approved, returned) have a code; drafts never.

32 bits can collide among many checks: a look-up by code alone that matches more than one revision
asks for the check number printed beside it ("Klimacheck Nr. 12-3") instead of listing the matches.
No Flask here; the messages are German and marked for translation.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from impactcheck.core.i18n import N_
from impactcheck.core.verification import verification_code
from impactcheck.store.current import FILED_STATUSES
from impactcheck.store.models import Check, Revision

MAX_ID = 2**31 - 1  # the largest id an integer column holds (PostgreSQL's integer)
# Every dash a word processor or a keyboard may put where the code has its hyphen.
_DASHES = re.compile("[\u00ad\u2010-\u2015\u2212\u2043\ufe58\ufe63\uff0d_]")
# Letters that are no hexadecimal digit but look like one (a code read off paper and typed in).
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_CODE_PREFIX = re.compile(r"^(?:PR(?:Ü|UE?)FCODE)[:.]?", re.IGNORECASE)
_NUMBER = re.compile(r"(?:KLIMACHECK)?(?:NR\.?|NUMMER)?[:.]?(\d{1,10})(?:-(\d{1,10}))?")

MALFORMED_CODE = N_(
    "„%(value)s“ ist kein Prüfcode. Ein Prüfcode hat acht Zeichen, Ziffern und die Buchstaben A bis F, "
    "zum Beispiel 3F9A-07C2. Er steht in der Vorlage am Ende des Klimacheck-Abschnitts."
)
MISSING_CODE = N_("Bitte geben Sie den Prüfcode ein. Er steht in der Vorlage am Ende des Klimacheck-Abschnitts.")
MALFORMED_NUMBER = N_(
    "„%(value)s“ ist keine Klimacheck-Nummer. Sie steht in der Vorlage vor dem Prüfcode, zum Beispiel "
    "„Klimacheck Nr. 12-3“: dann geben Sie 12-3 ein."
)
NOT_FOUND = N_(
    "Kein Klimacheck mit diesem Prüfcode. Prüfen Sie die Eingabe; stimmt sie mit der Vorlage überein, "
    "stammt der Klimacheck-Abschnitt nicht aus diesem Klimacheck-System oder wurde verändert."
)
NOT_FOUND_WITH_NUMBER = N_(
    "Kein Klimacheck mit dieser Nummer und diesem Prüfcode. Prüfen Sie beide Angaben; stimmen sie mit der "
    "Vorlage überein, stammt der Klimacheck-Abschnitt nicht aus diesem Klimacheck-System oder wurde verändert."
)
AMBIGUOUS = N_(
    "Dieser Prüfcode passt zu mehr als einem Klimacheck. Bitte geben Sie auch die Klimacheck-Nummer ein: "
    "Sie steht in der Vorlage vor dem Prüfcode, zum Beispiel „Klimacheck Nr. 12-3“."
)


def code_of(check_id: int, number: int, result: dict[str, Any]) -> str:
    """The code of revision `number` of check `check_id` with stored Result `result`: what the result
    page and the Word section show for it (their check id is "<check>-<revision>", queries.reference_for)."""
    return verification_code(result, f"{check_id}-{number}")


def _squeeze(value: str) -> str:
    """Upper case, compatibility forms folded (full-width digits), dashes unified, no spaces at all."""
    text = unicodedata.normalize("NFKC", value or "").upper()
    text = _DASHES.sub("-", text)
    return "".join(text.split())


def normalise_code(value: str) -> str | None:
    """ "3f9a 07c2", "3F9A07C2", "3F9A–07C2", "Prüfcode: 3F9A-07C2" → "3F9A-07C2"; None if not a code."""
    text = _CODE_PREFIX.sub("", _squeeze(value)).replace("-", "").translate(_LOOKALIKES)
    if not re.fullmatch(r"[0-9A-F]{8}", text):
        return None
    return f"{text[:4]}-{text[4:]}"


def parse_number(value: str) -> tuple[int, int | None] | None:
    """ "12-3", "Nr. 12-3", "Klimacheck Nr. 12-3" → (12, 3); "12" → (12, None); None if not a number."""
    m = _NUMBER.fullmatch(_squeeze(value))
    if not m:
        return None
    check_id = int(m.group(1))
    number = int(m.group(2)) if m.group(2) else None
    if not 0 < check_id <= MAX_ID or (number is not None and not 0 < number <= MAX_ID):
        return None
    return check_id, number


@dataclass(frozen=True)
class Found:
    """What a genuine code may tell anyone: no author, no answers, no figures."""

    check_id: int
    number: int  # the revision
    status: str  # submitted | approved | returned
    reference: str
    title: str
    verdict: str | None
    submitted_at: Any  # UTC, naive (as stored)
    ruleset_id: str
    ruleset_version: str | None
    municipality_id: int
    latest_number: int | None  # the check's newest filed revision (newer than `number`: this one is outdated)

    @property
    def check_number(self) -> str:
        return f"{self.check_id}-{self.number}"

    @property
    def outdated(self) -> bool:
        return self.latest_number is not None and self.latest_number > self.number


@dataclass(frozen=True)
class Lookup:
    """The answer to one look-up: `found`, or a problem (`field` is the input it concerns)."""

    found: Found | None = None
    problem: str | None = None  # an N_() message, with %(value)s where it names the input
    field: str | None = None  # "code" | "number"
    value: str = ""


def lookup(s: Session, code_text: str, number_text: str = "") -> Lookup:
    """The filed revision whose verification code is `code_text` (and, if given, whose check number
    is `number_text`). One indexed query; at most two rows are read."""
    code_text, number_text = (code_text or "").strip(), (number_text or "").strip()
    if not code_text:
        return Lookup(problem=MISSING_CODE, field="code")
    code = normalise_code(code_text)
    if code is None:
        return Lookup(problem=MALFORMED_CODE, field="code", value=code_text[:40])
    wanted = None
    if number_text:
        wanted = parse_number(number_text)
        if wanted is None:
            return Lookup(problem=MALFORMED_NUMBER, field="number", value=number_text[:40])
    query = (
        select(Revision, Check)
        .join(Check, Check.id == Revision.check_id)
        .where(
            Revision.verification_code == code,
            Revision.status.in_(FILED_STATUSES),
            Check.deleted_at.is_(None),
        )
        .order_by(Revision.id)
        .limit(2)
    )
    if wanted is not None:
        query = query.where(Check.id == wanted[0])
        if wanted[1] is not None:
            query = query.where(Revision.number == wanted[1])
    rows = s.execute(query).all()
    if not rows:
        return Lookup(problem=NOT_FOUND_WITH_NUMBER if wanted else NOT_FOUND, field="number" if wanted else "code")
    if len(rows) > 1:  # a collision of 32 bits: the number decides (with a revision, rows are unique)
        return Lookup(problem=AMBIGUOUS, field="number")
    revision, check = rows[0]
    return Lookup(
        found=Found(
            check_id=check.id,
            number=revision.number,
            status=revision.status,
            reference=check.reference,
            title=check.title,
            verdict=revision.verdict,
            submitted_at=revision.submitted_at,
            ruleset_id=revision.ruleset_id,
            ruleset_version=revision.ruleset_version,
            municipality_id=check.municipality_id,
            latest_number=check.filed_number,
        )
    )
