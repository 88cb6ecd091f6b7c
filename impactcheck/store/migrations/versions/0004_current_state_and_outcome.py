"""current state of each check on its row, per-sector figures, the council's decision, soft delete

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-12 10:00:00

The register, statistics and exports filter and sort on columns of `klimacheck` instead of loading
every revision. They are filled here for existing rows by `store.current.state_of`, the same function
the operations use from now on, so old and new rows cannot differ. Titles may now be 1000 characters.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op

from impactcheck.store.current import sector_figures, state_of

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Written out here, not imported from the models: a migration keeps the schema of its day.
LISTED = "deleted_at IS NULL"
OUTCOME_DUE = "outcome IS NULL AND deleted_at IS NULL AND filed_number IS NOT NULL"


def _state_columns() -> list[sa.Column]:
    return [
        sa.Column("status", sa.String(16), server_default="draft", nullable=False),
        sa.Column("revision_count", sa.Integer(), server_default="1", nullable=False),
        sa.Column("filed_number", sa.Integer(), nullable=True),
        sa.Column("filed_status", sa.String(16), nullable=True),
        sa.Column("verdict", sa.String(16), nullable=True),
        sa.Column("alternative_verdict", sa.String(16), nullable=True),
        sa.Column("adopted_verdict", sa.String(16), nullable=True),
        sa.Column("t_co2e_per_year", sa.Float(), nullable=True),
        sa.Column("alternative_t_co2e_per_year", sa.Float(), nullable=True),
        sa.Column("adopted_t_co2e_per_year", sa.Float(), nullable=True),
        sa.Column("exit_reason", sa.String(64), nullable=True),
        sa.Column("fragile", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("flagged", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("open_points", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ruleset_id", sa.String(64), nullable=True),
        sa.Column("ruleset_version", sa.String(40), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
    ]


def _outcome_columns() -> list[sa.Column]:
    return [
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(24), nullable=True),
        sa.Column("outcome_date", sa.Date(), nullable=True),
        sa.Column("outcome_changed", sa.String(8), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("outcome_recorded_at", sa.DateTime(), nullable=True),
        sa.Column("outcome_by_id", sa.Integer(), nullable=True),
    ]


INDEXED = [
    "meeting_date",
    "created_at",
    "deleted_at",
    "outcome",
    "outcome_changed",
    "status",
    "filed_status",
    "verdict",
    "alternative_verdict",
    "adopted_verdict",
    "t_co2e_per_year",
    "exit_reason",
    "fragile",
    "flagged",
    "open_points",
    "ruleset_id",
    "submitted_at",
    "reviewer_id",
    "reference",
    "department",
    "committee",
]


def upgrade() -> None:
    with op.batch_alter_table("klimacheck") as batch:
        batch.alter_column("title", type_=sa.String(1000), existing_type=sa.String(300), existing_nullable=False)
        for column in _state_columns() + _outcome_columns():
            batch.add_column(column)
        batch.create_foreign_key("fk_klimacheck_reviewer_id", "app_user", ["reviewer_id"], ["id"])
        batch.create_foreign_key("fk_klimacheck_outcome_by_id", "app_user", ["outcome_by_id"], ["id"])
        for name in INDEXED:
            batch.create_index(f"ix_klimacheck_{name}", [name])
    for name, columns in (
        ("ix_klimacheck_list_created", ["municipality_id", "created_at", "id"]),
        ("ix_klimacheck_list_reference", ["municipality_id", "reference", "id"]),
    ):
        op.create_index(name, "klimacheck", columns, sqlite_where=sa.text(LISTED), postgresql_where=sa.text(LISTED))
    op.create_index("ix_klimacheck_municipality_submitted", "klimacheck", ["municipality_id", "submitted_at"])
    op.create_index(
        "ix_klimacheck_outcome_due",
        "klimacheck",
        ["municipality_id", "meeting_date", "owner_id", "id"],
        sqlite_where=sa.text(OUTCOME_DUE),
        postgresql_where=sa.text(OUTCOME_DUE),
    )
    op.create_table(
        "check_sector",
        sa.Column("check_id", sa.Integer(), sa.ForeignKey("klimacheck.id"), nullable=False),
        sa.Column("variant", sa.String(12), nullable=False),
        sa.Column("sector", sa.String(64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("t_co2e_per_year", sa.Float(), nullable=True),
        sa.Column("t_co2e_once", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("check_id", "variant", "sector"),
    )
    op.create_index("ix_check_sector_sector", "check_sector", ["sector"])
    op.create_index(
        "ix_check_sector_figures",
        "check_sector",
        ["check_id", "variant", "sector", "t_co2e_per_year"],
        sqlite_where=sa.text("t_co2e_per_year IS NOT NULL"),
        postgresql_where=sa.text("t_co2e_per_year IS NOT NULL"),
    )
    _fill(op.get_bind())


def _fill(conn) -> None:
    check_t = sa.table("klimacheck", sa.column("id", sa.Integer), *[sa.column(c.name) for c in _state_columns()])
    revision_t = sa.table(
        "revision",
        *[
            sa.column(name)
            for name in (
                "check_id",
                "number",
                "status",
                "verdict",
                "t_co2e_per_year",
                "exit_reason",
                "fragile",
                "flagged",
                "open_points",
                "ruleset_id",
                "ruleset_version",
                "reviewed_by_id",
            )
        ],
        sa.column("submitted_at", sa.DateTime),
        sa.column("reviewed_at", sa.DateTime),
        sa.column("result", sa.JSON),
    )
    sector_t = sa.table("check_sector", *[sa.column(n) for n in ("check_id", "variant", "sector", "score")])
    sector_t.append_column(sa.column("t_co2e_per_year"))
    sector_t.append_column(sa.column("t_co2e_once"))
    rows = conn.execute(sa.select(revision_t).order_by(revision_t.c.check_id, revision_t.c.number)).fetchall()
    by_check: dict[int, list] = {}
    for row in rows:
        result = json.loads(row.result) if isinstance(row.result, str) else row.result
        by_check.setdefault(row.check_id, []).append(SimpleNamespace(**{**row._asdict(), "result": result}))
    no_outcome = SimpleNamespace(outcome=None)
    for check_id, revisions in by_check.items():
        state = state_of(no_outcome, revisions)
        conn.execute(check_t.update().where(check_t.c.id == check_id).values(**state))
        filed = [r for r in revisions if r.number == state["filed_number"]]
        figures = sector_figures(filed[0].result) if filed else []
        if figures:
            conn.execute(sector_t.insert(), [{"check_id": check_id, **f} for f in figures])


def downgrade() -> None:
    op.drop_index("ix_check_sector_figures", table_name="check_sector")
    op.drop_index("ix_check_sector_sector", table_name="check_sector")
    for name in (
        "ix_klimacheck_outcome_due",
        "ix_klimacheck_municipality_submitted",
        "ix_klimacheck_list_reference",
        "ix_klimacheck_list_created",
    ):
        op.drop_index(name, table_name="klimacheck")
    op.drop_table("check_sector")
    with op.batch_alter_table("klimacheck") as batch:
        for name in INDEXED:
            batch.drop_index(f"ix_klimacheck_{name}")
        batch.drop_constraint("fk_klimacheck_outcome_by_id", type_="foreignkey")
        batch.drop_constraint("fk_klimacheck_reviewer_id", type_="foreignkey")
        for column in reversed(_state_columns() + _outcome_columns()):
            batch.drop_column(column.name)
        batch.alter_column("title", type_=sa.String(300), existing_type=sa.String(1000), existing_nullable=False)
