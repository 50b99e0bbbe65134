"""Exclusions (``exclusions``): profiles never to request, publications never to (re)ingest.

A ``scholar`` exclusion holds the scholar id (``value``); the profile's stored rows stay, but no
run requests the profile again and :class:`~scholarcrawl.pipelines.exclusions.ExclusionPipeline`
drops any item of it. A ``publication`` exclusion holds the publication's fingerprint
(``value``) and every key a row of it may arrive with: its cluster ids, its per-profile
``citation_for_view`` keys (``pub_keys``: ``[scholar_id, key]`` pairs), its own DOIs and arXiv
ids (``identifiers``: ``[kind, value]`` pairs of role ``self``) and the fingerprints of the
publications merged into it (``identifiers`` pairs of kind ``fingerprint``). Excluding a
publication deletes it in the same transaction, with every row that refers to it (authorships,
citation snapshots, identifiers, clusters, merges, its PDF queue row), so that it leaves the
store and the queues at once.

Crawls read a :class:`PublicationMatcher`, a frozen snapshot of every key, and drop the rows it
recognises. All SQL of the table lives here.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Engine, Table, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scholarcrawl.store.models import (
    Authorship,
    Base,
    Exclusion,
    Publication,
    PublicationCluster,
    PublicationIdentifier,
    PublicationMerge,
)
from scholarcrawl.store.queue import _Store
from scholarcrawl.store.repository import IDENTITY_KINDS, as_utc, utcnow

SCHOLAR = "scholar"
PUBLICATION = "publication"
KINDS = (SCHOLAR, PUBLICATION)
#: The ``identifiers`` kind that holds the fingerprint of a publication merged into this one.
MERGED_FINGERPRINT = "fingerprint"
#: The keys a row can match a publication exclusion by (closed vocabulary, see
#: :meth:`PublicationMatcher.match`): its fingerprint (or a merged one), a cluster id, its
#: profile's ``citation_for_view`` key, or its own DOI or arXiv id.
MATCH_KINDS = ("fingerprint", "cluster_id", "pub_key", *IDENTITY_KINDS)

_CHUNK = 500  # ids per IN (...) list: far below SQLite's and PostgreSQL's parameter limits


class PublicationNotFound(LookupError):
    """``add_publication`` was given the id of no stored publication."""


@dataclass(frozen=True, slots=True)
class ExclusionRecord:
    """A detached snapshot of an ``exclusions`` row, with what adding or removing it did.

    ``existed``: :meth:`ExclusionStore.add_scholar` / ``add_publication`` found the exclusion
    already there (its reason was updated, its keys completed). ``deleted``: the rows
    ``add_publication`` deleted with the publication, by table (``publications`` included).
    """

    id: int
    kind: str
    value: str
    reason: str | None
    title: str | None
    cluster_ids: tuple[str, ...]
    pub_keys: tuple[tuple[str, str], ...]
    identifiers: tuple[tuple[str, str], ...]
    created_at: datetime
    existed: bool = False
    deleted: Mapping[str, int] = field(default_factory=dict)

    @property
    def merged_fingerprints(self) -> tuple[str, ...]:
        return tuple(value for kind, value in self.identifiers if kind == MERGED_FINGERPRINT)

    @property
    def own_identifiers(self) -> tuple[tuple[str, str], ...]:
        """The publication's own DOIs and arXiv ids (without merged fingerprints)."""
        return tuple(pair for pair in self.identifiers if pair[0] != MERGED_FINGERPRINT)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "value": self.value,
            "reason": self.reason,
            "title": self.title,
            "cluster_ids": list(self.cluster_ids),
            "pub_keys": [list(pair) for pair in self.pub_keys],
            "identifiers": [list(pair) for pair in self.own_identifiers],
            "merged_fingerprints": list(self.merged_fingerprints),
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class ExclusionMatch:
    """Which exclusion a row matched, and by which key (one of :data:`MATCH_KINDS`)."""

    kind: str
    fingerprint: str  # the excluded publication's (the exclusion's ``value``)
    title: str | None


@dataclass(frozen=True, slots=True)
class PublicationMatcher:
    """Every key of every exclusion, as read at one moment (a crawl's snapshot).

    Each mapping leads from a key to the excluded publication's fingerprint; ``scholars`` holds
    the excluded scholar ids. Pure: matching sends no query.
    """

    fingerprints: Mapping[str, str] = field(default_factory=dict)
    cluster_ids: Mapping[str, str] = field(default_factory=dict)
    pub_keys: Mapping[tuple[str, str], str] = field(default_factory=dict)
    identifiers: Mapping[tuple[str, str], str] = field(default_factory=dict)
    titles: Mapping[str, str | None] = field(default_factory=dict)
    scholars: frozenset[str] = frozenset()

    @property
    def publication_count(self) -> int:
        return len(self.titles)

    def excludes_scholar(self, scholar_id: str | None) -> bool:
        return scholar_id is not None and scholar_id in self.scholars

    def find(
        self,
        fingerprint: str | None,
        cluster_ids: Iterable[str] = (),
        scholar_id: str | None = None,
        pub_key: str | None = None,
        identifiers: Iterable[tuple[str, str]] = (),
    ) -> ExclusionMatch | None:
        """The exclusion a row with these keys belongs to, or None. ``identifiers`` are the
        row's own (role ``self``) ``(kind, value)`` pairs, normalised."""
        found: tuple[str, str | None] | None = None
        if fingerprint is not None and fingerprint in self.fingerprints:
            found = ("fingerprint", self.fingerprints[fingerprint])
        if found is None:
            for cluster_id in cluster_ids:
                if cluster_id in self.cluster_ids:
                    found = ("cluster_id", self.cluster_ids[cluster_id])
                    break
        if found is None and scholar_id is not None and pub_key is not None:
            excluded = self.pub_keys.get((scholar_id, pub_key))
            if excluded is not None:
                found = ("pub_key", excluded)
        if found is None:
            for kind, value in identifiers:
                excluded = self.identifiers.get((kind, value))
                if excluded is not None:
                    found = (kind, excluded)
                    break
        if found is None:
            return None
        kind, excluded_fingerprint = found
        assert excluded_fingerprint is not None
        return ExclusionMatch(kind, excluded_fingerprint, self.titles.get(excluded_fingerprint))

    def match(
        self,
        fingerprint: str | None,
        cluster_ids: Iterable[str] = (),
        scholar_id: str | None = None,
        pub_key: str | None = None,
        identifiers: Iterable[tuple[str, str]] = (),
    ) -> str | None:
        """The kind of key (:data:`MATCH_KINDS`) by which the row is excluded, or None."""
        found = self.find(fingerprint, cluster_ids, scholar_id, pub_key, identifiers)
        return None if found is None else found.kind


def _record(
    row: Exclusion, *, existed: bool = False, deleted: Mapping[str, int] | None = None
) -> ExclusionRecord:
    return ExclusionRecord(
        id=row.id,
        kind=row.kind,
        value=row.value,
        reason=row.reason,
        title=row.title,
        cluster_ids=tuple(str(value) for value in row.cluster_ids or ()),
        pub_keys=tuple((str(a), str(b)) for a, b in row.pub_keys or ()),
        identifiers=tuple((str(a), str(b)) for a, b in row.identifiers or ()),
        created_at=as_utc(row.created_at),
        existed=existed,
        deleted=dict(deleted or {}),
    )


def _merged(old: Sequence[Any] | None, new: Iterable[Any]) -> list[Any]:
    """``old`` then the items of ``new`` it lacks, as JSON-ready lists (order kept)."""
    out: list[Any] = []
    seen: set[Any] = set()
    for item in [*(old or ()), *new]:
        key = tuple(item) if isinstance(item, list | tuple) else item
        if key not in seen:
            seen.add(key)
            out.append(list(item) if isinstance(item, list | tuple) else item)
    return out


def _referring_tables() -> list[tuple[Table, Column[Any]]]:
    """(table, column) of every foreign key to ``publications``: the rows that go with one."""
    found: list[tuple[Table, Column[Any]]] = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "publications" for fk in column.foreign_keys):
                found.append((table, column))
    return found


class ExclusionStore(_Store):
    """Adds, removes and reads exclusions; snapshots them for crawls (see the module doc)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(engine, clock)

    # --- writes ----------------------------------------------------------------------------

    def add_scholar(self, scholar_id: str, reason: str | None = None) -> ExclusionRecord:
        """Exclude a profile (the caller checks the id). Adding it again updates the reason
        and says it existed."""
        return _once_more(lambda: self._add_scholar(scholar_id, reason))

    def _add_scholar(self, scholar_id: str, reason: str | None) -> ExclusionRecord:
        with self._write() as session:
            row = self._row(session, SCHOLAR, scholar_id)
            existed = row is not None
            if row is None:
                row = Exclusion(
                    kind=SCHOLAR,
                    value=scholar_id,
                    reason=reason,
                    cluster_ids=[],
                    pub_keys=[],
                    identifiers=[],
                    created_at=self._now(),
                )
                session.add(row)
            elif reason is not None:
                row.reason = reason
            session.flush()
            return _record(row, existed=existed)

    def add_publication(self, publication_id: int, reason: str | None = None) -> ExclusionRecord:
        """Exclude a stored publication and delete it, in one transaction.

        The exclusion records its fingerprint, title, cluster ids, authorship keys, own
        DOIs and arXiv ids, and the fingerprints of the publications merged into it. Then the
        publication goes, with every row that refers to it; ``deleted`` says how many of each.
        :class:`PublicationNotFound` for an id no publication has.
        """
        return _once_more(lambda: self._add_publication(publication_id, reason))

    def _add_publication(self, publication_id: int, reason: str | None) -> ExclusionRecord:
        with self._write() as session:
            query = select(Publication).where(Publication.id == publication_id)
            if not self._sqlite:
                query = query.with_for_update()  # a concurrent merge of it waits, or we do
            publication = session.scalars(query).one_or_none()
            if publication is None:
                raise PublicationNotFound(f"no publication {publication_id}")
            clusters = sorted(
                set(publication.cluster_ids or [])
                | set(
                    session.scalars(
                        select(PublicationCluster.cluster_id).where(
                            PublicationCluster.publication_id == publication_id
                        )
                    )
                )
            )
            pub_keys = [
                [scholar_id, key]
                for scholar_id, key in session.execute(
                    select(Authorship.scholar_id, Authorship.scholar_pub_key)
                    .where(
                        Authorship.publication_id == publication_id,
                        Authorship.scholar_pub_key.is_not(None),
                    )
                    .order_by(Authorship.scholar_id)
                )
            ]
            identifiers = [
                [kind, value]
                for kind, value in session.execute(
                    select(PublicationIdentifier.kind, PublicationIdentifier.value)
                    .where(
                        PublicationIdentifier.publication_id == publication_id,
                        PublicationIdentifier.role == "self",
                        PublicationIdentifier.kind.in_(IDENTITY_KINDS),
                    )
                    .order_by(PublicationIdentifier.kind, PublicationIdentifier.value)
                )
            ]
            identifiers += [
                [MERGED_FINGERPRINT, fingerprint]
                for fingerprint in session.scalars(
                    select(PublicationMerge.merged_fingerprint)
                    .where(PublicationMerge.survivor_id == publication_id)
                    .order_by(PublicationMerge.id)
                )
            ]
            row = self._row(session, PUBLICATION, publication.fingerprint)
            existed = row is not None
            if row is None:
                row = Exclusion(
                    kind=PUBLICATION,
                    value=publication.fingerprint,
                    reason=reason,
                    title=publication.title,
                    cluster_ids=clusters,
                    pub_keys=pub_keys,
                    identifiers=identifiers,
                    created_at=self._now(),
                )
                session.add(row)
            else:  # stored again meanwhile (before a running crawl saw the exclusion)
                row.title = publication.title
                row.cluster_ids = _merged(row.cluster_ids, clusters)
                row.pub_keys = _merged(row.pub_keys, pub_keys)
                row.identifiers = _merged(row.identifiers, identifiers)
                if reason is not None:
                    row.reason = reason
            session.flush()
            # Every referring row is deleted here rather than by ON DELETE CASCADE alone, so
            # that the counts are known and no engine without SQLite's foreign keys pragma can
            # leave orphans; the cascades (tests check them) cover any row written meanwhile.
            deleted: dict[str, int] = {}
            connection = session.connection()
            for table, column in _referring_tables():
                result = connection.execute(table.delete().where(column == publication_id))
                if result.rowcount:
                    deleted[table.name] = deleted.get(table.name, 0) + int(result.rowcount)
            connection.execute(delete(Publication).where(Publication.id == publication_id))
            session.expunge(publication)
            deleted["publications"] = 1
            return _record(row, existed=existed, deleted=deleted)

    def remove(self, kind: str, value: str) -> ExclusionRecord | None:
        """Lift the exclusion of a scholar id or a publication fingerprint (a merged
        fingerprint it holds names it too); what was removed, None when there was none."""
        _check_kind(kind)
        with self._write() as session:
            row = self._row(session, kind, value)
            if row is None and kind == PUBLICATION:
                row = next(
                    (
                        candidate
                        for candidate in session.scalars(
                            select(Exclusion)
                            .where(Exclusion.kind == PUBLICATION)
                            .order_by(Exclusion.id)
                        )
                        if [MERGED_FINGERPRINT, value] in (candidate.identifiers or [])
                    ),
                    None,
                )
            if row is None:
                return None
            record = _record(row)
            session.delete(row)
            return record

    def remove_id(self, exclusion_id: int) -> ExclusionRecord | None:
        """Lift exclusion ``exclusion_id`` (as ``entries`` lists it); None when there is none."""
        with self._write() as session:
            row = session.get(Exclusion, exclusion_id)
            if row is None:
                return None
            record = _record(row)
            session.delete(row)
            return record

    # --- reads -----------------------------------------------------------------------------

    def get(self, kind: str, value: str) -> ExclusionRecord | None:
        _check_kind(kind)
        with self._read() as session:
            row = self._row(session, kind, value)
            return None if row is None else _record(row)

    def entries(self, kind: str | None = None) -> builtins.list[ExclusionRecord]:
        """Every exclusion (or those of ``kind``), oldest first."""
        query = select(Exclusion).order_by(Exclusion.id)
        if kind is not None:
            _check_kind(kind)
            query = query.where(Exclusion.kind == kind)
        with self._read() as session:
            return [_record(row) for row in session.scalars(query)]

    def counts(self) -> dict[str, int]:
        """Exclusions by kind (kinds without any are left out)."""
        with self._read() as session:
            rows = session.execute(select(Exclusion.kind, func.count()).group_by(Exclusion.kind))
            return {kind: int(count) for kind, count in rows}

    def excluded_scholars(self, ids: Iterable[str] | None = None) -> set[str]:
        """The excluded scholar ids: all of them, or those among ``ids``."""
        query = select(Exclusion.value).where(Exclusion.kind == SCHOLAR)
        with self._read() as session:
            if ids is None:
                return set(session.scalars(query))
            wanted = sorted(set(ids))
            found: set[str] = set()
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                found.update(session.scalars(query.where(Exclusion.value.in_(chunk))))
            return found

    def publication_matcher(self) -> PublicationMatcher:
        """A snapshot of every exclusion's keys (one transaction), for a crawl to match rows."""
        fingerprints: dict[str, str] = {}
        cluster_ids: dict[str, str] = {}
        pub_keys: dict[tuple[str, str], str] = {}
        identifiers: dict[tuple[str, str], str] = {}
        titles: dict[str, str | None] = {}
        scholars: set[str] = set()
        with self._read() as session:
            for row in session.scalars(select(Exclusion).order_by(Exclusion.id)):
                if row.kind == SCHOLAR:
                    scholars.add(row.value)
                    continue
                if row.kind != PUBLICATION:
                    continue  # a kind this version does not know: nothing to match it by
                value = row.value
                titles[value] = row.title
                fingerprints.setdefault(value, value)
                for cluster_id in row.cluster_ids or ():
                    cluster_ids.setdefault(str(cluster_id), value)
                for scholar_id, key in row.pub_keys or ():
                    pub_keys.setdefault((str(scholar_id), str(key)), value)
                for kind, key in row.identifiers or ():
                    if kind == MERGED_FINGERPRINT:
                        fingerprints.setdefault(str(key), value)
                    else:
                        identifiers.setdefault((str(kind), str(key)), value)
        return PublicationMatcher(
            fingerprints=fingerprints,
            cluster_ids=cluster_ids,
            pub_keys=pub_keys,
            identifiers=identifiers,
            titles=titles,
            scholars=frozenset(scholars),
        )

    # --- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _row(session: Session, kind: str, value: str) -> Exclusion | None:
        return session.scalars(
            select(Exclusion).where(Exclusion.kind == kind, Exclusion.value == value)
        ).one_or_none()


def _once_more(write: Callable[[], ExclusionRecord]) -> ExclusionRecord:
    """``write``, again if another process added the same exclusion between our read and
    our insert (the unique (kind, value) refused ours): the second try finds and updates it."""
    try:
        return write()
    except IntegrityError:
        return write()


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown exclusion kind {kind!r}: one of {', '.join(KINDS)}")
