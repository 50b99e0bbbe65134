"""SQLAlchemy 2 models: the database schema (migrated with Alembic).

Identity rules (see docs/identifiers.md, "How publications are identified"):
- a publication is found by its own DOI, then its own arXiv id (``publication_identifiers``
  with role ``self``), then any of its Scholar cluster ids (``cites=``), then its fingerprint
  (normalised title + year + first-author surname), then the fingerprint of a publication
  merged into it (``publication_merges``);
- ``citation_for_view`` keys are per profile, so they live on the authorship, never on the
  publication.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names so that Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Scholar(Base):
    """A Google Scholar profile (one row per 12-character scholar id)."""

    __tablename__ = "scholars"

    scholar_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    affiliation: Mapped[str | None] = mapped_column(Text)
    email_domain: Mapped[str | None] = mapped_column(String(255))
    homepage: Mapped[str | None] = mapped_column(Text)
    interests: Mapped[list[Any]] = mapped_column(JSON, default=list)
    photo_url: Mapped[str | None] = mapped_column(Text)
    citations_all: Mapped[int | None] = mapped_column(Integer)
    citations_since: Mapped[int | None] = mapped_column(Integer)
    h_index_all: Mapped[int | None] = mapped_column(Integer)
    h_index_since: Mapped[int | None] = mapped_column(Integer)
    i10_all: Mapped[int | None] = mapped_column(Integer)
    i10_since: Mapped[int | None] = mapped_column(Integer)
    since_year: Mapped[int | None] = mapped_column(Integer)
    cites_per_year: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    coauthors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Every co-author (``view_op=list_colleagues``, ``-a coauthors=full``): None until fetched.
    # ``coauthors`` above stays what page one shows (at most 20).
    coauthors_full: Mapped[list[Any] | None] = mapped_column(JSON)
    coauthors_full_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # How the last crawl of this profile ended: complete | robots_disallowed | incomplete |
    # unavailable | error; the reason says why (e.g. layout_unrecognised).
    crawl_status: Mapped[str | None] = mapped_column(String(32))
    crawl_reason: Mapped[str | None] = mapped_column(Text)
    pages_fetched: Mapped[int | None] = mapped_column(Integer)
    rows_seen: Mapped[int | None] = mapped_column(Integer)
    last_crawled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_run_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Publication(Base):
    """One paper, however many crawled profiles list it."""

    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(Text)
    normalized_title: Mapped[str] = mapped_column(Text)
    authors: Mapped[str | None] = mapped_column(Text)
    venue: Mapped[str | None] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer)
    merged: Mapped[bool] = mapped_column(Boolean, default=False)
    cluster_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The profile whose row the descriptive fields come from: only that profile updates them,
    # so two profiles that word a venue differently never flip the row back and forth.
    source_scholar_id: Mapped[str | None] = mapped_column(String(12))
    # How identifier resolution last ended for this paper (closed vocabulary, see
    # scholarcrawl.resolver): resolved | no_match | uninformative | deferred | error | disabled
    identifier_status: Mapped[str | None] = mapped_column(String(16))
    identifier_error: Mapped[str | None] = mapped_column(Text)  # why the last try failed
    # From the publication's detail page (``view_op=view_citation``, ``-a details=...``).
    # details_status: None (never fetched) | fetched | unavailable (Scholar has no such page)
    details_status: Mapped[str | None] = mapped_column(String(16))
    details_fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    publication_date: Mapped[str | None] = mapped_column(String(32))  # as printed: 2018/9/16
    journal: Mapped[str | None] = mapped_column(Text)
    conference: Mapped[str | None] = mapped_column(Text)
    book: Mapped[str | None] = mapped_column(Text)
    volume: Mapped[str | None] = mapped_column(String(64))
    issue: Mapped[str | None] = mapped_column(String(64))
    pages: Mapped[str | None] = mapped_column(String(64))
    publisher: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    detail_citations: Mapped[int | None] = mapped_column(Integer)  # "Total citations"
    detail_fields: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # other labelled fields
    link_url: Mapped[str | None] = mapped_column(Text)  # the title's link
    fulltext_url: Mapped[str | None] = mapped_column(Text)  # the [PDF]/[HTML] link beside it
    fulltext_kind: Mapped[str | None] = mapped_column(String(8))  # pdf | html
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PublicationIdentifier(Base):
    """A DOI, arXiv id, PMID or PMCID of a publication, with where it came from.

    ``role`` is ``self`` for an identifier of the version the Scholar row describes (it takes
    part in identity: two publications with the same ``self`` DOI are one and are merged) and
    ``version`` for another version of the same work (a journal row's arXiv preprint, a
    preprint row's published DOI): publications sharing such a value are linked, not merged.
    ``evidence`` holds what the decision rests on (matched text, component scores).
    """

    __tablename__ = "publication_identifiers"
    __table_args__ = (
        UniqueConstraint("publication_id", "kind", "value"),
        Index("ix_publication_identifiers_kind_value", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    publication_id: Mapped[int] = mapped_column(
        ForeignKey("publications.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    run_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PublicationMerge(Base):
    """Two publications found to be one (a shared DOI or arXiv id): what went where, and why.

    The merged row is gone; its fingerprint stays here so that a later row with that
    fingerprint finds the survivor.
    """

    __tablename__ = "publication_merges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    survivor_id: Mapped[int] = mapped_column(
        ForeignKey("publications.id", ondelete="CASCADE"), index=True
    )
    merged_publication_id: Mapped[int] = mapped_column(Integer)
    merged_fingerprint: Mapped[str] = mapped_column(String(32), index=True)
    merged_title: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(64))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    run_id: Mapped[str | None] = mapped_column(String(36))
    merged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PublicationCluster(Base):
    """Scholar cluster ids (``cites=``) of a publication: a merged entry has several."""

    __tablename__ = "publication_clusters"

    cluster_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    publication_id: Mapped[int] = mapped_column(
        ForeignKey("publications.id", ondelete="CASCADE"), index=True
    )


class Authorship(Base):
    """A publication as listed on one profile."""

    __tablename__ = "authorships"
    __table_args__ = (UniqueConstraint("scholar_id", "publication_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scholar_id: Mapped[str] = mapped_column(
        ForeignKey("scholars.scholar_id", ondelete="CASCADE"), index=True
    )
    publication_id: Mapped[int] = mapped_column(
        ForeignKey("publications.id", ondelete="CASCADE"), index=True
    )
    scholar_pub_key: Mapped[str | None] = mapped_column(String(64))
    citations: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CitationSnapshot(Base):
    """Citation history: a row whenever a run sees a count that differs from the last one."""

    __tablename__ = "citation_snapshots"
    __table_args__ = (
        UniqueConstraint("publication_id", "scholar_id", "run_id"),
        Index("ix_citation_snapshots_pub_scholar", "publication_id", "scholar_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"))
    scholar_id: Mapped[str] = mapped_column(ForeignKey("scholars.scholar_id", ondelete="CASCADE"))
    run_id: Mapped[str] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    citations: Mapped[int] = mapped_column(Integer)
    observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CrawlRun(Base):
    """One crawl, from before it starts to after it ends (see docs/runs.md).

    Status: ``queued`` (scheduled through scrapyd, not started) -> ``running`` ->
    ``completed`` | ``failed`` | ``cancelled``. ``stats`` holds the run's own Scrapy stats,
    ``counters`` the few figures an operator reads (pages, items, blocks, ...), ``progress``
    the pages done of the pages known. A running row whose ``heartbeat_at`` is older than
    ``RUNS_STALE_AFTER_SECONDS`` belongs to a killed process and is marked ``failed``.
    """

    __tablename__ = "crawl_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    spider: Mapped[str] = mapped_column(String(64))
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), index=True)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    counters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    progress: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    scrapyd_job_id: Mapped[str | None] = mapped_column(String(64), index=True)
    scrapyd_url: Mapped[str | None] = mapped_column(String(255))  # where it was scheduled
    node: Mapped[str | None] = mapped_column(String(128))  # host:pid of the running process
    # the run's own RUNS_STALE_AFTER_SECONDS: no reaper takes it for dead any sooner
    stale_after_seconds: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RunScholar(Base):
    """What one run did to one profile: the answer to "which runs touched this scholar?"."""

    __tablename__ = "run_scholars"
    __table_args__ = (UniqueConstraint("run_id", "scholar_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"))
    scholar_id: Mapped[str] = mapped_column(String(12), index=True)
    status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(64))
    pages_fetched: Mapped[int] = mapped_column(Integer, default=0)
    rows_seen: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ContinuationEntry(Base):
    """The next page of one profile still to fetch (one row per profile: pages are sequential).

    Status: queued -> claimed -> done | abandoned (or back to queued, with backoff). Read and
    written only through :class:`scholarcrawl.store.queue.ContinuationQueue`.
    """

    __tablename__ = "continuation_queue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scholar_id: Mapped[str] = mapped_column(String(12), unique=True)
    cstart: Mapped[int] = mapped_column(Integer)
    sortby: Mapped[str | None] = mapped_column(String(16))
    # What is left of the profile: its pages from ``cstart``, then its co-author list
    # (``coauthors`` = full), then its detail pages (``details`` = missing | all).
    stage: Mapped[str] = mapped_column(String(16), default="pages", server_default="pages")
    details: Mapped[str | None] = mapped_column(String(16))
    coauthors: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    status: Mapped[str] = mapped_column(String(16), index=True)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    claim_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Cooldown(Base):
    """A pause of every Scholar request through one egress (a name, never credentials)."""

    __tablename__ = "cooldowns"

    egress: Mapped[str] = mapped_column(String(255), primary_key=True)
    reason: Mapped[str] = mapped_column(String(64))
    until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    activated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[str | None] = mapped_column(String(36))


class ApiCacheEntry(Base):
    """A cached API answer, keyed by a fingerprint of the request (never of the contact e-mail)."""

    __tablename__ = "api_cache"
    __table_args__ = (UniqueConstraint("service", "fingerprint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service: Mapped[str] = mapped_column(String(32))
    fingerprint: Mapped[str] = mapped_column(String(64))
    request_url: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class ApiRuntimeState(Base):
    """Per API service, shared by every process: the rate clock and the cooldown."""

    __tablename__ = "api_runtime_state"

    service: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_allowed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cooldown_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cooldown_reason: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiInFlight(Base):
    """Send permits of one API service, shared by every process (``<SERVICE>_MAX_IN_FLIGHT``).

    A request holds a slot (``holder``: host:pid:tag) from before it is sent until its answer is
    in; a killed process's slots come back when their lease (``expires_at``) runs out, or at once
    to a process on the same host that sees the pid is gone.
    """

    __tablename__ = "api_inflight"

    service: Mapped[str] = mapped_column(String(32), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holder: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PdfQueueEntry(Base):
    """Where to read one publication's open-access PDF, and how finding it went.

    One row per publication with a DOI or an arXiv id. Status (closed vocabulary, see
    :mod:`scholarcrawl.store.pdfqueue`): pending -> claimed -> done | no-oa-location |
    not-found | http-error | blocked (the last two retried with back-off). Read and written
    only through :class:`scholarcrawl.store.pdfqueue.PdfQueue`.
    """

    __tablename__ = "pdf_queue"
    __table_args__ = (Index("ix_pdf_queue_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    publication_id: Mapped[int] = mapped_column(
        ForeignKey("publications.id", ondelete="CASCADE"), unique=True
    )
    doi: Mapped[str | None] = mapped_column(String(255))
    arxiv_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claim_owner: Mapped[str | None] = mapped_column(String(64))
    claim_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    pdf_url: Mapped[str | None] = mapped_column(Text)
    landing_url: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(16))
    oa_status: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_size: Mapped[int | None] = mapped_column(Integer)
    download_status: Mapped[str | None] = mapped_column(String(16))
    run_id: Mapped[str | None] = mapped_column(String(36))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Exclusion(Base):
    """A profile never to request, or a publication never to (re)ingest.

    ``kind`` is ``scholar`` (``value``: the scholar id) or ``publication`` (``value``: the
    fingerprint). A publication's exclusion also keeps the keys it was known by (cluster ids,
    per-profile ``citation_for_view`` keys, DOIs and arXiv ids), so that a row of it is
    recognised whichever key it arrives with. Read and written only through
    :class:`scholarcrawl.store.exclusions.ExclusionStore`.
    """

    __tablename__ = "exclusions"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)  # the publication's, for `exclude list`
    cluster_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    pub_keys: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [scholar_id, key] pairs
    identifiers: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [kind, value] pairs
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
