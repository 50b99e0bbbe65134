"""Stores a page of publication rows with a few set-wise statements, in the caller's transaction.

:meth:`Repository.upsert_publication <scholarcrawl.store.repository.Repository.upsert_publication>`
stores one row with about a dozen statements. A crawl stores a hundred rows a page, and nearly
every row is either a paper the database has never seen or the one paper its keys lead to;
this module stores such a page with one lookup per key kind and one ``executemany`` per table,
so the cost per row does not grow with the number of statements (nor with the size of the
database: every lookup goes through an index).

It gives exactly what storing the rows one by one, in order, would give. It therefore
refuses (returns None, having written nothing) any batch where the order could matter:

* two rows share a key (fingerprint, cluster id, own DOI or arXiv id) or lead to the same
  stored paper;
* a row's keys lead to more than one stored paper (a merge) or to a paper whose identity
  conflicts with the row's (a variant fingerprint).

The caller then stores the rows one by one in the same transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from scholarcrawl.fingerprint import normalise_title
from scholarcrawl.store.models import (
    Authorship,
    CitationSnapshot,
    PdfQueueEntry,
    Publication,
    PublicationCluster,
    PublicationIdentifier,
    PublicationMerge,
    Scholar,
)
from scholarcrawl.store.pdfqueue import CLAIMED, DONE, PENDING, best_identifier
from scholarcrawl.store.repository import (
    DETAILS_FETCHED,
    IDENTITY_KINDS,
    PUBLICATION_DATA_FIELDS,
    Change,
    PublicationChange,
    _conflict,
    _identity_sets,
    _self_identity,
    _status_rank,
    bare_scholar,
    take_finding,
)

T = TypeVar("T")
#: Values per ``IN (...)`` list: well under SQLite's and PostgreSQL's parameter limits.
CHUNK = 500
RESOLVED = "resolved"

_PUBLICATION_UPDATES = (
    *PUBLICATION_DATA_FIELDS,
    "normalized_title",
    "source_scholar_id",
    "identifier_status",
    "identifier_error",
    "cluster_ids",
    "updated_at",
)
_IDENTIFIER_UPDATES = ("role", "source", "confidence", "evidence", "run_id", "updated_at")
_PDF_UPDATES = ("doi", "arxiv_id", "status", "attempts", "next_attempt_at", "last_error")


@dataclass(slots=True)
class _Identifier:
    """An identifier of a publication as it will stand after the batch (``id`` None: new)."""

    id: int | None
    kind: str
    value: str
    role: str
    source: str
    confidence: float
    evidence: dict[str, Any]
    run_id: str | None
    created_at: datetime | None = None
    dirty: bool = False


@dataclass(slots=True)
class _Row:
    values: Mapping[str, Any]
    scholar_id: str
    fingerprint: str
    cluster_ids: list[str]
    identifiers: list[Mapping[str, Any]]
    self_ids: list[tuple[str, str]]
    found: int | None = None
    held_clusters: set[str] = field(default_factory=set)  # cluster ids stored for a paper

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> _Row:
        identifiers = list(values.get("identifiers") or [])
        return cls(
            values=values,
            scholar_id=values["scholar_id"],
            fingerprint=values["fingerprint"],
            cluster_ids=list(values.get("cluster_ids") or []),
            identifiers=identifiers,
            self_ids=_self_identity(identifiers),
        )

    def key_set(self) -> set[tuple[str, ...]]:
        keys: set[tuple[str, ...]] = {("fingerprint", self.fingerprint)}
        keys.update(("cluster", cluster_id) for cluster_id in self.cluster_ids)
        keys.update(("identity", kind, value) for kind, value in self.self_ids)
        return keys


def store_rows(
    session: Session, values: Sequence[Mapping[str, Any]], run_id: str, now: datetime
) -> list[PublicationChange] | None:
    """Store ``values`` (PublicationItem fields, fingerprint set) as one-by-one storing would.

    Returns None, having written nothing, when the batch is one whose rows depend on each
    other or that needs a merge (see the module docstring).
    """
    rows = [_Row.of(row) for row in values]
    shared = Counter(key for row in rows for key in row.key_set())
    if any(count > 1 for count in shared.values()):
        return None
    if not _find(session, rows):
        return None
    found = [row.found for row in rows if row.found is not None]
    if len(set(found)) != len(found):
        return None
    existing = _Existing.load(session, found, rows)
    for row in rows:
        if row.found is not None and _conflict(
            _identity_sets(row.identifiers), existing.held(row.found)
        ):
            return None  # another work with the same keys: a variant fingerprint
    _add_scholars(session, {row.scholar_id for row in rows}, now)
    writer = _Writer(session, run_id, now, existing)
    return writer.write(rows)


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _lookup(
    session: Session, key: Any, value: Any, keys: Sequence[Any], order_by: Any = None
) -> dict[Any, Any]:
    """``{key: value}`` of the rows whose ``key`` is one of ``keys`` (the last row wins)."""
    found: dict[Any, Any] = {}
    for chunk in _chunks(keys):
        statement = select(key, value).where(key.in_(chunk))
        if order_by is not None:
            statement = statement.order_by(order_by)
        for k, v in session.execute(statement):
            found[k] = v
    return found


def _find(session: Session, rows: Sequence[_Row]) -> bool:
    """Set each row's stored paper, by the store's rule order; False when one has several."""
    identities = sorted({ident for row in rows for ident in row.self_ids})
    by_identity: dict[tuple[str, str], list[int]] = {}
    for kind in IDENTITY_KINDS:
        values = sorted({value for k, value in identities if k == kind})
        for chunk in _chunks(values):
            for value, publication_id in session.execute(
                select(PublicationIdentifier.value, PublicationIdentifier.publication_id).where(
                    PublicationIdentifier.kind == kind,
                    PublicationIdentifier.value.in_(chunk),
                    PublicationIdentifier.role == "self",
                )
            ):
                by_identity.setdefault((kind, value), []).append(publication_id)
    clusters = sorted({cluster_id for row in rows for cluster_id in row.cluster_ids})
    by_cluster = _lookup(
        session, PublicationCluster.cluster_id, PublicationCluster.publication_id, clusters
    )
    fingerprints = sorted({row.fingerprint for row in rows})
    by_fingerprint = _lookup(session, Publication.fingerprint, Publication.id, fingerprints)
    # a paper merged into another keeps its fingerprint as an alias of the survivor; the
    # latest merge wins, as in the store
    by_alias = _lookup(
        session,
        PublicationMerge.merged_fingerprint,
        PublicationMerge.survivor_id,
        sorted(set(fingerprints) - set(by_fingerprint)),
        order_by=PublicationMerge.id,
    )
    for row in rows:
        ids = {pid for ident in row.self_ids for pid in by_identity.get(ident, ())}
        ids.update(by_cluster[c] for c in row.cluster_ids if c in by_cluster)
        stored = by_fingerprint.get(row.fingerprint, by_alias.get(row.fingerprint))
        if stored is not None:
            ids.add(stored)
        if len(ids) > 1:
            return False
        row.found = next(iter(ids), None)
        row.held_clusters = {c for c in row.cluster_ids if c in by_cluster}
    return True


@dataclass(slots=True)
class _Existing:
    """What the database holds of the papers the batch's rows lead to."""

    publications: dict[int, dict[str, Any]]
    identifiers: dict[int, dict[tuple[str, str], _Identifier]]
    authorships: dict[tuple[str, int], dict[str, Any]]
    snapshots: dict[tuple[int, str], dict[str, Any]]
    pdf_rows: dict[int, dict[str, Any]]

    @classmethod
    def load(cls, session: Session, found: Sequence[int], rows: Sequence[_Row]) -> _Existing:
        publications: dict[int, dict[str, Any]] = {}
        identifiers: dict[int, dict[tuple[str, str], _Identifier]] = {pid: {} for pid in found}
        authorships: dict[tuple[str, int], dict[str, Any]] = {}
        snapshots: dict[tuple[int, str], dict[str, Any]] = {}
        pdf_rows: dict[int, dict[str, Any]] = {}
        wanted = {(row.scholar_id, row.found) for row in rows if row.found is not None}
        scholars = sorted({scholar_id for scholar_id, _ in wanted})
        for chunk in _chunks(sorted(found)):
            for row in session.execute(
                select(Publication.__table__).where(Publication.id.in_(chunk))
            ):
                publications[row.id] = dict(row._mapping)
            for ident in session.execute(
                select(PublicationIdentifier.__table__).where(
                    PublicationIdentifier.publication_id.in_(chunk)
                )
            ):
                identifiers[ident.publication_id][(ident.kind, ident.value)] = _Identifier(
                    ident.id,
                    ident.kind,
                    ident.value,
                    ident.role,
                    ident.source,
                    ident.confidence,
                    dict(ident.evidence or {}),
                    ident.run_id,
                )
            for authorship in session.execute(
                select(Authorship.__table__).where(
                    Authorship.publication_id.in_(chunk), Authorship.scholar_id.in_(scholars)
                )
            ):
                key = (authorship.scholar_id, authorship.publication_id)
                if key in wanted:
                    authorships[key] = dict(authorship._mapping)
            last = (
                select(func.max(CitationSnapshot.id))
                .where(
                    CitationSnapshot.publication_id.in_(chunk),
                    CitationSnapshot.scholar_id.in_(scholars),
                )
                .group_by(CitationSnapshot.publication_id, CitationSnapshot.scholar_id)
            )
            for snapshot in session.execute(
                select(CitationSnapshot.__table__).where(CitationSnapshot.id.in_(last))
            ):
                snapshots[(snapshot.publication_id, snapshot.scholar_id)] = dict(snapshot._mapping)
            for pdf in session.execute(
                select(PdfQueueEntry.__table__).where(PdfQueueEntry.publication_id.in_(chunk))
            ):
                pdf_rows[pdf.publication_id] = dict(pdf._mapping)
        return cls(publications, identifiers, authorships, snapshots, pdf_rows)

    def held(self, publication_id: int) -> dict[str, set[tuple[str, str]]]:
        """The paper's identity identifiers by role, as the store's conflict rule reads them."""
        held: dict[str, set[tuple[str, str]]] = {"self": set(), "version": set()}
        for ident in self.identifiers[publication_id].values():
            if ident.kind in IDENTITY_KINDS:
                held.setdefault(ident.role, set()).add((ident.kind, ident.value))
        return held


def _add_scholars(session: Session, scholar_ids: set[str], now: datetime) -> None:
    """Bare profile rows for the scholars the database does not know yet."""
    known: set[str] = set()
    for chunk in _chunks(sorted(scholar_ids)):
        known.update(
            session.scalars(select(Scholar.scholar_id).where(Scholar.scholar_id.in_(chunk)))
        )
    missing = sorted(scholar_ids - known)
    if missing:
        session.execute(insert(Scholar), [bare_scholar(scholar_id, now) for scholar_id in missing])


def _fold(
    held: dict[tuple[str, str], _Identifier],
    identifiers: Iterable[Mapping[str, Any]],
    run_id: str | None,
    now: datetime,
) -> int:
    """The store's identifier rule: add new ones, let a more confident finding update a
    known one. Returns how many were added."""
    added = 0
    for ident in identifiers:
        key = (str(ident["kind"]), str(ident["value"]))
        confidence = float(ident["confidence"])
        row = held.get(key)
        if row is None:
            held[key] = _Identifier(
                None,
                key[0],
                key[1],
                str(ident.get("role") or "self"),
                str(ident["source"]),
                confidence,
                dict(ident.get("evidence") or {}),
                run_id,
                now,
            )
            added += 1
        elif take_finding(row, ident, run_id):
            row.dirty = True
    return added


def _holds_identity(identifiers: Iterable[_Identifier]) -> bool:
    return any(row.role == "self" and row.kind in IDENTITY_KINDS for row in identifiers)


class _Writer:
    """Computes every row's writes in memory, then sends them table by table."""

    def __init__(self, session: Session, run_id: str, now: datetime, existing: _Existing) -> None:
        self.session = session
        self.run_id = run_id
        self.now = now
        self.existing = existing
        self.publication_updates: list[dict[str, Any]] = []
        self.cluster_inserts: list[dict[str, Any]] = []
        self.authorship_inserts: list[dict[str, Any]] = []
        self.authorship_updates: list[dict[str, Any]] = []
        self.snapshot_inserts: list[dict[str, Any]] = []
        self.snapshot_updates: list[dict[str, Any]] = []
        self.pdf_inserts: list[dict[str, Any]] = []
        self.pdf_updates: list[dict[str, Any]] = []

    def write(self, rows: Sequence[_Row]) -> list[PublicationChange]:
        new = [row for row in rows if row.found is None]
        identifiers: dict[int, dict[tuple[str, str], _Identifier]] = {}
        new_ids = self._insert_publications(new, identifiers)
        changes: dict[int, PublicationChange] = {}
        for row, publication_id in zip(new, new_ids, strict=True):
            changes[id(row)] = self._new(row, publication_id, identifiers[publication_id])
        for row in rows:
            if row.found is not None:
                changes[id(row)] = self._known(row, row.found)
                identifiers[row.found] = self.existing.identifiers[row.found]
        self._flush(identifiers)
        return [changes[id(row)] for row in rows]

    # --- new papers ----------------------------------------------------------------------

    def _insert_publications(
        self, rows: Sequence[_Row], identifiers: dict[int, dict[tuple[str, str], _Identifier]]
    ) -> list[int]:
        if not rows:
            return []
        params = []
        held_of_row = []
        for row in rows:
            values = row.values
            held: dict[tuple[str, str], _Identifier] = {}
            added = _fold(held, row.identifiers, self.run_id, self.now)
            status = values.get("identifier_status")
            error = values.get("identifier_error")
            if added and status != RESOLVED and _holds_identity(held.values()):
                status, error = RESOLVED, None
            held_of_row.append(held)
            params.append(
                {
                    **{key: values[key] for key in PUBLICATION_DATA_FIELDS},
                    "fingerprint": row.fingerprint,
                    "normalized_title": normalise_title(values["title"]),
                    "cluster_ids": sorted(set(row.cluster_ids)),
                    "source_scholar_id": row.scholar_id,
                    "identifier_status": status,
                    "identifier_error": error,
                    "created_at": self.now,
                    "updated_at": self.now,
                }
            )
        table: Any = Publication.__table__
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        ids = list(self.session.connection().execute(statement, params).scalars())
        for publication_id, held in zip(ids, held_of_row, strict=True):
            identifiers[publication_id] = held
        return ids

    def _new(
        self, row: _Row, publication_id: int, held: dict[tuple[str, str], _Identifier]
    ) -> PublicationChange:
        self.cluster_inserts.extend(
            {"cluster_id": cluster_id, "publication_id": publication_id}
            for cluster_id in dict.fromkeys(row.cluster_ids)
        )
        pdf_queued = self._pdf(row, publication_id, held)
        self.authorship_inserts.append(self._authorship(row, publication_id))
        self._snapshot_insert(row, publication_id)
        return PublicationChange(
            publication_id,
            Change(inserted=True),
            Change(inserted=True),
            True,
            len(held),
            (),
            pdf_queued,
        )

    # --- known papers ----------------------------------------------------------------------

    def _known(self, row: _Row, publication_id: int) -> PublicationChange:
        values = row.values
        stored = self.existing.publications[publication_id]
        final = dict(stored)
        status = values.get("identifier_status")
        if stored["source_scholar_id"] in (None, row.scholar_id):
            final |= {
                key: values[key]
                for key in PUBLICATION_DATA_FIELDS
                # the detail page's full author list outlives the row's (cut) line
                if key != "authors" or stored["details_status"] != DETAILS_FETCHED
            }
            final["normalized_title"] = normalise_title(values["title"])
            final["source_scholar_id"] = row.scholar_id
        if status is not None and _status_rank(status) >= _status_rank(stored["identifier_status"]):
            final["identifier_status"] = status
            final["identifier_error"] = values.get("identifier_error")
        updated = any(final[key] != stored[key] for key in final)
        # the row's cluster ids nobody holds become this paper's (a held one is its own:
        # another holder would have been found)
        stored_clusters = sorted(stored["cluster_ids"] or [])
        for cluster_id in dict.fromkeys(row.cluster_ids):
            if cluster_id not in row.held_clusters:
                self.cluster_inserts.append(
                    {"cluster_id": cluster_id, "publication_id": publication_id}
                )
        clusters = sorted(set(stored_clusters) | set(row.cluster_ids))
        if clusters != stored_clusters:
            final["cluster_ids"] = clusters
            updated = True
        held = self.existing.identifiers[publication_id]
        added = _fold(held, row.identifiers, self.run_id, self.now)
        if added and final["identifier_status"] != RESOLVED and _holds_identity(held.values()):
            # holding its own DOI or arXiv id is what "resolved" means (not counted as an
            # update, as in the one-by-one store)
            final["identifier_status"], final["identifier_error"] = RESOLVED, None
        if updated:
            final["updated_at"] = self.now
        changed = {key: final[key] for key in _PUBLICATION_UPDATES if final[key] != stored[key]}
        if changed:
            # only what this row changes: another process may have changed the rest meanwhile
            self.publication_updates.append({"_id": publication_id, **changed})
        pdf_queued = self._pdf(row, publication_id, held)
        authorship = self._authorship_change(row, publication_id)
        snapshot_added = self._snapshot(row, publication_id)
        return PublicationChange(
            publication_id,
            Change(updated=updated),
            authorship,
            snapshot_added,
            added,
            (),
            pdf_queued,
        )

    def _authorship(self, row: _Row, publication_id: int) -> dict[str, Any]:
        return {
            "scholar_id": row.scholar_id,
            "publication_id": publication_id,
            "scholar_pub_key": row.values.get("scholar_pub_key"),
            "citations": row.values["citations"],
            "position": row.values.get("position"),
            "created_at": self.now,
            "updated_at": self.now,
        }

    def _authorship_change(self, row: _Row, publication_id: int) -> Change:
        stored = self.existing.authorships.get((row.scholar_id, publication_id))
        if stored is None:
            self.authorship_inserts.append(self._authorship(row, publication_id))
            return Change(inserted=True)
        data = {
            "scholar_pub_key": row.values.get("scholar_pub_key"),
            "citations": row.values["citations"],
            "position": row.values.get("position"),
        }
        if all(stored[key] == value for key, value in data.items()):
            return Change()
        self.authorship_updates.append({"_id": stored["id"], **data, "updated_at": self.now})
        return Change(updated=True)

    def _snapshot_insert(self, row: _Row, publication_id: int) -> None:
        self.snapshot_inserts.append(
            {
                "publication_id": publication_id,
                "scholar_id": row.scholar_id,
                "run_id": self.run_id,
                "citations": row.values["citations"],
                "observed_at": self.now,
            }
        )

    def _snapshot(self, row: _Row, publication_id: int) -> bool:
        """History: a row whenever the count differs from the last one (once per run)."""
        last = self.existing.snapshots.get((publication_id, row.scholar_id))
        citations = row.values["citations"]
        if last is not None and (last["citations"] == citations or last["run_id"] == self.run_id):
            if last["run_id"] == self.run_id and last["citations"] != citations:
                self.snapshot_updates.append({"_id": last["id"], "citations": citations})
            return False
        self._snapshot_insert(row, publication_id)
        return True

    def _pdf(
        self, row: _Row, publication_id: int, held: dict[tuple[str, str], _Identifier]
    ) -> bool:
        """As :func:`scholarcrawl.store.pdfqueue.sync_publication`."""
        if not row.values.get("queue_pdf"):
            return False
        doi = best_identifier(held.values(), "doi")
        arxiv_id = best_identifier(held.values(), "arxiv")
        if doi is None and arxiv_id is None:
            return False
        stored = self.existing.pdf_rows.get(publication_id)
        if stored is None:
            self.pdf_inserts.append(
                {
                    "publication_id": publication_id,
                    "doi": doi,
                    "arxiv_id": arxiv_id,
                    "status": PENDING,
                    "attempts": 0,
                    "next_attempt_at": None,  # due at once, whatever the claimers' clock
                    "created_at": self.now,
                    "updated_at": self.now,
                }
            )
            return True
        if (stored["doi"], stored["arxiv_id"]) == (doi, arxiv_id) or stored["status"] in (
            DONE,
            CLAIMED,
        ):
            return False
        self.pdf_updates.append(
            {
                "_id": stored["id"],
                "doi": doi,
                "arxiv_id": arxiv_id,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": None,
                "last_error": None,
                "updated_at": self.now,
            }
        )
        return True

    # --- the statements ------------------------------------------------------------------

    def _flush(self, identifiers: Mapping[int, Mapping[tuple[str, str], _Identifier]]) -> None:
        identifier_inserts = []
        identifier_updates = []
        for publication_id, held in identifiers.items():
            for ident in held.values():
                if ident.id is None:
                    identifier_inserts.append(
                        {
                            "publication_id": publication_id,
                            "kind": ident.kind,
                            "value": ident.value,
                            "role": ident.role,
                            "source": ident.source,
                            "confidence": ident.confidence,
                            "evidence": ident.evidence,
                            "run_id": ident.run_id,
                            "created_at": ident.created_at or self.now,
                            "updated_at": self.now,
                        }
                    )
                elif ident.dirty:
                    identifier_updates.append(
                        {
                            "_id": ident.id,
                            "role": ident.role,
                            "source": ident.source,
                            "confidence": ident.confidence,
                            "evidence": ident.evidence,
                            "run_id": ident.run_id,
                            "updated_at": self.now,
                        }
                    )
        self._insert(PublicationCluster.__table__, self.cluster_inserts)
        self._insert(PublicationIdentifier.__table__, identifier_inserts)
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for params in self.publication_updates:
            by_columns.setdefault(tuple(key for key in params if key != "_id"), []).append(params)
        for columns, group in by_columns.items():
            self._update(Publication.__table__, group, columns)
        self._update(PublicationIdentifier.__table__, identifier_updates, _IDENTIFIER_UPDATES)
        self._insert(PdfQueueEntry.__table__, self.pdf_inserts)
        # a row a pdfs process claimed (or finished) meanwhile keeps its question
        self._update(
            PdfQueueEntry.__table__,
            self.pdf_updates,
            (*_PDF_UPDATES, "updated_at"),
            PdfQueueEntry.__table__.c.status.not_in((DONE, CLAIMED)),
            exact=False,
        )
        self._insert(Authorship.__table__, self.authorship_inserts)
        self._update(
            Authorship.__table__,
            self.authorship_updates,
            ("scholar_pub_key", "citations", "position", "updated_at"),
        )
        self._insert(CitationSnapshot.__table__, self.snapshot_inserts)
        self._update(CitationSnapshot.__table__, self.snapshot_updates, ("citations",))

    def _insert(self, table: Any, params: list[dict[str, Any]]) -> None:
        if params:
            self.session.execute(insert(table), params)

    def _update(
        self,
        table: Any,
        params: list[dict[str, Any]],
        columns: Sequence[str],
        *conditions: Any,
        exact: bool = True,
    ) -> None:
        """One ``executemany`` by primary key, in key order (two writers lock rows in the same
        order). ``exact``: a row gone meanwhile (merged away by another process) raises
        StaleDataError, which the repository answers by reading again, as the ORM would."""
        if not params:
            return
        statement = (
            update(table)
            .where(table.c.id == bindparam("_id"), *conditions)
            .values({column: bindparam(column) for column in columns})
        )
        ordered = sorted(params, key=lambda row: row["_id"])
        connection = self.session.connection()
        result = connection.execute(statement, ordered)
        if (
            exact
            and connection.dialect.supports_sane_multi_rowcount
            and result.rowcount != len(ordered)
        ):
            raise StaleDataError(
                f"{table.name}: {result.rowcount} of {len(ordered)} rows updated "
                "(another process changed them meanwhile)"
            )
