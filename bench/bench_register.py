"""Benchmark: the register, the overview and the exports with 1,000 to 100,000 submitted checks.

For each size and database (SQLite in a temporary file; PostgreSQL with --postgres URL or
IMPACTCHECK_BENCH_POSTGRES_URL, in a new database dropped afterwards) the database is migrated with
the real migrations and filled (bench/register_fill.py: 71 checks through the real operations, the
rest replicas of their rows by bulk INSERT/COPY, with the current-state columns from
`store.current.state_of`; the output says how many of each). Then, with the real app (create_app,
Flask test client, logged in as the climate department), it times

  first page   GET /register
  filtered     GET /register?votum=negative&amt=<department>   (about 1 % of the checks)
  search       GET /register?q=<district>                       (about 4 %)
  last page    GET /register?seite=<last>
  sorted       GET /register?sort=-datum                        (by submission date)
  overview     GET /uebersicht                                  (its default: this calendar year)
  overview*    GET /uebersicht?zeitraum=alle                    (all five years)

each repeated (--repeat, median), interleaved with a baseline measured in the same run on the same
engine: the equivalent hand-written SQL of everything the page shows – its own figures (SELECT …
LIMIT/OFFSET plus COUNT(*); for the overview the GROUP BY queries of its figures) and what every one
of these pages needs besides: the logged-in user with the municipality, the filter form's choices
(by the same loose index scans as the app, in one statement) and the navigation's count of decisions
due (see furniture_queries). It prints the absolute times, ratio = app / raw SQL (target: < 1 s and
≤ 2× at 100,000), the number of SQL statements the request sent, the time the same statements take
when replayed directly ("app SQL", which tells the SQL's cost from the Python's), the page's own SQL
alone with the app's ratio to it ("own SQL": the baseline before 2026-12, which left the furniture
out although the app has to fetch it), and whether the first row of the baseline is on the app's
page. Then the CSV and XLSX exports of every check through the web route (at the largest size, or
--export-sizes), each in a child process: seconds, bytes, rows, and
the peak RSS against that process's RSS after the app started (target: the server under 200 MB for
100,000 rows).

The machines are shared and noisy; the ratios are what to compare.

With --proposed-indexes the indexes of PROPOSED_INDEXES (and, on SQLite, ANALYZE) are added after
the filling, so a proposed migration can be measured before it is written.

    python bench/bench_register.py [--sizes 1000,10000,100000] [--postgres postgresql+psycopg://…/postgres]
                                   [--repeat 7] [--no-sqlite] [--no-export] [--export-sizes 100000]
                                   [--proposed-indexes] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import math
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import register_fill  # noqa: E402
from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
FILTER_DEPARTMENT = register_fill.DEPARTMENTS[2]  # about 8 % of the papers; with "negative" about 1 %
SLOW_SECONDS = 20.0  # a warm-up slower than this is reported from that one run


# --- databases ---------------------------------------------------------------------------------


def fresh_database(kind: str, admin_url: str | None, instance: Path, n: int) -> tuple[str, Callable[[], None]]:
    """(URL of a new empty database, function that removes it)."""
    if kind == "sqlite":
        path = instance / f"register-{n}.sqlite3"
        return f"sqlite:///{path}", lambda: [p.unlink() for p in instance.glob(path.name + "*")]
    name = f"impactcheck_bench_{secrets.token_hex(4)}_{n}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


# --- the proposed indexes (--proposed-indexes) ------------------------------------------------

# What the register, the overview and the "Beschluss nachtragen" count need beyond migration 0004, as
# measured by this bench (see its report). Partial on "deleted_at IS NULL" (every list has that
# condition): PostgreSQL then reads the index in the ORDER BY's order (an IS NULL column in front of
# the sort column would stop it), SQLite too. The first sort column is also the count's covering index.
PROPOSED_INDEXES = {
    "postgresql": [
        "CREATE INDEX ix_klimacheck_list_created ON klimacheck (municipality_id, created_at DESC, id DESC) "
        "WHERE deleted_at IS NULL",
        "CREATE INDEX ix_klimacheck_list_submitted ON klimacheck "
        "(municipality_id, submitted_at DESC NULLS LAST, id DESC) WHERE deleted_at IS NULL",
        "CREATE INDEX ix_klimacheck_list_reference ON klimacheck (municipality_id, reference, id) "
        "WHERE deleted_at IS NULL",
        "CREATE INDEX ix_klimacheck_list_co2 ON klimacheck "
        "(municipality_id, t_co2e_per_year DESC NULLS LAST, id DESC) WHERE deleted_at IS NULL",
        "CREATE INDEX ix_klimacheck_outcome_due ON klimacheck (municipality_id, meeting_date, owner_id, id) "
        "WHERE outcome IS NULL AND filed_number IS NOT NULL AND deleted_at IS NULL",
        "CREATE INDEX ix_check_sector_figures ON check_sector (check_id, variant, sector, t_co2e_per_year) "
        "WHERE t_co2e_per_year IS NOT NULL",
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "CREATE INDEX ix_klimacheck_title_trgm ON klimacheck USING gin (title gin_trgm_ops)",
        "CREATE INDEX ix_klimacheck_reference_trgm ON klimacheck USING gin (reference gin_trgm_ops)",
        "ANALYZE klimacheck",
        "ANALYZE check_sector",
    ],
    "sqlite": [
        "CREATE INDEX ix_klimacheck_list_created ON klimacheck (municipality_id, created_at DESC, id DESC) "
        "WHERE deleted_at IS NULL",
        "CREATE INDEX ix_klimacheck_list_submitted ON klimacheck (municipality_id, submitted_at DESC, id DESC) "
        "WHERE deleted_at IS NULL",
        "CREATE INDEX ix_klimacheck_list_reference ON klimacheck (municipality_id, reference, id) "
        "WHERE deleted_at IS NULL",
        "CREATE INDEX ix_klimacheck_list_co2 ON klimacheck (municipality_id, t_co2e_per_year DESC, id DESC) "
        "WHERE deleted_at IS NULL",
        "CREATE INDEX ix_klimacheck_outcome_due ON klimacheck (municipality_id, meeting_date, owner_id, id) "
        "WHERE outcome IS NULL AND filed_number IS NOT NULL AND deleted_at IS NULL",
        "CREATE INDEX ix_check_sector_figures ON check_sector (check_id, variant, sector, t_co2e_per_year) "
        "WHERE t_co2e_per_year IS NOT NULL",
        # Statistics for the planner: without them SQLite takes "municipality_id = 1" as selective
        # and reads every check of the municipality for a page of 50.
        "ANALYZE",
    ],
}


# Indexes of the migrations that the proposal replaces (taken off first, so the proposal is measured).
REPLACED_INDEXES = (
    "ix_klimacheck_municipality_created",
    "ix_klimacheck_municipality_submitted",
    "ix_klimacheck_outcome_due",
)


def apply_proposed_indexes(url: str) -> float:
    """The proposed indexes (and statistics) on a filled database; returns the seconds taken."""
    engine = create_engine(url)
    start = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in REPLACED_INDEXES:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
        for statement in PROPOSED_INDEXES[engine.dialect.name]:
            conn.exec_driver_sql(statement)
    engine.dispose()
    return time.perf_counter() - start


# --- the app ----------------------------------------------------------------------------------


def make_app(url: str, instance: Path):
    from impactcheck.app import create_app

    return create_app(
        {"TESTING": True, "SECRET_KEY": "bench-secret", "DATABASE_URL": url, "INSTANCE_PATH": str(instance / "app")}
    )


def log_in(app, username: str = register_fill.CLIMATE_USER):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    m = TOKEN.search(page)
    if not m:
        raise SystemExit("no CSRF token on the login page")
    data = {"csrf_token": m.group(1) or m.group(2), "username": username, "password": register_fill.PASSWORD}
    response = client.post("/login", data=data)
    if response.status_code != 302:
        raise SystemExit(f"login as {username} failed: {response.status_code}")
    return client


class StatementLog:
    """Counts the SQL statements the app sends (and keeps them, to replay them directly)."""

    def __init__(self, engine):
        self.statements: list[tuple[str, object]] = []
        self.on = False
        event.listen(engine, "before_cursor_execute", self._before)

    def _before(self, _conn, _cursor, statement, parameters, _context, executemany):
        if self.on and not executemany:
            self.statements.append((statement, parameters))

    def start(self) -> None:
        self.statements = []
        self.on = True

    def stop(self) -> list[tuple[str, object]]:
        self.on = False
        return self.statements


def register_is_paged() -> bool:
    """The register before issue 9 loads every check with every revision (122 s at 100,000)."""
    return "paginate" in (ROOT / "impactcheck" / "web" / "register.py").read_text(encoding="utf-8")


# --- the baseline: hand-written SQL -----------------------------------------------------------


@dataclass
class Case:
    name: str
    url: str
    raw: Callable  # (connection) -> first reference on the page (or None), runs the baseline SQL
    furniture: Callable  # (connection) -> None: what the page needs besides (see furniture_queries)
    marker: str | None = None  # filled after the first baseline run: must be on the app's page


def _order(sort: str, pg: bool) -> str:
    """ORDER BY as the register means it: no date or tonnes (NULL) last in either direction."""
    from impactcheck.store import listing

    key = sort.lstrip("-")
    column = {"datum": "submitted_at", "angelegt": "created_at", "nummer": "reference", "co2": "t_co2e_per_year"}
    column |= {"sitzung": "meeting_date"}
    descending = sort.startswith("-")
    direction = "DESC" if descending else "ASC"
    if key not in column:  # the verdict order: a CASE as in listing.SORTS (no verdict: NULL, last)
        order = " ".join(f"WHEN '{v}' THEN {i}" for i, v in enumerate(listing.VERDICTS))
        return f"CASE k.verdict {order} END {direction} NULLS LAST, k.id {direction}"
    nullable = key not in ("angelegt", "nummer")
    # SQLite sorts NULL first ascending and last descending; PostgreSQL the other way round.
    nulls = " NULLS LAST" if nullable and (pg or not descending) else ""
    return f"k.{column[key]} {direction}{nulls}, k.id {direction}"


def page_query(pg: bool, where: list[str], params: dict, page: int, size: int, sort: str):
    """The page's rows (every column of the check and the author's name) and the filtered count, as
    one would write them by hand: the page as a deferred join (the narrow ids sorted and cut, then
    their rows; what keeps a deep OFFSET from sorting whole rows) and COUNT(*)."""
    conditions = " AND ".join(["k.municipality_id = :m", "k.deleted_at IS NULL", *where])
    order = _order(sort, pg)
    rows = text(
        f"SELECT k.*, u.display_name AS owner_name FROM (SELECT k.id FROM klimacheck k WHERE {conditions} "
        f"ORDER BY {order} LIMIT :limit OFFSET :offset) p JOIN klimacheck k ON k.id = p.id "
        f"JOIN app_user u ON u.id = k.owner_id ORDER BY {order}"
    )
    count = text(f"SELECT COUNT(*) FROM klimacheck k WHERE {conditions}")

    def run(conn):
        first = conn.execute(rows, {**params, "limit": size, "offset": (page - 1) * size}).fetchall()
        conn.execute(count, params).scalar()
        return first[0].reference if first else None

    return run


def _local_midnight(day: dt.date) -> dt.datetime:
    """The stored (UTC) time of the municipality's midnight, as the app's date filters compute it."""
    from zoneinfo import ZoneInfo

    local = dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo("Europe/Berlin"))
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def overview_queries(pg: bool, m: int, year: int | None):
    """The overview's figures as hand-written aggregates over the same set, in as few passes as they
    need: one GROUP BY over the label columns (verdict, quick-exit reason, outcome, changed) with the
    counts and sums of every figure, the sector sums from check_sector (figures only), the
    departments, and the median turnaround (the middle row of the sorted durations; SQLite has no
    percentile function). Not included: the filter form's choices (page furniture the app adds)."""
    where = "k.municipality_id = :m AND k.deleted_at IS NULL"
    params: dict = {"m": m}
    if year:
        where += " AND k.submitted_at >= :start AND k.submitted_at < :end"
        start, end = _local_midnight(dt.date(year, 1, 1)), _local_midnight(dt.date(year + 1, 1, 1))
        # SQLite stores SQLAlchemy's text form; compare with the same
        params |= {"start": start, "end": end} if pg else {"start": str(start), "end": str(end)}
    adopted = "k.outcome IN ('adopted', 'adopted_alternative', 'adopted_changed')"
    decided = f"{adopted} AND k.adopted_t_co2e_per_year IS NOT NULL"
    reviewed = "k.reviewed_at IS NOT NULL AND k.submitted_at IS NOT NULL"
    days = (
        "EXTRACT(EPOCH FROM (k.reviewed_at - k.submitted_at)) / 86400.0"
        if pg
        else "julianday(k.reviewed_at) - julianday(k.submitted_at)"
    )
    groups = text(
        "SELECT k.verdict, k.exit_reason, k.outcome, k.outcome_changed, COUNT(*), COUNT(k.t_co2e_per_year), "
        f"SUM(k.t_co2e_per_year), SUM(CASE WHEN {adopted} THEN k.adopted_t_co2e_per_year END), "
        f"SUM(CASE WHEN {decided} THEN k.t_co2e_per_year END), COUNT(CASE WHEN {decided} THEN 1 END), "
        "COUNT(CASE WHEN k.fragile THEN 1 END), COUNT(CASE WHEN k.flagged THEN 1 END), "
        "COUNT(CASE WHEN k.open_points > 0 THEN 1 END), SUM(k.open_points), "
        f"COUNT(CASE WHEN {reviewed} THEN 1 END), COUNT(CASE WHEN k.status = 'submitted' THEN 1 END) "
        f"FROM klimacheck k WHERE {where} GROUP BY k.verdict, k.exit_reason, k.outcome, k.outcome_changed"
    )
    proposal = "cs.variant = 'proposal'"
    in_effect = (
        "(cs.variant = 'proposal' AND k.outcome IN ('adopted', 'adopted_changed')) OR "
        "(cs.variant = 'alternative' AND k.outcome = 'adopted_alternative')"
    )
    sectors = text(
        f"SELECT cs.sector, SUM(CASE WHEN {proposal} THEN cs.t_co2e_per_year END), "
        f"COUNT(CASE WHEN {proposal} THEN 1 END), SUM(CASE WHEN {in_effect} THEN cs.t_co2e_per_year END), "
        f"COUNT(CASE WHEN {in_effect} THEN 1 END) FROM klimacheck k JOIN check_sector cs ON cs.check_id = k.id "
        f"WHERE {where} AND cs.t_co2e_per_year IS NOT NULL "
        # a sector has a figure only where its variant has a total: the join can skip checks without
        "AND (k.t_co2e_per_year IS NOT NULL OR k.alternative_t_co2e_per_year IS NOT NULL) GROUP BY cs.sector"
    )
    departments = text(f"SELECT k.department, COUNT(*) FROM klimacheck k WHERE {where} GROUP BY k.department")
    median = text(
        f"SELECT {days} AS d FROM klimacheck k WHERE {where} AND {reviewed} ORDER BY d LIMIT :limit OFFSET :offset"
    )

    def run(conn):
        reviewed_n = sum(row[14] for row in conn.execute(groups, params).fetchall())
        conn.execute(sectors, params).fetchall()
        conn.execute(departments, params).fetchall()
        if reviewed_n:
            limit = 1 if reviewed_n % 2 else 2
            conn.execute(median, {**params, "limit": limit, "offset": (reviewed_n - 1) // 2}).fetchall()
        return None

    return run


def furniture_queries(pg: bool, m: int, user_id: int):
    """What every one of these pages needs besides its own figures, hand-written: the logged-in user
    with the municipality (the header shows its name), the values the filter form offers (the
    distinct departments, committees, quick-exit reasons, reviewers and rule sets of the
    municipality, with the rule sets' versions and the reviewers' names) and the count of decisions
    due in the navigation. The choices by the same loose index scans the app uses (a SELECT DISTINCT
    would read every row: that would inflate the baseline), in one statement as the app sends them.
    On SQLite the scope columns carry a unary + as in the app's SQL, so both get the same plan."""
    plus = "" if pg else "+"
    scope = f"{plus}k.municipality_id = :m AND {plus}k.deleted_at IS NULL"

    def cte(name: str, column: str) -> str:
        first = f"SELECT k.{column} FROM klimacheck k WHERE k.{column} IS NOT NULL AND {scope}"
        return (
            f"{name}(v, n) AS (SELECT ({first} ORDER BY k.{column} LIMIT 1), 1 UNION ALL "
            f"SELECT ({first} AND k.{column} > {name}.v ORDER BY k.{column} LIMIT 1), {name}.n + 1 "
            f"FROM {name} WHERE {name}.v IS NOT NULL)"
        )

    columns = {"rs": "ruleset_id", "dep": "department", "com": "committee", "ex": "exit_reason", "rev": "reviewer_id"}
    arms = [f"SELECT '{name}', n, CAST(v AS VARCHAR(200)), NULL FROM {name} WHERE v IS NOT NULL" for name in columns]
    arms.append(
        "SELECT 'version', 0, ident, version FROM ruleset_snapshot WHERE kind = 'ruleset' "
        "AND ident IN (SELECT v FROM rs) GROUP BY ident, version"
    )
    arms.append(
        "SELECT 'name', 0, CAST(u.id AS VARCHAR(200)), u.display_name FROM app_user u "
        "WHERE u.municipality_id = :m AND u.id IN (SELECT v FROM rev)"
    )
    choices = text(
        "WITH RECURSIVE "
        + ", ".join(cte(name, column) for name, column in columns.items())
        + " "
        + " UNION ALL ".join(arms)
    )
    user = text("SELECT u.*, m.name FROM app_user u JOIN municipality m ON m.id = u.municipality_id WHERE u.id = :u")
    due = text(
        "SELECT COUNT(*) FROM klimacheck k WHERE k.municipality_id = :m AND k.deleted_at IS NULL "
        "AND k.filed_number IS NOT NULL AND k.outcome IS NULL AND k.meeting_date < :today"
    )

    def run(conn):
        from zoneinfo import ZoneInfo

        today = dt.datetime.now(ZoneInfo("Europe/Berlin")).date()
        conn.execute(user, {"u": user_id}).fetchall()
        conn.execute(choices, {"m": m}).fetchall()
        conn.execute(due, {"m": m, "today": today if pg else today.isoformat()}).scalar()

    return run


def cases(engine, m: int, total: int, user_id: int) -> list[Case]:
    from impactcheck.store import listing

    pg = engine.dialect.name == "postgresql"
    size, sort = listing.DEFAULT_PAGE_SIZE, listing.DEFAULT_SORT
    like = "ILIKE" if pg else "LIKE"  # SQLite's LIKE ignores the case of ASCII letters, as ILIKE does
    search = {"m": m, "q": f"%{register_fill.SEARCH_TERM}%"}
    filtered = {"m": m, "v": "negative", "d": FILTER_DEPARTMENT}
    last = max(1, math.ceil(total / size))
    from urllib.parse import urlencode

    furniture = furniture_queries(pg, m, user_id)
    return [
        Case("first page", "/register", page_query(pg, [], {"m": m}, 1, size, sort), furniture),
        Case(
            "filtered",
            "/register?" + urlencode({"votum": "negative", "amt": FILTER_DEPARTMENT}),
            page_query(pg, ["k.verdict = :v", "k.department = :d"], filtered, 1, size, sort),
            furniture,
        ),
        Case(
            "search",
            "/register?" + urlencode({"q": register_fill.SEARCH_TERM}),
            page_query(pg, [f"(k.reference {like} :q OR k.title {like} :q)"], search, 1, size, sort),
            furniture,
        ),
        Case("last page", f"/register?seite={last}", page_query(pg, [], {"m": m}, last, size, sort), furniture),
        Case("sorted", "/register?sort=-datum", page_query(pg, [], {"m": m}, 1, size, "-datum"), furniture),
        Case("overview", "/uebersicht", overview_queries(pg, m, dt.date.today().year), furniture),  # this year
        Case("overview*", "/uebersicht?zeitraum=alle", overview_queries(pg, m, None), furniture),  # all five years
    ]


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Figure:
    backend: str
    n: int
    case: str
    app_ms: float | None = None
    raw_ms: float | None = None  # the page's own SQL and its furniture
    own_ms: float | None = None  # the page's own SQL alone (rows and count; the overview's figures)
    replay_ms: float | None = None
    statements: int | None = None
    status: str = ""
    runs: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        return self.app_ms / self.raw_ms if self.app_ms and self.raw_ms else None

    @property
    def own_ratio(self) -> float | None:
        return self.app_ms / self.own_ms if self.app_ms and self.own_ms else None


def _timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def replay(engine, statements) -> float:
    """The app's statements sent directly, without the ORM and the page (one connection)."""
    with engine.connect() as conn:
        start = time.perf_counter()
        for statement, parameters in statements:
            conn.exec_driver_sql(statement, parameters).fetchall() if _returns(statement) else None
        return time.perf_counter() - start


def _returns(statement: str) -> bool:
    return statement.lstrip().upper().startswith(("SELECT", "WITH"))


def measure_case(case: Case, figure: Figure, engine, client, statements: StatementLog, repeat: int) -> None:
    """Warm-up (app and baseline), then `repeat` interleaved rounds: baseline, app, the app's SQL."""

    def own() -> object:
        with engine.connect() as conn:
            return case.raw(conn)

    def baseline() -> object:
        with engine.connect() as conn:
            case.furniture(conn)
            return case.raw(conn)

    case.marker = baseline()
    own()
    statements.start()
    try:
        warm, response = _timed(lambda: client.get(case.url))
    except Exception as exc:  # the app under construction: report it, measure the rest
        statements.stop()
        figure.status = f"error: {type(exc).__name__}: {str(exc)[:120]}"
        return
    sent = statements.stop()
    if response.status_code == 404:
        figure.status = "route missing"
        return
    if response.status_code != 200:
        figure.status = f"HTTP {response.status_code}"
        return
    html = response.get_data(as_text=True)
    figure.statements = len(sent)
    figure.status = "ok"
    if case.marker and case.marker not in html:
        figure.status = "first row differs"
        figure.notes.append(f"{case.marker} (baseline's first row) not on the page")
    app_times, raw_times, own_times, replay_times = [], [], [], []
    rounds = 1 if warm > SLOW_SECONDS else repeat
    for _ in range(rounds):
        raw_times.append(_timed(baseline)[0])
        own_times.append(_timed(own)[0])
        app_times.append(warm if rounds == 1 else _timed(lambda: client.get(case.url).close())[0])
        if len(replay_times) < 3:  # the app's statements sent directly: a diagnosis, three runs suffice
            replay_times.append(replay(engine, sent))
    figure.runs = rounds
    figure.app_ms = statistics.median(app_times) * 1000
    figure.raw_ms = statistics.median(raw_times) * 1000
    figure.own_ms = statistics.median(own_times) * 1000
    figure.replay_ms = statistics.median(replay_times) * 1000


def measure(backend: str, n: int, url: str, instance: Path, repeat: int, log) -> list[Figure]:
    app = make_app(url, instance)
    database = app.extensions["impactcheck.db"]
    engine = database.engine
    statements = StatementLog(engine)
    client = log_in(app)
    with engine.connect() as conn:
        m = conn.execute(text("SELECT id FROM municipality WHERE slug = 'default'")).scalar()
        user_id = conn.execute(
            text("SELECT id FROM app_user WHERE username = :u"), {"u": register_fill.CLIMATE_USER}
        ).scalar()
        total = conn.execute(text("SELECT COUNT(*) FROM klimacheck WHERE deleted_at IS NULL")).scalar()
    figures = []
    paged = register_is_paged()
    for case in cases(engine, m, total, user_id):
        figure = Figure(backend, n, case.name)
        figures.append(figure)
        if case.url.startswith("/register") and not paged and n > 1000:
            figure.status = "skipped: old register (loads every revision)"
            continue
        measure_case(case, figure, engine, client, statements, repeat)
        if figure.app_ms is not None:
            log(
                f"  {backend} {n:>7}  {case.name:<11} app {figure.app_ms:8.1f} ms  raw {figure.raw_ms:8.1f} ms  "
                f"ratio {figure.ratio:5.2f}  (page's own SQL {figure.own_ms:.1f} ms: {figure.own_ratio:.2f}×; "
                f"{figure.statements} statements, app SQL {figure.replay_ms:.1f} ms) {figure.status}"
            )
        else:
            log(f"  {backend} {n:>7}  {case.name:<11} {figure.status}")
    database.dispose()
    return figures


# --- exports in a child process ---------------------------------------------------------------

EXPORTS = (("csv", "/register/export.csv"), ("xlsx", "/register/export.xlsx"))


def _rss_kb(field_name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


def export_child(url: str, instance: Path, route: str, out: Path) -> None:
    """In the child: app start, login, baseline RSS; then the export streamed to a file; peak RSS."""
    import resource

    app = make_app(url, instance)
    client = log_in(app)
    client.get("/register").close()  # the app warmed as a server that served a page
    baseline = _rss_kb("VmRSS")
    reset = True
    try:
        Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) from here on
    except OSError:
        reset = False
    start = time.perf_counter()
    response = client.get(route, buffered=False)
    size = 0
    with out.open("wb") as f:
        for chunk in response.response:
            data = chunk.encode() if isinstance(chunk, str) else chunk
            size += len(data)
            f.write(data)
    response.close()
    seconds = time.perf_counter() - start
    peak = _rss_kb("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = {"status": response.status_code, "seconds": seconds, "bytes": size}
    report |= {"baseline_mb": baseline / 1024, "peak_mb": peak / 1024, "reset": reset}
    report["content_type"] = response.headers.get("Content-Type")
    print(json.dumps(report))


def count_rows(fmt: str, path: Path) -> int | None:
    """Data rows of the export (without the header), read without loading it whole."""
    try:
        if fmt == "csv":
            import csv

            with path.open(encoding="utf-8-sig", newline="") as f:
                return sum(1 for _ in csv.reader(f, delimiter=";")) - 1
        with zipfile.ZipFile(path) as z:
            sheet = next(n for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
            count = 0
            tail = b""
            with z.open(sheet) as f:
                while block := f.read(1 << 20):
                    count += (tail + block).count(b"<row ") - tail.count(b"<row ")
                    tail = block[-8:]
            return count - 1
    except (OSError, zipfile.BadZipFile, StopIteration, UnicodeDecodeError):
        return None


@dataclass
class ExportFigure:
    backend: str
    n: int
    fmt: str
    status: str
    seconds: float | None = None
    mb: float | None = None
    rows: int | None = None
    baseline_mb: float | None = None
    peak_mb: float | None = None


def measure_exports(backend: str, n: int, url: str, instance: Path, log) -> list[ExportFigure]:
    figures = []
    for fmt, route in EXPORTS:
        out = instance / f"export-{n}.{fmt}"
        child = subprocess.run(
            [sys.executable, __file__, "--export-child", url, route, str(out), str(instance)],
            capture_output=True,
            text=True,
            timeout=1800,
        )
        lines = [line for line in child.stdout.splitlines() if line.startswith("{")]
        if child.returncode != 0 or not lines:
            figures.append(ExportFigure(backend, n, fmt, f"child failed: {child.stderr.strip()[-300:]}"))
            continue
        r = json.loads(lines[-1])
        if r["status"] == 404:
            figures.append(ExportFigure(backend, n, fmt, "route missing"))
            continue
        rows = count_rows(fmt, out) if r["status"] == 200 else None
        status = "ok" if r["status"] == 200 and rows == n else f"HTTP {r['status']}, {rows} rows"
        f = ExportFigure(backend, n, fmt, status, r["seconds"], r["bytes"] / 1e6, rows, r["baseline_mb"], r["peak_mb"])
        figures.append(f)
        log(
            f"  {backend} {n:>7}  export {fmt:<4}  {f.seconds:6.1f} s  {f.mb:6.1f} MB file  {rows} rows  "
            f"RSS {f.baseline_mb:.0f} → peak {f.peak_mb:.0f} MB  {status}"
        )
        out.unlink(missing_ok=True)
    return figures


# --- output -----------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "–"


def print_tables(figures: list[Figure], exports: list[ExportFigure], fills: list[tuple]) -> None:
    print()
    print("Filling (rows made through the real operations / replicated by bulk INSERT or COPY):")
    for backend, n, report in fills:
        print(
            f"  {backend:<10} {n:>7} checks: {report.through_operations} through operations "
            f"({report.seconds_operations:.1f} s), {report.replicated} replicated ({report.seconds_bulk:.1f} s); "
            f"rows {report.rows}; {report.size_mb:.0f} MB"
        )
    print()
    head = f"{'database':<10} {'checks':>7}  {'page':<11} {'app ms':>9} {'raw ms':>9} {'ratio':>6} "
    head += f"{'app SQL':>9} {'stmts':>5}  {'< 1 s, ≤ 2×':<11} {'own SQL':>8} {'ratio':>6}  status"
    print(head)
    print("-" * len(head))
    for f in figures:
        target = ""
        if f.app_ms is not None and f.raw_ms:
            target = "yes" if f.app_ms < 1000 and f.ratio <= 2 else "NO"
        print(
            f"{f.backend:<10} {f.n:>7}  {f.case:<11} {_ms(f.app_ms):>9} {_ms(f.raw_ms):>9} "
            f"{(f'{f.ratio:.2f}' if f.ratio else '–'):>6} {_ms(f.replay_ms):>9} {f.statements or '–':>5}  "
            f"{target:<11} {_ms(f.own_ms):>8} {(f'{f.own_ratio:.2f}' if f.own_ratio else '–'):>6}  "
            f"{f.status}{'; ' + '; '.join(f.notes) if f.notes else ''}"
        )
    sizes = sorted({f.n for f in figures})
    if len(sizes) > 1:
        print()
        print("Growth of the app's time (× per step; the checks grow " + " → ".join(f"{n:,}" for n in sizes) + "):")
        for backend in sorted({f.backend for f in figures}):
            for case in dict.fromkeys(f.case for f in figures):
                times = {f.n: f.app_ms for f in figures if f.backend == backend and f.case == case and f.app_ms}
                if len(times) < 2:
                    continue
                steps = []
                for a, b in itertools.pairwise(sizes):
                    if a in times and b in times:
                        steps.append(f"{times[b] / times[a]:.1f}× for {b // a}× the checks")
                print(f"  {backend:<10} {case:<11} " + ", ".join(steps))
    if exports:
        print()
        head = f"{'database':<10} {'checks':>7}  {'export':<6} {'seconds':>8} {'file MB':>8} {'rows':>7} "
        head += f"{'RSS start':>9} {'peak':>6} {'growth':>7}  {'< 200 MB':<8} status"
        print(head)
        print("-" * len(head))
        for e in exports:
            grow = e.peak_mb - e.baseline_mb if e.peak_mb is not None else None
            ok = ("yes" if e.peak_mb < 200 else "NO") if e.peak_mb is not None else ""
            print(
                f"{e.backend:<10} {e.n:>7}  {e.fmt:<6} {_ms(e.seconds):>8} {_ms(e.mb):>8} {e.rows or '–':>7} "
                f"{_ms(e.baseline_mb):>9} {_ms(e.peak_mb):>6} {_ms(grow):>7}  {ok:<8} {e.status}"
            )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--export-child":
        url, route, out, instance = sys.argv[2:6]
        export_child(url, Path(instance), route, Path(out))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="numbers of checks, comma-separated")
    parser.add_argument("--postgres", default=os.environ.get("IMPACTCHECK_BENCH_POSTGRES_URL"), metavar="URL")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the databases (their URLs are printed)")
    parser.add_argument(
        "--proposed-indexes", action="store_true", help="add the indexes proposed in PROPOSED_INDEXES before measuring"
    )
    parser.add_argument(
        "--export-sizes", default=None, help="sizes at which to run the exports (default: the largest of --sizes)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    sizes = [int(x.replace("_", "")) for x in args.sizes.split(",") if x.strip()]
    export_sizes = [int(x.replace("_", "")) for x in (args.export_sizes or str(max(sizes))).split(",") if x.strip()]
    backends = ([] if args.no_sqlite else ["sqlite"]) + (["postgresql"] if args.postgres else [])
    if not backends:
        raise SystemExit("nothing to measure: --no-sqlite without --postgres")

    def log(line: str) -> None:
        print(line, flush=True)

    figures, exports, fills = [], [], []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="impactcheck-bench-register-") as tmp:
        instance = Path(tempfile.mkdtemp(prefix="impactcheck-bench-register-")) if args.keep else Path(tmp)
        for backend in backends:
            for n in sizes:
                url, drop = fresh_database(backend, args.postgres, instance, n)
                try:
                    log(f"{backend}, {n:,} checks: filling …")
                    report = register_fill.fill(url, instance, n, seed=args.seed)
                    fills.append((backend, n, report))
                    log(
                        f"  filled in {report.seconds_operations + report.seconds_bulk:.1f} s "
                        f"({report.through_operations} through operations, {report.replicated} replicated)"
                    )
                    if args.proposed_indexes:
                        log(f"  proposed indexes added in {apply_proposed_indexes(url):.1f} s")
                    label = backend + ("+idx" if args.proposed_indexes else "")
                    figures += measure(label, n, url, instance, args.repeat, log)
                    if not args.no_export and n in export_sizes:
                        exports += measure_exports(label, n, url, instance, log)
                finally:
                    if args.keep:
                        log(f"  kept: {url}")
                    else:
                        drop()
    print_tables(figures, exports, fills)
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
