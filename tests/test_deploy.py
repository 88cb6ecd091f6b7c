"""The shipped deployment examples (deploy/) fit the code: the systemd unit starts a real command with
real options, nginx lets the largest allowed upload through and waits as long as a worker may work."""

from __future__ import annotations

import re
import shlex

from impactcheck import serving, settings
from impactcheck.app import create_app
from impactcheck.cli import cli
from tests.support import ROOT

DEPLOY = ROOT / "deploy"


def _directives(path, name: str) -> list[str]:
    return [m.group(1).strip() for m in re.finditer(rf"^\s*{name}\s+([^;#\n]+);?", path.read_text(), re.M)]


def _unit(key: str) -> list[str]:
    return [
        m.group(1).strip() for m in re.finditer(rf"^{key}=(.*)$", (DEPLOY / "impactcheck.service").read_text(), re.M)
    ]


def _size(text: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", text).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit.lower()]


def test_systemd_unit_starts_serve_with_options_it_has():
    (exec_start,) = _unit("ExecStart")
    argv = shlex.split(exec_start)
    assert argv[0].endswith("/bin/impactcheck") and argv[1] == "serve"
    serve = cli.commands["serve"]
    known = {opt for p in serve.params for opt in p.opts}
    given = [a for a in argv[2:] if a.startswith("--")]
    assert given and set(given) <= known, set(given) - known
    # The options parse as the command would parse them.
    ctx = serve.make_context("serve", argv[2:])
    assert ctx.params["workers"] == 4 and ctx.params["host"] == "127.0.0.1"
    assert any(e.startswith("IMPACTCHECK_INSTANCE=") for e in _unit("Environment"))
    assert _unit("KillSignal") == ["SIGTERM"]
    # systemd waits longer than gunicorn's graceful shutdown before it kills.
    assert int(_unit("TimeoutStopSec")[0]) > serving.GRACEFUL_TIMEOUT


def test_nginx_example_fits_the_limits(tmp_path):
    conf = DEPLOY / "nginx.conf"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)})
    (body,) = _directives(conf, "client_max_body_size")
    assert _size(body) >= app.config["MAX_CONTENT_LENGTH"] >= settings.DEFAULTS["UPLOAD_MAX_BYTES"]
    for timeout in _directives(conf, "proxy_read_timeout"):
        assert int(timeout.rstrip("s")) >= serving.WORKER_TIMEOUT
    # The app trusts exactly one proxy hop (TRUST_PROXY: ProxyFix x_for=1): the proxy must set the
    # header itself, not append to what the client sent.
    assert _directives(conf, "proxy_set_header X-Forwarded-For") == ["$remote_addr"]
    assert "$scheme" in _directives(conf, "proxy_set_header X-Forwarded-Proto")[0]
