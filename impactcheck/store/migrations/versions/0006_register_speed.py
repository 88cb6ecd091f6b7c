"""register speed: trigram indexes for the search on PostgreSQL, where pg_trgm can be had

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:00:00

The register's search ("contains", case-insensitive: ILIKE '%…%') cannot use a B-tree index, so on
PostgreSQL it read every check of the municipality (151 ms raw at 100,000 checks). A GIN trigram
index on the title and one on the reference serve ILIKE directly. They need the extension pg_trgm
(shipped with PostgreSQL's contrib, "trusted" since PostgreSQL 13: a database owner may create it).
Where it is not installed and cannot be created (no contrib package, no privilege), the migration
says so and leaves the search as it was: correct, only slower. An administrator can add it later:

    CREATE EXTENSION pg_trgm;
    CREATE INDEX ix_klimacheck_title_trgm ON klimacheck USING gin (title gin_trgm_ops);
    CREATE INDEX ix_klimacheck_reference_trgm ON klimacheck USING gin (reference gin_trgm_ops);

SQLite: nothing (its LIKE/GLOB scan over 100,000 rows stays within the register's targets).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

INDEXES = {"ix_klimacheck_title_trgm": "title", "ix_klimacheck_reference_trgm": "reference"}


def _trgm_schema(conn) -> str | None:
    """The schema pg_trgm is installed in, after installing it if it is available and we may."""
    installed = (
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
    )
    schema = conn.execute(sa.text(installed)).scalar()
    if schema is not None:
        return schema
    available = conn.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).scalar()
    if not available:
        log.warning("pg_trgm is not available on this server: the register's search stays a full scan")
        return None
    try:
        with conn.begin_nested():  # a refusal must not abort the migration's transaction
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as exc:
        log.warning("CREATE EXTENSION pg_trgm refused (%s): the register's search stays a full scan", exc.orig)
        return None
    return conn.execute(sa.text(installed)).scalar()


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    schema = _trgm_schema(conn)
    if schema is None:
        return
    opclass = f"{conn.dialect.identifier_preparer.quote_identifier(schema)}.gin_trgm_ops"
    for name, column in INDEXES.items():
        conn.execute(sa.text(f"CREATE INDEX IF NOT EXISTS {name} ON klimacheck USING gin ({column} {opclass})"))


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    for name in INDEXES:
        conn.execute(sa.text(f"DROP INDEX IF EXISTS {name}"))
    # pg_trgm itself stays: other objects of the database may use it, and it costs nothing.
