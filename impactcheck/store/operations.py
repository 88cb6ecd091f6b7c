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

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.security import check_password_hash, generate_password_hash

from impactcheck.core.errors import InputError, Problem
from impactcheck.core.i18n import N_, Message
from impactcheck.core.model import RuleSet
from impactcheck.core.result import Result
from impactcheck.store import current as current_state
from impactcheck.store import municipalities as municipality_rules
from impactcheck.store import permissions, workflow
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
from impactcheck.store.municipalities import MunicipalityData
from impactcheck.store.verify import code_of as verification_code_of

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


CONFLICT_MESSAGE = N_(
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
    flush: bool = True,
    **detail: Any,
) -> AuditEntry:
    """Record what `actor` did. `flush=False` leaves the insert to the caller's own flush, so that a
    change and its audit row go to the database in one round (the caller must flush with `_flush`)."""
    entry = AuditEntry(
        municipality_id=municipality_id,
        user_id=actor.id if actor else None,
        action=action,
        check_id=check.id if check else None,
        revision_id=revision.id if revision else None,
        detail=detail,
    )
    s.add(entry)
    if flush:
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


def create_municipality(
    s: Session, actor: User | None, *, slug: str, data: MunicipalityData, available: list[str]
) -> Municipality:
    """A new municipality of the installation (an installation admin, or the CLI with actor None).
    `available`: the rule set ids it may offer (store/municipalities.available_ids). Two at once with
    the same slug: one is created, the other is told the slug is taken."""
    slug = (slug or "").strip()
    message = municipality_rules.slug_problem(slug)
    found = [Problem(message, path=("slug",))] if message else []
    found += municipality_rules.problems(data, available)
    if found:
        raise OperationError(found)
    values = {
        "slug": slug,
        "name": data.name.strip(),
        "rulesets": list(data.rulesets),
        "timezone": data.timezone,
        "neutrality_year": data.neutrality_year,
        "oparl_endpoint": data.oparl_endpoint,
        "created_at": utcnow(),
    }
    if not insert_or_ignore(s, Municipality.__table__, values, ["slug"]):
        raise OperationError([Problem(Message(N_("Die Kommune „{slug}“ gibt es schon."), slug=slug), path=("slug",))])
    municipality = s.scalars(select(Municipality).where(Municipality.slug == slug)).one()
    detail = {k: v for k, v in values.items() if k != "created_at"}
    audit(s, actor, "municipality.create", municipality_id=municipality.id, **detail)
    return municipality


def edit_municipality(
    s: Session, actor: User | None, municipality: Municipality, data: MunicipalityData, *, available: list[str]
) -> bool:
    """Change a municipality's name, time zone, offered rule sets, neutrality year and OParl endpoint (logged when
    something changed; True then). Checks already stored keep the rule set they were evaluated with."""
    found = municipality_rules.problems(data, available)
    if found:
        raise OperationError(found)
    wanted = {
        "name": data.name.strip(),
        "timezone": data.timezone,
        "rulesets": list(data.rulesets),
        "neutrality_year": data.neutrality_year,
        "oparl_endpoint": data.oparl_endpoint,
    }
    changed = {k: v for k, v in wanted.items() if getattr(municipality, k) != v}
    for key, value in changed.items():
        setattr(municipality, key, value)
    if changed:
        s.flush()
        audit(s, actor, "municipality.update", municipality_id=municipality.id, **changed)
    return bool(changed)


def set_installation_admin(s: Session, actor: User | None, user: User, value: bool) -> None:
    """Let an admin run the installation (create and edit municipalities), or stop it."""
    if value and user.role != "admin":
        raise _fail(N_("Nur ein Konto mit der Rolle „admin“ kann die Installation verwalten."))
    if user.installation_admin == value:
        return
    user.installation_admin = value
    s.flush()
    audit(s, actor, "user.installation_admin", municipality_id=user.municipality_id, user=user.username, value=value)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise OperationError(
            [
                Problem(
                    Message(N_("Das Passwort muss mindestens {n} Zeichen lang sein."), n=MIN_PASSWORD_LENGTH),
                    path=("password",),
                )
            ]
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
            N_(
                "Der Benutzername darf nicht leer sein, keine Leer- oder Steuerzeichen enthalten und höchstens "
                "64 Zeichen haben."
            )
        )
    if display_name and not display_name.isprintable():
        raise OperationError([Problem(N_("Der Name darf keine Steuerzeichen enthalten."), path=("display_name",))])
    if role not in ROLES:
        raise _fail(Message(N_("Unbekannte Rolle „{role}“; möglich: {roles}."), role=role, roles=", ".join(ROLES)))
    _check_password(password)
    # Names are unique across municipalities; only the own municipality's (or the server
    # administrator at the command line, actor None) may learn that a name belongs to an account.
    taken = Message(N_("Den Benutzernamen „{username}“ gibt es schon."), username=username)
    unavailable = N_("Dieser Benutzername ist nicht verfügbar. Bitte wählen Sie einen anderen.")
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
    _refuse_anonymised(user)
    if sso_source(user) is not None:  # its password lives at the identity provider or in the directory
        raise _fail(N_("Dieses Konto meldet sich über Single Sign-on an; sein Passwort wird dort geändert."))
    _check_password(password)
    user.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
    user.session_version = User.session_version + 1  # a new password ends every session of the old one
    s.flush()
    audit(s, actor, "user.password", municipality_id=user.municipality_id, user=user.username)


def set_active(s: Session, actor: User | None, user: User, active: bool) -> None:
    if user.active == active:
        return
    if active:
        _refuse_anonymised(user)
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


INTERFACE_LOCALES = ("de", "en")  # as web/extensions.LOCALES: the languages with a complete interface


def set_locale(s: Session, actor: User | None, user: User, locale: str | None) -> None:
    """The interface language `user` chose; None: the browser's language decides (User.locale)."""
    if locale is not None and locale not in INTERFACE_LOCALES:
        raise _fail(N_("Diese Sprache gibt es nicht."))
    if user.locale == locale:
        return
    user.locale = locale
    s.flush()
    audit(s, actor, "user.locale", municipality_id=user.municipality_id, user=user.username, locale=locale)


MAX_COMMITTEES = 50
MAX_COMMITTEE_NAME = 200  # as Check.committee


def set_committees(s: Session, actor: User | None, user: User, names: list[str]) -> list[str]:
    """The committees whose papers `user` (a councillor) follows: trimmed, duplicates (ignoring case)
    dropped, in the given order. Raises OperationError for a name that is too long or too many names."""
    cleaned: list[str] = []
    for name in names:
        name = " ".join((name or "").split())
        if not name or name.casefold() in {c.casefold() for c in cleaned}:
            continue
        if len(name) > MAX_COMMITTEE_NAME:
            raise _fail(
                Message(
                    N_("Ein Gremium darf höchstens {n} Zeichen lang sein: „{name}…“."),
                    n=MAX_COMMITTEE_NAME,
                    name=name[:40],
                )
            )
        cleaned.append(name)
    if len(cleaned) > MAX_COMMITTEES:
        raise _fail(Message(N_("Wählen Sie höchstens {n} Gremien."), n=MAX_COMMITTEES))
    if cleaned == list(user.committees or []):
        return cleaned
    user.committees = cleaned
    s.flush()
    audit(s, actor, "user.committees", municipality_id=user.municipality_id, user=user.username, committees=cleaned)
    return cleaned


def end_sessions(s: Session, user: User) -> None:
    """Every login cookie of `user` stops working (at logout: in this browser and every copy of it)."""
    user.session_version = User.session_version + 1  # in SQL: two at once both count
    s.flush()


# A departed user's account, anonymised (anonymise_user): the name is gone, the checks and the audit log
# stay. Its password_hash is this marker (no password matches it, werkzeug needs "method$salt$hash"),
# then a digest of the former user name and, for an OIDC account, the digest of the IdP's subject it
# had: so single sign-on under the former name or subject is refused instead of giving the person a
# fresh account (see sso_user). The former name itself is not kept in the account.
ANONYMISED_MARK = "!anonymised:"
ANONYMISED_USERNAME = "ehemalig-{id}"
ANONYMISED_NAME = "Ehemalige Mitarbeiterin/ehemaliger Mitarbeiter Nr. {id}"
ANONYMISED_REFUSAL = N_(
    "Das Konto zu diesem Benutzernamen wurde nach dem Ausscheiden anonymisiert und kann sich nicht mehr "
    "anmelden. Bitte wenden Sie sich an die Administration."
)


def is_anonymised(user: User) -> bool:
    return user.password_hash.startswith(ANONYMISED_MARK)


def _refuse_anonymised(user: User) -> None:
    if is_anonymised(user):
        raise _fail(
            N_(
                "Dieses Konto ist anonymisiert und kann nicht wieder verwendet werden. Legen Sie bei Bedarf ein "
                "neues Konto an."
            )
        )


def _name_digest(username: str) -> str:
    return hashlib.sha256(f"impactcheck-anonymised\n{username.strip().lower()}".encode()).hexdigest()[:40]


def anonymise_user(s: Session, actor: User | None, user: User) -> bool:
    """A departed user: deactivated, every session ended, the password unusable, user name and display
    name replaced by „ehemalig-<id>“ and „Ehemalige Mitarbeiterin/ehemaliger Mitarbeiter Nr. <id>“. Every
    page, export, JSON and Word section that names the author, reviewer or recorder of a check takes the
    name from the account, so the former name disappears from all of them; submitted revisions and
    stored Results hold no names and stay untouched (their SHA-256 and verification codes still hold).
    Their form input kept after an expired login is deleted. The audit log is append-only: this is one
    new entry (without the former name); older entries are not changed. False if it was done already
    (a double click); an OperationError for one's own account."""
    from impactcheck.store.logins import name_key  # logins imports this module
    from impactcheck.store.models import LoginThrottle

    lock_row(s, User.__table__, user.id)  # two admins at once: the second finds it done
    s.refresh(user)
    if is_anonymised(user):
        return False
    if actor is not None and actor.id == user.id:
        raise _fail(N_("Sie können Ihr eigenes Konto nicht anonymisieren."))
    new_username = ANONYMISED_USERNAME.format(id=user.id)
    if s.scalar(select(User.id).where(User.username == new_username, User.id != user.id)) is not None:
        raise _fail(
            Message(
                N_("Den Benutzernamen „{username}“ hat schon ein anderes Konto; bitte benennen Sie es um."),
                username=new_username,
            )
        )
    former = user.username
    subject = ""
    if user.password_hash.startswith(f"{SSO_MARK}oidc:"):
        subject = user.password_hash.split(":", 2)[2]
    was_active = user.active
    s.execute(delete(LoginThrottle).where(LoginThrottle.key == name_key(former)))  # its failed logins
    s.execute(delete(PendingInput).where(PendingInput.user_id == user.id))
    user.username = new_username
    user.display_name = ANONYMISED_NAME.format(id=user.id)
    user.password_hash = f"{ANONYMISED_MARK}{_name_digest(former)}:{subject}"
    user.active = False
    user.session_version = User.session_version + 1
    s.flush()
    audit(
        s,
        actor,
        "user.anonymise",
        municipality_id=user.municipality_id,
        user_id=user.id,
        user=new_username,
        was_active=was_active,
    )
    return True


def _refuse_anonymised_identity(s: Session, username: str, mark: str) -> None:
    """Single sign-on of a former user name or IdP subject of an anonymised account: refused."""
    wanted = [User.password_hash.like(f"{ANONYMISED_MARK}{_name_digest(username)}:%")]
    if mark.startswith(f"{SSO_MARK}oidc:"):
        wanted.append(User.password_hash.like(f"{ANONYMISED_MARK}%:{mark.split(':', 2)[2]}"))
    if s.scalar(select(User.id).where(or_(*wanted)).limit(1)) is not None:
        raise _fail(ANONYMISED_REFUSAL)


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
# An account the administration has released for single sign-on (release_for_sso): the next login of
# its user name through OIDC or LDAP binds it to that source and subject and keeps its checks.
SSO_RELEASED = f"{SSO_MARK}*"


def sso_source(user: User) -> str | None:
    """'oidc' or 'ldap' for an account of single sign-on, None for a local account (and for one released
    for single sign-on but not yet bound: see sso_released)."""
    if not user.password_hash.startswith(SSO_MARK) or user.password_hash == SSO_RELEASED:
        return None
    return user.password_hash.removeprefix(SSO_MARK).split(":", 1)[0]


def sso_released(user: User) -> bool:
    return user.password_hash == SSO_RELEASED


def release_for_sso(s: Session, actor: User | None, user: User) -> None:
    """Let the next single sign-on of this user name take the account over (its checks, its history):
    a local account moving to the city's identity provider or directory, or an SSO account whose
    subject changed (a new IdP, a re-created directory entry). Its password stops working at once and
    every session ends; until the first SSO login nobody can log in with it. A new password
    (set_password) undoes the release."""
    if sso_released(user):
        return
    _refuse_anonymised(user)
    previous = sso_source(user) or "local"
    user.password_hash = SSO_RELEASED
    user.session_version = User.session_version + 1
    s.flush()
    audit(s, actor, "user.sso_release", municipality_id=user.municipality_id, user=user.username, previous=previous)


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
            N_(
                "Ihr Anmeldedienst hat keinen verwendbaren Benutzernamen übermittelt (leer, zu lang oder mit "
                "Leer- oder Steuerzeichen). Bitte wenden Sie sich an die Administration."
            )
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
    if s.scalar(select(User.id).where(User.username == username)) is None:
        _refuse_anonymised_identity(s, username, mark)  # a departed user's name or subject: no new account
    created = insert_or_ignore(s, User.__table__, values, ["username"])  # two first logins at once: one row
    user = s.scalars(select(User).where(User.username == username)).one()
    if created:
        audit(s, user, "user.create", municipality_id=municipality.id, user=username, role=role, source=source)
        return user
    s.refresh(user)
    if sso_released(user):
        _refuse_inactive_or_elsewhere(user, municipality)
        # Bound to this source and subject from now on; the row lock makes a second login at once wait.
        s.execute(select(User.id).where(User.id == user.id).with_for_update())
        s.refresh(user)
        if sso_released(user):
            user.password_hash = mark
            s.flush()
            audit(s, user, "user.sso_bind", municipality_id=user.municipality_id, user=username, source=source)
    if user.password_hash != mark:
        if sso_source(user) is None:
            raise _fail(
                Message(
                    N_(
                        "Für den Benutzernamen „{username}“ gibt es ein Konto mit eigenem Passwort. Bitte melden Sie "
                        "sich damit an, oder bitten Sie die Administration, das Konto umzustellen."
                    ),
                    username=username,
                )
            )
        raise _fail(
            Message(
                N_(
                    "Der Benutzername „{username}“ gehört hier zu einem anderen Konto. Bitte wenden Sie sich an die "
                    "Administration."
                ),
                username=username,
            )
        )
    _refuse_inactive_or_elsewhere(user, municipality)
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


def _refuse_inactive_or_elsewhere(user: User, municipality: Municipality) -> None:
    if not user.active:
        raise _fail(N_("Ihr Konto ist deaktiviert. Bitte wenden Sie sich an die Administration."))
    if user.municipality_id != municipality.id:
        raise _fail(
            N_(
                "Ihr Konto gehört zu einer anderen Kommune, als Ihr Anmeldedienst jetzt angibt. Bitte wenden Sie "
                "sich an die Administration."
            )
        )


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
            N_(
                "Dieser Klimacheck ist bereits eingereicht und kann nicht mehr geändert werden. "
                "Legen Sie eine neue Revision an, um ihn zu ändern."
            )
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


def _refresh_state(s: Session, check: Check, *, reload: bool = True) -> None:
    """Write the check's current-state columns and sector figures (store/current.py), after every
    change of its revisions or outcome, so lists in SQL never disagree with the revisions.
    `reload=False`: the loaded revisions are complete (only one of them changed), no second SELECT."""
    s.flush()
    if reload or "revisions" not in check.__dict__:
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
    revision = Revision(number=1, status="draft", ruleset_id=ruleset.id, answers={})
    check.revisions.append(revision)  # a new check's revisions are known: no SELECT, no UPDATE after
    for key, value in current_state.state_of(check, check.revisions).items():
        setattr(check, key, value)
    s.add(check)
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


@dataclass(frozen=True)
class PaperSource:
    """Where a check's paper lives in the council information system (OParl, web/oparl.py)."""

    url: str
    paper_type: str | None = None
    paper_date: dt.date | None = None


def link_paper(s: Session, actor: User, check: Check, source: PaperSource) -> None:
    """Keep the OParl Paper a check was started from (its URL, type and date), audit-logged."""
    url = source.url.strip()[:2000]
    if (check.paper_url, check.paper_type, check.paper_date) == (url, source.paper_type, source.paper_date):
        return  # the same start sent twice: create_check gave the first check, already linked
    check.paper_url = url
    check.paper_url_sha256 = hashlib.sha256(url.encode("utf-8")).hexdigest()
    check.paper_type = (source.paper_type or "").strip()[:200] or None
    check.paper_date = source.paper_date
    s.flush()
    audit(s, actor, "check.oparl", municipality_id=check.municipality_id, check=check, paper_url=url)


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
            raise _fail(N_("Beschreiben Sie zuerst die Alternative."))
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
    with s.no_autoflush:  # loading revision.check must not flush the answers outside _flush
        audit(
            s,
            actor,
            "check.alternative_step" if alternative else "check.step",
            municipality_id=actor.municipality_id,
            check=revision.check,
            revision=revision,
            step=step_id,
            changed=changed,
            flush=False,
        )
    _flush(s)  # the answers (checked against their version) and the audit row in one flush
    return revision


def set_alternative(
    s: Session, actor: User, revision: Revision, *, description: str, expected_version: int
) -> Revision:
    """Describe the alternative; its own pass starts from the proposal's answers."""
    _require_draft(revision, expected_version)
    description = description.strip()
    if not description:
        raise _fail(N_("Beschreiben Sie die Alternative in wenigen Sätzen."))
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
    return workflow.preview(
        ruleset, revision.answers, revision.alternative_answers, revision.alternative_description, check.paper
    )


def _snapshot(s: Session, sha256: str, kind: str, ident: str, version: str | None, path: str) -> None:
    """Keep the exact text of a rule file or factor table, once per SHA-256. The first submits after a
    file changed may store the same text at the same moment: insert-or-ignore, so neither fails."""
    with s.no_autoflush:  # nothing of the revision may be written before this
        # Only the key: the stored text (the whole rule file) need not travel for every submit.
        if s.scalar(select(RulesetSnapshot.sha256).where(RulesetSnapshot.sha256 == sha256)) is not None:
            return
    raw = Path(path).read_bytes()
    # Decoded as they are (CRLF stays CRLF): the stored text must hash to the recorded SHA-256.
    content = raw.decode("utf-8")
    if hashlib.sha256(raw).hexdigest() != sha256:
        # The file changed on disk since it was loaded; refuse rather than store a wrong text.
        raise _fail(
            N_("Das Regelwerk wurde gerade geändert. Bitte laden Sie die Seite neu und reichen Sie erneut ein.")
        )
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
    result = preview(ruleset, check, revision)  # raises AnswersError while answers are missing
    blockers = workflow.result_blockers(ruleset, result, justification)  # the rule: store/workflow.py
    if blockers:
        raise _fail(blockers[0].message)
    flagged = workflow.flagged(ruleset, result)
    justification = (justification or "").strip() or None
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
    revision.verification_code = verification_code_of(check.id, revision.number, revision.result)  # /pruefen
    _flush(s)
    _refresh_state(s, check, reload=False)  # the revision just written is the loaded one: no re-read
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
        raise _fail(N_("Nur eingereichte Klimachecks können geprüft werden."))
    if not permissions.four_eyes(actor, check):
        raise _fail(N_("Eigene Klimachecks prüft eine andere Person der Klimaschutzstelle."))
    if revision.version != expected_version:
        raise ConflictError([Problem(N_("Der Klimacheck wurde inzwischen geändert. Bitte laden Sie die Seite neu."))])
    comment = comment.strip()
    if decision not in ("approve", "return"):
        raise _fail(N_("Unbekannte Entscheidung."))
    if decision == "return" and not comment:
        raise _fail(N_("Schreiben Sie der Verfasserin oder dem Verfasser, was zu ändern ist."))
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
    effective_year: int | None = None  # from when it takes effect (the climate budget); None: the decision's year


OUTCOME_NOTE_MAX = 2000
OUTCOME_EARLIEST = dt.date(2000, 1, 1)  # a typo in the year (0226), not a council session
EFFECT_YEARS_AHEAD = 30  # "Wirksam ab": a measure takes effect within this many years of its decision
OUTCOME_CONFLICT_MESSAGE = N_(
    "Inzwischen hat jemand anderes einen Beschluss zu diesem Klimacheck eingetragen (oben zu sehen). "
    "Ihre Eingaben sind unten erhalten, aber noch nicht gespeichert."
)


def outcome_problems(check: Check, data: OutcomeData) -> list[Problem]:
    """What is wrong with `data` as the decision on `check`, each problem with the field it concerns
    (`path`), so a form shows every message at its field at once. Empty when it can be recorded."""
    problems = []
    if data.outcome not in current_state.OUTCOMES:
        problems.append(Problem(N_("Wählen Sie aus, wie der Rat entschieden hat."), path=("outcome",)))
    elif data.outcome == "adopted_alternative" and check.alternative_verdict is None:
        problems.append(
            Problem(
                N_("Dieser Klimacheck hat keine Alternative; wählen Sie einen anderen Beschluss."), path=("outcome",)
            )
        )
    if data.date is None:
        problems.append(Problem(N_("Geben Sie das Datum der Sitzung an, in der entschieden wurde."), path=("date",)))
    elif data.date > (utcnow() + dt.timedelta(days=1)).date():
        problems.append(Problem(N_("Das Datum des Beschlusses liegt in der Zukunft."), path=("date",)))
    elif data.date < OUTCOME_EARLIEST:
        problems.append(
            Problem(N_("Prüfen Sie das Datum des Beschlusses: Es liegt vor dem Jahr 2000."), path=("date",))
        )
    if data.changed not in current_state.CHANGED_BY_CHECK:
        problems.append(
            Problem(N_("Geben Sie an, ob die Vorlage wegen des Klimachecks geändert wurde."), path=("changed",))
        )
    if data.effective_year is not None:
        first = data.date.year if data.date is not None else OUTCOME_EARLIEST.year
        last = first + EFFECT_YEARS_AHEAD
        if not first <= data.effective_year <= last:
            problems.append(
                Problem(
                    Message(
                        N_(
                            "Das Jahr, ab dem der Beschluss wirkt, muss zwischen {first} und {last} liegen "
                            "(frühestens im Jahr des Beschlusses)."
                        ),
                        first=first,
                        last=last,
                    ),
                    path=("effective_year",),
                )
            )
    note = (data.note or "").strip()
    if data.changed in ("yes", "partly") and not note:
        problems.append(
            Problem(N_("Beschreiben Sie in einem Satz, was wegen des Klimachecks geändert wurde."), path=("note",))
        )
    elif len(note) > OUTCOME_NOTE_MAX:
        problems.append(Problem(Message(N_("Höchstens {n} Zeichen."), n=OUTCOME_NOTE_MAX), path=("note",)))
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
        raise _fail(N_("Ein Beschluss kann erst eingetragen werden, wenn der Klimacheck eingereicht ist."))
    problems = outcome_problems(check, data)
    if problems:
        raise OperationError(problems)
    note = (data.note or "").strip()
    values = (data.outcome, data.date, data.changed, note or None, data.effective_year)
    if values == (check.outcome, check.outcome_date, check.outcome_changed, check.outcome_note, check.effective_year):
        return False
    if seen is not None and seen != outcome_token(check):
        raise ConflictError([Problem(OUTCOME_CONFLICT_MESSAGE)])
    before = {
        "outcome": check.outcome,
        "date": check.outcome_date.isoformat() if check.outcome_date else None,
        "changed": check.outcome_changed,
        "note": check.outcome_note,
        "effective_year": check.effective_year,
    }
    check.outcome = data.outcome
    check.effective_year = data.effective_year
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
        effective_year=data.effective_year,
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
        raise _fail(N_("Eingereichte Klimachecks bleiben erhalten und können nicht gelöscht werden."))
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
