"""Backup and restore of the whole database, while the app serves.

SQLite: the online backup API copies a consistent snapshot page by page (readers and the writer go
on; a write that lands during the copy restarts the copy of the changed pages). PostgreSQL:
`pg_dump --format=custom` (one consistent snapshot by MVCC) and `pg_restore --clean`. A backup is
checked before it counts: integrity, and the schema version it was taken at.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from impactcheck.core.errors import InputError, Problem
from impactcheck.core.i18n import N_, Message


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    schema: str | None  # the migration the backed-up database was at
    checks: int | None  # klimacheck rows in the backup (SQLite; None where not counted)


def _fail(pattern: str, **params) -> InputError:
    """The InputError of a backup or restore: `pattern` an N_() msgid, filled in with `params`."""
    return InputError(Problem(Message(pattern, **params)))


def _private_file(path: Path) -> None:
    path.touch(mode=0o600, exist_ok=True)
    os.chmod(path, 0o600)  # a backup holds every account's password hash: owner only


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise _fail(N_("Eine SQLite-Datenbank im Speicher lässt sich nicht sichern."))
    return Path(database)


def _inspect_sqlite(path: Path) -> BackupInfo:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise _fail(N_("{path}: die Sicherung ist beschädigt (integrity_check)"), path=path)
            schema = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            checks = conn.execute("SELECT count(*) FROM klimacheck").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise _fail(N_("{path}: keine Sicherung von impactcheck ({reason})"), path=path, reason=exc) from None
    return BackupInfo(path=path, schema=schema[0] if schema else None, checks=checks)


def backup(url: str, target: Path) -> BackupInfo:
    """A consistent copy of the database at `url` in the file `target` (replaced atomically)."""
    target = Path(target)
    if not target.parent.is_dir():
        raise _fail(N_("{path}: Ordner gibt es nicht"), path=target.parent)
    backend = make_url(url).get_backend_name()
    fd, tmp_name = tempfile.mkstemp(prefix=".backup-", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _private_file(tmp)
        if backend == "sqlite":
            source = _sqlite_path(url)
            if not source.is_file():
                raise _fail(N_("{path}: keine Datenbank vorhanden"), path=source)
            src = sqlite3.connect(source, timeout=30)
            dst = sqlite3.connect(tmp)
            try:
                with dst:
                    src.backup(dst, pages=1024)  # in steps, so the app's writer is not held up for long
            finally:
                dst.close()
                src.close()
            info = _inspect_sqlite(tmp)
        elif backend == "postgresql":
            _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(tmp)], url)
            info = BackupInfo(path=tmp, schema=None, checks=None)
        else:
            raise _fail(N_("Sicherung für {backend} wird nicht unterstützt"), backend=backend)
        tmp.replace(target)
        return BackupInfo(path=target, schema=info.schema, checks=info.checks)
    finally:
        tmp.unlink(missing_ok=True)


def restore(url: str, source: Path, *, head: str) -> BackupInfo:
    """Replace the database at `url` by the backup `source`. Refuses a backup that is broken or from a
    newer schema than this version knows (`head`); an older one is migrated by `db upgrade` after."""
    source = Path(source)
    if not source.is_file():
        raise _fail(N_("{path}: Datei gibt es nicht"), path=source)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        info = _inspect_sqlite(source)
        if info.schema is None:
            raise _fail(N_("{path}: keine Sicherung von impactcheck (keine Migrationsversion)"), path=source)
        if info.schema > head:
            raise _fail(
                N_("{path}: Sicherung von Stand {schema}, diese Version kennt nur bis {head}"),
                path=source,
                schema=info.schema,
                head=head,
            )
        target = _sqlite_path(url)
        # Copy next to the target, then rename over it: a crash never leaves a half-restored file.
        tmp = target.with_name(f".restore-{target.name}")
        shutil.copyfile(source, tmp)
        _private_file(tmp)
        for suffix in ("-wal", "-shm"):  # the old database's log must not be replayed onto the new one
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        tmp.replace(target)
        return info
    if backend == "postgresql":
        name = make_url(url).database or ""
        _run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", "-d", name, str(source)], url
        )
        return BackupInfo(path=source, schema=None, checks=None)
    raise _fail(N_("Wiederherstellung für {backend} wird nicht unterstützt"), backend=backend)


def _libpq_env(url: str) -> dict[str, str]:
    """The connection as libpq environment variables: no password on a command line others can read."""
    u = make_url(url)
    env = {
        "PGHOST": u.host or "",
        "PGPORT": str(u.port or ""),
        "PGUSER": u.username or "",
        "PGDATABASE": u.database or "",
    }
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    return {k: v for k, v in env.items() if v}


def _run(command: list[str], url: str) -> None:
    if shutil.which(command[0]) is None:
        raise _fail(N_("„{program}“ nicht gefunden (Debian-Paket postgresql-client)"), program=command[0])
    env = {**os.environ, **_libpq_env(url)}
    proc = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or [Message(N_("ohne Meldung"))])[-1]
        raise _fail(N_("{program} ist fehlgeschlagen: {output}"), program=command[0], output=last)
