"""The open-access PDF queue (``pdf_queue``), shared by every ``pdfs`` process.

One row per publication that has a DOI or an arXiv id. Statuses (closed vocabulary):

``pending``
    waiting to be resolved (from ``next_attempt_at`` on, when set).
``claimed``
    a ``pdfs`` process works on it under a lease it renews (``claim_owner``, ``claim_until``);
    a killed process's rows are due again once the lease has run out.
``done``
    a PDF URL was found (``pdf_url``, ``landing_url``, ``source``: ``unpaywall`` |
    ``landing`` | ``browser`` | ``arxiv``).
``no-oa-location``
    Unpaywall knows the DOI and lists no open-access copy.
``not-found``
    nothing to point at: Unpaywall does not know the DOI, or the landing pages hold no PDF
    link (after rendering, when they needed a browser).
``http-error``, ``blocked``
    a server failed or refused (a bot check, 403, 429): retried with back-off
    (:class:`RetryPolicy`) while attempts remain; ``next_attempt_at`` is empty once they are
    spent.

Claims are atomic across processes, as in the continuation queue: ``FOR UPDATE SKIP LOCKED``
on PostgreSQL, ``BEGIN IMMEDIATE`` and conditional updates on SQLite. An outcome is written
only by the process that holds the row's claim, so no row is ever resolved twice.

A ``done`` row whose PDF was never downloaded (resolved by a run without ``-a download=1``)
is claimed by a downloading run for the download alone: it stays ``done`` while the claim
(``claim_owner``, ``claim_until``) is held, and only its download columns change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, func, or_, select, update
from sqlalchemy.orm import Session

from scholarcrawl.events import log_event
from scholarcrawl.store.models import PdfQueueEntry, PublicationIdentifier
from scholarcrawl.store.queue import _positive, _Store, _utc_out_opt
from scholarcrawl.store.repository import utcnow

logger = logging.getLogger(__name__)

PENDING = "pending"
CLAIMED = "claimed"
DONE = "done"
NO_OA_LOCATION = "no-oa-location"
NOT_FOUND = "not-found"
HTTP_ERROR = "http-error"
BLOCKED = "blocked"
STATUSES = (PENDING, CLAIMED, DONE, NO_OA_LOCATION, NOT_FOUND, HTTP_ERROR, BLOCKED)
#: Outcomes of one resolution (what :meth:`PdfQueue.settle` accepts).
OUTCOMES = (DONE, NO_OA_LOCATION, NOT_FOUND, HTTP_ERROR, BLOCKED)
#: Outcomes that may change with time: tried again while attempts remain.
RETRYABLE = (HTTP_ERROR, BLOCKED)
SOURCES = ("unpaywall", "landing", "browser", "arxiv")
#: Download outcomes (``-a download=1``), beside the resolution's status.
DOWNLOAD_STATUSES = ("stored", "not-pdf", "too-large", "http-error")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``PDF_AUTO_RETRY_ENABLED``, ``PDF_AUTO_RETRY_INTERVAL_SECONDS``,
    ``PDF_AUTO_RETRY_MAX_ATTEMPTS``: a retryable outcome is due again after the interval,
    doubling with each attempt, until the attempts are spent."""

    enabled: bool = True
    interval_seconds: float = 3600.0
    max_attempts: int = 5

    def __post_init__(self) -> None:
        _positive(self.interval_seconds, "PDF_AUTO_RETRY_INTERVAL_SECONDS")
        if self.max_attempts < 1:
            raise ValueError(
                f"PDF_AUTO_RETRY_MAX_ATTEMPTS must be at least 1, not {self.max_attempts}"
            )

    def delay(self, attempts: int) -> float | None:
        """Seconds until the next try after ``attempts`` tries; None when there is none."""
        if not self.enabled or attempts >= self.max_attempts:
            return None
        return self.interval_seconds * 2.0 ** min(max(attempts - 1, 0), 30)


@dataclass(frozen=True, slots=True)
class PdfTask:
    """A claimed row: what to resolve, or (``pdf_url`` set) a resolved PDF to download."""

    id: int
    publication_id: int
    doi: str | None
    arxiv_id: str | None
    attempts: int
    pdf_url: str | None = None
    source: str | None = None

    @property
    def download_only(self) -> bool:
        return self.pdf_url is not None


@dataclass(frozen=True, slots=True)
class PdfOutcome:
    """What resolving one row found (written by :meth:`PdfQueue.settle`)."""

    status: str
    pdf_url: str | None = None
    landing_url: str | None = None
    source: str | None = None
    oa_status: str | None = None
    error: str | None = None
    pdf_sha256: str | None = None
    pdf_size: int | None = None
    download_status: str | None = None

    def __post_init__(self) -> None:
        if self.status not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.status!r}: one of {', '.join(OUTCOMES)}")
        if self.status == DONE and (not self.pdf_url or self.source not in SOURCES):
            raise ValueError("a done outcome needs a pdf_url and a source")
        if self.download_status is not None and self.download_status not in DOWNLOAD_STATUSES:
            raise ValueError(f"unknown download status {self.download_status!r}")


@dataclass(frozen=True, slots=True)
class PdfEntry:
    """A detached snapshot of a ``pdf_queue`` row."""

    id: int
    publication_id: int
    doi: str | None
    arxiv_id: str | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    claim_owner: str | None
    claim_until: datetime | None
    pdf_url: str | None
    landing_url: str | None
    source: str | None
    oa_status: str | None
    last_error: str | None
    pdf_sha256: str | None
    pdf_size: int | None
    download_status: str | None
    run_id: str | None
    resolved_at: datetime | None


def _entry(row: PdfQueueEntry) -> PdfEntry:
    return PdfEntry(
        id=row.id,
        publication_id=row.publication_id,
        doi=row.doi,
        arxiv_id=row.arxiv_id,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=_utc_out_opt(row.next_attempt_at),
        claim_owner=row.claim_owner,
        claim_until=_utc_out_opt(row.claim_until),
        pdf_url=row.pdf_url,
        landing_url=row.landing_url,
        source=row.source,
        oa_status=row.oa_status,
        last_error=row.last_error,
        pdf_sha256=row.pdf_sha256,
        pdf_size=row.pdf_size,
        download_status=row.download_status,
        run_id=row.run_id,
        resolved_at=_utc_out_opt(row.resolved_at),
    )


def _task(row: PdfQueueEntry) -> PdfTask:
    download_only = row.status == DONE  # a done row is claimed for its download alone
    return PdfTask(
        row.id,
        row.publication_id,
        row.doi,
        row.arxiv_id,
        row.attempts,
        pdf_url=row.pdf_url if download_only else None,
        source=row.source if download_only else None,
    )


def best_identifier(rows: Iterable[Any], kind: str) -> str | None:
    """The publication's identifier of ``kind`` to resolve: its own first, then the most
    confident (a journal row's preprint is an open copy of the same work). ``rows`` have
    ``kind``, ``role``, ``confidence`` and ``value`` (stored rows, or the batch store's)."""
    ranked = sorted(
        (row for row in rows if row.kind == kind),
        key=lambda row: (row.role != "self", -row.confidence, row.value),
    )
    return ranked[0].value if ranked else None


def sync_publication(session: Session, publication_id: int, now: datetime) -> bool:
    """Queue (or re-aim) the publication's PDF row, inside the caller's transaction.

    A publication with a DOI or an arXiv id gets a ``pending`` row. A row not yet ``done``
    whose identifiers changed (a DOI found later, a merge) is pending again from its first
    attempt: the question changed. Returns True when a row was added or re-aimed.
    """
    identifiers = session.scalars(
        select(PublicationIdentifier).where(
            PublicationIdentifier.publication_id == publication_id,
            PublicationIdentifier.kind.in_(("doi", "arxiv")),
        )
    ).all()
    doi = best_identifier(identifiers, "doi")
    arxiv_id = best_identifier(identifiers, "arxiv")
    if doi is None and arxiv_id is None:
        return False
    row = session.scalars(
        select(PdfQueueEntry).where(PdfQueueEntry.publication_id == publication_id)
    ).one_or_none()
    if row is None:
        session.add(
            PdfQueueEntry(
                publication_id=publication_id,
                doi=doi,
                arxiv_id=arxiv_id,
                status=PENDING,
                attempts=0,
                next_attempt_at=None,  # due at once, whatever the clock of the claimers
                created_at=now,
                updated_at=now,
            )
        )
        return True
    if (row.doi, row.arxiv_id) == (doi, arxiv_id) or row.status in (DONE, CLAIMED):
        return False
    row.doi, row.arxiv_id = doi, arxiv_id
    row.status, row.attempts, row.next_attempt_at = PENDING, 0, None
    row.last_error = None
    row.updated_at = now
    return True


def merge_rows(session: Session, survivor_id: int, other_id: int) -> None:
    """Before ``other_id`` is merged into ``survivor_id``: one PDF row stays (a found PDF
    wins), and it belongs to the survivor. Identifiers are re-aimed by the next sync."""
    rows = {
        row.publication_id: row
        for row in session.scalars(
            select(PdfQueueEntry).where(PdfQueueEntry.publication_id.in_((survivor_id, other_id)))
        )
    }
    mine, theirs = rows.get(survivor_id), rows.get(other_id)
    if theirs is None:
        return
    if mine is not None and (mine.status == DONE or theirs.status != DONE):
        session.delete(theirs)
        session.flush()
        return
    if mine is not None:
        session.delete(mine)
        session.flush()
    theirs.publication_id = survivor_id


class PdfQueue(_Store):
    """Claims, leases, outcomes and reads of ``pdf_queue`` (see the module doc)."""

    def __init__(
        self,
        engine: Engine,
        retry: RetryPolicy | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(engine, clock)
        self.retry = retry or RetryPolicy()

    # --- filling ---------------------------------------------------------------------------

    def backfill(self, batch: int = 500) -> int:
        """Queue every publication with a DOI or an arXiv id and no row yet; how many.

        Crawls queue their publications as they store them; this catches publications stored
        before the queue existed, or by a crawl with ``PDF_QUEUE_ENABLED`` off.
        """
        added = 0
        while True:
            now = self._now()
            with self._write() as session:
                missing = list(
                    session.scalars(
                        select(PublicationIdentifier.publication_id)
                        .where(
                            PublicationIdentifier.kind.in_(("doi", "arxiv")),
                            ~select(PdfQueueEntry.id)
                            .where(
                                PdfQueueEntry.publication_id == PublicationIdentifier.publication_id
                            )
                            .exists(),
                        )
                        .distinct()
                        .order_by(PublicationIdentifier.publication_id)
                        .limit(batch)
                    )
                )
                for publication_id in missing:
                    added += sync_publication(session, publication_id, now)
            if len(missing) < batch:
                return added

    # --- claims ----------------------------------------------------------------------------

    def claim_due(
        self,
        owner: str,
        lease_seconds: float,
        *,
        limit: int,
        run_id: str | None = None,
        exclude: Collection[int] = (),
        download: bool = False,
    ) -> list[PdfTask]:
        """Claim at most ``limit`` due rows, oldest ``next_attempt_at`` first, leaving out the
        ids in ``exclude`` (rows this run gave back: it would only give them back again).

        With ``download``, ``done`` rows never downloaded are claimed too (after the rows to
        resolve), for their download alone: they stay ``done``.
        """
        _positive(lease_seconds, "lease_seconds")
        if limit <= 0:
            return []
        now = self._now()
        due, download_due = _due(now), _download_due(now)
        if exclude:
            kept = PdfQueueEntry.id.not_in(list(exclude))
            due, download_due = and_(due, kept), and_(download_due, kept)
        values: dict[str, Any] = {
            "claim_owner": owner,
            "claim_until": now + timedelta(seconds=lease_seconds),
            "updated_at": now,
        }
        if run_id is not None:
            values["run_id"] = run_id
        with self._write() as session:
            claimed = self._claim_rows(
                session, PdfQueueEntry, due, _ORDER, limit, {**values, "status": CLAIMED}
            )
            if download and len(claimed) < limit:
                claimed += self._claim_rows(
                    session,
                    PdfQueueEntry,
                    download_due,
                    (PdfQueueEntry.id,),
                    limit - len(claimed),
                    values,
                )
            rows = {
                row.id: row
                for row in session.scalars(
                    select(PdfQueueEntry).where(PdfQueueEntry.id.in_(claimed))
                )
            }
            return [_task(rows[row_id]) for row_id in claimed]  # in the order claimed

    def extend_leases(self, owner: str, lease_seconds: float) -> int:
        """Heartbeat: renew every claim ``owner`` holds; how many."""
        _positive(lease_seconds, "lease_seconds")
        now = self._now()
        with self._write() as session:
            result = session.connection().execute(
                update(PdfQueueEntry)
                .where(_held_by(owner))
                .values(claim_until=now + timedelta(seconds=lease_seconds), updated_at=now)
            )
            return int(result.rowcount or 0)

    def settle(
        self, row_id: int, owner: str, outcome: PdfOutcome, *, run_id: str | None = None
    ) -> PdfEntry | None:
        """Write ``outcome`` to a row ``owner`` holds; None when the claim was lost.

        A ``done`` row claimed for its download gets the download columns only (and no
        attempt is counted).
        """
        now = self._now()
        with self._write() as session:
            row = self._held(session, row_id, owner, "settle")
            if row is None:
                return None
            if row.status == DONE:
                if outcome.status != DONE or outcome.download_status is None:
                    raise ValueError(f"row {row_id} is resolved: only its download is settled")
                row.download_status = outcome.download_status
                row.pdf_sha256, row.pdf_size = outcome.pdf_sha256, outcome.pdf_size
                row.claim_owner = row.claim_until = None
                if run_id is not None:
                    row.run_id = run_id
                row.updated_at = now
                session.flush()
                return _entry(row)
            row.attempts += 1
            row.status = outcome.status
            delay = self.retry.delay(row.attempts) if outcome.status in RETRYABLE else None
            row.next_attempt_at = None if delay is None else now + timedelta(seconds=delay)
            row.claim_owner = None
            row.claim_until = None
            if outcome.status == DONE:
                row.pdf_url, row.source = outcome.pdf_url, outcome.source
                row.resolved_at = now
                row.last_error = None
            else:
                row.last_error = outcome.error
            row.landing_url = outcome.landing_url
            if outcome.oa_status is not None:
                row.oa_status = outcome.oa_status
            if outcome.download_status is not None:
                row.download_status = outcome.download_status
                row.pdf_sha256, row.pdf_size = outcome.pdf_sha256, outcome.pdf_size
            if run_id is not None:
                row.run_id = run_id
            row.updated_at = now
            session.flush()
            return _entry(row)

    def release(
        self,
        row_id: int,
        owner: str,
        *,
        error: str | None = None,
        not_before: datetime | None = None,
    ) -> bool:
        """Give a held row back as ``pending``, no attempt counted (an API cooldown, the
        run's budget, a browser that is missing): due again from ``not_before`` (or now).
        A ``done`` row held for its download stays ``done``."""
        now = self._now()
        with self._write() as session:
            row = self._held(session, row_id, owner, "release")
            if row is None:
                return False
            if row.status != DONE:
                row.status = PENDING
                row.next_attempt_at = now if not_before is None else max(now, not_before)
                if error is not None:
                    row.last_error = error
            row.claim_owner = None
            row.claim_until = None
            row.updated_at = now
            return True

    def release_all(self, owner: str) -> int:
        """Give back every row ``owner`` still holds (a run that ends early); how many."""
        now = self._now()
        with self._write() as session:
            connection = session.connection()
            resolving = connection.execute(
                update(PdfQueueEntry)
                .where(PdfQueueEntry.status == CLAIMED, PdfQueueEntry.claim_owner == owner)
                .values(
                    status=PENDING,
                    next_attempt_at=now,
                    claim_owner=None,
                    claim_until=None,
                    updated_at=now,
                )
            )
            downloading = connection.execute(
                update(PdfQueueEntry)
                .where(PdfQueueEntry.status == DONE, PdfQueueEntry.claim_owner == owner)
                .values(claim_owner=None, claim_until=None, updated_at=now)
            )
            return int(resolving.rowcount or 0) + int(downloading.rowcount or 0)

    # --- reads -----------------------------------------------------------------------------

    def get(self, publication_id: int) -> PdfEntry | None:
        with self._read() as session:
            row = session.scalars(
                select(PdfQueueEntry).where(PdfQueueEntry.publication_id == publication_id)
            ).one_or_none()
            return None if row is None else _entry(row)

    def entries(self, status: str | None = None, limit: int | None = None) -> list[PdfEntry]:
        """Rows (or those with ``status``) by status, next attempt and id."""
        query = select(PdfQueueEntry).order_by(
            PdfQueueEntry.status, PdfQueueEntry.next_attempt_at, PdfQueueEntry.id
        )
        if status is not None:
            if status not in STATUSES:
                raise ValueError(f"unknown status {status!r}: one of {', '.join(STATUSES)}")
            query = query.where(PdfQueueEntry.status == status)
        with self._read() as session:
            return [_entry(row) for row in session.scalars(query.limit(limit))]

    def counts(self) -> dict[str, int]:
        """Rows per status (statuses without rows are left out)."""
        with self._read() as session:
            rows = session.execute(
                select(PdfQueueEntry.status, func.count()).group_by(PdfQueueEntry.status)
            )
            return {status: int(count) for status, count in rows}

    def due_count(self, *, download: bool = False) -> int:
        """How many rows :meth:`claim_due` could claim now (with ``download``: counting the
        resolved rows still to download)."""
        now = self._now()
        due = or_(_due(now), _download_due(now)) if download else _due(now)
        with self._read() as session:
            count = session.scalar(select(func.count()).select_from(PdfQueueEntry).where(due))
            return int(count or 0)

    def undownloaded_count(self) -> int:
        """Resolved rows whose PDF no run has tried to download."""
        with self._read() as session:
            count = session.scalar(
                select(func.count())
                .select_from(PdfQueueEntry)
                .where(PdfQueueEntry.status == DONE, PdfQueueEntry.download_status.is_(None))
            )
            return int(count or 0)

    def download_counts(self) -> dict[str, int]:
        with self._read() as session:
            rows = session.execute(
                select(PdfQueueEntry.download_status, func.count())
                .where(PdfQueueEntry.download_status.is_not(None))
                .group_by(PdfQueueEntry.download_status)
            )
            return {str(status): int(count) for status, count in rows}

    # --- helpers ---------------------------------------------------------------------------

    def _held(self, session: Session, row_id: int, owner: str, action: str) -> PdfQueueEntry | None:
        row = session.scalars(
            select(PdfQueueEntry).where(PdfQueueEntry.id == row_id).with_for_update()
        ).one_or_none()
        if row is None:
            # its publication was deleted meanwhile (`scholarcrawl exclude add --publication`):
            # there is nothing left to write to, and no other process to warn about
            log_event(logger, logging.INFO, "pdf.row_gone", row_id=row_id, action=action)
            return None
        if row.status not in (CLAIMED, DONE) or row.claim_owner != owner:
            # the lease ran out and another process took the row: its outcome counts
            log_event(
                logger,
                logging.WARNING,
                "pdf.claim_lost",
                row_id=row_id,
                owner=owner,
                action=action,
                holder=row.claim_owner,
            )
            return None
        return row


# new rows (no next attempt) first, then the longest waiting, on SQLite and PostgreSQL alike
_ORDER = (PdfQueueEntry.next_attempt_at.asc().nulls_first(), PdfQueueEntry.id)


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(
            PdfQueueEntry.status == PENDING,
            or_(PdfQueueEntry.next_attempt_at.is_(None), PdfQueueEntry.next_attempt_at <= now),
        ),
        and_(
            PdfQueueEntry.status.in_(RETRYABLE),
            PdfQueueEntry.next_attempt_at.is_not(None),
            PdfQueueEntry.next_attempt_at <= now,
        ),
        and_(
            PdfQueueEntry.status == CLAIMED,
            or_(PdfQueueEntry.claim_until.is_(None), PdfQueueEntry.claim_until < now),
        ),
    )


def _download_due(now: datetime) -> ColumnElement[bool]:
    """Resolved rows never downloaded, not held by a live claim."""
    return and_(
        PdfQueueEntry.status == DONE,
        PdfQueueEntry.download_status.is_(None),
        PdfQueueEntry.pdf_url.is_not(None),
        or_(PdfQueueEntry.claim_until.is_(None), PdfQueueEntry.claim_until < now),
    )


def _held_by(owner: str) -> ColumnElement[bool]:
    """Rows ``owner`` holds: to resolve, or resolved and held for the download."""
    return and_(PdfQueueEntry.status.in_((CLAIMED, DONE)), PdfQueueEntry.claim_owner == owner)
