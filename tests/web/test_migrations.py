"""Migration 0002 fills `fragile` and `open_points` of revisions stored before it, on both databases."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from impactcheck.store import migrate
from tests.support import scratch_postgres_database
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
        conn.execute(
            t["municipality"].insert().values(id=1, slug="m", name="M", rulesets=["kassel-2030"], created_at=now)
        )
        conn.execute(
            t["app_user"]
            .insert()
            .values(
                id=1,
                municipality_id=1,
                username="u",
                display_name="U",
                password_hash="x",
                role="author",
                active=True,
                created_at=now,
            )
        )
        conn.execute(
            t["klimacheck"]
            .insert()
            .values(
                id=1,
                municipality_id=1,
                owner_id=1,
                reference="1",
                title="T",
                department="D",
                committee="C",
                created_at=now,
            )
        )
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
