"""Load benchmark: 50 concurrent authors completing 2,000 checks end to end through HTTP.

For each server set-up – SQLite with one process (waitress), PostgreSQL with one process (waitress) and
PostgreSQL with 4 worker processes (gunicorn) – it starts the bench app (bench/bench_app.py: the
product's app factory plus one bench-only route, served by impactcheck.serving exactly as `impactcheck
serve` serves the product) on a fresh database and measures, in the same run on the same server:

  baseline  POST /bench/baseline from all clients at once: one row and one audit row per request,
            the floor for anything that writes (requests/s, p50/p95);
  step      a wizard step from all clients at once: GET the screening step, POST its answers (each
            client on its own draft), requests/s and p50/p95, and its ratio to the baseline;
  load      the clients start, answer and submit their share of the checks as browsers do
            (bench_concurrency's flows: CSRF tokens, versions, 10 % double clicks, 10 % revised and
            submitted again); checks/s, p50/p95 per request, and their ratio to the baseline.

Then the database is compared with what the clients did: lost, duplicated and 5xx must be 0 (exit 1
otherwise). The machines are shared and noisy: the ratios against the baseline are what to compare.

    python bench/bench_load.py [--setups sqlite,pg1,pg4] [--clients 50] [--checks 2000] [--rounds 3]
                               [--database-url postgresql+psycopg://user@host/postgres]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_concurrency import (  # noqa: E402
    SCREENING,
    Browser,
    Http,
    HTTPFailure,
    Planned,
    Stats,
    Unexpected,
    create_authors,
    expect_redirect,
    free_port,
    fresh_database,
    log_in,
    quantiles,
    run_client,
    verify,
    version,
    wait_until_serving,
)

SETUPS = {"sqlite": ("SQLite", 1), "pg1": ("PostgreSQL", 1), "pg4": ("PostgreSQL", 4)}
STEP = "/klimachecks/{}/schritt/vorpruefung"


def start_bench_server(
    url: str, instance: Path, port: int, workers: int, threads: int | None = None
) -> subprocess.Popen:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("IMPACTCHECK_")},
        "IMPACTCHECK_INSTANCE": str(instance),
        "IMPACTCHECK_DATABASE_URL": url,
        "PYTHONPATH": str(ROOT),
    }
    log = (instance / "server.log").open("a")
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "bench_app.py"), "--port", str(port), "--workers", str(workers)]
        + (["--threads", str(threads)] if threads else []),
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=instance,
        start_new_session=True,  # its own process group: master and workers can be signalled together
    )
    return wait_until_serving(server, port, instance, 90, lambda: os.killpg(server.pid, signal.SIGKILL))


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)


@dataclass
class Phase:
    requests: int
    seconds: float
    p50: float
    p95: float
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def together(n: int, work) -> float:
    """Run work(i) in n threads started at the same moment; returns the wall time."""
    barrier = threading.Barrier(n + 1)

    def run(i: int) -> None:
        barrier.wait()
        work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def baseline_phase(base: str, clients: int, total: int) -> Phase:
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    per_client = max(1, total // clients)

    def work(i: int) -> None:
        http = Http(base)  # the same client as the step's and the load's (bench_concurrency.Http)
        for _ in range(per_client):
            start = time.perf_counter()
            try:
                r = http.request("POST", "/bench/baseline")
            except HTTPFailure:
                errors[i] += 1
                continue
            latencies[i].append(time.perf_counter() - start)
            errors[i] += r.status_code != 200
        http.close()

    seconds = together(clients, work)
    flat = [x for xs in latencies for x in xs]
    return Phase(len(flat), seconds, *quantiles(flat), sum(errors))


def step_drafts(browsers: list[Browser]) -> list[int]:
    """One draft per client, for the step phase (references STEP-…, left out of the verification)."""
    drafts = []
    for b in browsers:
        form = b.page("/klimachecks/neu")
        paper = {
            "reference": f"STEP-{len(drafts):03d}",
            "title": "Schrittmessung",
            "department": "Amt für Statistik",
            "committee": "Haupt- und Finanzausschuss",
            "ruleset": "kassel-2030",
        }
        location = expect_redirect([b.post("/klimachecks/neu", form, paper)], "start")
        drafts.append(int(re.search(r"/klimachecks/(\d+)/", location).group(1)))
    return drafts


def step_phase(browsers: list[Browser], drafts: list[int], clients: int, total: int) -> Phase:
    """Each client saves the screening step of its own draft, over and over: GET the page, POST it."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    rounds = max(1, total // clients // 2)

    def work(i: int) -> None:
        browser = Browser(browsers[i].base, Stats(), browsers[i].http)
        path = STEP.format(drafts[i])
        for _ in range(rounds):
            try:
                html = browser.page(path)
                r = browser.post(path, html, {**SCREENING, "version": version(html), "action": "next"})
                errors[i] += r.status_code != 302
            except (Unexpected, HTTPFailure):
                errors[i] += 1
        latencies[i] = browser.stats.latencies["page"] + browser.stats.latencies["post"]

    seconds = together(clients, work)
    flat = [x for xs in latencies for x in xs]
    return Phase(len(flat), seconds, *quantiles(flat), sum(errors))


def run_setup(name: str, args) -> tuple[dict, bool]:
    backend, workers = SETUPS[name]
    admin_url = args.database_url if backend == "PostgreSQL" else None
    if backend == "PostgreSQL" and not admin_url:
        raise SystemExit(f"{name}: --database-url (a PostgreSQL server) is needed")
    with tempfile.TemporaryDirectory(prefix="impactcheck-load-") as tmp:
        instance = Path(tmp)
        url, drop = fresh_database(admin_url, instance)
        try:
            create_authors(url, instance, args.clients)
            port = free_port()
            server = start_bench_server(url, instance, port, workers, args.threads)
            base = f"http://127.0.0.1:{port}"
            try:
                browsers = [log_in(base, i, Stats()) for i in range(args.clients)]
                drafts = step_drafts(browsers)
                # Baseline and step in turns, --rounds times: the machine's noise (other load, frequency)
                # then hits both alike, and the median round is reported.
                rounds = []
                for _ in range(args.rounds):
                    baseline = baseline_phase(base, args.clients, args.checks)
                    rounds.append((baseline, step_phase(browsers, drafts, args.clients, args.checks)))
                baseline, step = sorted(rounds, key=lambda r: r[1].rate / r[0].rate)[len(rounds) // 2]
                rng = random.Random(args.seed)
                plans = [Planned(f"LOAD-{i:05d}", 2 if rng.random() < args.revise else 1) for i in range(args.checks)]
                shares = [plans[i :: args.clients] for i in range(args.clients)]
                stats = Stats()
                for b in browsers:
                    b.stats = stats
                    # Idle since the step phase, longer than the server's keep-alive (5 s): a connection
                    # kept from then may be closed under the first request (a reset, not the app's doing).
                    b.http.close()
                seconds = together(
                    args.clients, lambda i: run_client(browsers[i], i, shares[i], args, stats, healthz=False)
                )
            finally:
                stop_server(server)
            lost, duplicated, details = verify(url, plans, ignore="STEP-")
        finally:
            drop()
    every = stats.latencies["page"] + stats.latencies["post"]
    p50, p95 = quantiles(every)
    errors = sum(n for status, n in stats.statuses.items() if status >= 500)
    row = {
        "setup": f"{backend}, {workers} process{'es' if workers > 1 else ''}",
        "baseline": baseline,
        "step": step,
        "ratios": [st.rate / b.rate for b, st in rounds],
        "checks_per_s": args.checks / seconds,
        "requests": len(every),
        "seconds": seconds,
        "p50": p50,
        "p95": p95,
        "page": quantiles(stats.latencies["page"]),
        "post": quantiles(stats.latencies["post"]),
        "routes": stats.by_route,
        "lost": lost,
        "duplicated": duplicated,
        "5xx": errors + baseline.errors + step.errors,
        "unexpected": stats.unexpected + details,
    }
    ok = not (lost or duplicated or row["5xx"] or stats.unexpected)
    return row, ok


def report(row: dict) -> None:
    b, s = row["baseline"], row["step"]
    print(f"\n== {row['setup']} ==")
    print(
        f"baseline POST /bench/baseline: {b.rate:7.1f} req/s   p50 {b.p50 * 1000:6.1f} ms   p95 {b.p95 * 1000:6.1f} ms"
    )
    print(
        f"wizard step (GET+POST):        {s.rate:7.1f} req/s   p50 {s.p50 * 1000:6.1f} ms   p95 {s.p95 * 1000:6.1f} ms"
        f"   throughput ratio step/baseline {s.rate / b.rate:.0%}"
    )
    if len(row["ratios"]) > 1:
        print(f"  (median of {len(row['ratios'])} rounds in turns: {', '.join(f'{r:.0%}' for r in row['ratios'])})")
    load_rate = row["requests"] / row["seconds"]
    print(
        f"load: {row['checks_per_s']:.1f} checks/s, {row['requests']} requests in {row['seconds']:.1f} s "
        f"({load_rate:.1f} req/s, {load_rate / b.rate:.0%} of the baseline's rate)"
    )
    for label, (p50, p95) in (
        ("per request", (row["p50"], row["p95"])),
        ("pages", row["page"]),
        ("posts", row["post"]),
    ):
        print(
            f"  {label:<12} p50 {p50 * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   "
            f"(×{p50 / b.p50:.1f} / ×{p95 / b.p95:.1f} the baseline's)"
        )
    for route, values in sorted(row["routes"].items(), key=lambda kv: -quantiles(kv[1])[1])[:6]:
        r50, r95 = quantiles(values)
        print(f"    {route:<44} n {len(values):5d}   p50 {r50 * 1000:6.1f} ms   p95 {r95 * 1000:6.1f} ms")
    print(f"  lost {row['lost']}   duplicated {row['duplicated']}   5xx {row['5xx']}   other {len(row['unexpected'])}")
    for line in row["unexpected"][:10]:
        print(f"    {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setups", default="sqlite,pg1,pg4", help="comma-separated: " + ", ".join(SETUPS))
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--double", type=float, default=0.1, help="share of clicks sent twice at once")
    parser.add_argument("--revise", type=float, default=0.1, help="share of checks revised and submitted again")
    parser.add_argument("--database-url", help="a PostgreSQL server where the user may create databases")
    parser.add_argument("--threads", type=int, help="threads per process (default: as `impactcheck serve`)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--rounds", type=int, default=3, help="baseline and step phases in turns, median reported")
    args = parser.parse_args()
    ok = True
    print(f"{args.clients} clients, {args.checks} checks, {os.cpu_count()} CPUs (clients on the same machine)")
    for name in args.setups.split(","):
        row, fine = run_setup(name.strip(), args)
        report(row)
        ok &= fine
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
