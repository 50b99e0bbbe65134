"""All SQL of scholarcrawl: idempotent upserts and the queries the CLI and tests read.

Every write says what it did (:class:`Change`), so pipelines can count inserts and updates
in the stats. A rerun of a crawl on unchanged Scholar pages writes nothing but bookkeeping
(``crawl_runs``, ``scholars.last_crawled_at`` / ``last_run_id``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from scholarcrawl.fingerprint import normalise_title
from scholarcrawl.store.models import (
    Authorship,
    Base,
    CitationSnapshot,
    CrawlRun,
    Publication,
    PublicationCluster,
    PublicationIdentifier,
    PublicationMerge,
    RunScholar,
    Scholar,
)

if TYPE_CHECKING:
    from scholarcrawl.store.details import DetailChange, DetailTarget

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
#: Identifier kinds that make two publications one when both hold the same value as ``self``.
IDENTITY_KINDS = ("doi", "arxiv")


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
    identifiers_added: int = 0
    merged: tuple[int, ...] = ()  # ids of publications merged into this one
    pdf_queued: bool = False  # a pdf_queue row was added or re-aimed


@dataclass(frozen=True, slots=True)
class IdentifierRecord:
    """A stored identifier of a publication."""

    kind: str
    value: str
    role: str
    source: str
    confidence: float
    evidence: dict[str, Any]


@dataclass(frozen=True, slots=True)
class KnownPublication:
    """What the database already knows of a paper, found by the same rules as the store."""

    publication_id: int
    identifier_status: str | None
    identifiers: tuple[IdentifierRecord, ...]


@dataclass(frozen=True, slots=True)
class MergeRecord:
    survivor_id: int
    survivor_title: str
    merged_publication_id: int
    merged_fingerprint: str
    merged_title: str
    reason: str
    evidence: dict[str, Any]
    run_id: str | None
    merged_at: datetime


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
        """A new ``running`` run (crawls record theirs through :class:`RunStore`); its id."""
        from scholarcrawl.store.runs import RUNNING, RunStore

        return RunStore(self.engine).create(spider, arguments, status=RUNNING)

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
        run_pages: int | None = None,
        run_rows: int | None = None,
        update_scholar: bool = True,
    ) -> Change:
        """How this run's crawl of a profile ended (creates a bare row for an unknown id).

        ``pages_fetched`` and ``rows_seen`` count every run's; ``run_pages`` and ``run_rows``
        this run's alone (default: the same). The run's own record (``run_scholars``) is always
        written; the profile's row only when ``update_scholar`` (a profile deferred before any
        page keeps the state it had).
        """
        now = utcnow()
        values = {
            "crawl_status": status,
            "crawl_reason": reason,
            "pages_fetched": pages_fetched,
            "rows_seen": rows_seen,
        }
        with self.session() as session:
            if run_id is not None:
                touched = session.execute(
                    select(RunScholar).where(
                        RunScholar.run_id == run_id, RunScholar.scholar_id == scholar_id
                    )
                ).scalar_one_or_none()
                run_values: dict[str, Any] = {"status": status, "reason": reason, "updated_at": now}
                run_values |= {
                    "pages_fetched": pages_fetched if run_pages is None else run_pages,
                    "rows_seen": rows_seen if run_rows is None else run_rows,
                }
                if touched is None:
                    session.add(RunScholar(run_id=run_id, scholar_id=scholar_id, **run_values))
                else:
                    _apply(touched, run_values)
            if not update_scholar:
                return Change()
            row = session.get(Scholar, scholar_id)
            if row is None:
                session.add(
                    Scholar(
                        **bare_scholar(scholar_id, now),
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
        except (IntegrityError, StaleDataError):
            # Another process inserted the same fingerprint or cluster id between our lookup
            # and our insert (or merged a row we read): the retry reads again and updates.
            return self._upsert_publication(values, run_id)

    def upsert_publications(
        self, rows: Sequence[Mapping[str, Any]], run_id: str
    ) -> list[PublicationChange]:
        """Store a page of publication rows in one transaction; what each row did, in order.

        The result is what :meth:`upsert_publication` on each row in turn would give. Rows
        that do not depend on each other (nearly every page) are written with a few set-wise
        statements (:mod:`scholarcrawl.store.batch`); otherwise one by one, in order, in the
        same transaction. Either every row is stored or none is.
        """
        if not rows:
            return []
        from scholarcrawl.store.batch import store_rows

        def store() -> list[PublicationChange]:
            now = utcnow()
            with self.session() as session:
                changes = store_rows(session, rows, run_id, now)
                if changes is None:
                    changes = [self._store_row(session, row, run_id, now) for row in rows]
                return changes

        try:
            return store()
        except (IntegrityError, StaleDataError):
            return store()  # another process stored one of these keys meanwhile: read again

    # --- publication details and full co-author lists (scholarcrawl.store.details) ---------

    def merge_details(self, values: Mapping[str, Any], run_id: str | None) -> DetailChange:
        """Write a detail page (a PublicationDetailItem's fields) into the publication the
        profile lists under ``scholar_pub_key`` (else ``publication_id`` while that profile
        still lists it), in one transaction. Outcome ``missing`` when there is none."""
        from scholarcrawl.store.details import merge_details

        def merge() -> DetailChange:
            with self.session() as session:
                return merge_details(session, values, run_id, utcnow())

        try:
            return merge()
        except (IntegrityError, StaleDataError):
            return merge()  # another process stored one of its cluster ids meanwhile

    def mark_details_unavailable(
        self, scholar_id: str, scholar_pub_key: str, reason: str
    ) -> DetailChange:
        """Scholar has no detail page for this row (``details_status`` ``unavailable``)."""
        from scholarcrawl.store.details import mark_unavailable

        with self.session() as session:
            return mark_unavailable(session, scholar_id, scholar_pub_key, reason, utcnow())

    def store_full_coauthors(
        self, scholar_id: str, coauthors: Sequence[Mapping[str, Any]], run_id: str | None
    ) -> Change:
        """Set a profile's full co-author list (creates a bare profile row when needed)."""
        from scholarcrawl.store.details import store_full_coauthors

        def store() -> Change:
            with self.session() as session:
                return store_full_coauthors(session, scholar_id, coauthors, run_id, utcnow())

        try:
            return store()
        except IntegrityError:
            return store()  # another process created the bare row meanwhile

    def details_pending(
        self, scholar_id: str, mode: str, limit: int | None = None
    ) -> list[DetailTarget]:
        """The profile's publications whose detail page is still to fetch, in its order
        (``mode``: ``missing`` or ``all``; see :func:`scholarcrawl.store.details.pending`)."""
        from scholarcrawl.store.details import pending

        with self.session() as session:
            return pending(session, scholar_id, mode, limit)

    def details_pending_count(self, scholar_id: str, mode: str) -> int:
        from scholarcrawl.store.details import pending_count

        with self.session() as session:
            return pending_count(session, scholar_id, mode)

    def find_known_detail(
        self, scholar_id: str, scholar_pub_key: str, publication_id: int | None
    ) -> KnownPublication | None:
        """The stored paper a detail page will be written into (as :meth:`merge_details`
        finds it), with its identifiers; None when there is none."""
        from scholarcrawl.store.details import find_target

        with self.session() as session:
            publication = find_target(session, scholar_id, scholar_pub_key, publication_id)
            if publication is None:
                return None
            return self._known(session, publication)

    def _upsert_publication(self, values: Mapping[str, Any], run_id: str) -> PublicationChange:
        with self.session() as session:
            return self._store_row(session, values, run_id, utcnow())

    def _store_row(
        self, session: Session, values: Mapping[str, Any], run_id: str, now: datetime
    ) -> PublicationChange:
        scholar_id = values["scholar_id"]
        cluster_ids: list[str] = list(values.get("cluster_ids") or [])
        identifiers: list[Mapping[str, Any]] = list(values.get("identifiers") or [])
        self_ids = _self_identity(identifiers)
        data = {key: values[key] for key in PUBLICATION_DATA_FIELDS}
        status = values.get("identifier_status")
        error = values.get("identifier_error")
        if session.get(Scholar, scholar_id) is None:
            session.add(Scholar(**bare_scholar(scholar_id, now)))
            session.flush()
        fingerprint = values["fingerprint"]
        found = self._find_all(session, self_ids, cluster_ids, fingerprint)
        row_ids = _identity_sets(identifiers)
        held = self._held_identities(session, [pub.id for pub in found])
        # a stored paper whose identity differs from the row's (another DOI, or the
        # preprint of this journal row) is another work, whatever else they share
        compatible = [pub for pub in found if not _conflict(row_ids, held[pub.id])]
        publication = compatible[0] if compatible else None
        merged: list[int] = []
        if publication is None:
            if any(pub.fingerprint == fingerprint for pub in found) or session.scalar(
                select(Publication.id).where(Publication.fingerprint == fingerprint)
            ):
                # same title, year and first author as another work: a key of its own
                fingerprint = _variant_fingerprint(fingerprint, self_ids)
            publication = Publication(
                fingerprint=fingerprint,
                normalized_title=normalise_title(values["title"]),
                cluster_ids=[],
                source_scholar_id=scholar_id,
                identifier_status=status,
                identifier_error=error,
                created_at=now,
                updated_at=now,
                **data,
            )
            session.add(publication)
            session.flush()
            pub_change = Change(inserted=True)
        else:
            # Every other publication this row's keys lead to is the same paper, unless
            # their identities conflict (an erratum's DOI, a preprint and its journal).
            mine = _union(held[publication.id], row_ids)
            for other in compatible[1:]:
                if _conflict(mine, held[other.id]):
                    continue
                key = self._merge_key(publication, other, held, self_ids)
                self._merge(session, publication, other, key, run_id, now)
                mine = _union(mine, held[other.id])
                merged.append(other.id)
            pub_updated = False
            if publication.source_scholar_id in (None, scholar_id):
                data["normalized_title"] = normalise_title(values["title"])
                data["source_scholar_id"] = scholar_id
                if publication.details_status == DETAILS_FETCHED:
                    # the detail page's full author list outlives the row's (cut) line
                    del data["authors"]
                pub_updated = _apply(publication, data)
            if status is not None and _status_rank(status) >= _status_rank(
                publication.identifier_status
            ):
                changes = {"identifier_status": status, "identifier_error": error}
                pub_updated = _apply(publication, changes) or pub_updated
            if pub_updated or merged:
                publication.updated_at = now
            pub_change = Change(updated=pub_updated or bool(merged))
        owned = self._add_clusters(session, publication.id, cluster_ids)
        clusters = sorted(set(publication.cluster_ids or []) | owned)
        if clusters != sorted(publication.cluster_ids or []):
            publication.cluster_ids = clusters
            if not pub_change.inserted:
                publication.updated_at = now
                pub_change = Change(updated=True)
        added = self._add_identifiers(session, publication.id, identifiers, run_id, now)
        # holding its own DOI or arXiv id is what "resolved" means
        if (
            (added or merged)
            and publication.identifier_status != "resolved"
            and self._holds_identity(session, publication.id)
        ):
            publication.identifier_status = "resolved"
            publication.identifier_error = None
        pdf_queued = False
        if values.get("queue_pdf"):
            from scholarcrawl.store.pdfqueue import sync_publication

            pdf_queued = sync_publication(session, publication.id, now)
        authorship_change = self._upsert_authorship(session, publication.id, values, now)
        snapshot_added = self._snapshot(
            session, publication.id, scholar_id, run_id, values["citations"], now
        )
        return PublicationChange(
            publication.id,
            pub_change,
            authorship_change,
            snapshot_added,
            added,
            tuple(merged),
            pdf_queued,
        )

    def _find_all(
        self,
        session: Session,
        self_ids: Sequence[tuple[str, str]],
        cluster_ids: Sequence[str],
        fingerprint: str,
    ) -> list[Publication]:
        """Publications this row's keys lead to, by rule order: DOI, arXiv, cluster, fingerprint.

        The first is the one the row belongs to; the others are candidates for a merge.
        """
        ids: list[int] = []
        for kind in IDENTITY_KINDS:
            values = [value for k, value in self_ids if k == kind]
            if values:
                ids.extend(
                    session.scalars(
                        select(PublicationIdentifier.publication_id)
                        .where(
                            PublicationIdentifier.kind == kind,
                            PublicationIdentifier.value.in_(values),
                            PublicationIdentifier.role == "self",
                        )
                        .order_by(PublicationIdentifier.publication_id)
                    )
                )
        if cluster_ids:
            ids.extend(
                session.scalars(
                    select(PublicationCluster.publication_id)
                    .where(PublicationCluster.cluster_id.in_(cluster_ids))
                    .order_by(PublicationCluster.publication_id)
                )
            )
        by_fingerprint = session.scalar(
            select(Publication.id).where(Publication.fingerprint == fingerprint)
        )
        if by_fingerprint is None:
            # a paper merged into another keeps its fingerprint as an alias of the survivor
            by_fingerprint = session.scalar(
                select(PublicationMerge.survivor_id)
                .where(PublicationMerge.merged_fingerprint == fingerprint)
                .order_by(PublicationMerge.id.desc())
                .limit(1)
            )
        if by_fingerprint is not None:
            ids.append(by_fingerprint)
        out: list[Publication] = []
        for publication_id in dict.fromkeys(ids):
            publication = session.get(Publication, publication_id)
            if publication is not None:
                out.append(publication)
        return out

    def find_known(
        self,
        identifiers: Sequence[Mapping[str, Any]],
        cluster_ids: Sequence[str],
        fingerprint: str,
    ) -> KnownPublication | None:
        """The stored paper a row belongs to (same rules as the store), with its identifiers."""
        with self.session() as session:
            found = self._find_all(session, _self_identity(identifiers), cluster_ids, fingerprint)
            if not found:
                return None
            return self._known(session, found[0])

    @staticmethod
    def _known(session: Session, publication: Publication) -> KnownPublication:
        rows = session.scalars(
            select(PublicationIdentifier)
            .where(PublicationIdentifier.publication_id == publication.id)
            .order_by(PublicationIdentifier.id)
        )
        return KnownPublication(
            publication.id,
            publication.identifier_status,
            tuple(_identifier_record(row) for row in rows),
        )

    @staticmethod
    def _held_identities(
        session: Session, publication_ids: Sequence[int]
    ) -> dict[int, dict[str, set[tuple[str, str]]]]:
        """Per publication, its identity identifiers by role (``self`` / ``version``)."""
        held: dict[int, dict[str, set[tuple[str, str]]]] = {
            pid: {"self": set(), "version": set()} for pid in publication_ids
        }
        if publication_ids:
            rows = session.execute(
                select(
                    PublicationIdentifier.publication_id,
                    PublicationIdentifier.role,
                    PublicationIdentifier.kind,
                    PublicationIdentifier.value,
                ).where(
                    PublicationIdentifier.publication_id.in_(publication_ids),
                    PublicationIdentifier.kind.in_(IDENTITY_KINDS),
                )
            )
            for pid, role, kind, value in rows:
                held[pid].setdefault(role, set()).add((kind, value))
        return held

    @staticmethod
    def _holds_identity(session: Session, publication_id: int) -> bool:
        return (
            session.scalar(
                select(PublicationIdentifier.id)
                .where(
                    PublicationIdentifier.publication_id == publication_id,
                    PublicationIdentifier.role == "self",
                    PublicationIdentifier.kind.in_(IDENTITY_KINDS),
                )
                .limit(1)
            )
            is not None
        )

    @staticmethod
    def _merge_key(
        survivor: Publication,
        other: Publication,
        held: Mapping[int, Mapping[str, set[tuple[str, str]]]],
        self_ids: Sequence[tuple[str, str]],
    ) -> dict[str, Any]:
        """Why ``other`` is ``survivor``'s paper (their identities do not conflict)."""
        shared = sorted(held[survivor.id]["self"] & held[other.id]["self"])
        if shared:
            kind, value = shared[0]
            return {"reason": f"shared_{kind}", "kind": kind, "value": value}
        for kind, value in self_ids:
            # this row carries the survivor's identity, and its clusters or fingerprint
            # lead to ``other``: the row links the two
            return {"reason": f"row_links_{kind}", "kind": kind, "value": value}
        if set(survivor.cluster_ids or []) & set(other.cluster_ids or []):
            return {"reason": "shared_cluster", "kind": "cluster", "value": ""}
        return {"reason": "shared_row_keys", "kind": "cluster_or_fingerprint", "value": ""}

    @staticmethod
    def _merge(
        session: Session,
        survivor: Publication,
        other: Publication,
        key: Mapping[str, Any],
        run_id: str | None,
        now: datetime,
    ) -> None:
        """Fold ``other`` into ``survivor``: authorships, history, clusters, identifiers follow."""
        mine = set(
            session.scalars(
                select(Authorship.scholar_id).where(Authorship.publication_id == survivor.id)
            )
        )
        for authorship in session.scalars(
            select(Authorship).where(Authorship.publication_id == other.id)
        ).all():
            if authorship.scholar_id in mine:
                session.delete(authorship)  # the profile lists both: one authorship stays
            else:
                authorship.publication_id = survivor.id
        taken = set(
            session.execute(
                select(CitationSnapshot.scholar_id, CitationSnapshot.run_id).where(
                    CitationSnapshot.publication_id == survivor.id
                )
            )
        )
        for snapshot in session.scalars(
            select(CitationSnapshot).where(CitationSnapshot.publication_id == other.id)
        ).all():
            if (snapshot.scholar_id, snapshot.run_id) in taken:
                session.delete(snapshot)
            else:
                snapshot.publication_id = survivor.id
        from scholarcrawl.store.pdfqueue import merge_rows

        merge_rows(session, survivor.id, other.id)
        session.execute(
            update(PublicationCluster)
            .where(PublicationCluster.publication_id == other.id)
            .values(publication_id=survivor.id)
        )
        kept = {
            (row.kind, row.value): row
            for row in session.scalars(
                select(PublicationIdentifier).where(
                    PublicationIdentifier.publication_id == survivor.id
                )
            )
        }
        for identifier in session.scalars(
            select(PublicationIdentifier).where(PublicationIdentifier.publication_id == other.id)
        ).all():
            same = kept.get((identifier.kind, identifier.value))
            if same is None:
                identifier.publication_id = survivor.id
                continue
            # one row stays: ``self`` over ``version``, then the more confident finding
            if (identifier.role == "self", identifier.confidence) > (
                same.role == "self",
                same.confidence,
            ):
                same.role = identifier.role
                same.source = identifier.source
                same.confidence = identifier.confidence
                same.evidence = dict(identifier.evidence or {})
            session.delete(identifier)
        if _status_rank(other.identifier_status) > _status_rank(survivor.identifier_status):
            survivor.identifier_status = other.identifier_status
            survivor.identifier_error = other.identifier_error
        _keep_details(survivor, other)
        session.execute(
            update(PublicationMerge)
            .where(PublicationMerge.survivor_id == other.id)
            .values(survivor_id=survivor.id)
        )
        # any other table that refers to publications (work queues to come) follows as well
        for table in Base.metadata.sorted_tables:
            if table.name in _MERGE_HANDLED:
                continue
            for column in table.columns:
                if any(fk.column.table.name == "publications" for fk in column.foreign_keys):
                    session.execute(
                        table.update().where(column == other.id).values({column.name: survivor.id})
                    )
        survivor.cluster_ids = sorted(
            set(survivor.cluster_ids or []) | set(other.cluster_ids or [])
        )
        session.add(
            PublicationMerge(
                survivor_id=survivor.id,
                merged_publication_id=other.id,
                merged_fingerprint=other.fingerprint,
                merged_title=other.title,
                reason=str(key["reason"]),
                evidence={
                    "kind": key["kind"],
                    "value": key["value"],
                    "survivor_fingerprint": survivor.fingerprint,
                    "merged_year": other.year,
                    "merged_authors": other.authors,
                    "merged_venue": other.venue,
                },
                run_id=run_id,
                merged_at=now,
            )
        )
        session.flush()
        session.execute(delete(Publication).where(Publication.id == other.id))
        session.expunge(other)

    @staticmethod
    def _add_identifiers(
        session: Session,
        publication_id: int,
        identifiers: Sequence[Mapping[str, Any]],
        run_id: str | None,
        now: datetime,
    ) -> int:
        """Insert new identifiers; a known one is updated only by a more confident finding."""
        if not identifiers:
            return 0
        existing = {
            (row.kind, row.value): row
            for row in session.scalars(
                select(PublicationIdentifier).where(
                    PublicationIdentifier.publication_id == publication_id
                )
            )
        }
        added = 0
        for ident in identifiers:
            key = (str(ident["kind"]), str(ident["value"]))
            row = existing.get(key)
            confidence = float(ident["confidence"])
            if row is None:
                row = PublicationIdentifier(
                    publication_id=publication_id,
                    kind=key[0],
                    value=key[1],
                    role=str(ident.get("role") or "self"),
                    source=str(ident["source"]),
                    confidence=confidence,
                    evidence=dict(ident.get("evidence") or {}),
                    run_id=run_id,
                    created_at=now,
                    updated_at=now,
                )
                session.add(row)
                existing[key] = row
                added += 1
            elif take_finding(row, ident, run_id):
                row.updated_at = now
        return added

    @staticmethod
    def _add_clusters(
        session: Session, publication_id: int, cluster_ids: Sequence[str]
    ) -> set[str]:
        """Give the publication the row's cluster ids nobody holds; the ones it now holds.

        A cluster id another publication holds stays there (two works that conflict).
        """
        if not cluster_ids:
            return set()
        known: dict[str, int] = {
            cluster_id: publication
            for cluster_id, publication in session.execute(
                select(PublicationCluster.cluster_id, PublicationCluster.publication_id).where(
                    PublicationCluster.cluster_id.in_(cluster_ids)
                )
            )
        }
        for cluster_id in cluster_ids:
            if cluster_id not in known:
                session.add(
                    PublicationCluster(cluster_id=cluster_id, publication_id=publication_id)
                )
                known[cluster_id] = publication_id
        return {cid for cid, pid in known.items() if pid == publication_id}

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

    def identifiers_of(self, publication_id: int) -> list[IdentifierRecord]:
        with self.session() as session:
            rows = session.scalars(
                select(PublicationIdentifier)
                .where(PublicationIdentifier.publication_id == publication_id)
                .order_by(PublicationIdentifier.kind, PublicationIdentifier.value)
            )
            return [_identifier_record(row) for row in rows]

    def versions_of(self, publication_id: int) -> list[tuple[int, str, str]]:
        """Other publications sharing an identifier with this one: (id, kind, value).

        A preprint row and its journal row stay two publications; this is their link.
        """
        with self.session() as session:
            mine = select(PublicationIdentifier.kind, PublicationIdentifier.value).where(
                PublicationIdentifier.publication_id == publication_id
            )
            pairs = set(session.execute(mine))
            if not pairs:
                return []
            rows = session.execute(
                select(
                    PublicationIdentifier.publication_id,
                    PublicationIdentifier.kind,
                    PublicationIdentifier.value,
                ).where(
                    PublicationIdentifier.publication_id != publication_id,
                    PublicationIdentifier.value.in_({value for _, value in pairs}),
                )
            )
            return sorted((pid, kind, value) for pid, kind, value in rows if (kind, value) in pairs)

    def merges(self, limit: int | None = None) -> list[MergeRecord]:
        """Recorded merges, newest first."""
        with self.session() as session:
            query = (
                select(PublicationMerge, Publication.title)
                .join(Publication, Publication.id == PublicationMerge.survivor_id)
                .order_by(PublicationMerge.id.desc())
            )
            if limit is not None:
                query = query.limit(limit)
            return [
                MergeRecord(
                    merge.survivor_id,
                    title,
                    merge.merged_publication_id,
                    merge.merged_fingerprint,
                    merge.merged_title,
                    merge.reason,
                    dict(merge.evidence or {}),
                    merge.run_id,
                    as_utc(merge.merged_at),
                )
                for merge, title in session.execute(query)
            ]

    def identifier_counts(self) -> dict[str, int]:
        """Publications by identifier status, and identifiers by kind and source."""
        with self.session() as session:
            out: dict[str, int] = {}
            for status, count in session.execute(
                select(Publication.identifier_status, func.count()).group_by(
                    Publication.identifier_status
                )
            ):
                out[f"status/{status or 'unknown'}"] = int(count)
            for kind, source, count in session.execute(
                select(
                    PublicationIdentifier.kind, PublicationIdentifier.source, func.count()
                ).group_by(PublicationIdentifier.kind, PublicationIdentifier.source)
            ):
                out[f"{kind}/{source}"] = int(count)
            out["merges"] = int(
                session.scalar(select(func.count()).select_from(PublicationMerge)) or 0
            )
            return out


# Tables whose rows _merge moves itself (with their conflicts); any other table with a foreign
# key to publications is re-pointed to the survivor as it is.
_MERGE_HANDLED = frozenset(
    {
        "publications",
        "authorships",
        "pdf_queue",
        "citation_snapshots",
        "publication_clusters",
        "publication_identifiers",
        "publication_merges",
    }
)

# Resolution outcomes, weakest first: a later run never replaces "resolved" by a weaker one.
_STATUS_ORDER = ("disabled", "deferred", "error", "uninformative", "no_match", "resolved")


#: ``publications.details_status`` of a publication whose detail page was written in
#: (:mod:`scholarcrawl.store.details`): its author line is the page's full list from then on.
DETAILS_FETCHED = "fetched"
_DETAILS_ORDER = (None, "unavailable", DETAILS_FETCHED)


def _keep_details(survivor: Publication, other: Publication) -> None:
    """A merge keeps the better detail page of the two (fetched over unavailable over none),
    and a fetched page's full author list when the survivor's line is cut short."""
    from scholarcrawl.store.details import DETAIL_COLUMNS, takes_full_authors

    def rank(publication: Publication) -> int:
        status = publication.details_status
        return _DETAILS_ORDER.index(status) if status in _DETAILS_ORDER else 0

    if rank(other) > rank(survivor):
        for column in ("details_status", "details_fetched_at", *DETAIL_COLUMNS):
            setattr(survivor, column, getattr(other, column))
    if other.details_status == DETAILS_FETCHED and takes_full_authors(
        survivor.authors, other.authors
    ):
        survivor.authors = other.authors


def bare_scholar(scholar_id: str, now: datetime) -> dict[str, Any]:
    """The row of a profile known only by its id (a publication or an outcome came first)."""
    return {
        "scholar_id": scholar_id,
        "interests": [],
        "cites_per_year": {},
        "coauthors": [],
        "created_at": now,
        "updated_at": now,
    }


def take_finding(row: Any, ident: Mapping[str, Any], run_id: str | None) -> bool:
    """A known identifier takes a more confident finding (role, source, evidence); True if so.

    ``row`` is a stored identifier (an ORM row, or the batch store's record of one).
    """
    confidence = float(ident["confidence"])
    if confidence <= row.confidence:
        return False
    row.role = str(ident.get("role") or row.role)
    row.source = str(ident["source"])
    row.confidence = confidence
    row.evidence = dict(ident.get("evidence") or {})
    row.run_id = run_id
    return True


def _status_rank(status: str | None) -> int:
    return _STATUS_ORDER.index(status) if status in _STATUS_ORDER else -1


def _identity_sets(identifiers: Sequence[Mapping[str, Any]]) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = {"self": set(), "version": set()}
    for ident in identifiers:
        if ident["kind"] in IDENTITY_KINDS:
            role = "self" if ident.get("role", "self") == "self" else "version"
            out[role].add((str(ident["kind"]), str(ident["value"])))
    return out


def _union(
    a: Mapping[str, set[tuple[str, str]]], b: Mapping[str, set[tuple[str, str]]]
) -> dict[str, set[tuple[str, str]]]:
    return {role: set(a.get(role, set())) | set(b.get(role, set())) for role in ("self", "version")}


def _conflict(a: Mapping[str, set[tuple[str, str]]], b: Mapping[str, set[tuple[str, str]]]) -> bool:
    """Whether two sets of identities belong to different works (or versions).

    Different ``self`` values of one kind (two DOIs), or one side's own identifier being the
    other's ``version`` (a preprint and its journal paper).
    """
    for kind in IDENTITY_KINDS:
        mine = {value for k, value in a["self"] if k == kind}
        theirs = {value for k, value in b["self"] if k == kind}
        if mine and theirs and not mine & theirs:
            return True
    return bool(a["self"] & b["version"] or b["self"] & a["version"])


def _variant_fingerprint(fingerprint: str, self_ids: Sequence[tuple[str, str]]) -> str:
    """The key of a work whose fingerprint another work (another DOI) already holds."""
    key = "\x1f".join([fingerprint, *sorted(f"{kind}:{value}" for kind, value in self_ids)])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _self_identity(identifiers: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    return [
        (str(ident["kind"]), str(ident["value"]))
        for ident in identifiers
        if ident.get("role", "self") == "self" and ident["kind"] in IDENTITY_KINDS
    ]


def as_utc(value: datetime) -> datetime:
    """A stored datetime as aware UTC (SQLite gives back UTC wall time without a zone)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _identifier_record(row: PublicationIdentifier) -> IdentifierRecord:
    return IdentifierRecord(
        row.kind, row.value, row.role, row.source, row.confidence, dict(row.evidence or {})
    )
