"""Publication details and full co-author lists: the SQL behind ``-a details`` and
``-a coauthors=full``.

A detail page (``view_op=view_citation``) enriches a publication the profile pages stored; it
never changes which work the publication is. :func:`merge_details` finds the publication by
the authorship that asked for the page (``scholar_id`` + ``scholar_pub_key``), writes the
detail columns, gives it the full author list when the stored line is cut short, and adds
what identifier resolution found, by the rules rows follow (a more confident finding wins, a
weaker status never replaces ``resolved``), except that nothing is ever merged: a cluster id
or identifier that would make it another publication's is left out.

Called through :class:`~scholarcrawl.store.repository.Repository` (``merge_details``,
``mark_details_unavailable``, ``store_full_coauthors``, ``details_pending``,
``details_pending_count``), each in its own transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from scholarcrawl.fingerprint import AUTHOR_SPLIT, ELLIPSES
from scholarcrawl.store.models import Authorship, Publication, Scholar
from scholarcrawl.store.repository import (
    DETAILS_FETCHED,
    Change,
    Repository,
    _apply,
    _conflict,
    _identity_sets,
    _status_rank,
    _union,
    bare_scholar,
)

# details_status (closed vocabulary; NULL: never fetched)
FETCHED = DETAILS_FETCHED
UNAVAILABLE = "unavailable"
DETAILS_STATUSES = (FETCHED, UNAVAILABLE)

# DetailChange.outcome (closed vocabulary)
MERGED = "merged"  # the detail page was written into its publication
MARKED = "marked"  # the publication was marked unavailable
MISSING = "missing"  # no stored publication to write it into (deleted, excluded, key moved)
UNCHANGED = "unchanged"  # already fetched: an unavailable page does not undo it

# details_pending modes
MISSING_MODE = "missing"
ALL_MODE = "all"
DETAIL_MODES = (MISSING_MODE, ALL_MODE)

# Item field -> publication column, written as the page gives them (None clears a value a
# former fetch wrote: the latest page is what Scholar says now).
_DETAIL_COLUMNS = {
    "publication_date": "publication_date",
    "journal": "journal",
    "conference": "conference",
    "book": "book",
    "volume": "volume",
    "issue": "issue",
    "pages": "pages",
    "publisher": "publisher",
    "description": "description",
    "citations": "detail_citations",
    "extra": "detail_fields",
    "link_url": "link_url",
    "fulltext_url": "fulltext_url",
    "fulltext_kind": "fulltext_kind",
}
#: Publication columns a detail page writes (with ``details_status``/``details_fetched_at``).
DETAIL_COLUMNS = tuple(_DETAIL_COLUMNS.values())
_RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class DetailTarget:
    """A publication whose detail page a profile's crawl may ask for."""

    publication_id: int
    scholar_pub_key: str
    fingerprint: str
    title: str
    position: int | None


@dataclass(frozen=True, slots=True)
class DetailChange:
    """What writing one detail page (or marking one unavailable) did."""

    outcome: str  # merged | marked | unchanged | missing
    publication_id: int | None
    publication: Change = field(default_factory=Change)
    authors_replaced: bool = False
    identifiers_added: int = 0
    identifiers_refused: int = 0  # conflicting with the publication's own identity
    clusters_added: int = 0
    pdf_queued: bool = False

    @property
    def missing(self) -> bool:
        return self.outcome == MISSING


def author_line_truncated(line: str | None) -> bool:
    """Whether Scholar cut the author line short (it ends in ``...`` or ``…``)."""
    return bool(line) and (line or "").rstrip().endswith(ELLIPSES)


def author_count(line: str | None) -> int:
    """The names an author line holds (the ellipsis of a cut line is not one)."""
    if not line:
        return 0
    names = 0
    for part in AUTHOR_SPLIT.split(line.strip()):
        for mark in ELLIPSES:
            part = part.replace(mark, "")
        names += bool(part.strip())
    return names


def takes_full_authors(stored: str | None, full: str | None) -> bool:
    """Whether a detail page's full author list replaces the stored line: the stored line is
    empty or cut short, or the full list names more people."""
    if not full or not full.strip() or full == stored:
        return False
    if not stored or not stored.strip() or author_line_truncated(stored):
        return True
    return author_count(full) > author_count(stored)


def find_target(
    session: Session, scholar_id: str, scholar_pub_key: str, publication_id: int | None
) -> Publication | None:
    """The publication a detail page belongs to: the one this profile lists under the key,
    else ``publication_id`` while it still exists and this profile still lists it."""
    found = session.scalars(
        select(Authorship.publication_id)
        .where(Authorship.scholar_id == scholar_id, Authorship.scholar_pub_key == scholar_pub_key)
        .order_by(Authorship.publication_id)
        .limit(1)
    ).first()
    if found is None and publication_id is not None:
        found = session.scalars(
            select(Authorship.publication_id).where(
                Authorship.scholar_id == scholar_id, Authorship.publication_id == publication_id
            )
        ).first()
    return None if found is None else session.get(Publication, found)


def merge_details(
    session: Session, values: Mapping[str, Any], run_id: str | None, now: datetime
) -> DetailChange:
    """Write a detail page (a PublicationDetailItem's fields) into its publication."""
    publication = find_target(
        session, values["scholar_id"], values["scholar_pub_key"], values.get("publication_id")
    )
    if publication is None:
        return DetailChange(MISSING, None)
    data: dict[str, Any] = {column: values.get(name) for name, column in _DETAIL_COLUMNS.items()}
    data["detail_fields"] = dict(values.get("extra") or {})
    data["details_status"] = FETCHED
    full = values.get("authors")
    authors_replaced = takes_full_authors(publication.authors, full)
    if authors_replaced:
        data["authors"] = full
    updated = _apply(publication, data)
    publication.details_fetched_at = now

    # a cluster id another publication holds stays there: a detail page never merges
    owned = Repository._add_clusters(session, publication.id, list(values.get("cluster_ids") or []))
    before = set(publication.cluster_ids or [])
    if owned - before:
        publication.cluster_ids = sorted(before | owned)
        updated = True

    accepted, refused = _compatible(session, publication.id, values.get("identifiers") or [])
    added = Repository._add_identifiers(session, publication.id, accepted, run_id, now)
    status = values.get("identifier_status")
    if status is not None and _status_rank(status) >= _status_rank(publication.identifier_status):
        changes = {"identifier_status": status, "identifier_error": values.get("identifier_error")}
        updated = _apply(publication, changes) or updated
    if (
        added
        and publication.identifier_status != _RESOLVED
        and Repository._holds_identity(session, publication.id)
    ):
        publication.identifier_status = _RESOLVED
        publication.identifier_error = None
        updated = True
    if updated or added:
        publication.updated_at = now
    pdf_queued = False
    if values.get("queue_pdf"):
        from scholarcrawl.store.pdfqueue import sync_publication

        pdf_queued = sync_publication(session, publication.id, now)
    return DetailChange(
        MERGED,
        publication.id,
        Change(updated=updated or bool(added)),
        authors_replaced,
        added,
        refused,
        len(owned - before),
        pdf_queued,
    )


def _compatible(
    session: Session, publication_id: int, identifiers: Sequence[Mapping[str, Any]]
) -> tuple[list[Mapping[str, Any]], int]:
    """The identifiers the publication can take, and how many it cannot: one whose identity
    conflicts with what it holds (another own DOI, its own id as another version's) would
    make it another work."""
    held = Repository._held_identities(session, [publication_id])[publication_id]
    accepted: list[Mapping[str, Any]] = []
    refused = 0
    for ident in identifiers:
        mine = _identity_sets([ident])
        if _conflict(mine, held):
            refused += 1
            continue
        accepted.append(ident)
        held = _union(held, mine)
    return accepted, refused


def mark_unavailable(
    session: Session, scholar_id: str, scholar_pub_key: str, reason: str, now: datetime
) -> DetailChange:
    """Scholar has no detail page for this row (a 404): it is not asked for again.

    ``reason`` is kept in ``detail_fields`` (``{"unavailable": reason}``). A publication whose
    page was fetched before keeps what it holds.
    """
    publication = find_target(session, scholar_id, scholar_pub_key, None)
    if publication is None:
        return DetailChange(MISSING, None)
    if publication.details_status == FETCHED:
        return DetailChange(UNCHANGED, publication.id)
    updated = _apply(
        publication, {"details_status": UNAVAILABLE, "detail_fields": {"unavailable": reason}}
    )
    publication.details_fetched_at = now
    if updated:
        publication.updated_at = now
    return DetailChange(MARKED, publication.id, Change(updated=updated))


def store_full_coauthors(
    session: Session,
    scholar_id: str,
    coauthors: Sequence[Mapping[str, Any]],
    run_id: str | None,
    now: datetime,
) -> Change:
    """A profile's every co-author, as the item lists them (``scholar_id``, ``name``,
    ``affiliation``, ..., in the page's order)."""
    listed = [dict(coauthor) for coauthor in coauthors]
    row = session.get(Scholar, scholar_id)
    if row is None:
        session.add(
            Scholar(
                **bare_scholar(scholar_id, now),
                last_run_id=run_id,
                coauthors_full=listed,
                coauthors_full_at=now,
            )
        )
        return Change(inserted=True)
    updated = _apply(row, {"coauthors_full": listed})
    row.coauthors_full_at = now
    if updated:
        row.updated_at = now
    return Change(updated=updated)


def _pending_query(scholar_id: str, mode: str) -> Select[int, str | None, str, str, int | None]:
    if mode not in DETAIL_MODES:
        raise ValueError(f"details mode must be one of {', '.join(DETAIL_MODES)}, not {mode!r}")
    conditions: list[ColumnElement[bool]] = [
        Authorship.scholar_id == scholar_id,
        Authorship.scholar_pub_key.is_not(None),
        Authorship.scholar_pub_key != "",
        Publication.details_status.is_(None),
    ]
    if mode == MISSING_MODE:
        line = func.rtrim(Publication.authors)
        conditions.append(
            or_(
                *(line.like(f"%{mark}") for mark in ELLIPSES),
                Publication.identifier_status.is_(None),
                Publication.identifier_status != _RESOLVED,
            )
        )
    return (
        select(
            Publication.id,
            Authorship.scholar_pub_key,
            Publication.fingerprint,
            Publication.title,
            Authorship.position,
        )
        .join(Authorship, Authorship.publication_id == Publication.id)
        .where(*conditions)
    )


def pending(
    session: Session, scholar_id: str, mode: str, limit: int | None = None
) -> list[DetailTarget]:
    """The profile's rows whose detail page was never fetched, in the profile's order.

    ``missing``: only those whose stored author line is cut short or whose identifier
    resolution did not end ``resolved``; ``all``: every one. Rows without a key are skipped.
    """
    # rows without a position (never on SQLite's or PostgreSQL's own NULL order) come last
    position = func.coalesce(Authorship.position, 2**31 - 1)
    query = _pending_query(scholar_id, mode).order_by(position, Publication.id)
    if limit is not None:
        query = query.limit(max(0, limit))
    return [
        DetailTarget(row.id, row.scholar_pub_key, row.fingerprint, row.title, row.position)
        for row in session.execute(query)
    ]


def pending_count(session: Session, scholar_id: str, mode: str) -> int:
    """How many rows :func:`pending` would give without a limit."""
    query = select(func.count()).select_from(_pending_query(scholar_id, mode).subquery())
    return int(session.scalar(query) or 0)
