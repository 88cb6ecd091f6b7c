"""OParl: a municipality's council information system, a check's paper there

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 20:00:00

`municipality.oparl_endpoint` (a System or Body URL of the council information system) starts empty:
an empty endpoint means the installation's setting OPARL_ENDPOINT. A check started from a paper in
that system keeps the Paper's URL (`klimacheck.paper_url`), its SHA-256 (indexed: the public view
`/api/v1/oparl/papers/<sha256>` looks it up), the paper type and the paper's date. Existing checks were
typed in by hand and stay without them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("municipality") as batch:
        batch.add_column(sa.Column("oparl_endpoint", sa.String(2000), nullable=True))
    with op.batch_alter_table("klimacheck") as batch:
        batch.add_column(sa.Column("paper_url", sa.String(2000), nullable=True))
        batch.add_column(sa.Column("paper_url_sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("paper_type", sa.String(200), nullable=True))
        batch.add_column(sa.Column("paper_date", sa.Date(), nullable=True))
        batch.create_index("ix_klimacheck_paper_url_sha256", ["paper_url_sha256"])


def downgrade() -> None:
    with op.batch_alter_table("klimacheck") as batch:
        batch.drop_index("ix_klimacheck_paper_url_sha256")
        batch.drop_column("paper_date")
        batch.drop_column("paper_type")
        batch.drop_column("paper_url_sha256")
        batch.drop_column("paper_url")
    with op.batch_alter_table("municipality") as batch:
        batch.drop_column("oparl_endpoint")
