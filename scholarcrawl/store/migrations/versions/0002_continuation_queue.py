"""Adds the continuation queue and the persisted cooldowns

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "continuation_queue",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scholar_id", sa.String(length=12), nullable=False),
        sa.Column("cstart", sa.Integer(), nullable=False),
        sa.Column("sortby", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_continuation_queue")),
        sa.UniqueConstraint("scholar_id", name=op.f("uq_continuation_queue_scholar_id")),
    )
    with op.batch_alter_table("continuation_queue", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_continuation_queue_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_continuation_queue_status"), ["status"], unique=False)

    op.create_table(
        "cooldowns",
        sa.Column("egress", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("egress", name=op.f("pk_cooldowns")),
    )


def downgrade() -> None:
    op.drop_table("cooldowns")
    with op.batch_alter_table("continuation_queue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_continuation_queue_status"))
        batch_op.drop_index(batch_op.f("ix_continuation_queue_next_attempt_at"))

    op.drop_table("continuation_queue")
