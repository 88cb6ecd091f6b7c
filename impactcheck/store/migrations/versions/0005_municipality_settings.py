"""several municipalities: time zone and neutrality year per municipality, installation admins

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00

`municipality.timezone` stays empty for existing rows: an empty time zone means the installation's
setting TIMEZONE, exactly what those municipalities used so far. `neutrality_year` starts empty.
`app_user.installation_admin` is filled for the admins of a database with exactly one municipality
(a single-town installation: its admins ran the whole installation already); with several
municipalities nobody gets it silently – `impactcheck users add --installation-admin` grants it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("municipality") as batch:
        batch.add_column(sa.Column("timezone", sa.String(64), nullable=True))
        batch.add_column(sa.Column("neutrality_year", sa.Integer(), nullable=True))
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("installation_admin", sa.Boolean(), server_default=sa.false(), nullable=False))
    conn = op.get_bind()
    municipalities = conn.execute(sa.text("SELECT count(*) FROM municipality")).scalar()
    if municipalities == 1:
        user = sa.table("app_user", sa.column("role", sa.String), sa.column("installation_admin", sa.Boolean))
        conn.execute(user.update().where(user.c.role == "admin").values(installation_admin=True))


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("installation_admin")
    with op.batch_alter_table("municipality") as batch:
        batch.drop_column("neutrality_year")
        batch.drop_column("timezone")
