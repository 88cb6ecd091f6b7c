"""Migration 0005 on both databases: existing municipalities keep the installation's time zone (empty),
and the admins of a single-town database become its installation admins – of a district's, nobody."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from impactcheck.store import migrate
from tests.web.test_migrations import empty_engine  # noqa: F401 - the fixture, both backends


@pytest.mark.parametrize("towns", [1, 2])
def test_0005_fills_installation_admins_only_for_a_single_town(empty_engine, towns):  # noqa: F811
    migrate.upgrade(empty_engine, "0004")
    meta = sa.MetaData()
    meta.reflect(empty_engine)
    t = meta.tables
    now = sa.func.now()
    with empty_engine.begin() as conn:
        for ident in range(1, towns + 1):
            conn.execute(
                t["municipality"].insert().values(id=ident, slug=f"m{ident}", name="M", rulesets=["x"], created_at=now)
            )
        for ident, (name, role) in enumerate((("chefin", "admin"), ("autor", "author")), start=1):
            conn.execute(
                t["app_user"]
                .insert()
                .values(
                    id=ident,
                    municipality_id=1,
                    username=name,
                    display_name=name,
                    password_hash="x",
                    role=role,
                    active=True,
                    created_at=now,
                )
            )
    migrate.upgrade(empty_engine, "0005")
    with empty_engine.connect() as conn:
        users = dict(conn.execute(sa.text("SELECT username, installation_admin FROM app_user")).all())
        zones = conn.execute(sa.text("SELECT timezone, neutrality_year FROM municipality")).all()
    assert {k: bool(v) for k, v in users.items()} == {"chefin": towns == 1, "autor": False}
    assert set(zones) == {(None, None)}
    migrate.upgrade(empty_engine)
    assert migrate.pending_changes(empty_engine) == []
