"""The only code that changes stored state, and the only code that writes the audit log.

Each operation checks the state it needs (a draft to edit, the version the page started from),
changes rows, flushes and logs one audit entry. The caller commits once per request or command,
so a failure leaves nothing half-written. Access control is the caller's job (controllers check
who may do what; operations check what may be done now).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.security import check_password_hash, generate_password_hash

from impactcheck.core.errors import InputError, Problem
from impactcheck.core.evaluate import alternative_changes, evaluate, known_answers
from impactcheck.core.model import RuleSet
from impactcheck.core.result import Result
from impactcheck.store import current as current_state
from impactcheck.store.db import insert_or_ignore, lock_row
from impactcheck.store.models import (
    ROLES,
    AuditEntry,
    Check,
    CheckSector,
    Municipality,
    PendingInput,
    Revision,
    RulesetSnapshot,
    Upload,
    User,
    utcnow,
)

MIN_PASSWORD_LENGTH = 10
# werkzeug's default (scrypt); the test suite lowers the cost, it creates hundreds of logins.
PASSWORD_METHOD = "scrypt"
PENDING_INPUT_HOURS = 24
PENDING_INPUT_MAX_CHARS = 200_000  # a long form is a few thousand characters; more is not a form
# A second identical start by the same author within this time is a double click, not a new check.
DOUBLE_START_SECONDS = 10


class OperationError(InputError):
    """A request that cannot be done now; the message is shown to the user as it is."""


class ConflictError(OperationError):
    """The page was based on an older version of the draft (another tab, another person)."""


CONFLICT_MESSAGE = (
    "Dieser Entwurf wurde inzwischen an anderer Stelle geändert (in einem anderen Fenster oder von "
    "einer anderen Person). Ihre Eingaben sind unten erhalten, aber noch nicht gespeichert."
)


def _fail(message: str, cls: type[OperationError] = OperationError) -> OperationError:
    return cls([Problem(message)])


def _flush(s: Session) -> None:
    """Flush; a revision changed by someone else since it was loaded becomes a ConflictError
    (the caller rolls back, as after any failed operation)."""
    try:
        s.flush()
    except StaleDataError:
        raise ConflictError([Problem(CONFLICT_MESSAGE)]) from None


def audit(
    s: Session,
    actor: User | None,
    action: str,
    *,
    municipality_id: int | None,
    check: Check | None = None,
    revision: Revision | None = None,
    **detail: Any,
) -> AuditEntry:
    entry = AuditEntry(
        municipality_id=municipality_id,
        user_id=actor.id if actor else None,
        action=action,
        check_id=check.id if check else None,
        revision_id=revision.id if revision else None,
        detail=detail,
    )
    s.add(entry)
    s.flush()
    return entry


# --- municipalities and users -----------------------------------------------------------------


def ensure_municipality(s: Session, *, slug: str, name: str, rulesets: list[str]) -> Municipality:
    """The municipality with this slug, created if missing – also when another process (a second
    `users add`, a starting server) creates it at the same moment: then that one's row is returned."""
    found = s.scalar(select(Municipality).where(Municipality.slug == slug))
    if found is not None:
        return found
    values = {"slug": slug, "name": name, "rulesets": list(rulesets), "created_at": utcnow()}
    created = insert_or_ignore(s, Municipality.__table__, values, ["slug"])
    municipality = s.scalars(select(Municipality).where(Municipality.slug == slug)).one()
    if created:
        audit(s, None, "municipality.create", municipality_id=municipality.id, slug=slug, name=name)
    return municipality


def update_municipality(s: Session, municipality: Municipality, *, name: str, rulesets: list[str]) -> None:
    """Bring name and offered rule sets in line with the settings (logged only when something changes)."""
    changed = {}
    if municipality.name != name:
        changed["name"] = name
        municipality.name = name
    if list(municipality.rulesets or []) != list(rulesets):
        changed["rulesets"] = list(rulesets)
        municipality.rulesets = list(rulesets)
    if changed:
        s.flush()
        audit(s, None, "municipality.update", municipality_id=municipality.id, **changed)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise OperationError(
            [Problem(f"Das Passwort muss mindestens {MIN_PASSWORD_LENGTH} Zeichen lang sein.", path=("password",))]
        )


def create_user(
    s: Session,
    actor: User | None,
    *,
    municipality: Municipality,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
) -> User:
    from sqlalchemy.exc import IntegrityError

    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() or not c.isprintable() for c in username):
        raise _fail(
            "Der Benutzername darf nicht leer sein, keine Leer- oder Steuerzeichen enthalten und höchstens "
            "64 Zeichen haben."
        )
    if display_name and not display_name.isprintable():
        raise OperationError([Problem("Der Name darf keine Steuerzeichen enthalten.", path=("display_name",))])
    if role not in ROLES:
        raise _fail(f"Unbekannte Rolle „{role}“; möglich: {', '.join(ROLES)}.")
    _check_password(password)
    # Names are unique across municipalities; only the own municipality's (or the server
    # administrator at the command line, actor None) may learn that a name belongs to an account.
    taken = f"Den Benutzernamen „{username}“ gibt es schon."
    unavailable = "Dieser Benutzername ist nicht verfügbar. Bitte wählen Sie einen anderen."
    owner = s.scalar(select(User.municipality_id).where(User.username == username))
    if owner is not None:
        raise _fail(taken if actor is None or owner == municipality.id else unavailable)
    user = User(
        municipality_id=municipality.id,
        username=username,
        display_name=(display_name or username).strip(),
        password_hash=generate_password_hash(password, method=PASSWORD_METHOD),
        role=role,
        active=True,
    )
    s.add(user)
    try:
        s.flush()
    except IntegrityError:  # created at the same moment by someone else; the caller rolls back
        raise _fail(taken if actor is None else unavailable) from None
    audit(s, actor, "user.create", municipality_id=municipality.id, user=username, role=role)
    return user


def set_password(s: Session, actor: User | None, user: User, password: str) -> None:
    if sso_source(user) is not None:  # its password lives at the identity provider or in the directory
        raise _fail("Dieses Konto meldet sich über Single Sign-on an; sein Passwort wird dort geändert.")
    _check_password(password)
    user.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
    user.session_version = User.session_version + 1  # a new password ends every session of the old one
    s.flush()
    audit(s, actor, "user.password", municipality_id=user.municipality_id, user=user.username)


def set_active(s: Session, actor: User | None, user: User, active: bool) -> None:
    if user.active == active:
        return
    user.active = active
    if not active:
        user.session_version = User.session_version + 1  # reactivating must not revive old cookies
    s.flush()
    audit(
        s,
        actor,
        "user.activate" if active else "user.deactivate",
        municipality_id=user.municipality_id,
        user=user.username,
    )


def end_sessions(s: Session, user: User) -> None:
    """Every login cookie of `user` stops working (at logout: in this browser and every copy of it)."""
    user.session_version = User.session_version + 1  # in SQL: two at once both count
    s.flush()


def login_unlocked(s: Session, actor: User | None, user: User) -> None:
    """An admin let a name locked after many failed logins log in again (store/logins.py lifts the count)."""
    audit(s, actor, "user.unlock", municipality_id=user.municipality_id, user=user.username)


def authenticate(s: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None (same answer for every failure)."""
    user = s.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        # Spend the same time as a real check, so a wrong name is not faster than a wrong password.
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(8), method=PASSWORD_METHOD)


def random_password() -> str:
    return secrets.token_urlsafe(12)


# Accounts of single sign-on (OIDC, LDAP) have no local password: their password_hash is this marker,
# which no password ever matches (werkzeug needs "method$salt$hash"), naming where the account comes
# from and, for OIDC, a digest of the IdP's subject, so a reassigned user name cannot take it over.
SSO_MARK = "!sso:"
SSO_SOURCES = ("oidc", "ldap")


def sso_source(user: User) -> str | None:
    """'oidc' or 'ldap' for an account of single sign-on, None for a local account."""
    if not user.password_hash.startswith(SSO_MARK):
        return None
    return user.password_hash.removeprefix(SSO_MARK).split(":", 1)[0]


def _sso_mark(source: str, subject: str | None) -> str:
    if not subject:
        return f"{SSO_MARK}{source}"
    return f"{SSO_MARK}{source}:{hashlib.sha256(subject.encode('utf-8', 'replace')).hexdigest()[:40]}"


def sso_user(
    s: Session,
    *,
    municipality: Municipality,
    username: str,
    display_name: str | None,
    role: str,
    source: str,
    subject: str | None = None,
) -> User:
    """The account of someone the identity provider (or the directory) has just vouched for: created on
    the first login in `municipality` with `role`, and brought in line with what the IdP says (role,
    name) on every later one. Refused: a local account's name, another source's or subject's account,
    a deactivated account, an account of another municipality."""
    if source not in SSO_SOURCES:
        raise ValueError(f"unknown source {source!r}")
    username = (username or "").strip()
    if not username or len(username) > 64 or any(c.isspace() or not c.isprintable() for c in username):
        raise _fail(
            "Ihr Anmeldedienst hat keinen verwendbaren Benutzernamen übermittelt (leer, zu lang oder mit "
            "Leer- oder Steuerzeichen). Bitte wenden Sie sich an die Administration."
        )
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    name = " ".join((display_name or "").split())[:200] or username
    if not name.isprintable():
        name = username
    mark = _sso_mark(source, subject)
    values = {
        "municipality_id": municipality.id,
        "username": username,
        "display_name": name,
        "password_hash": mark,
        "role": role,
        "active": True,
        "created_at": utcnow(),
        "session_version": 0,
    }
    created = insert_or_ignore(s, User.__table__, values, ["username"])  # two first logins at once: one row
    user = s.scalars(select(User).where(User.username == username)).one()
    if created:
        audit(s, user, "user.create", municipality_id=municipality.id, user=username, role=role, source=source)
        return user
    s.refresh(user)
    if user.password_hash != mark:
        if sso_source(user) is None:
            raise _fail(
                f"Für den Benutzernamen „{username}“ gibt es ein Konto mit eigenem Passwort. Bitte melden Sie "
                "sich damit an, oder bitten Sie die Administration, das Konto umzustellen."
            )
        raise _fail(
            f"Der Benutzername „{username}“ gehört hier zu einem anderen Konto. Bitte wenden Sie sich an die "
            "Administration."
        )
    if not user.active:
        raise _fail("Ihr Konto ist deaktiviert. Bitte wenden Sie sich an die Administration.")
    if user.municipality_id != municipality.id:
        raise _fail(
            "Ihr Konto gehört zu einer anderen Kommune, als Ihr Anmeldedienst jetzt angibt. Bitte wenden Sie "
            "sich an die Administration."
        )
    changed: dict[str, Any] = {}
    if user.role != role:
        changed.update(role=role, previous_role=user.role)
        user.role = role
    if user.display_name != name:
        changed["display_name"] = name
        user.display_name = name
    if changed:
        s.flush()
        audit(s, user, "user.sso_update", municipality_id=user.municipality_id, user=username, source=source, **changed)
    return user


# --- checks -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaperData:
    reference: str
    title: str
    department: str
    committee: str
    meeting_date: dt.date | None = None


def _require_draft(revision: Revision, expected_version: int | None) -> None:
    if not revision.is_draft:
        raise _fail(
            "Dieser Klimacheck ist bereits eingereicht und kann nicht mehr geändert werden. "
            "Legen Sie eine neue Revision an, um ihn zu ändern."
        )
    if expected_version is not None and revision.version != expected_version:
        raise ConflictError([Problem(CONFLICT_MESSAGE)])


def _apply_paper(check: Check, paper: PaperData) -> None:
    check.reference = paper.reference
    check.title = paper.title
    check.department = paper.department
    check.committee = paper.committee
    check.meeting_date = paper.meeting_date


def _recent_identical_start(
    s: Session, actor: User, paper: PaperData, ruleset: RuleSet, upload: tuple[str, bytes] | None
) -> Check | None:
    """The author's check started moments ago from the same form (a double click), if any."""
    since = utcnow() - dt.timedelta(seconds=DOUBLE_START_SECONDS)
    candidates = s.scalars(
        select(Check)
        .where(
            Check.municipality_id == actor.municipality_id,
            Check.owner_id == actor.id,
            Check.deleted_at.is_(None),
            Check.created_at >= since,
            Check.reference == paper.reference,
            Check.title == paper.title,
            Check.department == paper.department,
            Check.committee == paper.committee,
            Check.meeting_date.is_(None) if paper.meeting_date is None else Check.meeting_date == paper.meeting_date,
        )
        .order_by(Check.id)
    )
    sha256 = hashlib.sha256(upload[1]).hexdigest() if upload is not None else None
    for check in candidates:
        first = check.revisions[0]
        uploaded = [u.sha256 for u in check.uploads[:1]]
        if first.ruleset_id == ruleset.id and uploaded == ([sha256] if sha256 else []):
            return check
    return None


def _refresh_state(s: Session, check: Check) -> None:
    """Write the check's current-state columns and sector figures (store/current.py), after every
    change of its revisions or outcome, so lists in SQL never disagree with the revisions."""
    s.flush()
    s.expire(check, ["revisions"])
    state = current_state.state_of(check, check.revisions)
    if state["filed_number"] != check.filed_number:  # a filed revision is frozen: its figures change with it only
        s.execute(delete(CheckSector).where(CheckSector.check_id == check.id))
        filed = current_state.latest_filed(check.revisions)
        for figure in current_state.sector_figures(filed.result if filed else None):
            s.add(CheckSector(check_id=check.id, **figure))
        s.expire(check, ["sector_figures"])
    for key, value in state.items():
        setattr(check, key, value)
    _flush(s)


def create_check(
    s: Session,
    actor: User,
    *,
    paper: PaperData,
    ruleset: RuleSet,
    upload: tuple[str, bytes] | None = None,
) -> Check:
    """A new draft check; the same start sent twice within seconds (a double click) gives the first one."""
    # One start per author at a time, so the second of two simultaneous clicks sees the first's draft.
    lock_row(s, User.__table__, actor.id)
    duplicate = _recent_identical_start(s, actor, paper, ruleset, upload)
    if duplicate is not None:
        return duplicate
    check = Check(municipality_id=actor.municipality_id, owner_id=actor.id)
    _apply_paper(check, paper)
    s.add(check)
    s.flush()
    revision = Revision(check_id=check.id, number=1, status="draft", ruleset_id=ruleset.id, answers={})
    s.add(revision)
    s.flush()
    audit(
        s,
        actor,
        "check.create",
        municipality_id=check.municipality_id,
        check=check,
        revision=revision,
        reference=paper.reference,
        ruleset=ruleset.id,
    )
    if upload is not None:
        attach_upload(s, actor, check, *upload)
    _refresh_state(s, check)
    s.refresh(check)
    return check


def update_paper(s: Session, actor: User, check: Check, paper: PaperData, *, expected_version: int) -> None:
    revision = check.current
    _require_draft(revision, expected_version)
    before = check.paper
    _apply_paper(check, paper)
    revision.updated_at = utcnow()  # bumps the version: the paper data belong to the draft
    _flush(s)
    changed = {k: v for k, v in check.paper.items() if before.get(k) != v}
    audit(
        s, actor, "check.paper", municipality_id=check.municipality_id, check=check, revision=revision, changed=changed
    )


def clean_filename(name: str) -> str:
    """The last part of a browser's file name (Windows or Unix path), without control characters."""
    last = re.split(r"[\\/]", name or "")[-1]
    cleaned = "".join(c for c in last if c.isprintable() and c not in '"<>|:*?').strip(" .")
    return cleaned[:255] or "Vorlage.docx"


def attach_upload(s: Session, actor: User, check: Check, filename: str, content: bytes) -> Upload:
    upload = Upload(
        check_id=check.id,
        filename=clean_filename(filename),
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_by_id=actor.id,
    )
    s.add(upload)
    s.flush()
    audit(
        s,
        actor,
        "check.upload",
        municipality_id=check.municipality_id,
        check=check,
        filename=upload.filename,
        size=upload.size,
        sha256=upload.sha256,
    )
    return upload


def save_step(
    s: Session,
    actor: User,
    revision: Revision,
    *,
    step_id: str,
    values: dict[str, Any],
    expected_version: int,
    alternative: bool = False,
) -> Revision:
    """Store the answers of one wizard step (None removes an answer) in the draft."""
    _require_draft(revision, expected_version)
    if alternative:
        if revision.alternative_answers is None:
            raise _fail("Beschreiben Sie zuerst die Alternative.")
        current = dict(revision.alternative_answers)
    else:
        current = dict(revision.answers or {})
    changed = {}
    for key, value in values.items():
        if value is None:
            if key in current:
                changed[key] = None
                current.pop(key)
        elif current.get(key) != value:
            changed[key] = value
            current[key] = value
    if alternative:
        revision.alternative_answers = current
    else:
        revision.answers = current
    revision.updated_at = utcnow()
    _flush(s)
    audit(
        s,
        actor,
        "check.alternative_step" if alternative else "check.step",
        municipality_id=actor.municipality_id,
        check=revision.check,
        revision=revision,
        step=step_id,
        changed=changed,
    )
    return revision


def set_alternative(
    s: Session, actor: User, revision: Revision, *, description: str, expected_version: int
) -> Revision:
    """Describe the alternative; its own pass starts from the proposal's answers."""
    _require_draft(revision, expected_version)
    description = description.strip()
    if not description:
        raise _fail("Beschreiben Sie die Alternative in wenigen Sätzen.")
    first = revision.alternative_answers is None
    revision.alternative_description = description
    if first:
        revision.alternative_answers = dict(revision.answers or {})
    revision.updated_at = utcnow()
    _flush(s)
    audit(
        s,
        actor,
        "check.alternative",
        municipality_id=actor.municipality_id,
        check=revision.check,
        revision=revision,
        description=description,
        started=first,
    )
    return revision


def remove_alternative(s: Session, actor: User, revision: Revision, *, expected_version: int) -> Revision:
    _require_draft(revision, expected_version)
    revision.alternative_description = None
    revision.alternative_answers = None
    revision.updated_at = utcnow()
    _flush(s)
    audit(
        s,
        actor,
        "check.alternative_removed",
        municipality_id=actor.municipality_id,
        check=revision.check,
        revision=revision,
    )
    return revision


def preview(ruleset: RuleSet, check: Check, revision: Revision) -> Result:
    """The Result the draft would get now (raises AnswersError while answers are missing).

    Answers to questions the rule set no longer has (it changed since the draft began) are left out.
    """
    answers, _ = known_answers(ruleset, revision.answers or {})
    alternative = None
    if revision.alternative_answers is not None:
        alt_answers, _ = known_answers(ruleset, revision.alternative_answers)
        alternative = {
            "description": revision.alternative_description or "",
            "answers": alternative_changes(answers, alt_answers),
        }
    return evaluate(ruleset, answers, alternative=alternative, paper=check.paper)


def _snapshot(s: Session, sha256: str, kind: str, ident: str, version: str | None, path: str) -> None:
    """Keep the exact text of a rule file or factor table, once per SHA-256. The first submits after a
    file changed may store the same text at the same moment: insert-or-ignore, so neither fails."""
    with s.no_autoflush:  # nothing of the revision may be written before this
        if s.get(RulesetSnapshot, sha256) is not None:
            return
    raw = Path(path).read_bytes()
    # Decoded as they are (CRLF stays CRLF): the stored text must hash to the recorded SHA-256.
    content = raw.decode("utf-8")
    if hashlib.sha256(raw).hexdigest() != sha256:
        # The file changed on disk since it was loaded; refuse rather than store a wrong text.
        raise _fail("Das Regelwerk wurde gerade geändert. Bitte laden Sie die Seite neu und reichen Sie erneut ein.")
    values = {"sha256": sha256, "kind": kind, "ident": ident, "version": version, "content": content}
    insert_or_ignore(s, RulesetSnapshot.__table__, {**values, "stored_at": utcnow()}, ["sha256"])


def submit(
    s: Session,
    actor: User,
    check: Check,
    ruleset: RuleSet,
    *,
    expected_version: int,
    justification: str | None = None,
) -> Result:
    """Freeze the draft with its Result. Negative needs an assessed alternative; a negative alternative
    needs a written justification and marks the check for the climate department."""
    revision = check.current
    _require_draft(revision, expected_version)
    result = preview(ruleset, check, revision)
    if result.requires_alternative and result.alternative is None:
        raise _fail(
            f"Das Ergebnis ist {result.assessment.verdict_label}. Beschreiben und bewerten Sie eine "
            "klimafreundlichere Alternative, bevor Sie einreichen."
        )
    flagged = False
    justification = (justification or "").strip() or None
    alternative_fails = (
        result.requires_alternative
        and result.alternative is not None
        and result.alternative.assessment.verdict in ruleset.settings.alternative_required_for
    )
    if alternative_fails:
        if not justification:
            raise _fail(
                "Auch die Alternative ist negativ. Begründen Sie schriftlich, warum die Vorlage trotzdem "
                "eingebracht werden soll; die Klimaschutzstelle wird den Check prüfen."
            )
        flagged = True
    table = ruleset.factor_table
    # The texts first, the revision after: the revision's UPDATE is where a second click loses (its
    # version is gone), and it must lose there, as a ConflictError, not inside another statement.
    _snapshot(s, ruleset.sha256, "ruleset", ruleset.id, ruleset.version, ruleset.path)
    if table is not None:
        _snapshot(s, table._sha256, "factors", table.id, None, table._path)
    # Answers to questions that dropped out (or the rule set no longer has) are not kept.
    revision.answers = {a.id: a.value for a in result.assessment.answers}
    if result.alternative is not None:
        revision.alternative_answers = {a.id: a.value for a in result.alternative.assessment.answers}
    revision.justification = justification
    revision.flagged = flagged
    revision.result = result.to_dict()
    revision.verdict = result.verdict
    revision.t_co2e_per_year = result.emissions.t_co2e_per_year
    revision.exit_reason = result.assessment.screening.reason
    robustness = result.assessment.robustness
    revision.fragile = bool(robustness and robustness.fragile)
    revision.open_points = len(result.assessment.open_points)
    revision.ruleset_id = ruleset.id
    revision.ruleset_version = ruleset.version
    revision.ruleset_sha256 = ruleset.sha256
    revision.factors_sha256 = table._sha256 if table else None
    revision.status = "submitted"
    revision.submitted_at = utcnow()
    revision.submitted_by_id = actor.id
    _flush(s)
    _refresh_state(s, check)
    audit(
        s,
        actor,
        "check.submit",
        municipality_id=check.municipality_id,
        check=check,
        revision=revision,
        verdict=result.verdict,
        flagged=flagged,
        ruleset=ruleset.id,
        ruleset_version=ruleset.version,
        ruleset_sha256=ruleset.sha256,
        dropped=[m for m in result.messages if "verworfen" in m],
    )
    return result


def new_revision(s: Session, actor: User, check: Check, ruleset_id: str | None = None) -> Revision:
    """Start changing a submitted check: a new draft revision with the previous answers.

    Idempotent: if the check already has a draft (a double click, a second tab), that draft is it.
    """
    # Two clicks at once: the second waits here until the first is stored, then finds its draft.
    lock_row(s, Check.__table__, check.id)
    s.expire(check, ["revisions"])
    previous = check.current
    if previous.is_draft:
        return previous
    revision = Revision(
        check_id=check.id,
        number=previous.number + 1,
        status="draft",
        ruleset_id=ruleset_id or previous.ruleset_id,
        answers=dict(previous.answers or {}),
        alternative_description=previous.alternative_description,
        alternative_answers=dict(previous.alternative_answers) if previous.alternative_answers is not None else None,
    )
    s.add(revision)
    s.flush()
    _refresh_state(s, check)
    s.refresh(check)
    audit(
        s,
        actor,
        "check.new_revision",
        municipality_id=check.municipality_id,
        check=check,
        revision=revision,
        number=revision.number,
        previous_status=previous.status,
    )
    return revision


def latest_submitted(check: Check) -> Revision | None:
    """The newest revision waiting for review (a newer draft does not take it out of review)."""
    return current_state.awaiting_review(check.revisions)


def review(s: Session, actor: User, check: Check, *, decision: str, comment: str, expected_version: int) -> Revision:
    """The climate department approves a submitted check or returns it to its author (never their own)."""
    revision = latest_submitted(check)
    if revision is None:
        raise _fail("Nur eingereichte Klimachecks können geprüft werden.")
    if check.owner_id == actor.id:
        raise _fail("Eigene Klimachecks prüft eine andere Person der Klimaschutzstelle.")
    if revision.version != expected_version:
        raise ConflictError([Problem("Der Klimacheck wurde inzwischen geändert. Bitte laden Sie die Seite neu.")])
    comment = comment.strip()
    if decision not in ("approve", "return"):
        raise _fail("Unbekannte Entscheidung.")
    if decision == "return" and not comment:
        raise _fail("Schreiben Sie der Verfasserin oder dem Verfasser, was zu ändern ist.")
    revision.status = "approved" if decision == "approve" else "returned"
    revision.reviewed_at = utcnow()
    revision.reviewed_by_id = actor.id
    revision.review_comment = comment or None
    _flush(s)
    _refresh_state(s, check)
    audit(
        s,
        actor,
        f"check.{decision}",
        municipality_id=check.municipality_id,
        check=check,
        revision=revision,
        comment=comment,
    )
    return revision


# --- the council's decision, deleting a draft -------------------------------------------------


@dataclass(frozen=True)
class OutcomeData:
    outcome: str
    date: dt.date | None
    changed: str | None  # yes | partly | no: did the paper change because of the Klimacheck?
    note: str = ""


OUTCOME_NOTE_MAX = 2000
OUTCOME_EARLIEST = dt.date(2000, 1, 1)  # a typo in the year (0226), not a council session
OUTCOME_CONFLICT_MESSAGE = (
    "Inzwischen hat jemand anderes einen Beschluss zu diesem Klimacheck eingetragen (oben zu sehen). "
    "Ihre Eingaben sind unten erhalten, aber noch nicht gespeichert."
)


def outcome_problems(check: Check, data: OutcomeData) -> list[Problem]:
    """What is wrong with `data` as the decision on `check`, each problem with the field it concerns
    (`path`), so a form shows every message at its field at once. Empty when it can be recorded."""
    problems = []
    if data.outcome not in current_state.OUTCOMES:
        problems.append(Problem("Wählen Sie aus, wie der Rat entschieden hat.", path=("outcome",)))
    elif data.outcome == "adopted_alternative" and check.alternative_verdict is None:
        problems.append(
            Problem("Dieser Klimacheck hat keine Alternative; wählen Sie einen anderen Beschluss.", path=("outcome",))
        )
    if data.date is None:
        problems.append(Problem("Geben Sie das Datum der Sitzung an, in der entschieden wurde.", path=("date",)))
    elif data.date > (utcnow() + dt.timedelta(days=1)).date():
        problems.append(Problem("Das Datum des Beschlusses liegt in der Zukunft.", path=("date",)))
    elif data.date < OUTCOME_EARLIEST:
        problems.append(Problem("Prüfen Sie das Datum des Beschlusses: Es liegt vor dem Jahr 2000.", path=("date",)))
    if data.changed not in current_state.CHANGED_BY_CHECK:
        problems.append(
            Problem("Geben Sie an, ob die Vorlage wegen des Klimachecks geändert wurde.", path=("changed",))
        )
    note = (data.note or "").strip()
    if data.changed in ("yes", "partly") and not note:
        problems.append(
            Problem("Beschreiben Sie in einem Satz, was wegen des Klimachecks geändert wurde.", path=("note",))
        )
    elif len(note) > OUTCOME_NOTE_MAX:
        problems.append(Problem(f"Höchstens {OUTCOME_NOTE_MAX} Zeichen.", path=("note",)))
    return problems


def outcome_token(check: Check) -> str:
    """Names the recorded decision a page was built from ("" for none), for `record_outcome(seen=…)`."""
    return check.outcome_recorded_at.isoformat() if check.outcome_recorded_at else ""


def record_outcome(s: Session, actor: User, check: Check, data: OutcomeData, *, seen: str | None = None) -> bool:
    """The council's decision on a submitted check (after the session); recorded again, it replaces
    the earlier record, and the audit log keeps both. The same values again (a double click) change
    nothing and return False. With `seen` (the `outcome_token` the page showed), a decision that
    someone else recorded meanwhile is not overwritten unseen: ConflictError."""
    lock_row(s, Check.__table__, check.id)  # two people recording at once: one after the other
    s.refresh(check)
    if check.filed_number is None:
        raise _fail("Ein Beschluss kann erst eingetragen werden, wenn der Klimacheck eingereicht ist.")
    problems = outcome_problems(check, data)
    if problems:
        raise OperationError(problems)
    note = (data.note or "").strip()
    values = (data.outcome, data.date, data.changed, note or None)
    if values == (check.outcome, check.outcome_date, check.outcome_changed, check.outcome_note):
        return False
    if seen is not None and seen != outcome_token(check):
        raise ConflictError([Problem(OUTCOME_CONFLICT_MESSAGE)])
    before = {
        "outcome": check.outcome,
        "date": check.outcome_date.isoformat() if check.outcome_date else None,
        "changed": check.outcome_changed,
        "note": check.outcome_note,
    }
    check.outcome = data.outcome
    check.outcome_date = data.date
    check.outcome_changed = data.changed
    check.outcome_note = note or None
    check.outcome_recorded_at = utcnow()
    check.outcome_by_id = actor.id
    _refresh_state(s, check)
    audit(
        s,
        actor,
        "check.outcome",
        municipality_id=check.municipality_id,
        check=check,
        outcome=data.outcome,
        date=data.date.isoformat(),
        changed=data.changed,
        note=note,
        before=before,
    )
    return True


def delete_draft(s: Session, actor: User, check: Check) -> None:
    """Delete a check that was never submitted. Soft: the row stays for the audit log, every list
    leaves it out. A submitted check is part of the record and cannot be deleted."""
    lock_row(s, Check.__table__, check.id)
    s.refresh(check)
    if check.deleted_at is not None:
        return  # a double click
    if check.filed_number is not None:
        raise _fail("Eingereichte Klimachecks bleiben erhalten und können nicht gelöscht werden.")
    check.deleted_at = utcnow()
    _flush(s)
    audit(s, actor, "check.delete", municipality_id=check.municipality_id, check=check, reference=check.reference)


# --- input that arrived after the login expired -----------------------------------------------


def stash_pending_input(s: Session, user_id: int, path: str, data: dict[str, Any]) -> str | None:
    """Keep form data of user `user_id` (whose login expired) for the page `path`; None if too large."""
    if sum(len(k) + sum(len(v) for v in (vs if isinstance(vs, list) else [vs])) for k, vs in data.items()) > (
        PENDING_INPUT_MAX_CHARS
    ):
        return None
    token = secrets.token_urlsafe(32)
    cutoff = utcnow() - dt.timedelta(hours=PENDING_INPUT_HOURS)
    s.execute(delete(PendingInput).where(PendingInput.created_at < cutoff))
    s.add(PendingInput(token=token, user_id=user_id, path=path, data=data))
    s.flush()
    return token


def take_pending_input(s: Session, token: str, user: User, path: str) -> dict[str, Any] | None:
    """The stashed form data for this user and page, once; None if unknown, expired, someone else's or elsewhere."""
    pending = s.get(PendingInput, token)
    if pending is None or pending.user_id != user.id or pending.path != path:
        return None
    s.delete(pending)
    s.flush()
    if pending.created_at < utcnow() - dt.timedelta(hours=PENDING_INPUT_HOURS):
        return None
    return dict(pending.data)
