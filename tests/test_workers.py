"""`impactcheck serve --workers N`: a real gunicorn master with worker processes on loopback.

Failed logins sent to both workers add up to one limit, the limit survives a restart of the whole
server, and the right password works once the wait is over – on a SQLite file and on PostgreSQL.
Which worker answered is read from the access log (`--access-log` names the worker's process id); a
worker is kept busy on purpose by a request whose headers are not finished yet, so that the next
requests must go to the other one (gunicorn's sync worker, `--threads 1`, serves one at a time).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from impactcheck import serving
from tests.support import ROOT, require, scratch_postgres_database

PASSWORD = "richtig-langes-passwort"
FREE = 4  # failures per address before the first wait (LOGIN_FREE_FAILURES)
WAIT = 12  # seconds of that wait (LOGIN_FIRST_WAIT_SECONDS): longer than a restart, even on a loaded machine
SERVE_OPTIONS = ["--workers", "2", "--threads", "1", "--access-log"]
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'workers.sqlite3'}"
        return
    url, drop = scratch_postgres_database("impactcheck_workers")
    yield url
    drop()


def _with_author(url: str, instance: Path) -> None:
    from impactcheck.bootstrap import prepare
    from impactcheck.store import operations as ops
    from impactcheck.store.models import Municipality
    from tests.web.conftest import _config

    config = _config(url, instance)
    previous, ops.PASSWORD_METHOD = ops.PASSWORD_METHOD, "pbkdf2:sha256:1000"  # a cheap hash: a fast test
    try:
        prepared = prepare(config, create_admin=False)
        with prepared.database.session() as s:
            municipality = s.get(Municipality, prepared.municipality_id)
            ops.create_user(s, None, municipality=municipality, username="anna", password=PASSWORD, role="author")
            s.commit()
        prepared.database.dispose()
    finally:
        ops.PASSWORD_METHOD = previous


class Server:
    """`python -m impactcheck serve --workers 2 --threads 1 --access-log`, started and stopped by the test."""

    def __init__(self, url: str, instance: Path):
        self.url, self.instance = url, instance
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log_path = instance / "server.log"

    def env(self) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith("IMPACTCHECK_")}
        return {
            **keep,
            "PYTHONPATH": str(ROOT),
            "IMPACTCHECK_INSTANCE": str(self.instance),
            "IMPACTCHECK_DATABASE_URL": self.url,
            "IMPACTCHECK_SECRET_KEY": "test-secret-workers",
            "IMPACTCHECK_LOGIN_FREE_FAILURES": str(FREE),
            "IMPACTCHECK_LOGIN_FIRST_WAIT_SECONDS": str(WAIT),
        }

    def start(self) -> float:
        """Start and wait until /healthz answers; returns the seconds that took."""
        started = time.monotonic()
        booted_before = len(self.workers())
        log = self.log_path.open("a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "impactcheck", "serve", "--port", str(self.port), *SERVE_OPTIONS],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env(),
            cwd=self.instance,
        )
        log.close()
        while time.monotonic() - started < 60:
            assert self.proc.poll() is None, self.log()
            try:
                ready = requests.get(f"{self.base}/healthz", timeout=2).status_code == 200
                if ready and len(self.workers()) - booted_before == 2:
                    return time.monotonic() - started
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise AssertionError(f"the server did not answer within 60 s:\n{self.log()}")

    def stop(self) -> int:
        """SIGTERM, as systemd stops it; returns the exit status."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(5)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def workers(self) -> list[str]:
        return re.findall(r"Booting worker with pid: (\d+)", self.log())

    def answered(self, method: str, path: str) -> list[tuple[str, int]]:
        """(worker pid, status) of every access log line for this request."""
        pattern = re.compile(rf'^<(\d+)> \S+ "{method} {re.escape(path)}" (\d+) ', re.M)
        return [(pid, int(status)) for pid, status in pattern.findall(self.log())]

    def hold_a_worker(self) -> socket.socket:
        """A request whose headers never end: one sync worker waits on it until it is released."""
        conn = socket.create_connection(("127.0.0.1", self.port))
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(0.3)  # accepted by one worker, which now reads the headers
        return conn

    @staticmethod
    def release(conn: socket.socket) -> None:
        conn.sendall(b"Connection: close\r\n\r\n")
        conn.recv(4096)
        conn.close()


def log_in(base: str, password: str, **headers) -> requests.Response:
    """One attempt from a new browser (a new connection, a new session)."""
    with requests.Session() as browser:
        page = browser.get(f"{base}/login", timeout=10)
        m = TOKEN.search(page.text)
        data = {"csrf_token": m.group(1) or m.group(2), "username": "anna", "password": password}
        return browser.post(f"{base}/login", data=data, headers=headers, allow_redirects=False, timeout=30)


@pytest.fixture
def server(database_url, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    _with_author(database_url, instance)
    running = Server(database_url, instance)
    yield running
    if running.proc is not None and running.proc.poll() is None:
        running.proc.kill()
        running.proc.wait(10)


def test_login_limit_holds_across_two_workers_and_a_restart(server):
    server.start()
    assert len(server.workers()) == 2, server.log()

    # Half of the failures go to one worker while the other is held, the other half the other way round.
    held = server.hold_a_worker()
    statuses = [log_in(server.base, "falsch-geraten").status_code for _ in range(FREE // 2)]
    other = server.hold_a_worker()  # the free worker is the one that just answered: now it is held too
    server.release(held)
    statuses += [log_in(server.base, "falsch-geraten").status_code for _ in range(FREE - FREE // 2)]
    last_failure = time.monotonic()
    server.release(other)
    assert statuses == [401] * FREE
    failed_on = {pid for pid, status in server.answered("POST", "/login") if status == 401}
    assert failed_on == set(server.workers()), "the failures did not reach both workers"

    # The limit is reached for every worker, also for the right password, and a made-up
    # X-Forwarded-For does not make another client of it (TRUST_PROXY is off).
    refused = log_in(server.base, PASSWORD)
    assert refused.status_code == 429 and "Zu viele fehlgeschlagene Anmeldungen" in refused.text
    assert 1 <= int(refused.headers["Retry-After"]) <= WAIT
    assert log_in(server.base, PASSWORD, **{"X-Forwarded-For": "10.9.8.7"}).status_code == 429

    # SIGTERM ends master and workers cleanly; a new server (new workers) still knows the count.
    assert server.stop() == 0
    assert "Shutting down: Master" in server.log()
    first_workers = set(server.workers())
    restart = server.start()
    assert set(server.workers()) - first_workers, "the restart did not start new workers"
    assert time.monotonic() - last_failure < WAIT, f"restart took {restart:.1f} s, longer than the wait"
    after_restart = log_in(server.base, PASSWORD)
    assert after_restart.status_code == 429, "the limit was forgotten at the restart"

    # Once the wait is over, the right password logs in.
    time.sleep(max(0.0, WAIT - (time.monotonic() - last_failure)) + 0.5)
    assert log_in(server.base, PASSWORD).status_code == 302
    assert server.stop() == 0


# --- the command's options, in-process ----------------------------------------------------------------


def run_cli(args: list[str], monkeypatch, tmp_path, **env) -> tuple[int, str]:
    import contextlib
    import io

    from impactcheck.cli import main

    monkeypatch.setenv("IMPACTCHECK_INSTANCE", str(tmp_path / "instance"))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exited:
        main(args)
    return exited.value.code, err.getvalue()


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (["serve", "--workers", "0"], {}, "--workers"),
        (["serve", "--threads", "100"], {}, "--threads"),
        (["serve"], {"IMPACTCHECK_WORKERS": "viele"}, "Einstellung WORKERS"),
        (["serve"], {"IMPACTCHECK_THREADS": "0"}, "Einstellung THREADS"),
    ],
)
def test_bad_worker_counts_are_one_line(monkeypatch, tmp_path, args, env, needle):
    code, err = run_cli(args, monkeypatch, tmp_path, **env)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and needle in err and "Traceback" not in err


def test_gunicorn_options():
    options = serving.gunicorn_options(host="::1", port=8443, workers=4, threads=4, access_log=False)
    assert options["bind"] == ["[::1]:8443"]
    assert options["worker_class"] == "gthread" and options["workers"] == 4
    assert options["preload_app"] is False  # every worker opens its own database pool
    assert options["secure_scheme_headers"] == {}  # only the app (TRUST_PROXY) believes a proxy
    assert options["accesslog"] is None
    assert serving.gunicorn_options(host="0.0.0.0", port=80, workers=2, threads=1)["worker_class"] == "sync"
    require(sys.platform.startswith("linux"), "gunicorn workers are tested on Linux")
    from gunicorn.config import Config

    known = Config().settings
    assert set(options) <= set(known), set(options) - set(known)  # every option means something to gunicorn


def test_single_process_ends_cleanly_on_sigterm(tmp_path):
    """The default (waitress, one process) also stops on systemd's SIGTERM with status 0."""
    instance = tmp_path / "instance"
    instance.mkdir()
    url = f"sqlite:///{tmp_path / 'one.sqlite3'}"
    _with_author(url, instance)
    server = Server(url, instance)
    env = server.env()
    server.proc = subprocess.Popen(
        [sys.executable, "-m", "impactcheck", "serve", "--port", str(server.port)],
        stdout=server.log_path.open("w"),
        stderr=subprocess.STDOUT,
        env=env,
        cwd=instance,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.proc.poll() is None and time.monotonic() < deadline, server.log()
            try:
                if requests.get(f"{server.base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.05)
        assert log_in(server.base, PASSWORD).status_code == 302
        assert server.stop() == 0, server.log()
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait(10)
