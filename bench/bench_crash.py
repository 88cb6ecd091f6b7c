"""Crash test: SIGKILL the whole server (master and every worker) in the middle of a load, restart it,
and check that every acknowledged submit is stored and that no check is half-written.

Starts the bench app (bench/bench_app.py, served like `impactcheck serve --workers N`) on a fresh
database, lets N authors start, answer and submit checks (bench_concurrency's flows, with double
clicks), and after --kill-after seconds sends SIGKILL to the server's process group: no worker gets to
finish a request or roll anything back. A client counts a submit as acknowledged when the server
answered the POST with its 302. Then the server is started again on the same database and

  lost         acknowledged submits whose check is not stored as submitted with its Result,
  half-written checks without a revision, revisions not numbered 1..n, a filed revision without its
               Result, verdict or rule set snapshot (rule file and factor table texts by SHA-256),
               current-state columns or sector figures disagreeing with store/current.py, a filed
               revision without its audit entry (or an audit entry without its revision),

must all be 0; and the restarted server must serve a few more checks end to end. Exit status 1 otherwise.

    python bench/bench_crash.py --database-url postgresql+psycopg://user@host/postgres
                                [--workers 4] [--clients 50] [--kill-after 8]
    python bench/bench_crash.py --sqlite     (the same on a SQLite file, one process)
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_concurrency import (  # noqa: E402
    EXIT,
    SCREENING,
    Browser,
    HTTPFailure,
    Planned,
    Stats,
    Unexpected,
    clicks,
    create_authors,
    expect_redirect,
    free_port,
    fresh_database,
    log_in,
    run_client,
    save_step,
    verify,
    version,
)
from bench_load import start_bench_server, stop_server  # noqa: E402


def submit_checks(browser: Browser, index: int, stop: threading.Event, acked: list[str], args) -> None:
    rng = random.Random(args.seed * 1000 + index)
    n = 0
    while not stop.is_set():
        reference = f"CRASH-{index:02d}-{n:04d}"
        n += 1
        try:
            form = browser.page("/klimachecks/neu")
            paper = {
                "reference": reference,
                "title": f"Bericht {reference}",
                "department": "Amt für Statistik",
                "committee": "Haupt- und Finanzausschuss",
                "ruleset": "kassel-2030",
            }
            twice = rng.random() < args.double
            location = expect_redirect(clicks(browser, twice, "/klimachecks/neu", form, paper), "start")
            check_id = int(re.search(r"/klimachecks/(\d+)/", location).group(1))
            path = f"/klimachecks/{check_id}/schritt/vorpruefung"
            location = save_step(browser, browser.stats, rng.random() < args.double, path, SCREENING)
            save_step(browser, browser.stats, rng.random() < args.double, location, EXIT)
            review = browser.page(f"/klimachecks/{check_id}/pruefen")
            twice = rng.random() < args.double
            responses = clicks(
                browser, twice, f"/klimachecks/{check_id}/einreichen", review, {"version": version(review)}
            )
            expect_redirect(responses, "submit", ends=f"/klimachecks/{check_id}")
            acked.append(reference)  # the server said "stored": from here on it must be there
        except (Unexpected, HTTPFailure):
            if not stop.is_set():
                time.sleep(0.05)


def consistency(url: str, acked: list[str]) -> tuple[int, list[str]]:
    """(lost, problems) of the stored checks after the crash."""
    from sqlalchemy import func, select

    from impactcheck.store import current
    from impactcheck.store.db import Database
    from impactcheck.store.models import AuditEntry, Check, CheckSector, RulesetSnapshot

    database = Database(url)
    problems: list[str] = []
    lost = 0
    with database.session() as s:
        snapshots = set(s.scalars(select(RulesetSnapshot.sha256)))
        submits = dict(
            s.execute(
                select(AuditEntry.revision_id, func.count())
                .where(AuditEntry.action == "check.submit")
                .group_by(AuditEntry.revision_id)
            ).all()
        )
        checks = {c.reference: c for c in s.scalars(select(Check).order_by(Check.id))}
        filed_revisions = set()
        for check in checks.values():
            revisions = check.revisions
            if not revisions:
                problems.append(f"{check.reference}: a check without a revision")
                continue
            if [r.number for r in revisions] != list(range(1, len(revisions) + 1)):
                problems.append(f"{check.reference}: revisions numbered {[r.number for r in revisions]}")
            for r in revisions:
                if r.status == "draft":
                    continue
                filed_revisions.add(r.id)
                if not r.result or r.verdict is None or r.submitted_at is None:
                    problems.append(f"{check.reference}: revision {r.number} is {r.status} without its Result")
                if r.ruleset_sha256 not in snapshots or (r.factors_sha256 and r.factors_sha256 not in snapshots):
                    problems.append(f"{check.reference}: revision {r.number} without its rule set snapshot")
                if submits.get(r.id, 0) != 1:
                    problems.append(f"{check.reference}: revision {r.number} has {submits.get(r.id, 0)} submit entries")
            state = current.state_of(check, revisions)
            wrong = {k: (getattr(check, k), v) for k, v in state.items() if getattr(check, k) != v}
            if wrong:
                problems.append(f"{check.reference}: current-state columns disagree: {wrong}")
            filed = current.latest_filed(revisions)
            expected = sorted(
                (f["variant"], f["sector"], f["score"]) for f in current.sector_figures(filed.result if filed else None)
            )
            stored = sorted(
                (f.variant, f.sector, f.score)
                for f in s.scalars(select(CheckSector).where(CheckSector.check_id == check.id))
            )
            if expected != stored:
                problems.append(f"{check.reference}: sector figures disagree with the filed revision")
        orphans = set(submits) - filed_revisions
        if orphans:
            problems.append(f"{len(orphans)} submit audit entries without a filed revision")
        for reference in acked:
            check = checks.get(reference)
            if check is None or not any(r.status == "submitted" and r.result for r in check.revisions):
                lost += 1
                problems.append(f"{reference}: acknowledged, but not stored submitted")
    database.dispose()
    return lost, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server where the user may create databases")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead (one process)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--kill-after", type=float, default=8.0, help="seconds of load before SIGKILL")
    parser.add_argument("--double", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if not args.sqlite and not args.database_url:
        parser.error("--database-url or --sqlite")
    workers = 1 if args.sqlite else args.workers

    with tempfile.TemporaryDirectory(prefix="impactcheck-crash-") as tmp:
        instance = Path(tmp)
        url, drop = fresh_database(None if args.sqlite else args.database_url, instance)
        try:
            create_authors(url, instance, args.clients)
            port = free_port()
            server = start_bench_server(url, instance, port, workers)
            base = f"http://127.0.0.1:{port}"
            browsers = [log_in(base, i, Stats()) for i in range(args.clients)]
            stop = threading.Event()
            acked: list[str] = []
            threads = [
                threading.Thread(target=submit_checks, args=(browsers[i], i, stop, acked, args))
                for i in range(args.clients)
            ]
            for t in threads:
                t.start()
            time.sleep(args.kill_after)
            os.killpg(server.pid, signal.SIGKILL)  # master and all workers at once, mid-request
            killed_at = len(acked)
            server.wait(10)
            stop.set()
            for t in threads:
                t.join(60)
            # Whatever a worker had not committed is gone; the database must be consistent as it is.
            server = start_bench_server(url, instance, port, workers)
            try:
                lost, problems = consistency(url, acked)
                # The restarted server serves: a few more checks end to end, from the same browsers.
                plans = [Planned(f"AFTER-{i:03d}", 1) for i in range(20)]
                stats = Stats()
                runner = argparse.Namespace(seed=args.seed, double=args.double)
                for b in browsers[:5]:
                    b.stats = stats
                again = [
                    threading.Thread(target=run_client, args=(browsers[i], i, plans[i::5], runner, stats, False))
                    for i in range(5)
                ]
                for t in again:
                    t.start()
                for t in again:
                    t.join()
            finally:
                stop_server(server)
            after_lost, after_duplicated, _details = verify(url, plans, ignore="CRASH-")
        finally:
            drop()

    backend = "SQLite, 1 process" if args.sqlite else f"PostgreSQL, {workers} workers"
    print(f"{backend}, {args.clients} clients, SIGKILL after {args.kill_after:.0f} s")
    print(f"acknowledged submits before the kill: {killed_at}")
    print(f"lost: {lost}   half-written or inconsistent: {len(problems) - lost}")
    for line in problems[:20]:
        print(f"  {line}")
    errors = sum(n for status, n in stats.statuses.items() if status >= 500)
    done = sum(p.done for p in plans)
    print(
        f"after the restart: {done} of {len(plans)} checks submitted, lost {after_lost}, "
        f"duplicated {after_duplicated}, 5xx {errors}, other {len(stats.unexpected)}"
    )
    bad = problems or after_lost or after_duplicated or errors or stats.unexpected or done != len(plans)
    bad = bad or killed_at == 0  # a kill before anything was acknowledged proves nothing
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
