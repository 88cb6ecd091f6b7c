"""Benchmark: the climate budget (store/budget.py) for a municipality with 2,000 to 20,000 checks.

The database is filled by bench/register_fill.py (real operations for one check per example, the rest
replicated by bulk INSERT with what operations would have written; about half of them have a recorded
outcome that adopts a variant). Measured in the same run, on the same engine, interleaved:

- the baseline: the naive way – every adopted check with its filed revision's whole stored Result
  (the JSON column), decoded in Python, the yearly and one-off lines summed per sector and year;
- `budget.budget` against Kassel's target (one statement: the emissions part by JSON path).

Prints the median seconds of each, the ratio budget / baseline and the SQL statements `budget` sent.

    python bench/bench_budget.py [--sizes 2000,20000] [--repeat 5] [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
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
from sqlalchemy import event, text  # noqa: E402

from impactcheck.store import budget as budgets  # noqa: E402
from impactcheck.store.current import ADOPTED_VARIANT  # noqa: E402
from impactcheck.store.db import Database  # noqa: E402
from impactcheck.store.targets import load_target  # noqa: E402

RULES = ROOT / "impactcheck" / "rules"


def naive(s, municipality_id: int, target) -> dict[int, dict[str, float]]:
    """Whole results decoded in Python: what the budget would cost without the JSON path."""
    outcomes = ", ".join(f"'{o}'" for o in ADOPTED_VARIANT)
    rows = s.execute(
        text(
            "SELECT k.outcome, k.effective_year, k.outcome_date, r.result FROM klimacheck k "
            "JOIN revision r ON r.check_id = k.id AND r.number = k.filed_number "
            f"WHERE k.municipality_id = :m AND k.deleted_at IS NULL AND k.outcome IN ({outcomes})"
        ),
        {"m": municipality_id},
    )
    years: dict[int, dict[str, float]] = {}
    for outcome, effective, decided, result in rows:
        result = json.loads(result) if isinstance(result, str) else result
        part = result.get("alternative") if ADOPTED_VARIANT[outcome] == "alternative" else result
        emissions = (part or {}).get("emissions") or {}
        start = effective or (decided.year if hasattr(decided, "year") else int(str(decided)[:4]))
        life = int(emissions.get("lifetime_years") or 0)
        for line in emissions.get("lines") or []:
            if line.get("counts") is False:
                continue
            sector = target.sector_of(line.get("sector"))
            if line.get("per") == "once":
                year = years.setdefault(start, {})
                year[sector] = year.get(sector, 0.0) + (line.get("t_co2e_once") or 0.0)
            else:
                for y in range(start, start + life):
                    year = years.setdefault(y, {})
                    year[sector] = year.get(sector, 0.0) + (line.get("t_co2e_per_year") or 0.0)
    return years


def run(url: str, n: int, repeat: int, folder: Path) -> None:
    report = register_fill.fill(url, folder / f"i{n}", n, log=lambda *_: None)
    target = load_target(RULES / "kommunen" / "kassel" / "ziele" / "klimaziel.yaml", rules_dir=RULES)
    database = Database(url)
    try:
        with database.session() as s:
            municipality_id = s.scalar(text("SELECT id FROM municipality WHERE slug = 'default'"))
            adopted = s.scalar(
                text(
                    "SELECT COUNT(*) FROM klimacheck "
                    "WHERE outcome IN ('adopted', 'adopted_changed', 'adopted_alternative')"
                )
            )
            statements: list[str] = []
            engine = s.get_bind()

            def count(*args):
                statements.append(args[2])

            times_app, times_base = [], []
            for i in range(repeat):
                t0 = time.perf_counter()
                naive(s, municipality_id, target)
                times_base.append(time.perf_counter() - t0)
                s.rollback()
                if i == 0:
                    event.listen(engine, "before_cursor_execute", count)
                t0 = time.perf_counter()
                result = budgets.budget(s, municipality_id, target)
                times_app.append(time.perf_counter() - t0)
                if i == 0:
                    event.remove(engine, "before_cursor_execute", count)
                s.rollback()
    finally:
        database.dispose()
    app, base = statistics.median(times_app), statistics.median(times_base)
    print(
        f"{engine.dialect.name:10s} checks={report.n:6d} adopted={adopted:6d} decisions={len(result.decisions):6d} "
        f"ohne Zahlen={len(result.without_numbers):5d}  budget {app:6.3f} s  baseline {base:6.3f} s  "
        f"ratio {app / base:4.2f}  SQL statements {len(statements)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", default=os.environ.get("IMPACTCHECK_BENCH_POSTGRES_URL"))
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in sizes:
            run(f"sqlite:///{folder / f'budget{n}.sqlite3'}", n, args.repeat, folder)
        if args.postgres:
            import uuid

            from sqlalchemy import create_engine
            from sqlalchemy.engine import make_url

            admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
            for n in sizes:
                name = f"impactcheck_bench_budget_{uuid.uuid4().hex[:8]}"
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                try:
                    url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
                    run(url, n, args.repeat, folder)
                finally:
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
