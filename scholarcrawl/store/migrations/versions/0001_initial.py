"""Creates the initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("spider", sa.String(length=64), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_runs")),
    )
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crawl_runs_status"), ["status"], unique=False)

    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("normalized_title", sa.Text(), nullable=False),
        sa.Column("authors", sa.Text(), nullable=True),
        sa.Column("venue", sa.Text(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("merged", sa.Boolean(), nullable=False),
        sa.Column("cluster_ids", sa.JSON(), nullable=False),
        sa.Column("source_scholar_id", sa.String(length=12), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publications")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_publications_fingerprint")),
    )
    op.create_table(
        "scholars",
        sa.Column("scholar_id", sa.String(length=12), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("affiliation", sa.Text(), nullable=True),
        sa.Column("email_domain", sa.String(length=255), nullable=True),
        sa.Column("homepage", sa.Text(), nullable=True),
        sa.Column("interests", sa.JSON(), nullable=False),
        sa.Column("photo_url", sa.Text(), nullable=True),
        sa.Column("citations_all", sa.Integer(), nullable=True),
        sa.Column("citations_since", sa.Integer(), nullable=True),
        sa.Column("h_index_all", sa.Integer(), nullable=True),
        sa.Column("h_index_since", sa.Integer(), nullable=True),
        sa.Column("i10_all", sa.Integer(), nullable=True),
        sa.Column("i10_since", sa.Integer(), nullable=True),
        sa.Column("since_year", sa.Integer(), nullable=True),
        sa.Column("cites_per_year", sa.JSON(), nullable=False),
        sa.Column("coauthors", sa.JSON(), nullable=False),
        sa.Column("crawl_status", sa.String(length=32), nullable=True),
        sa.Column("crawl_reason", sa.Text(), nullable=True),
        sa.Column("pages_fetched", sa.Integer(), nullable=True),
        sa.Column("rows_seen", sa.Integer(), nullable=True),
        sa.Column("last_crawled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scholar_id", name=op.f("pk_scholars")),
    )
    op.create_table(
        "authorships",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scholar_id", sa.String(length=12), nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("scholar_pub_key", sa.String(length=64), nullable=True),
        sa.Column("citations", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publications.id"],
            name=op.f("fk_authorships_publication_id_publications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["scholar_id"],
            ["scholars.scholar_id"],
            name=op.f("fk_authorships_scholar_id_scholars"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorships")),
        sa.UniqueConstraint("scholar_id", "publication_id", name=op.f("uq_authorships_scholar_id")),
    )
    with op.batch_alter_table("authorships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_authorships_publication_id"), ["publication_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_authorships_scholar_id"), ["scholar_id"], unique=False)

    op.create_table(
        "citation_snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("scholar_id", sa.String(length=12), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("citations", sa.Integer(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publications.id"],
            name=op.f("fk_citation_snapshots_publication_id_publications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["crawl_runs.id"], name=op.f("fk_citation_snapshots_run_id_crawl_runs")
        ),
        sa.ForeignKeyConstraint(
            ["scholar_id"],
            ["scholars.scholar_id"],
            name=op.f("fk_citation_snapshots_scholar_id_scholars"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citation_snapshots")),
        sa.UniqueConstraint(
            "publication_id",
            "scholar_id",
            "run_id",
            name=op.f("uq_citation_snapshots_publication_id"),
        ),
    )
    with op.batch_alter_table("citation_snapshots", schema=None) as batch_op:
        batch_op.create_index(
            "ix_citation_snapshots_pub_scholar",
            ["publication_id", "scholar_id", "id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_citation_snapshots_run_id"), ["run_id"], unique=False)

    op.create_table(
        "publication_clusters",
        sa.Column("cluster_id", sa.String(length=32), nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publications.id"],
            name=op.f("fk_publication_clusters_publication_id_publications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cluster_id", name=op.f("pk_publication_clusters")),
    )
    with op.batch_alter_table("publication_clusters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_publication_clusters_publication_id"), ["publication_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("publication_clusters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publication_clusters_publication_id"))

    op.drop_table("publication_clusters")
    with op.batch_alter_table("citation_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citation_snapshots_run_id"))
        batch_op.drop_index("ix_citation_snapshots_pub_scholar")

    op.drop_table("citation_snapshots")
    with op.batch_alter_table("authorships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authorships_scholar_id"))
        batch_op.drop_index(batch_op.f("ix_authorships_publication_id"))

    op.drop_table("authorships")
    op.drop_table("scholars")
    op.drop_table("publications")
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crawl_runs_status"))

    op.drop_table("crawl_runs")
