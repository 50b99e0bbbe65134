"""Reads for ``scholarcrawl export``: one full record per publication (or per profile with
``--profiles``), streamed in batches.

A record holds what the database knows of a paper: its Scholar fields, cluster ids, the
crawled profiles that list it (with the citation count and ``citation_for_view`` key each
shows), its identifiers and its open-access PDF row. Publications are read in pages of
``batch_size`` ids, a handful of queries per page whatever its size, so an export of any
database holds one page in memory at a time.

The whole export reads one snapshot: a crawl writing meanwhile (a merge, a new row) never
makes a record appear twice or lose the profiles moved to it. On PostgreSQL the read runs
in a ``REPEATABLE READ`` transaction; on SQLite in one read transaction (WAL lets a crawl
write beside it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Row, and_, func, or_, select

from scholarcrawl.store.models import (
    Authorship,
    PdfQueueEntry,
    Publication,
    PublicationIdentifier,
    Scholar,
)
from scholarcrawl.store.repository import as_utc

#: Publications read per page.
DEFAULT_BATCH_SIZE = 500
# Sorts a profile's rows without a position after those with one (keyset-pageable).
_NO_POSITION = 2**31 - 1


@dataclass(frozen=True, slots=True)
class ExportAuthorship:
    """A crawled profile that lists the publication, as that profile shows it."""

    scholar_id: str
    name: str | None
    citations: int
    position: int | None
    citation_for_view: str | None  # Scholar's per-profile key of the row


@dataclass(frozen=True, slots=True)
class ExportIdentifier:
    """A DOI, arXiv id, PMID or PMCID (``role``: ``self`` or ``version``)."""

    kind: str
    value: str
    role: str
    source: str
    confidence: float


@dataclass(frozen=True, slots=True)
class ExportPdf:
    """The publication's ``pdf_queue`` row (statuses in :mod:`scholarcrawl.store.pdfqueue`).

    ``path`` is left empty here: the database does not know where ``PDF_STORE`` is; the
    export command fills it in for a stored file it finds (:func:`scholarcrawl.export`).
    """

    status: str
    pdf_url: str | None
    landing_url: str | None
    source: str | None
    oa_status: str | None
    download_status: str | None
    sha256: str | None
    size: int | None
    resolved_at: datetime | None
    path: str | None = None


@dataclass(frozen=True, slots=True)
class ExportDetails:
    """What the publication's detail page said (``-a details``, :mod:`scholarcrawl.store.details`).

    ``status`` is ``fetched``, or ``unavailable`` when Scholar had no page for it (the other
    fields are then empty and ``fields`` says why).
    """

    status: str
    fetched_at: datetime | None
    publication_date: str | None
    journal: str | None
    conference: str | None
    book: str | None
    volume: str | None
    issue: str | None
    pages: str | None
    publisher: str | None
    description: str | None
    citations: int | None  # "Total citations"
    fields: dict[str, Any]  # the page's other labelled fields (Inventors, Institution, ...)
    link_url: str | None  # the title's link
    fulltext_url: str | None  # the [PDF] / [HTML] link beside it
    fulltext_kind: str | None  # pdf | html


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """One publication with everything the export writes about it."""

    id: int
    title: str
    year: int | None
    venue: str | None
    authors: str | None  # as Scholar lists them (may end in "...")
    cluster_ids: tuple[str, ...]
    identifier_status: str | None
    scholars: tuple[ExportAuthorship, ...]  # by scholar id
    identifiers: tuple[ExportIdentifier, ...]  # own (``self``) first, then by kind and value
    pdf: ExportPdf | None
    created_at: datetime
    updated_at: datetime
    details: ExportDetails | None = None  # None until its detail page was asked for

    def identifier(self, kind: str) -> str | None:
        """The publication's identifier of ``kind``: its own first, then the most confident."""
        ranked = sorted(
            (ident for ident in self.identifiers if ident.kind == kind),
            key=lambda ident: (ident.role != "self", -ident.confidence, ident.value),
        )
        return ranked[0].value if ranked else None

    @property
    def doi(self) -> str | None:
        return self.identifier("doi")

    @property
    def arxiv_id(self) -> str | None:
        return self.identifier("arxiv")


@dataclass(frozen=True, slots=True)
class ExportProfile:
    """A crawled profile: its header as the last crawl read it, and its co-authors.

    ``coauthors`` are the ones page one shows (at most 20); ``coauthors_full`` every one
    (``-a coauthors=full``), None until that list was fetched. Each co-author is an object
    with ``scholar_id``, ``name`` and ``affiliation`` (and ``email_domain`` when known).
    """

    scholar_id: str
    name: str | None
    affiliation: str | None
    email_domain: str | None
    homepage: str | None
    interests: tuple[str, ...]
    citations_all: int | None
    citations_since: int | None
    h_index_all: int | None
    h_index_since: int | None
    i10_all: int | None
    i10_since: int | None
    since_year: int | None
    cites_per_year: dict[str, int]
    coauthors: tuple[dict[str, Any], ...]
    coauthors_full: tuple[dict[str, Any], ...] | None
    coauthors_full_at: datetime | None
    crawl_status: str | None
    last_crawled_at: datetime | None
    created_at: datetime
    updated_at: datetime


class Exporter:
    """Streams :class:`ExportRecord` (or :class:`ExportProfile`) from the database (read
    only)."""

    def __init__(self, engine: Engine, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self.engine = engine
        self.batch_size = batch_size

    def has_scholar(self, scholar_id: str) -> bool:
        with self.engine.connect() as connection:
            found = connection.scalar(
                select(Scholar.scholar_id).where(Scholar.scholar_id == scholar_id)
            )
            return found is not None

    def records(self, scholar_id: str | None = None) -> Generator[ExportRecord, None, None]:
        """Every publication by id, or those ``scholar_id`` lists, in that profile's order.

        Close the iterator (or read it to the end) to end the read transaction.
        """
        with self._snapshot() as connection:
            for page in self._pages(connection, scholar_id):
                yield from self._records(connection, page)

    def profiles(self, scholar_id: str | None = None) -> Generator[ExportProfile, None, None]:
        """Every profile by scholar id (or the one ``scholar_id``), read in pages from one
        snapshot. Close the iterator (or read it to the end) to end the read transaction."""
        query = select(Scholar.__table__).order_by(Scholar.scholar_id).limit(self.batch_size)
        if scholar_id is not None:
            query = query.where(Scholar.scholar_id == scholar_id)
        with self._snapshot() as connection:
            after: str | None = None
            while True:
                page = list(
                    connection.execute(
                        query if after is None else query.where(Scholar.scholar_id > after)
                    )
                )
                yield from (_profile(row) for row in page)
                if len(page) < self.batch_size:
                    return
                after = page[-1].scholar_id

    @contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """A connection whose reads all see one snapshot, rolled back at the end."""
        with self.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
                connection.begin()
            elif connection.dialect.name == "sqlite":
                # pysqlite only opens a transaction before a write: without BEGIN every
                # SELECT would read the database as it is at that moment
                connection.exec_driver_sql("BEGIN")
            try:
                yield connection
            finally:
                connection.rollback()

    def _pages(self, connection: Connection, scholar_id: str | None) -> Iterator[list[Row[Any]]]:
        """Pages of publication rows (keyset pagination): by id, or by the profile's position
        then id."""
        sort_key: ColumnElement[int]
        if scholar_id is None:
            sort_key = Publication.id.expression
            query = select(*_PUBLICATION_COLUMNS, sort_key.label("sort_key"))
        else:
            sort_key = func.coalesce(Authorship.position, _NO_POSITION)
            query = (
                select(*_PUBLICATION_COLUMNS, sort_key.label("sort_key"))
                .join(Authorship, Authorship.publication_id == Publication.id)
                .where(Authorship.scholar_id == scholar_id)
            )
        query = query.order_by(sort_key, Publication.id).limit(self.batch_size)
        after: ColumnElement[bool] | None = None
        while True:
            page = list(connection.execute(query if after is None else query.where(after)))
            if page:
                yield page
            if len(page) < self.batch_size:
                return
            key, last_id = int(page[-1].sort_key), int(page[-1].id)
            after = (
                Publication.id > last_id
                if scholar_id is None
                else or_(sort_key > key, and_(sort_key == key, Publication.id > last_id))
            )

    def _records(self, connection: Connection, page: Sequence[Row[Any]]) -> list[ExportRecord]:
        ids = [row.id for row in page]
        scholars: dict[int, list[ExportAuthorship]] = defaultdict(list)
        for held in connection.execute(
            select(
                Authorship.publication_id,
                Authorship.scholar_id,
                Scholar.name,
                Authorship.citations,
                Authorship.position,
                Authorship.scholar_pub_key,
            )
            .join(Scholar, Scholar.scholar_id == Authorship.scholar_id)
            .where(Authorship.publication_id.in_(ids))
            .order_by(Authorship.publication_id, Authorship.scholar_id)
        ):
            scholars[held.publication_id].append(
                ExportAuthorship(
                    held.scholar_id,
                    held.name,
                    int(held.citations or 0),
                    held.position,
                    held.scholar_pub_key,
                )
            )
        identifiers: dict[int, list[ExportIdentifier]] = defaultdict(list)
        for found in connection.execute(
            select(
                PublicationIdentifier.publication_id,
                PublicationIdentifier.kind,
                PublicationIdentifier.value,
                PublicationIdentifier.role,
                PublicationIdentifier.source,
                PublicationIdentifier.confidence,
            )
            .where(PublicationIdentifier.publication_id.in_(ids))
            .order_by(PublicationIdentifier.publication_id, PublicationIdentifier.id)
        ):
            identifiers[found.publication_id].append(
                ExportIdentifier(
                    found.kind, found.value, found.role, found.source, float(found.confidence)
                )
            )
        pdfs: dict[int, ExportPdf] = {
            row.publication_id: ExportPdf(
                status=row.status,
                pdf_url=row.pdf_url,
                landing_url=row.landing_url,
                source=row.source,
                oa_status=row.oa_status,
                download_status=row.download_status,
                sha256=row.pdf_sha256,
                size=row.pdf_size,
                resolved_at=_utc_opt(row.resolved_at),
            )
            for row in connection.execute(
                select(
                    PdfQueueEntry.publication_id,
                    PdfQueueEntry.status,
                    PdfQueueEntry.pdf_url,
                    PdfQueueEntry.landing_url,
                    PdfQueueEntry.source,
                    PdfQueueEntry.oa_status,
                    PdfQueueEntry.download_status,
                    PdfQueueEntry.pdf_sha256,
                    PdfQueueEntry.pdf_size,
                    PdfQueueEntry.resolved_at,
                ).where(PdfQueueEntry.publication_id.in_(ids))
            )
        }
        return [
            ExportRecord(
                id=row.id,
                title=row.title,
                year=row.year,
                venue=row.venue,
                authors=row.authors,
                cluster_ids=tuple(sorted(str(cid) for cid in row.cluster_ids or [])),
                identifier_status=row.identifier_status,
                scholars=tuple(scholars.get(row.id, ())),
                identifiers=_ordered(identifiers.get(row.id, [])),
                pdf=pdfs.get(row.id),
                created_at=as_utc(row.created_at),
                updated_at=as_utc(row.updated_at),
                details=_details(row),
            )
            for row in page
        ]


_PUBLICATION_COLUMNS = (
    Publication.id,
    Publication.title,
    Publication.year,
    Publication.venue,
    Publication.authors,
    Publication.cluster_ids,
    Publication.identifier_status,
    Publication.created_at,
    Publication.updated_at,
    Publication.details_status,
    Publication.details_fetched_at,
    Publication.publication_date,
    Publication.journal,
    Publication.conference,
    Publication.book,
    Publication.volume,
    Publication.issue,
    Publication.pages,
    Publication.publisher,
    Publication.description,
    Publication.detail_citations,
    Publication.detail_fields,
    Publication.link_url,
    Publication.fulltext_url,
    Publication.fulltext_kind,
)


def _profile(row: Row[Any]) -> ExportProfile:
    return ExportProfile(
        scholar_id=row.scholar_id,
        name=row.name,
        affiliation=row.affiliation,
        email_domain=row.email_domain,
        homepage=row.homepage,
        interests=tuple(row.interests or ()),
        citations_all=row.citations_all,
        citations_since=row.citations_since,
        h_index_all=row.h_index_all,
        h_index_since=row.h_index_since,
        i10_all=row.i10_all,
        i10_since=row.i10_since,
        since_year=row.since_year,
        cites_per_year=dict(row.cites_per_year or {}),
        coauthors=tuple(dict(c) for c in row.coauthors or ()),
        coauthors_full=None
        if row.coauthors_full is None
        else tuple(dict(c) for c in row.coauthors_full),
        coauthors_full_at=_utc_opt(row.coauthors_full_at),
        crawl_status=row.crawl_status,
        last_crawled_at=_utc_opt(row.last_crawled_at),
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


def _details(row: Row[Any]) -> ExportDetails | None:
    if row.details_status is None:
        return None
    return ExportDetails(
        status=row.details_status,
        fetched_at=_utc_opt(row.details_fetched_at),
        publication_date=row.publication_date,
        journal=row.journal,
        conference=row.conference,
        book=row.book,
        volume=row.volume,
        issue=row.issue,
        pages=row.pages,
        publisher=row.publisher,
        description=row.description,
        citations=row.detail_citations,
        fields=dict(row.detail_fields or {}),
        link_url=row.link_url,
        fulltext_url=row.fulltext_url,
        fulltext_kind=row.fulltext_kind,
    )


def _ordered(identifiers: list[ExportIdentifier]) -> tuple[ExportIdentifier, ...]:
    return tuple(
        sorted(identifiers, key=lambda ident: (ident.role != "self", ident.kind, ident.value))
    )


def _utc_opt(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)
