"""Apply the Alembic migrations programmatically (`impactcheck serve` and `impactcheck db upgrade`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, target: str = "head") -> None:
    cfg = alembic_config(engine)
    with engine.begin() as connection:
        # Two commands starting on a new instance at once: the second waits for the first, then
        # finds nothing left to do, instead of failing on "table already exists".
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7411)")
        elif connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        cfg.attributes["connection"] = connection
        before = MigrationContext.configure(connection).get_current_revision()
        command.upgrade(cfg, target)
        changed = before is not None and MigrationContext.configure(connection).get_current_revision() != before
        if changed or _sqlite_without_statistics(connection):
            # New indexes and filled columns, or a grown SQLite file nobody analysed: fresh planner
            # statistics, or SQLite guesses its plans (PostgreSQL's autovacuum keeps them up to date).
            connection.exec_driver_sql("ANALYZE")


def _sqlite_without_statistics(connection, rows: int = 1000) -> bool:
    """SQLite with at least `rows` checks and no statistics for them (checked at every start)."""
    if connection.dialect.name != "sqlite":
        return False
    has_stats = (
        connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first()
        and connection.exec_driver_sql("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'klimacheck' LIMIT 1").first()
    )
    if has_stats:
        return False
    exists = connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'klimacheck'").first()
    return bool(exists) and connection.exec_driver_sql(f"SELECT count(*) >= {rows} FROM klimacheck").scalar()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def pending_changes(engine: Engine) -> list:
    """Differences between the models and the migrated database (empty when migrations are complete)."""
    from alembic.autogenerate import compare_metadata

    from impactcheck.store.models import Base

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": _modelled})
        return compare_metadata(context, Base.metadata)


def _modelled(obj, name, type_, reflected, compare_to) -> bool:
    """Whether autogenerate compares `obj`: not the optional trigram indexes of the search, which
    migration 0006 adds on PostgreSQL only and only where pg_trgm can be had (no model declares them)."""
    return not (type_ == "index" and reflected and compare_to is None and (name or "").endswith("_trgm"))


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a new migration from the models (for developers), against an up-to-date database."""
    upgrade(engine)
    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.revision(cfg, message=message, autogenerate=True)
