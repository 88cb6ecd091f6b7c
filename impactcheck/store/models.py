"""The stored state: municipalities, users, checks with their revisions, uploads, the audit log.

Every row that belongs to a municipality says so; every query of the web app filters by the user's
municipality (DESIGN.md). The CLI, an administrator's tool on the server, may look across them.
A check's answers live in its draft revision, never in the cookie session.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from impactcheck.store.roles import ROLE_LABELS, ROLES, STATUS_LABELS, STATUSES  # noqa: F401


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}


class Municipality(Base):
    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Rule set ids offered to authors; the first is the default.
    rulesets: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # How stored (UTC) times are shown and which local day a date filter means; None: the
    # installation's setting TIMEZONE (store/municipalities.timezone_of reads it, nobody else).
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The year the municipality resolved to be climate neutral (e.g. 2030), for the climate budget.
    neutrality_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The council information system's OParl endpoint (a System or a Body URL), where authors start a
    # check from a paper (web/oparl.py); None: the installation's setting OPARL_ENDPOINT (migration 0008).
    oparl_endpoint: Mapped[str | None] = mapped_column(String(2000), nullable=True)

    @property
    def default_ruleset(self) -> str | None:
        return self.rulesets[0] if self.rulesets else None


class User(Base):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Every login cookie carries the version it was issued under; logout, a new password or
    # deactivation raise it, which ends every session of the user at once (copied cookies too).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # An admin who also runs the installation: creates and edits municipalities and their admins
    # (web/municipalities.py, `impactcheck municipalities`). Only meaningful with role "admin".
    installation_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # A councillor's committees (names as on the checks' "Gremium"): "Vorlagen meiner Ausschüsse" lists
    # the checks of papers for these (web/councillors.py). Set by the user or an admin, via operations.
    committees: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # The interface language the user chose ("de", "en"); None: the browser's Accept-Language decides.
    locale: Mapped[str | None] = mapped_column(String(8), nullable=True)

    municipality: Mapped[Municipality] = relationship()

    # Flask-Login's user protocol, kept here so the web layer needs no wrapper class.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


LISTED = "deleted_at IS NULL"
OUTCOME_DUE = "outcome IS NULL AND deleted_at IS NULL AND filed_number IS NOT NULL"


class Check(Base):
    """One Klimacheck for one council paper; its content lives in numbered revisions."""

    __tablename__ = "klimacheck"  # "check" is an SQL keyword
    __table_args__ = (
        # The register's default orders within one municipality: a page is an index range, not a sort.
        # Partial on the listed rows, with the id as tie-breaker, so PostgreSQL reads a page in index order.
        Index(
            "ix_klimacheck_list_created",
            "municipality_id",
            "created_at",
            "id",
            sqlite_where=text(LISTED),
            postgresql_where=text(LISTED),
        ),
        Index(
            "ix_klimacheck_list_reference",
            "municipality_id",
            "reference",
            "id",
            sqlite_where=text(LISTED),
            postgresql_where=text(LISTED),
        ),
        Index("ix_klimacheck_municipality_submitted", "municipality_id", "submitted_at"),
        # "Beschluss nachtragen" is counted on every page an author or the department sees.
        Index(
            "ix_klimacheck_outcome_due",
            "municipality_id",
            "meeting_date",
            "owner_id",
            "id",
            sqlite_where=text(OUTCOME_DUE),
            postgresql_where=text(OUTCOME_DUE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    reference: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(1000))  # council paper titles run long; the form says so above 1000
    department: Mapped[str] = mapped_column(String(200), index=True)
    committee: Mapped[str] = mapped_column(String(200), index=True)
    meeting_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    # The year the decision takes effect in the climate budget; None: the year of the session.
    effective_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # A deleted draft stays in the database (the audit log points at it) and out of every list.
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True, index=True)

    # The council's decision on the paper, recorded after the session (store/current.OUTCOMES).
    outcome: Mapped[str | None] = mapped_column(String(24), nullable=True, index=True)
    outcome_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    outcome_changed: Mapped[str | None] = mapped_column(String(8), nullable=True, index=True)  # yes|partly|no
    outcome_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    outcome_recorded_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    outcome_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)

    # The current state (store/current.state_of), written by operations only, for lists in SQL.
    status: Mapped[str] = mapped_column(String(16), default="draft", server_default="draft", index=True)
    revision_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    filed_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    filed_status: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    verdict: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    alternative_verdict: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    adopted_verdict: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    t_co2e_per_year: Mapped[float | None] = mapped_column(Float, nullable=True, index=True)
    alternative_t_co2e_per_year: Mapped[float | None] = mapped_column(Float, nullable=True)
    adopted_t_co2e_per_year: Mapped[float | None] = mapped_column(Float, nullable=True)
    exit_reason: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    fragile: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false(), index=True)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false(), index=True)
    open_points: Mapped[int] = mapped_column(Integer, default=0, server_default="0", index=True)
    ruleset_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    ruleset_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True, index=True)
    # The paper in the council information system (OParl Paper id URL) when the check was started from it,
    # its SHA-256 (the public OParl view looks it up), and the paper's type and date as OParl gave them.
    paper_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    paper_url_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    paper_type: Mapped[str | None] = mapped_column(String(200), nullable=True)
    paper_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    outcome_by: Mapped[User | None] = relationship(foreign_keys=[outcome_by_id])
    sector_figures: Mapped[list[CheckSector]] = relationship(cascade="all, delete-orphan")
    revisions: Mapped[list[Revision]] = relationship(
        back_populates="check", order_by="Revision.number", cascade="all, delete-orphan"
    )
    uploads: Mapped[list[Upload]] = relationship(
        back_populates="check", order_by="Upload.id", cascade="all, delete-orphan"
    )

    @property
    def current(self) -> Revision:
        return self.revisions[-1]

    @property
    def paper(self) -> dict[str, str]:
        """The paper's metadata in the shape of the answers file."""
        data = {
            "reference": self.reference,
            "title": self.title,
            "department": self.department,
            "committee": self.committee,
        }
        if self.meeting_date:
            data["meeting_date"] = self.meeting_date.isoformat()
        return data


class Revision(Base):
    """The state of a check: a draft while being written, frozen once submitted.

    `version` is the optimistic lock: every save says which version it started from, and a save
    from an outdated page (a second tab, a colleague) is refused instead of overwriting.
    """

    __tablename__ = "revision"
    __table_args__ = (UniqueConstraint("check_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("klimacheck.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    ruleset_id: Mapped[str] = mapped_column(String(64))
    ruleset_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    ruleset_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    factors_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The alternative after a negative verdict: its description and its own full pass of answers.
    alternative_description: Mapped[str | None] = mapped_column(Text, nullable=True)
    alternative_answers: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    justification: Mapped[str | None] = mapped_column(Text, nullable=True)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    verdict: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    t_co2e_per_year: Mapped[float | None] = mapped_column(Float, nullable=True)
    exit_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # From the Result: another plausible answer would change the verdict; answers "unknown".
    fragile: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false(), index=True)
    open_points: Mapped[int] = mapped_column(Integer, default=0, server_default="0", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    review_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The verification code of a filed revision (core/verification.py), as the Word section printed it:
    # set when the revision is submitted, looked up by /pruefen (web/verify.py). Drafts have none.
    verification_code: Mapped[str | None] = mapped_column(String(9), nullable=True, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    check: Mapped[Check] = relationship(back_populates="revisions")
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


class CheckSector(Base):
    """Per sector of a check's latest submitted revision, for the proposal and the alternative: the
    score and the t CO2e of the counted lines (store/current.sector_figures). Statistics sum these."""

    __tablename__ = "check_sector"
    __table_args__ = (
        # The overview sums figures; most sector rows have none (a score only).
        Index(
            "ix_check_sector_figures",
            "check_id",
            "variant",
            "sector",
            "t_co2e_per_year",
            sqlite_where=text("t_co2e_per_year IS NOT NULL"),
            postgresql_where=text("t_co2e_per_year IS NOT NULL"),
        ),
    )

    check_id: Mapped[int] = mapped_column(ForeignKey("klimacheck.id"), primary_key=True)
    variant: Mapped[str] = mapped_column(String(12), primary_key=True)  # proposal | alternative
    sector: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    t_co2e_per_year: Mapped[float | None] = mapped_column(Float, nullable=True)
    t_co2e_once: Mapped[float | None] = mapped_column(Float, nullable=True)


class RulesetSnapshot(Base):
    """The exact text of every rule file and factor table a check was evaluated with, by SHA-256."""

    __tablename__ = "ruleset_snapshot"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # ruleset | factors
    ident: Mapped[str] = mapped_column(String(64))
    version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    content: Mapped[str] = mapped_column(Text)
    stored_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Upload(Base):
    """A .docx the author uploaded (the paper); kept unchanged, the section goes into copies."""

    __tablename__ = "upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("klimacheck.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # up to 20 MB: load only when used
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))

    check: Mapped[Check] = relationship(back_populates="uploads")


class AuditEntry(Base):
    """Append-only: who changed what, when. Written only by `operations`, never updated or deleted."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"), nullable=True, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(40))
    check_id: Mapped[int | None] = mapped_column(ForeignKey("klimacheck.id"), nullable=True, index=True)
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("revision.id"), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()


class PendingInput(Base):
    """Form input that arrived after its sender's login had expired; offered back to that user (only)
    on the page it came from, once, after logging in again."""

    __tablename__ = "pending_input"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    path: Mapped[str] = mapped_column(String(300))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LoginThrottle(Base):
    """Failed logins counted per client address and per user name (see store/logins.py).

    In the database so every worker and every restart sees the same count. The key is a SHA-256 of
    kind and value: neither addresses nor mistyped names (often passwords) are stored readable.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # address | name
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class RateLimit(Base):
    """Requests counted per client address and purpose in fixed windows (store/ratelimit.py), e.g. the
    public verification look-ups. In the database so every worker and every restart sees the same count;
    the key is a SHA-256 of purpose and address (no address is stored readable)."""

    __tablename__ = "rate_limit"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(16))
    hits: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class ApiToken(Base):
    """A bearer token for the JSON API (/api/v1), acting as its user. Only a SHA-256 of the token is
    stored; the token itself is shown once, when it is made (store/tokens.py is the only writer)."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the token's first characters, to tell tokens apart
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

    user: Mapped[User] = relationship()


class AuditLogIsAppendOnly(Exception):
    pass


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_changes(_mapper, _connection, target):
    raise AuditLogIsAppendOnly(f"audit entry {target.id} cannot be changed or deleted")
