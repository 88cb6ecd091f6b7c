"""session version per user, failed logins in the database

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-10 10:00:00

`app_user.session_version` starts at 0 for every account; login cookies issued before this migration
carry no version and end once (everyone logs in again after the upgrade). `login_throttle` starts
empty: the in-memory counts of the previous version are gone with its process anyway.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_login_throttle_last_failure_at", "login_throttle", ["last_failure_at"])


def downgrade() -> None:
    op.drop_index("ix_login_throttle_last_failure_at", table_name="login_throttle")
    op.drop_table("login_throttle")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("session_version")
