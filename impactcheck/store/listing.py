"""The register's filters, search, sorting and paging as one SQL query (shared by the register page,
the exports, the overview and the CLI), on the current-state columns of the check row."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    CompoundSelect,
    Integer,
    Select,
    String,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.expression import ColumnElement, UnaryExpression
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import NullType

from impactcheck.store.current import CHANGED_BY_CHECK, OUTCOMES
from impactcheck.store.models import STATUSES, Check, RulesetSnapshot, User

VERDICTS = ("negative", "neutral", "positive", "not_relevant")
PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
MAX_SEARCH = 200

# sort key in the URL -> column; "-key" sorts descending. The check id breaks ties (stable pages).
# No verdict (never submitted) is NULL, so it goes last in both directions.
_VERDICT_ORDER = case({v: i for i, v in enumerate(VERDICTS)}, value=Check.verdict)
SORTS = {
    "datum": Check.submitted_at,
    "angelegt": Check.created_at,
    "nummer": Check.reference,
    "votum": _VERDICT_ORDER,
    "co2": Check.t_co2e_per_year,
    "sitzung": Check.meeting_date,
}
DEFAULT_SORT = "-angelegt"
DEFAULT_TIMEZONE = "Europe/Berlin"  # settings.TIMEZONE's default


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
    # The municipality's time zone (setting TIMEZONE): the date range means local days, the stored
    # times are UTC. Not a URL parameter; the caller of parse_filter knows it.
    timezone: str = field(default=DEFAULT_TIMEZONE, compare=False)

    def is_empty(self) -> bool:
        return self == RegisterFilter(sort=self.sort)

    def to_args(self) -> dict[str, str]:
        """The URL parameters that give this filter back (for links, the export and paging)."""
        out: dict[str, str] = {}
        for f in fields(self):
            if f.name not in ARGS:
                continue
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
_FLAGS = ("flagged", "fragile", "open_points")  # checkboxes: "1" or absent
_LEGACY = {"verdict": "votum"}  # bookmarks from before 0004 used ?verdict=


_GERMAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


MIN_YEAR, MAX_YEAR = 1900, 2999


def _date(value: str) -> dt.date | None:
    """An ISO date (what `<input type="date">` sends) or a German one typed by hand (1.3.2026)."""
    value = value.strip()
    german = _GERMAN_DATE.fullmatch(value)
    try:
        if german:
            day, month, year = (int(g) for g in german.groups())
            day = dt.date(year, month, day)
        elif len(value) != 10:  # fromisoformat also takes "20260301" and week dates: not from our form
            return None
        else:
            day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    # Years the time-zone arithmetic cannot reach (0001, 9999) are no real submission dates either.
    return day if MIN_YEAR <= day.year <= MAX_YEAR else None


def parse_filter(args: Mapping[str, str], timezone: str = DEFAULT_TIMEZONE) -> RegisterFilter:
    """The filter from URL parameters; unknown or malformed values are ignored (a shared link never
    breaks the page), and each survives only if it is one of the allowed values (`ignored_args` names
    what was dropped). `timezone` is the municipality's: the date range means its local days."""
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
        timezone=timezone,
    )


def ignored_args(args: Mapping[str, str], flt: RegisterFilter) -> list[str]:
    """The filter attributes the URL gave a value for that `parse_filter` did not accept (a mistyped
    date, an unknown verdict), so the page can say it ignored them instead of silently showing more."""
    for old, new in _LEGACY.items():
        if old in args and new not in args:
            args = {**args, new: args[old]}
    given = flt.to_args()
    out = []
    for name, arg in ARGS.items():
        raw = (args.get(arg) or "").strip()
        if not raw or arg in given:
            continue
        if (name == "sort" and raw == DEFAULT_SORT) or (name in _FLAGS and raw == "0"):
            continue
        out.append(name)
    return out


def local_midnight_utc(day: dt.date, timezone: str) -> dt.datetime:
    """The start of `day` in `timezone` as the naive UTC time the database stores."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(DEFAULT_TIMEZONE)
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _glob(text: str) -> str:
    """A SQLite GLOB pattern for "contains `text`, ignoring case": each cased letter as a class of
    both cases ([üÜ]), GLOB's own wildcards as literal classes. SQLite's LIKE and lower() fold ASCII
    only, and a search for "übergang" must find "Übergang"."""
    out = []
    for ch in text:
        lower, upper = ch.lower(), ch.upper()
        if len(lower) == 1 and len(upper) == 1 and lower != upper:
            out.append(f"[{lower}{upper}]")
        elif ch in "*?[":
            out.append(f"[{ch}]")
        else:
            out.append(ch)
    return "*" + "".join(out) + "*"


class ContainsText(ColumnElement):
    """`column` contains `text`, case-insensitive, `%` and `_` taken literally: ILIKE on PostgreSQL
    (its case folding knows umlauts; a trigram index can serve it); on SQLite LIKE for an ASCII text,
    else GLOB with letter classes.
    Both patterns are bound parameters of the element, so SQLAlchemy's statement cache keys on them."""

    type = NullType()  # a condition (Boolean would make SQLite compare it with 1)
    inherit_cache = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("like", InternalTraversal.dp_clauseelement),
        ("glob", InternalTraversal.dp_clauseelement),
        ("ascii", InternalTraversal.dp_boolean),
    ]

    def __init__(self, column, text: str):
        self.column = column
        self.like = bindparam(None, _like(text), type_=String())
        self.glob = bindparam(None, _glob(text), type_=String())
        self.ascii = text.isascii()


@compiles(ContainsText)
def _contains_default(element, compiler, **kw):
    return compiler.process(element.column.ilike(element.like, escape="\\"), **kw)


@compiles(ContainsText, "sqlite")
def _contains_sqlite(element, compiler, **kw):
    if element.ascii:  # SQLite's LIKE ignores the case of ASCII letters itself (and is faster than GLOB)
        return compiler.process(element.column.like(element.like, escape="\\"), **kw)
    return compiler.process(element.column.op("GLOB")(element.glob), **kw)


def contains_text(column, text: str) -> ContainsText:
    return ContainsText(column, text)


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
        query = query.where(Check.submitted_at >= local_midnight_utc(flt.submitted_from, flt.timezone))
    if flt.submitted_to:
        query = query.where(
            Check.submitted_at < local_midnight_utc(flt.submitted_to + dt.timedelta(days=1), flt.timezone)
        )
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
        query = query.where(or_(contains_text(Check.reference, flt.search), contains_text(Check.title, flt.search)))
    return query


# Sort columns that are never NULL: ordered without NULLS LAST, which would keep both databases from
# reading an index in order (PostgreSQL's indexes end DESC with NULLs first, SQLite's end ASC so).
_NOT_NULL_SORTS = ("angelegt", "nummer")


def apply_sort(query: Select, sort: str) -> Select:
    key = sort.lstrip("-")
    if key not in SORTS:
        key = DEFAULT_SORT.lstrip("-")
    column = SORTS[key]
    descending = sort.startswith("-")
    ordered = column.desc() if descending else column.asc()
    if key not in _NOT_NULL_SORTS:
        ordered = ordered.nulls_last()  # no date, no tonnes, no verdict: at the end either way
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
    """One page of `query` (a select of Check, sorted) and the total count of the filtered set.

    One statement in the usual case: the page as a deferred join (the narrow ids of the page sorted
    and cut, so a deep OFFSET walks an index, not whole rows; then their rows by primary key, with
    whatever `query` joins in) and the count of the filtered set as an uncorrelated scalar subquery
    beside it (evaluated once). Only an empty page needs more: the count alone, and for a number
    past the last page (the list got shorter since the link was made) the last page again."""
    size = size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE
    number = max(1, number)
    items, total = _page_and_total(s, query, number, size)
    if not items:
        total = s.scalar(_count(query)) or 0
        last = max(1, -(-total // size))
        if number > last and total:
            number = last
            items, total = _page_and_total(s, query, number, size)
        else:
            number = min(number, last)
    return Page(items=items, total=total or 0, number=number, size=size)


def _count(query: Select) -> Select:
    return query.with_only_columns(func.count(Check.id)).order_by(None)


def _page_and_total(s: Session, query: Select, number: int, size: int) -> tuple[list, int | None]:
    ids = query.with_only_columns(Check.id).limit(size).offset((number - 1) * size).subquery("page")
    # correlate(None): the count's FROM is its own, not the outer row's klimacheck
    total = _count(query).correlate(None).scalar_subquery().label("total")
    # By primary key alone, with the loader options of `query` (the author's name joined in, …):
    # repeating the filter outside the subquery would tempt SQLite without statistics to walk an
    # index instead. The outer ORDER BY is the query's own, over the 50 rows of the page.
    rows = (
        select(Check, total)
        .join(ids, ids.c.id == Check.id)
        .options(*getattr(query, "_with_options", ()))
        .order_by(*query._order_by_clauses)
    )
    result = s.execute(rows).all()
    return [row[0] for row in result], (result[0][1] if result else None)


def page_window(number: int, pages: int, width: int = 2) -> list[int | None]:
    """Page numbers to link: the first, the last and `width` around the current one; None is a gap."""
    shown = sorted({1, pages, *range(max(1, number - width), min(pages, number + width) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and n - out[-1] > 1:
            out.append(None)
        out.append(n)
    return out


# --- what the filter form offers ---------------------------------------------------------------

NOT_NULL = "not null"
PAGE_ARG = "seite"
SIZE_ARG = "pro_seite"


def parse_paging(args: Mapping[str, str]) -> tuple[int, int]:
    """Page number (1-based) and page size from the URL; anything malformed gives the first page
    and the default size (`paginate` clamps a number past the last page)."""

    def number(name: str) -> int | None:
        value = (args.get(name) or "").strip()
        return int(value) if value.isdigit() and len(value) < 10 else None

    size = number(SIZE_ARG)
    return max(1, number(PAGE_ARG) or 1), size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE


def _no_index(column):
    """`+column`: the same value, but SQLite will not pick the column's index for a condition on it.
    Without statistics (no ANALYZE) SQLite takes any equality on an indexed column as selective,
    "municipality_id = 1" included, and would read every row of the municipality and sort them."""
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def _scope_conditions(s: Session, scope: Sequence[tuple]) -> list:
    sqlite = s.get_bind().dialect.name == "sqlite"
    conditions = []
    for col, value in scope:
        col = _no_index(col) if sqlite else col
        if value is None:
            conditions.append(col.is_(None))
        elif value == NOT_NULL:
            conditions.append(col.is_not(None))
        else:
            conditions.append(col == value)
    return conditions


def _distinct_cte(column, conditions: list, name: str):
    """The recursive CTE (v, n) of `distinct_values`: the n-th distinct value v, ascending in the
    database's collation; its last row has v NULL."""

    def first_above(previous=None):
        query = select(column).where(column.is_not(None), *conditions)
        if previous is not None:
            query = query.where(column > previous)
        return query.order_by(column).limit(1).scalar_subquery()

    seed = select(first_above().label("v"), literal(1).label("n")).cte(name, recursive=True)
    step = select(first_above(seed.c.v), seed.c.n + 1).where(seed.c.v.is_not(None))
    return seed.union_all(step)


def distinct_values(s: Session, column, scope: Sequence[tuple]) -> list:
    """The distinct non-NULL values of an indexed column among the rows matching `scope` (pairs of
    column and value: equal, or None for IS NULL / "not null" for IS NOT NULL), ascending, as a
    "loose index scan": a recursive query that seeks the next larger value in the column's index,
    once per distinct value. The number of distinct values (a few dozen departments) decides the
    cost, not the number of rows, where a plain SELECT DISTINCT reads every row. The same SQL runs
    on SQLite and PostgreSQL."""
    values = _distinct_cte(column, _scope_conditions(s, scope), "distinct_values")
    return list(s.scalars(select(values.c.v).where(values.c.v.is_not(None)).order_by(values.c.n)))


@dataclass(frozen=True)
class Choices:
    """The values present in the municipality (what this role may list), for the filter form."""

    departments: list[str]
    committees: list[str]
    exit_reasons: list[str]
    reviewer_ids: list[int]
    rulesets: list[tuple[str, list[str]]]  # (rule set id, its versions), ascending
    # display names of the reviewers (and of the one asked for in the URL), where the account exists
    reviewer_names: dict[int, str] = field(default_factory=dict)


def _version_key(version: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[.\-]", version))


_CHOICE_COLUMNS = {
    "ruleset": Check.ruleset_id,
    "department": Check.department,
    "committee": Check.committee,
    "exit_reason": Check.exit_reason,
    "reviewer": Check.reviewer_id,
}


# The statement depends only on the database and the role; built once (its parameters are bound).
_CHOICES_STATEMENTS: dict[tuple[str, bool], CompoundSelect] = {}


def _choices_statement(dialect: str, council: bool) -> CompoundSelect:
    municipality = bindparam("choices_m", type_=Integer())
    sqlite = dialect == "sqlite"
    scope_columns = [Check.municipality_id, Check.deleted_at, *([Check.filed_status] if council else [])]
    col = {c.key: (_no_index(c) if sqlite else c) for c in scope_columns}
    conditions = [col["municipality_id"] == municipality, col["deleted_at"].is_(None)]
    if council:
        conditions.append(col["filed_status"].is_not(None))
    ctes = {kind: _distinct_cte(column, conditions, f"choice_{kind}") for kind, column in _CHOICE_COLUMNS.items()}
    none = cast(null(), String)
    arms = [
        select(literal(kind).label("kind"), cte.c.n, cast(cte.c.v, String).label("value"), none.label("extra")).where(
            cte.c.v.is_not(None)
        )
        for kind, cte in ctes.items()
    ]
    arms.append(
        select(literal("version"), literal(0), RulesetSnapshot.ident, RulesetSnapshot.version)
        .where(RulesetSnapshot.kind == "ruleset", RulesetSnapshot.ident.in_(select(ctes["ruleset"].c.v)))
        .group_by(RulesetSnapshot.ident, RulesetSnapshot.version)
    )
    named = or_(User.id.in_(select(ctes["reviewer"].c.v)), User.id == bindparam("choices_reviewer", type_=Integer()))
    arms.append(
        select(literal("reviewer_name"), literal(0), cast(User.id, String), User.display_name).where(
            User.municipality_id == municipality, named
        )
    )
    return union_all(*arms)


def register_choices(s: Session, municipality_id: int, role: str, reviewer_id: int | None = None) -> Choices:
    """One statement, independent of the number of checks: a loose index scan per field (a handful
    of index seeks each), the versions of the rule sets found and the reviewers' names, as rows of
    (kind, position, value, extra). The versions of a rule set are those the installation has
    evaluated with (its snapshots, a small table): the check rows have no index on the version, and
    a version no check of this municipality used merely finds nothing. `reviewer_id` (a reviewer
    asked for in the URL) is named too, if the account belongs to the municipality."""
    dialect = s.get_bind().dialect.name
    key = (dialect, role == "council")
    statement = _CHOICES_STATEMENTS.get(key)
    if statement is None:
        statement = _CHOICES_STATEMENTS[key] = _choices_statement(dialect, council=role == "council")
    rows = s.execute(statement, {"choices_m": municipality_id, "choices_reviewer": reviewer_id})
    found: dict[str, list] = {kind: [] for kind in (*_CHOICE_COLUMNS, "version", "reviewer_name")}
    for kind, _n, value, extra in sorted(rows, key=lambda row: (row[0], row[1])):
        found[kind].append((value, extra))
    ruleset_ids = [value for value, _extra in found["ruleset"]]
    versions: dict[str, set[str]] = {ident: set() for ident in ruleset_ids}
    for ident, version in found["version"]:
        if version and ident in versions:
            versions[ident].add(version)
    return Choices(
        departments=[value for value, _extra in found["department"]],
        committees=[value for value, _extra in found["committee"]],
        exit_reasons=[value for value, _extra in found["exit_reason"]],
        reviewer_ids=[int(value) for value, _extra in found["reviewer"]],
        rulesets=[(ident, sorted(versions[ident], key=_version_key)) for ident in ruleset_ids],
        reviewer_names={int(value): name for value, name in found["reviewer_name"]},
    )
