"""Tracks runs from scheduling to the end: queued rows, heartbeats, scrapyd job ids, progress

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

_TIME = sa.DateTime(timezone=True)

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("counters", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("progress", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("scrapyd_job_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("scrapyd_url", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("node", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("stale_after_seconds", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column("started_at", existing_type=_TIME, nullable=True)
    # runs recorded before this revision were created when they started
    op.execute("UPDATE crawl_runs SET created_at = started_at, counters = '{}', progress = '{}'")
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.alter_column("created_at", existing_type=_TIME, nullable=False)
        batch_op.alter_column("counters", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("progress", existing_type=sa.JSON(), nullable=False)
        batch_op.create_index(batch_op.f("ix_crawl_runs_created_at"), ["created_at"])
        batch_op.create_index(batch_op.f("ix_crawl_runs_scrapyd_job_id"), ["scrapyd_job_id"])
    op.create_table(
        "run_scholars",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("scholar_id", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("pages_fetched", sa.Integer(), nullable=False),
        sa.Column("rows_seen", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_run_scholars_run_id_crawl_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_scholars")),
        sa.UniqueConstraint("run_id", "scholar_id", name=op.f("uq_run_scholars_run_id")),
    )
    with op.batch_alter_table("run_scholars", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_scholars_scholar_id"), ["scholar_id"])


def downgrade() -> None:
    with op.batch_alter_table("run_scholars", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_scholars_scholar_id"))
    op.drop_table("run_scholars")
    op.execute("UPDATE crawl_runs SET started_at = created_at WHERE started_at IS NULL")
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crawl_runs_scrapyd_job_id"))
        batch_op.drop_index(batch_op.f("ix_crawl_runs_created_at"))
        batch_op.alter_column("started_at", existing_type=_TIME, nullable=False)
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("created_at")
        batch_op.drop_column("stale_after_seconds")
        batch_op.drop_column("node")
        batch_op.drop_column("scrapyd_url")
        batch_op.drop_column("scrapyd_job_id")
        batch_op.drop_column("progress")
        batch_op.drop_column("counters")
