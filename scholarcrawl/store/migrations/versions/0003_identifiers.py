"""Adds publication identifiers, merges, the API cache and the shared API rate clock

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identifier_status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("identifier_error", sa.Text(), nullable=True))

    op.create_table(
        "publication_identifiers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publications.id"],
            name=op.f("fk_publication_identifiers_publication_id_publications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication_identifiers")),
        sa.UniqueConstraint(
            "publication_id",
            "kind",
            "value",
            name=op.f("uq_publication_identifiers_publication_id"),
        ),
    )
    with op.batch_alter_table("publication_identifiers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_publication_identifiers_publication_id"), ["publication_id"]
        )
        batch_op.create_index("ix_publication_identifiers_kind_value", ["kind", "value"])

    op.create_table(
        "publication_merges",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("merged_publication_id", sa.Integer(), nullable=False),
        sa.Column("merged_fingerprint", sa.String(length=32), nullable=False),
        sa.Column("merged_title", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["survivor_id"],
            ["publications.id"],
            name=op.f("fk_publication_merges_survivor_id_publications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication_merges")),
    )
    with op.batch_alter_table("publication_merges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_publication_merges_survivor_id"), ["survivor_id"])
        batch_op.create_index(
            batch_op.f("ix_publication_merges_merged_fingerprint"), ["merged_fingerprint"]
        )

    op.create_table(
        "api_cache",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("request_url", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_cache")),
        sa.UniqueConstraint("service", "fingerprint", name=op.f("uq_api_cache_service")),
    )
    with op.batch_alter_table("api_cache", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_cache_expires_at"), ["expires_at"])

    op.create_table(
        "api_runtime_state",
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("next_allowed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cooldown_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cooldown_reason", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("service", name=op.f("pk_api_runtime_state")),
    )

    op.create_table(
        "api_inflight",
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("service", "slot", name=op.f("pk_api_inflight")),
    )


def downgrade() -> None:
    op.drop_table("api_inflight")
    op.drop_table("api_runtime_state")
    with op.batch_alter_table("api_cache", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_cache_expires_at"))
    op.drop_table("api_cache")
    with op.batch_alter_table("publication_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publication_merges_merged_fingerprint"))
        batch_op.drop_index(batch_op.f("ix_publication_merges_survivor_id"))
    op.drop_table("publication_merges")
    with op.batch_alter_table("publication_identifiers", schema=None) as batch_op:
        batch_op.drop_index("ix_publication_identifiers_kind_value")
        batch_op.drop_index(batch_op.f("ix_publication_identifiers_publication_id"))
    op.drop_table("publication_identifiers")
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.drop_column("identifier_error")
        batch_op.drop_column("identifier_status")
