"""Running the web app: waitress in one process (the default), gunicorn with N worker processes on Linux.

Both serve the same app factory, given as an import string ("package.module:function") so that every
gunicorn worker builds its own app – its own database engine and connection pool – after the fork;
nothing opened in the master (where migrations and the first start ran) is shared with a worker.

What must hold across workers is in the database, not in a worker's memory: login throttling
(store/logins.py), the session's validity (User.session_version, checked at every request), pending
form input, drafts and their versions. What stays per process is either a cache that checks itself
(the rule sets: reloaded when a file's mtime changes, so every worker notices an edit at its next
request) or a limit on the process's own work (WORD_JOBS/WORD_QUEUE: how many Word files one process
works on at once, which protects that process's memory; with N workers the machine works on at most
N × WORD_JOBS files).

Shutdown: SIGTERM (systemd's stop) lets requests in progress finish – waitress within a few seconds,
gunicorn within its graceful timeout – then the process ends with status 0.
"""

from __future__ import annotations

import importlib
import os
import signal
from collections.abc import Callable
from typing import Any

# Per request a line with the worker's process id, method, path (never the query string: search terms
# and the like stay out of logs), status, size and duration. Off unless asked for (`--access-log`):
# the reverse proxy usually logs requests already.
ACCESS_LOG_FORMAT = '%(p)s %(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
# A worker that does not answer within this many seconds is restarted; the XLSX export of a large
# register and a Word insertion at its limits (WORD_MAX_SECONDS) stay well below it.
WORKER_TIMEOUT = 120
# Threads per gunicorn worker unless asked otherwise: 1 = the sync worker (see gunicorn_options).
GUNICORN_THREADS = 1
GRACEFUL_TIMEOUT = 30


def load_factory(spec: str) -> Callable[[], Any]:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name or "create_app")


def supports_workers() -> bool:
    """gunicorn forks; it runs on Linux and other Unix systems, not on Windows."""
    return os.name == "posix"


def run(
    factory: str,
    *,
    host: str,
    port: int,
    workers: int = 1,
    threads: int | None = None,
    access_log: bool = False,
) -> None:
    if workers <= 1:
        run_waitress(load_factory(factory)(), host=host, port=port, threads=threads or 8)
    else:
        run_gunicorn(
            factory, host=host, port=port, workers=workers, threads=threads or GUNICORN_THREADS, access_log=access_log
        )


def run_waitress(app: Any, *, host: str, port: int, threads: int) -> None:
    from waitress import create_server

    server = create_server(app, host=host, port=port, threads=threads, ident="impactcheck")

    def stop(signum, _frame):
        raise SystemExit(0)  # waitress's loop ends on it and shuts its task threads down

    signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    finally:
        server.close()
        database = getattr(app, "extensions", {}).get("impactcheck.db")
        if database is not None:
            database.dispose()


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def gunicorn_options(*, host: str, port: int, workers: int, threads: int, access_log: bool = False) -> dict[str, Any]:
    return {
        "bind": [bind_address(host, port)],
        "workers": workers,
        # One thread (the default): gunicorn's sync worker, which takes a connection only when it is free,
        # so the kernel hands each request to an idle worker. gthread (more threads) accepts greedily and
        # keeps a browser's connection: under 50 authors a few workers held most clients and a request's
        # p95 rose from 336 to 494 ms on PostgreSQL (bench/bench_load.py). Behind nginx, which buffers
        # slow clients, the sync worker is gunicorn's own recommendation.
        "worker_class": "gthread" if threads > 1 else "sync",
        "threads": threads,
        "timeout": WORKER_TIMEOUT,
        "graceful_timeout": GRACEFUL_TIMEOUT,
        "keepalive": 5,
        "proc_name": "impactcheck",
        "preload_app": False,  # each worker builds its own app (and database pool) after the fork
        # The app decides alone what a proxy may say (TRUST_PROXY, werkzeug's ProxyFix); gunicorn must
        # not turn X-Forwarded-Proto from a local client into https on its own.
        "secure_scheme_headers": {},
        "forwarded_allow_ips": "",
        # No control socket in the service account's home (gunicorn 24+): systemd is the control.
        "control_socket_disable": True,
        "worker_tmp_dir": "/dev/shm" if os.path.isdir("/dev/shm") else None,
        "umask": 0o077,
        "accesslog": "-" if access_log else None,
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "loglevel": "info",
    }


def run_gunicorn(factory: str, *, host: str, port: int, workers: int, threads: int, access_log: bool) -> None:
    from gunicorn.app.base import BaseApplication

    options = gunicorn_options(host=host, port=port, workers=workers, threads=threads, access_log=access_log)

    class Server(BaseApplication):
        def load_config(self) -> None:
            known = self.cfg.settings
            for key, value in options.items():
                if key in known and value is not None:
                    self.cfg.set(key, value)

        def load(self):
            return load_factory(factory)()

    Server().run()
