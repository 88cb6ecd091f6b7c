"""fragile verdicts and open points on each revision

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 15:00:00

Filled for existing rows from their stored Result: Results stored before sensitivity was computed
have no `robustness` and no `open_points`, and count as not fragile with no open points.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("revision") as batch:
        batch.add_column(sa.Column("fragile", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("open_points", sa.Integer(), server_default="0", nullable=False))
        batch.create_index("ix_revision_fragile", ["fragile"])
        batch.create_index("ix_revision_open_points", ["open_points"])
    conn = op.get_bind()
    revision_t = sa.table(
        "revision",
        sa.column("id", sa.Integer),
        sa.column("result", sa.JSON),
        sa.column("fragile", sa.Boolean),
        sa.column("open_points", sa.Integer),
    )
    rows = conn.execute(sa.select(revision_t.c.id, revision_t.c.result).where(revision_t.c.result.is_not(None)))
    for rid, result in rows.fetchall():
        if isinstance(result, str):
            result = json.loads(result)
        if not isinstance(result, dict):
            continue  # a draft: JSON null
        fragile = bool((result.get("robustness") or {}).get("fragile"))
        open_points = len(result.get("open_points") or [])
        if fragile or open_points:
            conn.execute(
                sa.update(revision_t).where(revision_t.c.id == rid).values(fragile=fragile, open_points=open_points)
            )


def downgrade() -> None:
    with op.batch_alter_table("revision") as batch:
        batch.drop_index("ix_revision_open_points")
        batch.drop_index("ix_revision_fragile")
        batch.drop_column("open_points")
        batch.drop_column("fragile")
