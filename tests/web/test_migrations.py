"""Migration 0002 fills `fragile` and `open_points` of revisions stored before it, on both databases."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from impactcheck.store import migrate
from tests.support import scratch_postgres_database, seed_old_rows
from tests.web.old_catalogue import FIXTURES

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def empty_engine(request, tmp_path):
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
        yield engine
        engine.dispose()
        return
    url, drop = scratch_postgres_database("impactcheck_mig")
    engine = sa.create_engine(url)
    yield engine
    engine.dispose()
    drop()


def test_0002_fills_fragile_and_open_points(empty_engine):
    migrate.upgrade(empty_engine, "0001")
    old = json.loads((FIXTURES / "gasheizung-kita.result.json").read_text(encoding="utf-8"))
    newer = dict(
        old,
        robustness={"fragile": True, "depends_on": [], "tried": 3},
        open_points=[{"question": "a", "name": "A", "display": "x"}, {"question": "b", "name": "B", "display": "y"}],
    )
    meta = sa.MetaData()
    meta.reflect(empty_engine)
    t = meta.tables
    now = sa.func.now()
    with empty_engine.begin() as conn:
        seed_old_rows(conn, t, {1: "1"})
        for number, result in ((1, old), (2, newer), (3, None)):
            conn.execute(
                t["revision"]
                .insert()
                .values(
                    id=number,
                    check_id=1,
                    number=number,
                    status="submitted" if result else "draft",
                    ruleset_id="kassel-2030",
                    answers={},
                    result=result,
                    flagged=False,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
    migrate.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT number, fragile, open_points FROM revision ORDER BY number")).all()
    assert [(n, bool(f), o) for n, f, o in rows] == [(1, False, 0), (2, True, 2), (3, False, 0)]
    assert migrate.pending_changes(empty_engine) == []


def test_a_grown_sqlite_file_gets_planner_statistics_at_the_next_start(tmp_path):
    """Without statistics SQLite guesses its plans for the register; a start analyses a file that grew."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 's.sqlite3'}")
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO municipality (id, slug, name, rulesets, created_at)"
                " VALUES (1, 'm', 'M', '[]', '2026-01-01')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO app_user (id, municipality_id, username, display_name, password_hash, role, active,"
                " created_at, session_version) VALUES (1, 1, 'u', 'U', 'x', 'author', 1, '2026-01-01', 0)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO klimacheck (municipality_id, owner_id, reference, title, department, committee,"
                " created_at) VALUES (1, 1, :r, 'T', 'D', 'C', '2026-01-01')"
            ),
            [{"r": str(i)} for i in range(1000)],
        )
    stats = "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
    with engine.connect() as conn:
        assert conn.execute(sa.text(stats)).scalar() == 0
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'klimacheck'")).scalar() > 0
    engine.dispose()


def downgrade(engine, target: str) -> None:
    """Alembic's downgrade to `target` on `engine` (the app itself only ever upgrades)."""
    from alembic import command

    cfg = migrate.alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, target)


def test_0007_fills_the_verification_code_of_filed_revisions_as_the_paper_printed_it(empty_engine):
    """The code must equal what the result page and the Word section showed before the migration."""
    from impactcheck.core.result import result_from_dict
    from impactcheck.core.verification import verification_code

    migrate.upgrade(empty_engine, "0005")
    stored = json.loads((FIXTURES / "gasheizung-kita.result.json").read_text(encoding="utf-8"))
    meta = sa.MetaData()
    meta.reflect(empty_engine)
    t = meta.tables
    now = sa.func.now()
    with empty_engine.begin() as conn:
        seed_old_rows(conn, t, {7: "7", 8: "8"}, role="council", rulesets=())
        rows = ((1, 7, 1, "approved", stored), (2, 7, 2, "draft", None), (3, 8, 1, "returned", stored))
        for rid, check_id, number, status, result in rows:
            conn.execute(
                t["revision"]
                .insert()
                .values(
                    id=rid,
                    check_id=check_id,
                    number=number,
                    status=status,
                    ruleset_id="kassel-2030",
                    answers={},
                    result=result,
                    flagged=False,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
    migrate.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        codes = dict(conn.execute(sa.text("SELECT id, verification_code FROM revision")).all())
        committees = conn.execute(sa.text("SELECT committees FROM app_user")).scalar()
    # As the Word section computes it (from the Result read back) and as the result page does (stored JSON).
    assert codes[1] == verification_code(result_from_dict(stored).to_dict(), "7-1") == verification_code(stored, "7-1")
    assert codes[3] == verification_code(stored, "8-1") != codes[1]
    assert codes[2] is None  # a draft has none
    assert committees is None
    assert migrate.pending_changes(empty_engine) == []
    downgrade(empty_engine, "0005")
    with empty_engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("revision")}
        assert "verification_code" not in columns
        assert not sa.inspect(conn).has_table("rate_limit")
