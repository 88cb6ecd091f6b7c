"""Benchmark: the yearly report to the council (impactcheck/report/) for a year with 2,000 checks.

The database is filled by bench/register_fill.py (real operations for one check per example, the rest
replicated by bulk INSERT with what operations would have written), then every check is moved into the
report's year (submission, session and decision dates spread over its days), so the report's annex,
open points and budget cover all of them. Measured in the same run:

- the baseline: python-docx building a document with a table of the same size (rows × 9 columns, the
  cells filled through python-docx's table API) and saving it;
- `build_report` for the year (figures from the database, every chapter, native charts, saved .docx).

Prints the median seconds of each and the ratio; the goal is a report in under 10 s.

    python bench/bench_report.py [--checks 2000] [--repeat 3] [--postgres URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import register_fill  # noqa: E402

YEAR = 2026
COLUMNS = 9  # as the annex


def into_year(url: str) -> int:
    """Move every check's dates into YEAR (keeping each one's order within its own history)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        ids = [row[0] for row in conn.execute(text("SELECT id FROM klimacheck ORDER BY id"))]
        start = dt.datetime(YEAR, 1, 2, 9, 0)
        for i, check_id in enumerate(ids):
            submitted = start + dt.timedelta(days=(i * 7) % 300, minutes=i % 600)
            decided = (submitted + dt.timedelta(days=30)).date()
            params = {"id": check_id, "s": submitted, "d": decided, "r": submitted + dt.timedelta(days=3)}
            conn.execute(
                text(
                    "UPDATE klimacheck SET submitted_at = CASE WHEN submitted_at IS NULL THEN NULL ELSE :s END, "
                    "reviewed_at = CASE WHEN reviewed_at IS NULL THEN NULL ELSE :r END, "
                    "outcome_date = CASE WHEN outcome IS NULL THEN NULL ELSE :d END, meeting_date = :d, "
                    "effective_year = NULL WHERE id = :id"
                ),
                params,
            )
        n = conn.execute(text("SELECT COUNT(*) FROM klimacheck WHERE submitted_at IS NOT NULL")).scalar()
    engine.dispose()
    return int(n)


def baseline(rows: int) -> bytes:
    """python-docx's own way to a document with a table of `rows` × COLUMNS filled cells."""
    import docx

    document = docx.Document()
    document.add_heading("Anhang", level=1)
    table = document.add_table(rows=rows + 1, cols=COLUMNS)
    table.style = "Table Grid"
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row.cells):
            cell.text = f"Zeile {r} Spalte {c}"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def report(url: str) -> bytes:
    from sqlalchemy import select

    from impactcheck.report import build_report
    from impactcheck.store.db import Database
    from impactcheck.store.models import Municipality
    from impactcheck.store.targets import load_target

    rules = ROOT / "impactcheck" / "rules"
    target = load_target(rules / "kommunen" / "kassel" / "ziele" / "klimaziel.yaml", rules_dir=rules)
    database = Database(url)
    try:
        with database.session() as s:
            municipality = s.scalar(select(Municipality).where(Municipality.slug == "default"))
            data = build_report(s, municipality, YEAR, rules_dir=rules, target=target)
            s.rollback()
            return data
    finally:
        database.dispose()


def annex_rows(data: bytes) -> int:
    """Rows of the report's last table (the annex of all checks), without its header."""
    import docx

    return len(docx.Document(io.BytesIO(data)).tables[-1].rows) - 1


def timed(fn, *args) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - start, value


def fresh(backend: str, admin_url: str | None, folder: Path) -> tuple[str, callable]:
    if backend == "sqlite":
        path = folder / "report.sqlite3"
        return f"sqlite:///{path}", lambda: None
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"impactcheck_bench_report_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", default=os.environ.get("IMPACTCHECK_BENCH_POSTGRES_URL"), metavar="URL")
    args = parser.parse_args()
    backends = ["sqlite"] + (["postgresql"] if args.postgres else [])
    with tempfile.TemporaryDirectory(prefix="impactcheck-bench-report-") as tmp:
        for backend in backends:
            url, drop = fresh(backend, args.postgres, Path(tmp))
            try:
                filled = register_fill.fill(url, Path(tmp) / "instance", args.checks, log=lambda *_: None)
                n = into_year(url)
                print(f"{backend}: {n:,} submitted checks in {YEAR} ({filled.through_operations} through operations)")
                first, data = timed(report, url)  # imports and caches paid here
                reports = [timed(report, url)[0] for _ in range(args.repeat)]
                bases = [timed(baseline, n)[0] for _ in range(args.repeat)]
                r, b = statistics.median(reports), statistics.median(bases)
                print(
                    f"  report (first run, imports included): {first:6.2f} s, {len(data) / 1e6:.1f} MB, "
                    f"annex {annex_rows(data):,} rows"
                )
                print(f"  report (median of {args.repeat}):               {r:6.2f} s")
                print(f"  baseline python-docx, table {n:,} × {COLUMNS}:  {b:6.2f} s")
                print(f"  ratio report / baseline:               {r / b:6.2f}   goal: report < 10 s: "
                      f"{'yes' if max(first, r) < 10 else 'NO'}")  # fmt: skip
            finally:
                drop()


if __name__ == "__main__":
    main()
