"""All SQL of scholarcrawl: idempotent upserts and the queries the CLI and tests read.

Every write says what it did (:class:`Change`), so pipelines can count inserts and updates
in the stats. A rerun of a crawl on unchanged Scholar pages writes nothing but bookkeeping
(``crawl_runs``, ``scholars.last_crawled_at`` / ``last_run_id``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from scholarcrawl.fingerprint import normalise_title
from scholarcrawl.store.models import (
    Authorship,
    CitationSnapshot,
    CrawlRun,
    Publication,
    PublicationCluster,
    Scholar,
)

SCHOLAR_DATA_FIELDS = (
    "name",
    "affiliation",
    "email_domain",
    "homepage",
    "interests",
    "photo_url",
    "citations_all",
    "citations_since",
    "h_index_all",
    "h_index_since",
    "i10_all",
    "i10_since",
    "since_year",
    "cites_per_year",
    "coauthors",
)
PUBLICATION_DATA_FIELDS = ("title", "authors", "venue", "year", "merged")


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Change:
    """What an upsert did."""

    inserted: bool = False
    updated: bool = False

    @property
    def changed(self) -> bool:
        return self.inserted or self.updated


@dataclass(frozen=True, slots=True)
class PublicationChange:
    """What storing one publication row did, table by table."""

    publication_id: int
    publication: Change
    authorship: Change
    snapshot_added: bool


def _apply(row: Any, values: Mapping[str, Any]) -> bool:
    """Set the attributes that differ; True when anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


class Repository:
    """The storage layer's single entry point; holds the engine and opens every session."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    # --- runs ------------------------------------------------------------------------------

    def start_run(self, spider: str, arguments: Mapping[str, Any]) -> str:
        run_id = str(uuid.uuid4())
        with self.session() as session:
            session.add(
                CrawlRun(
                    id=run_id,
                    spider=spider,
                    arguments=dict(arguments),
                    status="running",
                    stats={},
                    started_at=utcnow(),
                )
            )
        return run_id

    def finish_run(
        self, run_id: str, status: str, stats: Mapping[str, Any], error: str | None = None
    ) -> None:
        with self.session() as session:
            run = session.get(CrawlRun, run_id)
            if run is None:
                return
            run.status = status
            run.stats = dict(stats)
            run.error = error
            run.finished_at = utcnow()

    def get_run(self, run_id: str) -> CrawlRun | None:
        with self.session() as session:
            return session.get(CrawlRun, run_id)

    # --- scholars --------------------------------------------------------------------------

    def upsert_scholar(self, values: Mapping[str, Any], run_id: str | None) -> Change:
        """Insert or update a profile's header; ``values`` has ``scholar_id`` and data fields."""
        data = {key: values[key] for key in SCHOLAR_DATA_FIELDS if key in values}
        now = utcnow()
        with self.session() as session:
            row = session.get(Scholar, values["scholar_id"])
            if row is None:
                session.add(
                    Scholar(
                        scholar_id=values["scholar_id"],
                        created_at=now,
                        updated_at=now,
                        last_crawled_at=now,
                        last_run_id=run_id,
                        **data,
                    )
                )
                return Change(inserted=True)
            updated = _apply(row, data)
            if updated:
                row.updated_at = now
            row.last_crawled_at = now
            row.last_run_id = run_id
            return Change(updated=updated)

    def record_profile_outcome(
        self,
        scholar_id: str,
        *,
        status: str,
        reason: str | None,
        pages_fetched: int,
        rows_seen: int,
        run_id: str | None,
    ) -> Change:
        """How this run's crawl of a profile ended (creates a bare row for an unknown id)."""
        now = utcnow()
        values = {
            "crawl_status": status,
            "crawl_reason": reason,
            "pages_fetched": pages_fetched,
            "rows_seen": rows_seen,
        }
        with self.session() as session:
            row = session.get(Scholar, scholar_id)
            if row is None:
                session.add(
                    Scholar(
                        scholar_id=scholar_id,
                        interests=[],
                        cites_per_year={},
                        coauthors=[],
                        created_at=now,
                        updated_at=now,
                        last_crawled_at=now,
                        last_run_id=run_id,
                        **values,
                    )
                )
                return Change(inserted=True)
            updated = _apply(row, values)
            if updated:
                row.updated_at = now
            row.last_crawled_at = now
            row.last_run_id = run_id
            return Change(updated=updated)

    # --- publications ----------------------------------------------------------------------

    def upsert_publication(self, values: Mapping[str, Any], run_id: str) -> PublicationChange:
        """Store one publication row of a profile: publication, authorship and history together.

        ``values`` holds a PublicationItem's fields (fingerprint set). Either all three writes
        happen or none: there is never a publication without the authorship that brought it.
        """
        try:
            return self._upsert_publication(values, run_id)
        except IntegrityError:
            # Another process inserted the same fingerprint or cluster id between our lookup
            # and our insert: the retry finds its row and updates it instead.
            return self._upsert_publication(values, run_id)

    def _upsert_publication(self, values: Mapping[str, Any], run_id: str) -> PublicationChange:
        now = utcnow()
        scholar_id = values["scholar_id"]
        cluster_ids: list[str] = list(values.get("cluster_ids") or [])
        data = {key: values[key] for key in PUBLICATION_DATA_FIELDS}
        with self.session() as session:
            if session.get(Scholar, scholar_id) is None:
                session.add(
                    Scholar(
                        scholar_id=scholar_id,
                        interests=[],
                        cites_per_year={},
                        coauthors=[],
                        created_at=now,
                        updated_at=now,
                    )
                )
                session.flush()
            publication = self._find_publication(session, cluster_ids, values["fingerprint"])
            if publication is None:
                publication = Publication(
                    fingerprint=values["fingerprint"],
                    normalized_title=normalise_title(values["title"]),
                    cluster_ids=sorted(cluster_ids),
                    source_scholar_id=scholar_id,
                    created_at=now,
                    updated_at=now,
                    **data,
                )
                session.add(publication)
                session.flush()
                pub_change = Change(inserted=True)
            else:
                pub_updated = False
                if publication.source_scholar_id in (None, scholar_id):
                    data["normalized_title"] = normalise_title(values["title"])
                    data["source_scholar_id"] = scholar_id
                    pub_updated = _apply(publication, data)
                merged_clusters = sorted(set(publication.cluster_ids or []) | set(cluster_ids))
                if merged_clusters != sorted(publication.cluster_ids or []):
                    publication.cluster_ids = merged_clusters
                    pub_updated = True
                if pub_updated:
                    publication.updated_at = now
                pub_change = Change(updated=pub_updated)
            self._add_clusters(session, publication.id, cluster_ids)
            authorship_change = self._upsert_authorship(session, publication.id, values, now)
            snapshot_added = self._snapshot(
                session, publication.id, scholar_id, run_id, values["citations"], now
            )
            return PublicationChange(publication.id, pub_change, authorship_change, snapshot_added)

    @staticmethod
    def _find_publication(
        session: Session, cluster_ids: Sequence[str], fingerprint: str
    ) -> Publication | None:
        if cluster_ids:
            publication_id = session.scalar(
                select(PublicationCluster.publication_id)
                .where(PublicationCluster.cluster_id.in_(cluster_ids))
                .order_by(PublicationCluster.publication_id)
                .limit(1)
            )
            if publication_id is not None:
                return session.get(Publication, publication_id)
        return session.scalar(select(Publication).where(Publication.fingerprint == fingerprint))

    @staticmethod
    def _add_clusters(session: Session, publication_id: int, cluster_ids: Sequence[str]) -> None:
        if not cluster_ids:
            return
        known = set(
            session.scalars(
                select(PublicationCluster.cluster_id).where(
                    PublicationCluster.cluster_id.in_(cluster_ids)
                )
            )
        )
        for cluster_id in cluster_ids:
            if cluster_id not in known:
                session.add(
                    PublicationCluster(cluster_id=cluster_id, publication_id=publication_id)
                )
                known.add(cluster_id)

    @staticmethod
    def _upsert_authorship(
        session: Session, publication_id: int, values: Mapping[str, Any], now: datetime
    ) -> Change:
        data = {
            "scholar_pub_key": values.get("scholar_pub_key"),
            "citations": values["citations"],
            "position": values.get("position"),
        }
        row = session.scalar(
            select(Authorship).where(
                Authorship.scholar_id == values["scholar_id"],
                Authorship.publication_id == publication_id,
            )
        )
        if row is None:
            session.add(
                Authorship(
                    scholar_id=values["scholar_id"],
                    publication_id=publication_id,
                    created_at=now,
                    updated_at=now,
                    **data,
                )
            )
            return Change(inserted=True)
        updated = _apply(row, data)
        if updated:
            row.updated_at = now
        return Change(updated=updated)

    @staticmethod
    def _snapshot(
        session: Session,
        publication_id: int,
        scholar_id: str,
        run_id: str,
        citations: int,
        now: datetime,
    ) -> bool:
        last = session.scalar(
            select(CitationSnapshot)
            .where(
                CitationSnapshot.publication_id == publication_id,
                CitationSnapshot.scholar_id == scholar_id,
            )
            .order_by(CitationSnapshot.id.desc())
            .limit(1)
        )
        if last is not None and (last.citations == citations or last.run_id == run_id):
            if last.run_id == run_id:
                last.citations = citations
            return False
        session.add(
            CitationSnapshot(
                publication_id=publication_id,
                scholar_id=scholar_id,
                run_id=run_id,
                citations=citations,
                observed_at=now,
            )
        )
        return True

    # --- reading ---------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Row counts of the main tables."""
        tables = {
            "scholars": Scholar,
            "publications": Publication,
            "authorships": Authorship,
            "citation_snapshots": CitationSnapshot,
            "crawl_runs": CrawlRun,
        }
        with self.session() as session:
            return {
                name: int(session.scalar(select(func.count()).select_from(model)) or 0)
                for name, model in tables.items()
            }

    def scholars(self) -> list[Scholar]:
        with self.session() as session:
            return list(session.scalars(select(Scholar).order_by(Scholar.scholar_id)))

    def publications_of(self, scholar_id: str) -> list[tuple[Publication, Authorship]]:
        """A profile's publications with their authorship rows, in Scholar's order."""
        with self.session() as session:
            rows = session.execute(
                select(Publication, Authorship)
                .join(Authorship, Authorship.publication_id == Publication.id)
                .where(Authorship.scholar_id == scholar_id)
                .order_by(Authorship.position, Publication.id)
            )
            return [(pub, auth) for pub, auth in rows]
