"""The register's filters, search, sorting and paging as one SQL query (shared by the register page,
the exports, the overview and the CLI), on the current-state columns of the check row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from impactcheck.store.current import CHANGED_BY_CHECK, OUTCOMES
from impactcheck.store.models import STATUSES, Check

VERDICTS = ("negative", "neutral", "positive", "not_relevant")
PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
MAX_SEARCH = 200

# sort key in the URL -> column; "-key" sorts descending. The check id breaks ties (stable pages).
_VERDICT_ORDER = case({v: i for i, v in enumerate(VERDICTS)}, value=Check.verdict, else_=len(VERDICTS))
SORTS = {
    "datum": Check.submitted_at,
    "angelegt": Check.created_at,
    "nummer": Check.reference,
    "votum": _VERDICT_ORDER,
    "co2": Check.t_co2e_per_year,
    "sitzung": Check.meeting_date,
}
DEFAULT_SORT = "-angelegt"


@dataclass(frozen=True)
class RegisterFilter:
    """What the user filters by; every field is a URL parameter of the same meaning (see ARGS)."""

    status: str | None = None
    verdict: str | None = None
    adopted_verdict: str | None = None
    department: str | None = None
    committee: str | None = None
    submitted_from: dt.date | None = None
    submitted_to: dt.date | None = None
    ruleset: str | None = None  # "kassel-2030" or "kassel-2030@2026.2"
    exit_reason: str | None = None
    flagged: bool = False
    fragile: bool = False
    open_points: bool = False
    reviewer_id: int | None = None
    outcome: str | None = None  # one of OUTCOMES, or "offen" (none recorded yet)
    changed: str | None = None  # yes | partly | no
    search: str | None = None
    sort: str = DEFAULT_SORT

    def is_empty(self) -> bool:
        return self == RegisterFilter(sort=self.sort)

    def to_args(self) -> dict[str, str]:
        """The URL parameters that give this filter back (for links, the export and paging)."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value in (None, False, "") or (f.name == "sort" and value == DEFAULT_SORT):
                continue
            text = value.isoformat() if isinstance(value, dt.date) else str(value)
            out[ARGS[f.name]] = "1" if value is True else text
        return out


# attribute -> URL parameter (German, as the page's labels; bookmarkable)
ARGS = {
    "status": "status",
    "verdict": "votum",
    "adopted_verdict": "votum_beschlossen",
    "department": "amt",
    "committee": "gremium",
    "submitted_from": "von",
    "submitted_to": "bis",
    "ruleset": "regelwerk",
    "exit_reason": "ausnahme",
    "flagged": "markiert",
    "fragile": "fragil",
    "open_points": "offen",
    "reviewer_id": "pruefer",
    "outcome": "beschluss",
    "changed": "geaendert",
    "search": "q",
    "sort": "sort",
}
_LEGACY = {"verdict": "votum"}  # bookmarks from before 0004 used ?verdict=


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


def parse_filter(args: Mapping[str, str]) -> RegisterFilter:
    """The filter from URL parameters; unknown or malformed values are ignored (a shared link never
    breaks the page), and each survives only if it is one of the allowed values."""
    for old, new in _LEGACY.items():
        if old in args and new not in args:
            args = {**args, new: args[old]}

    def get(name: str) -> str | None:
        value = (args.get(ARGS[name]) or "").strip()
        return value or None

    def one_of(name: str, allowed) -> str | None:
        value = get(name)
        return value if value in allowed else None

    reviewer = get("reviewer_id")
    sort = get("sort") or DEFAULT_SORT
    search = get("search")
    return RegisterFilter(
        status=one_of("status", STATUSES),
        verdict=one_of("verdict", VERDICTS),
        adopted_verdict=one_of("adopted_verdict", VERDICTS),
        department=get("department"),
        committee=get("committee"),
        submitted_from=_date(get("submitted_from") or ""),
        submitted_to=_date(get("submitted_to") or ""),
        ruleset=get("ruleset"),
        exit_reason=get("exit_reason"),
        flagged=get("flagged") == "1",
        fragile=get("fragile") == "1",
        open_points=get("open_points") == "1",
        reviewer_id=int(reviewer) if reviewer and reviewer.isdigit() and len(reviewer) < 10 else None,
        outcome=one_of("outcome", (*OUTCOMES, "offen")),
        changed=one_of("changed", CHANGED_BY_CHECK),
        search=search[:MAX_SEARCH] if search else None,
        sort=sort if sort.lstrip("-") in SORTS else DEFAULT_SORT,
    )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def visible_checks(municipality_id: int, role: str) -> Select:
    """The checks of the municipality this role may list: councillors only what was submitted."""
    query = select(Check).where(Check.municipality_id == municipality_id, Check.deleted_at.is_(None))
    if role == "council":
        query = query.where(Check.filed_status.is_not(None))
    return query


def apply_filter(query: Select, flt: RegisterFilter, role: str) -> Select:
    """`query` (over Check) narrowed by the filter. Councillors filter by the submitted state."""
    if flt.status:
        query = query.where((Check.filed_status if role == "council" else Check.status) == flt.status)
    if flt.verdict:
        query = query.where(Check.verdict == flt.verdict)
    if flt.adopted_verdict:
        query = query.where(Check.adopted_verdict == flt.adopted_verdict)
    if flt.department:
        query = query.where(Check.department == flt.department)
    if flt.committee:
        query = query.where(Check.committee == flt.committee)
    if flt.submitted_from:
        query = query.where(Check.submitted_at >= dt.datetime.combine(flt.submitted_from, dt.time()))
    if flt.submitted_to:
        until = dt.datetime.combine(flt.submitted_to + dt.timedelta(days=1), dt.time())
        query = query.where(Check.submitted_at < until)
    if flt.ruleset:
        ident, _, version = flt.ruleset.partition("@")
        query = query.where(Check.ruleset_id == ident)
        if version:
            query = query.where(Check.ruleset_version == version)
    if flt.exit_reason:
        query = query.where(Check.exit_reason == flt.exit_reason)
    if flt.flagged:
        query = query.where(Check.flagged.is_(True))
    if flt.fragile:
        query = query.where(Check.fragile.is_(True))
    if flt.open_points:
        query = query.where(Check.open_points > 0)
    if flt.reviewer_id is not None:
        query = query.where(Check.reviewer_id == flt.reviewer_id)
    if flt.outcome == "offen":
        query = query.where(Check.outcome.is_(None), Check.filed_status.is_not(None))
    elif flt.outcome:
        query = query.where(Check.outcome == flt.outcome)
    if flt.changed:
        query = query.where(Check.outcome_changed == flt.changed)
    if flt.search:
        pattern = _like(flt.search)
        query = query.where(or_(Check.reference.ilike(pattern, escape="\\"), Check.title.ilike(pattern, escape="\\")))
    return query


def apply_sort(query: Select, sort: str) -> Select:
    key = sort.lstrip("-")
    column = SORTS.get(key, SORTS[DEFAULT_SORT.lstrip("-")])
    descending = sort.startswith("-")
    ordered = column.desc().nulls_last() if descending else column.asc().nulls_last()
    return query.order_by(ordered, Check.id.desc() if descending else Check.id.asc())


def register_query(municipality_id: int, role: str, flt: RegisterFilter) -> Select:
    """The filtered, sorted checks for the register and the exports (over Check, not yet paged)."""
    return apply_sort(apply_filter(visible_checks(municipality_id, role), flt, role), flt.sort)


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    number: int  # 1-based, clamped to the last page
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def paginate(s: Session, query: Select, number: int, size: int) -> Page:
    """One page of `query` and the total count of the filtered set, in two SQL statements."""
    size = size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE
    total = s.scalar(query.with_only_columns(func.count(Check.id)).order_by(None)) or 0
    last = max(1, -(-total // size))
    number = min(max(1, number), last)
    items = list(s.scalars(query.limit(size).offset((number - 1) * size)))
    return Page(items=items, total=total, number=number, size=size)


def with_filter(flt: RegisterFilter, **changes) -> RegisterFilter:
    return replace(flt, **changes)
