"""Reads for ``scholarcrawl export``: one full record per publication, streamed in batches.

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


class Exporter:
    """Streams :class:`ExportRecord` from the database (read only)."""

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
)


def _ordered(identifiers: list[ExportIdentifier]) -> tuple[ExportIdentifier, ...]:
    return tuple(
        sorted(identifiers, key=lambda ident: (ident.role != "self", ident.kind, ident.value))
    )


def _utc_opt(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)
