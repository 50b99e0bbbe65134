"""Adds publication details, full co-author lists, queue stages and exclusions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)
_DETAIL_COLUMNS = (
    ("details_status", sa.String(length=16)),
    ("details_fetched_at", _TIME),
    ("publication_date", sa.String(length=32)),
    ("journal", sa.Text()),
    ("conference", sa.Text()),
    ("book", sa.Text()),
    ("volume", sa.String(length=64)),
    ("issue", sa.String(length=64)),
    ("pages", sa.String(length=64)),
    ("publisher", sa.Text()),
    ("description", sa.Text()),
    ("detail_citations", sa.Integer()),
    ("detail_fields", sa.JSON()),
    ("link_url", sa.Text()),
    ("fulltext_url", sa.Text()),
    ("fulltext_kind", sa.String(length=8)),
)


def upgrade() -> None:
    with op.batch_alter_table("publications", schema=None) as batch_op:
        for name, type_ in _DETAIL_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("scholars", schema=None) as batch_op:
        batch_op.add_column(sa.Column("coauthors_full", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("coauthors_full_at", _TIME, nullable=True))
    with op.batch_alter_table("continuation_queue", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stage", sa.String(length=16), server_default="pages", nullable=False)
        )
        batch_op.add_column(sa.Column("details", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("coauthors", sa.String(length=16), nullable=True))
    op.create_table(
        "exclusions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("cluster_ids", sa.JSON(), nullable=False),
        sa.Column("pub_keys", sa.JSON(), nullable=False),
        sa.Column("identifiers", sa.JSON(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exclusions")),
        sa.UniqueConstraint("kind", "value", name=op.f("uq_exclusions_kind")),
    )


def downgrade() -> None:
    op.drop_table("exclusions")
    with op.batch_alter_table("continuation_queue", schema=None) as batch_op:
        batch_op.drop_column("coauthors")
        batch_op.drop_column("details")
        batch_op.drop_column("stage")
    with op.batch_alter_table("scholars", schema=None) as batch_op:
        batch_op.drop_column("coauthors_full_at")
        batch_op.drop_column("coauthors_full")
    with op.batch_alter_table("publications", schema=None) as batch_op:
        for name, _type in reversed(_DETAIL_COLUMNS):
            batch_op.drop_column(name)
