"""`impactcheck db backup` while authors submit, then `db restore` into an empty installation: the
restored database is consistent (every check complete, its current state matching its revisions)
and serves. On SQLite (online backup API) and PostgreSQL (pg_dump / pg_restore)."""

from __future__ import annotations

import os
import threading

import pytest
import sqlalchemy as sa

from impactcheck.app import create_app
from impactcheck.cli import main
from impactcheck.store import current, migrate
from impactcheck.store.models import Check
from tests.support import scratch_postgres_database
from tests.web.test_races import Client, start, submitted

AUTHORS = 3


def _cli(monkeypatch, capsys, instance, url, *argv) -> tuple[int, str, str]:
    monkeypatch.setenv("IMPACTCHECK_INSTANCE", str(instance))
    monkeypatch.setenv("IMPACTCHECK_DATABASE_URL", url)
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def _empty_target(app, tmp_path) -> tuple[str, callable]:
    """A URL for a database to restore into, and how to drop it afterwards."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}", lambda: None
    return scratch_postgres_database("impactcheck_restore")


def test_a_backup_under_load_restores_to_a_consistent_database(app, live, tmp_path, monkeypatch, capsys):
    url = app.config["DATABASE_URL"]
    stop = threading.Event()
    done: list[int] = []
    errors: list[BaseException] = []

    def author(name: str):
        try:
            client = Client(live).login(name)
            while not stop.is_set():
                check_id = start(client, reference=f"B-{name}-{len(done)}")
                submitted(client, check_id)
                done.append(check_id)
        except BaseException as exc:  # reported below; a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=author, args=(n,)) for n in ("author", "author2", "climate")[:AUTHORS]]
    for t in threads:
        t.start()
    while len(done) < 3 and not errors:
        threading.Event().wait(0.05)
    backup_file = tmp_path / "sicherung.bak"
    code, out, err = _cli(monkeypatch, capsys, tmp_path / "inst", url, "db", "backup", "-o", str(backup_file))
    before_backup_ended = len(done)
    while len(done) < before_backup_ended + 2 and not errors:  # writes went on during and after the copy
        threading.Event().wait(0.05)
    stop.set()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert code == 0, err
    assert "Gesichert" in out and backup_file.is_file()
    assert oct(backup_file.stat().st_mode & 0o777) == "0o600"

    target, drop = _empty_target(app, tmp_path)
    try:
        code, out, err = _cli(
            monkeypatch, capsys, tmp_path / "inst2", target, "db", "restore", "--yes", str(backup_file)
        )
        assert code == 0, err
        engine = sa.create_engine(target)
        with sa.orm.Session(engine) as s:
            assert migrate.current_revision(engine) == migrate.head_revision(engine)
            checks = s.scalars(sa.select(Check)).all()
            # Everything acknowledged before the backup began is in it; nothing is half-written.
            assert 3 <= len(checks) <= len(done) + AUTHORS
            for check in checks:
                assert check.revisions, f"check {check.id} without a revision"
                state = current.state_of(check, check.revisions)
                assert {k: getattr(check, k) for k in state} == state, check.id
                if check.filed_number is not None:
                    assert current.latest_filed(check.revisions).result is not None
        engine.dispose()
        restored = create_app(
            {"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": target, "INSTANCE_PATH": str(tmp_path / "i3")}
        )
        client = restored.test_client()
        assert client.get("/healthz").status_code == 200
        restored.extensions["impactcheck.db"].dispose()
    finally:
        drop()


def test_restore_refuses_what_is_not_a_backup(tmp_path, monkeypatch, capsys):
    junk = tmp_path / "kein-backup.bak"
    junk.write_bytes(os.urandom(4096))
    target = f"sqlite:///{tmp_path / 'ziel.sqlite3'}"
    code, _, err = _cli(monkeypatch, capsys, tmp_path / "inst", target, "db", "restore", "--yes", str(junk))
    assert code == 2 and err.count("\n") == 1 and "keine Sicherung von impactcheck" in err
    assert not (tmp_path / "ziel.sqlite3").exists()
    code, _, err = _cli(monkeypatch, capsys, tmp_path / "inst", target, "db", "backup", "-o", str(tmp_path / "x/y.bak"))
    assert code == 2 and "keine Datenbank vorhanden" in err
