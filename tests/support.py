"""Helpers for tests that need something outside Python (corpus, browser, LibreOffice, PostgreSQL).

Where the thing is missing the test skips – unless IMPACTCHECK_STRICT=1 (set by .ci/run), where a
missing dependency fails the test instead, so CI can never pass by skipping.
"""

from __future__ import annotations

import ast
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "impactcheck" / "rules"
# The catalogue version 2026.1 as archived, with its factors and examples: stored checks were made with it.
ARCHIVE = RULES / "archive" / "kassel-2030-2026.1"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "docx"


def strict() -> bool:
    return os.environ.get("IMPACTCHECK_STRICT") == "1"


def require(condition: object, reason: str) -> None:
    """Skip (or, in strict mode, fail) unless `condition` holds."""
    if condition:
        return
    if strict():
        pytest.fail(f"required in CI but missing: {reason}", pytrace=False)
    pytest.skip(reason)


def require_corpus() -> Path:
    require(CORPUS.is_dir(), f"corpus folder {CORPUS} not present")
    return CORPUS


def require_program(name: str) -> str:
    path = shutil.which(name)
    require(path, f"program {name!r} not installed")
    return str(path)


def imported_modules(package: str) -> list[tuple[str, str]]:
    """(file name, imported module) for every import statement in impactcheck/<package>/*.py."""
    found = []
    for path in sorted((ROOT / "impactcheck" / package).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found += [(path.name, a.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.append((path.name, node.module))
    return found


def scratch_postgres_database(prefix: str) -> tuple[str, Callable[[], None]]:
    """A new empty database on the test server (IMPACTCHECK_TEST_POSTGRES_URL): its URL, and how to drop
    it. Skips (in strict mode: fails) without a server."""
    import uuid

    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    admin_url = os.environ.get("IMPACTCHECK_TEST_POSTGRES_URL")
    require(admin_url, "IMPACTCHECK_TEST_POSTGRES_URL not set (PostgreSQL tests)")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def seed_old_rows(conn, tables, checks, *, role: str = "author", rulesets=("kassel-2030",), now=None, **user) -> None:
    """A municipality, one user of `role` and the checks `checks` (id → reference) as rows of an older
    schema (for migration tests, which cannot use today's models); `user` adds columns to the user row."""
    import sqlalchemy as sa

    now = now if now is not None else sa.func.now()
    conn.execute(
        tables["municipality"].insert().values(id=1, slug="m", name="M", rulesets=list(rulesets), created_at=now)
    )
    conn.execute(
        tables["app_user"]
        .insert()
        .values(
            id=1,
            municipality_id=1,
            username="u",
            display_name="U",
            password_hash="x",
            role=role,
            active=True,
            created_at=now,
            **user,
        )
    )
    for check_id, reference in checks.items():
        conn.execute(
            tables["klimacheck"]
            .insert()
            .values(
                id=check_id,
                municipality_id=1,
                owner_id=1,
                reference=reference,
                title="T",
                department="D",
                committee="C",
                created_at=now,
            )
        )


def run_cli(capsys, *args: object) -> tuple[int, str, str]:
    """`impactcheck ARGS` in this process (main() ends with SystemExit): exit code, stdout, stderr."""
    from impactcheck.cli import main

    with pytest.raises(SystemExit) as ended:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return ended.value.code, out, err
