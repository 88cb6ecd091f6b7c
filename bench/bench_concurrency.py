"""Benchmark: N authors submit checks at the same time against a real server, with double clicks mixed in.

Starts `impactcheck serve` (waitress with 8 threads, as in production) on a free loopback port with a
fresh database – SQLite in a temporary instance folder, or with --database-url a new database on that
PostgreSQL server (dropped afterwards) – creates one author account per client, and lets the clients
(threads) each start, answer and submit their share of the checks the way a browser does: the form's
CSRF token and version, the redirects. A share of the clicks (--double) is sent twice at the same moment
from the same browser – start, step saves, submit – and a share of the checks (--revise) is revised once
more after submitting ("Neue Revision", also double-clicked at that rate, and submitted again).

What a double click must give: start → both get the same draft; a step save → one saves, the other gets
the conflict page; submit → both land on the submitted result; new revision → both get the draft. The
database is compared with what the clients did, and the script prints

  lost        checks a client submitted that are not stored submitted with their answers,
  duplicated  checks, revisions or submit entries beyond what the clients made,
  5xx         responses with a server error (and, separately, any other answer outside the contract),

and the latency (p50/p95) of the pages and form posts against a baseline measured in the same run on
the same server: GET /healthz (one database round trip, no page), alone before the load (idle) and
interleaved with it (loaded). The machines are shared and noisy; the ratios are what to compare.

    python bench/bench_concurrency.py [--clients 50] [--checks 2000] [--double 0.1] [--revise 0.1]
                                      [--database-url postgresql+psycopg://user@host/postgres]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import requests
import urllib3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-passwort-lang"
# A concrete measure touching none of the topics: the screening exits, the reason page, the review.
from tests.web.flows import SCREEN_NO as SCREENING  # noqa: E402  (read from the rule set)

EXIT = {"exit_reason": "information", "exit_explanation": "Die Vorlage berichtet nur."}
CONFLICT = "an anderer Stelle geändert"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
ID_IN_PATH = re.compile(r"/\d+(?=/|$)")
VERSION = re.compile(r'name="version"[^>]*value="(-?\d+)"|value="(-?\d+)"[^>]*name="version"')


class Unexpected(Exception):
    """An answer outside the contract; the client gives up this check (the database decides if it is lost)."""


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"page": [], "post": [], "healthz": []})
    statuses: Counter = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    doubles: Counter = field(default_factory=Counter)
    by_route: dict[str, list[float]] = field(default_factory=dict)  # "POST /klimachecks/N/einreichen": seconds
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, status: int, route: str | None = None) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[status] += 1
            if route is not None:
                self.by_route.setdefault(route, []).append(seconds)

    def fail(self, message: str) -> None:
        with self.lock:
            self.unexpected.append(message)


@dataclass
class Planned:
    reference: str
    revisions: int  # how many submitted revisions the client made
    done: bool = False


# What a browser accepts (every encoding urllib3 can decode here: gzip, deflate, br, zstd), so the server
# compresses as it does for browsers.
ACCEPT_ENCODING = urllib3.util.make_headers(accept_encoding=True)
# What a failed request raises (refused or reset connection, timeout).
HTTPFailure = urllib3.exceptions.HTTPError


@dataclass
class Reply:
    status_code: int
    headers: urllib3.HTTPHeaderDict
    text: str


class Http:
    """A browser's connection and cookies, on urllib3 alone. The clients run on the machine they
    measure: requests cost 0.56 ms of CPU per call against urllib3's 0.29 ms (proxy and .netrc look-ups
    in the environment, cookie jar, hooks), CPU the server under test did not get."""

    def __init__(self, base: str, cookies: dict[str, str] | None = None):
        self.address = urllib3.util.parse_url(base)
        self.pool = self._pool()
        self.cookies = dict(cookies or {})

    def _pool(self) -> urllib3.HTTPConnectionPool:
        return urllib3.HTTPConnectionPool(self.address.host, self.address.port, maxsize=1, retries=False, timeout=300)

    def request(self, method: str, path: str, data: dict | None = None) -> Reply:
        headers = dict(ACCEPT_ENCODING)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        r = self.pool.request(method, path, body=body, headers=headers, redirect=False)
        for cookie in r.headers.getlist("Set-Cookie"):
            self._keep(cookie)
        return Reply(r.status, r.headers, r.data.decode("utf-8", "replace"))

    def _keep(self, cookie: str) -> None:
        pair, *attributes = cookie.split(";")
        name, _, value = pair.strip().partition("=")
        gone = any(a.strip().lower() in ("max-age=0", "expires=thu, 01 jan 1970 00:00:00 gmt") for a in attributes)
        if gone or not value:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    def close(self) -> None:
        """Drop the kept connection; the next request opens a new one (the cookies stay)."""
        self.pool.close()
        self.pool = self._pool()


class Browser:
    def __init__(self, base: str, stats: Stats, http: Http | None = None):
        self.base = base
        self.stats = stats
        self.http = http or Http(base)

    def _send(self, kind: str, method: str, path: str, data: dict | None = None) -> Reply:
        start = time.perf_counter()
        response = self.http.request(method, path, data)
        route = method + " " + ID_IN_PATH.sub("/N", path.split("?")[0])
        self.stats.record(kind, time.perf_counter() - start, response.status_code, route)
        return response

    def page(self, path: str) -> str:
        response = self._send("page", "GET", path)
        if response.status_code != 200:
            raise Unexpected(f"GET {path}: {response.status_code}")
        return response.text

    def post(self, path: str, html: str, data: dict) -> Reply:
        m = TOKEN.search(html)
        if not m:
            raise Unexpected(f"no CSRF token on the page before POST {path}")
        return self._send("post", "POST", path, data={"csrf_token": m.group(1) or m.group(2), **data})

    def healthz(self) -> None:
        self._send("healthz", "GET", "/healthz")

    def twin(self) -> Browser:
        """The same browser (its cookies) on a second connection: the second click of a double click."""
        return Browser(self.base, self.stats, Http(self.base, self.http.cookies))


def version(html: str) -> str:
    m = VERSION.search(html)
    if not m:
        raise Unexpected("no version on the page")
    return m.group(1) or m.group(2)


def clicks(browser: Browser, twice: bool, path: str, html: str, data: dict) -> list[Reply]:
    """POST once, or twice at the same moment from the same browser."""
    if not twice:
        return [browser.post(path, html, data)]
    twin = browser.twin()
    barrier = threading.Barrier(2)
    out: list = [None, None]

    def send(i: int, b: Browser) -> None:
        barrier.wait()
        try:
            out[i] = b.post(path, html, data)
        except HTTPFailure as exc:  # counted below as unexpected
            out[i] = exc

    other = threading.Thread(target=send, args=(1, twin))
    other.start()
    send(0, browser)
    other.join()
    for r in out:
        if isinstance(r, Exception):
            raise Unexpected(f"POST {path}: {type(r).__name__}")
    return out


def expect_redirect(responses: list[Reply], what: str, ends: str | None = None) -> str:
    locations = set()
    for r in responses:
        if r.status_code != 302:
            raise Unexpected(f"{what}: {r.status_code}")
        locations.add(r.headers["Location"])
    if len(locations) != 1:
        raise Unexpected(f"{what}: the two clicks went to different pages {sorted(locations)}")
    location = locations.pop()
    if ends and not location.endswith(ends):
        raise Unexpected(f"{what}: redirected to {location}")
    return location


def save_step(browser: Browser, stats: Stats, twice: bool, path: str, data: dict) -> str:
    """A step save; a double click gives one save and one conflict page. Returns the next page."""
    html = browser.page(path)
    responses = clicks(browser, twice, path, html, {**data, "version": version(html), "action": "next"})
    if twice:
        stats.doubles["step"] += 1
        saved = [r for r in responses if r.status_code == 302]
        refused = [r for r in responses if r.status_code == 200 and CONFLICT in r.text]
        if len(saved) != 1 or len(refused) != 1:
            raise Unexpected(f"double save of {path}: {[r.status_code for r in responses]}")
        return saved[0].headers["Location"]
    return expect_redirect(responses, f"save {path}")


def answer_and_submit(browser: Browser, stats: Stats, rng: random.Random, p: float, check_id: int) -> None:
    location = save_step(browser, stats, rng.random() < p, f"/klimachecks/{check_id}/schritt/vorpruefung", SCREENING)
    if not location.endswith("/schritt/exit"):
        raise Unexpected(f"after the screening: {location}")
    location = save_step(browser, stats, rng.random() < p, location, EXIT)
    review = browser.page(f"/klimachecks/{check_id}/pruefen")
    twice = rng.random() < p
    stats.doubles["submit"] += twice
    responses = clicks(browser, twice, f"/klimachecks/{check_id}/einreichen", review, {"version": version(review)})
    expect_redirect(responses, "submit", ends=f"/klimachecks/{check_id}")
    if "eingereicht" not in browser.page(f"/klimachecks/{check_id}"):
        raise Unexpected("the result page does not say the check is submitted")


def one_check(browser: Browser, stats: Stats, rng: random.Random, args, plan: Planned) -> None:
    form = browser.page("/klimachecks/neu")
    paper = {
        "reference": plan.reference,
        "title": f"Bericht {plan.reference} zur Kenntnisnahme",
        "department": "Amt für Statistik",
        "committee": "Haupt- und Finanzausschuss",
        "ruleset": "kassel-2030",
    }
    twice = rng.random() < args.double
    stats.doubles["start"] += twice
    location = expect_redirect(clicks(browser, twice, "/klimachecks/neu", form, paper), "start")
    check_id = int(re.search(r"/klimachecks/(\d+)/", location).group(1))
    answer_and_submit(browser, stats, rng, args.double, check_id)
    if plan.revisions > 1:
        result = browser.page(f"/klimachecks/{check_id}")
        twice = rng.random() < args.double
        stats.doubles["new_revision"] += twice
        responses = clicks(browser, twice, f"/klimachecks/{check_id}/neue-revision", result, {})
        expect_redirect(responses, "new revision", ends=f"/klimachecks/{check_id}/pruefen")
        answer_and_submit(browser, stats, rng, args.double, check_id)
    plan.done = True


def log_in(base: str, index: int, stats: Stats) -> Browser:
    browser = Browser(base, stats)
    login = browser.page("/login")
    response = browser.post("/login", login, {"username": f"autor{index:02d}", "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"author {index} could not log in: {response.status_code}")
    return browser


def run_client(browser: Browser, index: int, plans: list[Planned], args, stats: Stats, healthz: bool = True) -> None:
    rng = random.Random(args.seed * 1000 + index)
    for plan in plans:
        try:
            one_check(browser, stats, rng, args, plan)
        except Unexpected as exc:
            stats.fail(f"{plan.reference}: {exc}")
        except HTTPFailure as exc:
            stats.fail(f"{plan.reference}: {type(exc).__name__}: {exc}")
        if healthz:
            browser.healthz()  # the baseline under the same load


# --- the server and its database --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_database(admin_url: str | None, instance: Path) -> tuple[str, Callable[[], None]]:
    """(URL of an empty database, function that removes it)."""
    if admin_url is None:
        return f"sqlite:///{instance / 'bench.sqlite3'}", lambda: None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"impactcheck_bench_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def create_authors(url: str, instance: Path, n: int) -> None:
    from impactcheck.bootstrap import prepare
    from impactcheck.store import operations as ops
    from impactcheck.store.models import Municipality

    config = {
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(instance),
        "MUNICIPALITY_SLUG": "default",
        "MUNICIPALITY_NAME": None,
        "DEFAULT_RULESET": "kassel-2030",
        "RULESETS": None,
        "RULES_DIR": None,
    }
    prepared = prepare(config, create_admin=False)
    with prepared.database.session() as s:
        municipality = s.get(Municipality, prepared.municipality_id)
        for i in range(n):
            ops.create_user(
                s, None, municipality=municipality, username=f"autor{i:02d}", password=PASSWORD, role="author"
            )
        s.commit()
    prepared.database.dispose()


def start_server(url: str, instance: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "IMPACTCHECK_INSTANCE": str(instance),
        "IMPACTCHECK_DATABASE_URL": url,
        "PYTHONPATH": str(ROOT),
    }
    log = (instance / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "impactcheck", "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=instance,
    )
    return wait_until_serving(server, port, instance, 60, server.terminate)


def wait_until_serving(server: subprocess.Popen, port: int, instance: Path, seconds: float, stop) -> subprocess.Popen:
    """`server` once /healthz answers; if it ends or stays silent for `seconds`, stop it and say so."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server ended at start:\n{(instance / 'server.log').read_text()[-3000:]}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.2)
    stop()
    raise SystemExit(f"the server did not answer within {seconds:.0f} s")


def verify(url: str, plans: list[Planned], ignore: str | None = None) -> tuple[int, int, list[str]]:
    """(lost, duplicated, details) from the database, against what the clients did (checks whose
    reference starts with `ignore` were made by something else, e.g. a measuring phase)."""
    from sqlalchemy import func, select

    from impactcheck.store.db import Database
    from impactcheck.store.models import AuditEntry, Check

    database = Database(url)
    lost = duplicated = 0
    details = []
    with database.session() as s:
        by_reference: dict[str, list[Check]] = {}
        for check in s.scalars(select(Check).order_by(Check.id)):
            by_reference.setdefault(check.reference, []).append(check)
        submitted = select(AuditEntry.check_id, func.count()).where(AuditEntry.action == "check.submit")
        submits = dict(s.execute(submitted.group_by(AuditEntry.check_id)).all())
        planned = {p.reference for p in plans}
        for reference in set(by_reference) - planned:
            if ignore and reference.startswith(ignore):
                continue
            duplicated += len(by_reference[reference])
            details.append(f"{reference}: stored, but no client started it")
        for plan in plans:
            checks = by_reference.get(plan.reference, [])
            if len(checks) > 1:
                duplicated += len(checks) - 1
                details.append(f"{plan.reference}: {len(checks)} checks")
            if not checks:
                if plan.done:
                    lost += 1
                    details.append(f"{plan.reference}: submitted by the client, not stored")
                continue
            check = checks[0]
            revisions = check.revisions
            extra = max(0, len(revisions) - plan.revisions) + max(0, submits.get(check.id, 0) - plan.revisions)
            if extra:
                duplicated += extra
                details.append(f"{plan.reference}: {len(revisions)} revisions, {submits.get(check.id, 0)} submits")
            stored = [
                r
                for r in revisions
                if r.status == "submitted" and r.answers.get("exit_reason") == "information" and r.result
            ]
            if plan.done and len(stored) < plan.revisions:
                lost += 1
                details.append(f"{plan.reference}: {len(stored)} of {plan.revisions} revisions stored submitted")
    database.dispose()
    return lost, duplicated, details


def quantiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return (values[0] if values else float("nan"),) * 2
    q = statistics.quantiles(values, n=100, method="inclusive")
    return q[49], q[94]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--checks", type=int, default=2000, help="checks in total (e.g. 200 for a quick run)")
    parser.add_argument("--double", type=float, default=0.1, help="share of clicks sent twice at once")
    parser.add_argument("--revise", type=float, default=0.1, help="share of checks revised and submitted again")
    parser.add_argument("--database-url", help="a PostgreSQL server where the user may create databases")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="impactcheck-bench-") as tmp:
        instance = Path(tmp)
        url, drop = fresh_database(args.database_url, instance)
        try:
            create_authors(url, instance, args.clients)
            port = free_port()
            server = start_server(url, instance, port)
            base = f"http://127.0.0.1:{port}"
            try:
                stats = Stats()
                idle = Browser(base, Stats())
                for _ in range(200):
                    idle.healthz()
                rng = random.Random(args.seed)
                plans = [Planned(f"BENCH-{i:05d}", 2 if rng.random() < args.revise else 1) for i in range(args.checks)]
                shares = [plans[i :: args.clients] for i in range(args.clients)]
                # Authors log in one after another (as they do in the morning), then all work at once.
                browsers = [log_in(base, i, Stats()) for i in range(args.clients)]
                for browser in browsers:
                    browser.stats = stats
                threads = [
                    threading.Thread(target=run_client, args=(browsers[i], i, shares[i], args, stats))
                    for i in range(args.clients)
                ]
                started = time.perf_counter()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                elapsed = time.perf_counter() - started
            finally:
                server.terminate()
                server.wait(30)
            lost, duplicated, details = verify(url, plans)
        finally:
            drop()

    backend = "PostgreSQL" if args.database_url else "SQLite"
    errors = sum(n for status, n in stats.statuses.items() if status >= 500)
    requests_sent = sum(stats.statuses.values())
    revised = sum(p.revisions > 1 for p in plans)
    print(
        f"{backend}, {args.clients} clients, {args.checks} checks ({revised} revised and submitted again), "
        f"{requests_sent} requests in {elapsed:.1f} s ({args.checks / elapsed:.1f} checks/s)"
    )
    print("double clicks: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.doubles.items())))
    print(f"lost: {lost}   duplicated: {duplicated}   5xx: {errors}   other unexpected: {len(stats.unexpected)}")
    print("statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(stats.statuses.items())))
    # The same failure on many checks is one line, with its count (check ids in paths made alike).
    kinds = Counter(re.sub(r"(?<=/)\d+", "N", line.split(": ", 1)[1]) for line in details + stats.unexpected)
    for kind, n in kinds.most_common(12):
        print(f"  {n:5d} × {kind}")
    idle_p50, idle_p95 = quantiles(idle.stats.latencies["healthz"])
    base_p50, base_p95 = quantiles(stats.latencies["healthz"])
    print(f"baseline GET /healthz idle:   p50 {idle_p50 * 1000:7.1f} ms   p95 {idle_p95 * 1000:7.1f} ms")
    print(f"baseline GET /healthz loaded: p50 {base_p50 * 1000:7.1f} ms   p95 {base_p95 * 1000:7.1f} ms")
    for kind, label in (("page", "pages (GET)"), ("post", "form posts")):
        p50, p95 = quantiles(stats.latencies[kind])
        print(
            f"{label:<29} p50 {p50 * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms   "
            f"ratio to loaded baseline: p50 {p50 / base_p50:.1f}, p95 {p95 / base_p95:.1f}"
        )
    sys.exit(1 if lost or duplicated or errors or stats.unexpected else 0)


if __name__ == "__main__":
    main()
