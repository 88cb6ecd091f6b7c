"""the year a decision takes effect, and each user's interface language

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 23:00:00

Two nullable columns, nothing to fill: a check without an effect year counts from its session year
(the climate budget), a user without a language gets the browser's (German by default).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("klimacheck") as batch:
        batch.add_column(sa.Column("effective_year", sa.Integer(), nullable=True))
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("locale")
    with op.batch_alter_table("klimacheck") as batch:
        batch.drop_column("effective_year")
