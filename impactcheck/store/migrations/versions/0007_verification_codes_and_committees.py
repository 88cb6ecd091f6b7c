"""verification code per filed revision, a councillor's committees, rate limits in the database

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:00:00

`revision.verification_code` is filled for every filed revision (submitted, approved, returned) by
recomputing it from the stored Result exactly as the result page and the Word section do
(`store.verify.code_of`: the stored Result JSON and "<check>-<revision>"), so a code printed in a paper
before this migration is found by /pruefen after it. Drafts stay without a code. Filled in pages by
id, so a large database is never read whole. `app_user.committees` starts empty; `rate_limit` empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from impactcheck.store.verify import code_of

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FILED = ("submitted", "approved", "returned")  # written out: a migration keeps the meaning of its day
PAGE = 500


def upgrade() -> None:
    with op.batch_alter_table("revision") as batch:
        batch.add_column(sa.Column("verification_code", sa.String(9), nullable=True))
        batch.create_index("ix_revision_verification_code", ["verification_code"])
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("committees", sa.JSON(), nullable=True))
    op.create_table(
        "rate_limit",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("bucket", sa.String(length=16), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_rate_limit_window_start", "rate_limit", ["window_start"])
    _fill_codes(op.get_bind())


def _fill_codes(conn) -> None:
    rev = sa.table(
        "revision",
        sa.column("id", sa.Integer),
        sa.column("check_id", sa.Integer),
        sa.column("number", sa.Integer),
        sa.column("status", sa.String),
        sa.column("result", sa.JSON),
        sa.column("verification_code", sa.String),
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(rev.c.id, rev.c.check_id, rev.c.number, rev.c.result)
            .where(rev.c.id > last, rev.c.status.in_(FILED), rev.c.result.is_not(None))
            .order_by(rev.c.id)
            .limit(PAGE)
        ).all()
        if not rows:
            return
        updates = [{"rid": r.id, "code": code_of(r.check_id, r.number, r.result)} for r in rows if r.result is not None]
        if updates:
            conn.execute(
                rev.update().where(rev.c.id == sa.bindparam("rid")).values(verification_code=sa.bindparam("code")),
                updates,
            )
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_rate_limit_window_start", table_name="rate_limit")
    op.drop_table("rate_limit")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("committees")
    with op.batch_alter_table("revision") as batch:
        batch.drop_index("ix_revision_verification_code")
        batch.drop_column("verification_code")
