"""The server-side CLI commands from outside: serve, db upgrade, users."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from impactcheck.store import migrate

MIGRATIONS = Path(migrate.__file__).parent / "migrations" / "versions"


def run(args, tmp_path, stdin=None, **env):
    environment = {**os.environ, "IMPACTCHECK_INSTANCE": str(tmp_path / "instance"), **env}
    return subprocess.run(
        [sys.executable, "-m", "impactcheck", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=120,
    )


def test_db_upgrade_creates_the_database(tmp_path):
    proc = run(["db", "upgrade"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    head = sorted(p.name[:4] for p in MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))[-1]
    assert f"Stand {head}" in proc.stdout
    assert (tmp_path / "instance" / "impactcheck.sqlite3").exists()
    assert (tmp_path / "instance" / "secret_key").exists()
    assert oct((tmp_path / "instance" / "secret_key").stat().st_mode)[-3:] == "600"


def test_users_add_reads_password_from_stdin(tmp_path):
    proc = run(
        ["users", "add", "mueller", "--role", "author", "--display-name", "Anna Müller"],
        tmp_path,
        stdin="ein-langes-passwort\n",
    )
    assert proc.returncode == 0, proc.stderr
    listed = run(["users", "list"], tmp_path)
    assert "mueller\tauthor\tAnna Müller" in listed.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "needle"),
    [
        (["users", "add", "x", "--role", "chef"], "ein-langes-passwort\n", "chef"),
        (["users", "add", "kurz", "--role", "author"], "123\n", "mindestens 10 Zeichen"),
        (["users", "add", "leer", "--role", "author"], "\n", "kein Passwort"),
        (["users", "password", "niemand"], "ein-langes-passwort\n", "gibt es nicht"),
    ],
)
def test_users_bad_input_is_one_line(tmp_path, args, stdin, needle):
    proc = run(args, tmp_path, stdin=stdin)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and needle in proc.stderr
    assert "Traceback" not in proc.stderr


def test_duplicate_user_is_refused(tmp_path):
    assert run(["users", "add", "anna", "--role", "author"], tmp_path, stdin="ein-langes-passwort\n").returncode == 0
    proc = run(["users", "add", "anna", "--role", "climate"], tmp_path, stdin="ein-langes-passwort\n")
    assert proc.returncode == 2 and "gibt es schon" in proc.stderr


def test_users_sso_release_moves_a_local_account_to_single_sign_on(tmp_path):
    assert run(["users", "add", "anna", "--role", "author"], tmp_path, stdin="ein-langes-passwort\n").returncode == 0
    proc = run(["users", "sso-release", "anna"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "für Single Sign-on freigegeben" in proc.stdout
    assert "anna\tauthor\tanna (für Single Sign-on freigegeben)" in run(["users", "list"], tmp_path).stdout
    missing = run(["users", "sso-release", "niemand"], tmp_path)
    assert missing.returncode == 2 and "gibt es nicht" in missing.stderr


def test_unreachable_database_is_one_line(tmp_path):
    proc = run(
        ["db", "upgrade"],
        tmp_path,
        IMPACTCHECK_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2",
    )
    assert proc.returncode == 2
    assert "Datenbank nicht erreichbar" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_first_start_creates_admin_once(tmp_path):
    port = _free_port()
    env = {**os.environ, "IMPACTCHECK_INSTANCE": str(tmp_path / "instance")}

    def start():
        return subprocess.Popen(
            [sys.executable, "-m", "impactcheck", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait_healthy():
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    return r.status
            except OSError:
                time.sleep(0.1)
        raise AssertionError("server did not come up")

    proc = start()
    try:
        assert wait_healthy() == 200
    finally:
        proc.terminate()
        out = proc.communicate(timeout=20)[0]
    m = re.search(r"Benutzername: (\S+)\s+Passwort:\s+(\S+)", out)
    assert m and m.group(1) == "admin", out
    proc = start()
    try:
        assert wait_healthy() == 200
    finally:
        proc.terminate()
        again = proc.communicate(timeout=20)[0]
    assert "Passwort" not in again  # printed once, on the first start only
    listed = run(["users", "list"], tmp_path)
    assert listed.stdout.startswith("admin\tadmin")


def _submitted_check(tmp_path) -> tuple[int, str]:
    """A check submitted through the operations, in the instance the CLI will use; returns id and code."""
    from impactcheck import settings
    from impactcheck.bootstrap import prepare
    from impactcheck.core.answers import load_submission
    from impactcheck.core.registry import resolve_ruleset
    from impactcheck.core.verification import verification_code
    from impactcheck.store import operations as ops
    from impactcheck.store.models import Municipality
    from impactcheck.store.queries import reference_for
    from tests.support import RULES

    config = settings.load(instance=tmp_path / "instance")
    settings.ensure_instance(config)
    prepared = prepare(config, create_admin=False)
    rs = resolve_ruleset("kassel-2030")
    sub = load_submission(RULES / "examples/kassel-2030/pv-schuldaecher/schaetzt.yaml")
    with prepared.database.session() as s:
        municipality = s.get(Municipality, prepared.municipality_id)
        author = ops.create_user(
            s,
            None,
            municipality=municipality,
            username="anna",
            password="x" * 12,
            role="author",
            display_name="Anna Müller",
        )
        check = ops.create_check(s, author, paper=ops.PaperData(**sub.paper), ruleset=rs)
        ops.save_step(
            s, author, check.current, step_id="alle", values=sub.answers, expected_version=check.current.version
        )
        ops.submit(s, author, check, rs, expected_version=check.current.version)
        s.commit()
        code = verification_code(check.current.result, reference_for(check, check.current).check_id)
        check_id = check.id
    prepared.database.dispose()
    return check_id, code


def test_docx_insert_from_a_stored_check(tmp_path):
    import io

    import docx

    check_id, code = _submitted_check(tmp_path)
    paper = tmp_path / "vorlage.docx"
    document = docx.Document()
    document.add_paragraph("Beschlussvorschlag: Die Stadt errichtet Photovoltaik auf zehn Schuldächern.")
    document.save(paper)
    out = tmp_path / "mit-klimacheck.docx"
    proc = run(["docx", "insert", "--check", str(check_id), str(paper), "-o", str(out)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert code in proc.stdout  # the same verification code as on the web page
    xml = docx.Document(io.BytesIO(out.read_bytes())).element.xml
    assert "Anna Müller" in xml and f"{check_id}-1" in xml and "positiv" in xml
    for bad, needle in (
        ("999", "gibt es nicht"),
        (f"{check_id}-7", "noch nicht eingereicht"),
        ("x1", "keine Klimacheck-Nummer"),
    ):
        proc = run(["docx", "insert", "--check", bad, str(paper), "-o", str(out)], tmp_path)
        assert proc.returncode == 2 and needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
