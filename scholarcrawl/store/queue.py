"""The continuation queue and the persisted cooldowns, shared by every crawl process.

``continuation_queue`` holds one row per profile: what is left of it and how the last try went.
Its work comes in stages (``stage``): its pages from ``cstart``, then its full co-author list
(when the row's ``coauthors`` is ``full``), then its publications' detail pages (when the row's
``details`` is ``missing`` or ``all``; which ones is read from the publications, not kept here).
A row is ``queued`` (waiting until ``next_attempt_at``), ``claimed`` (a
process works on it and renews its lease; a killed process's rows come back once the lease
expires), ``done`` or ``abandoned`` (``max_attempts`` failures of the same page). Back-off
doubles from ``CONTINUATION_BASE_DELAY`` up to ``CONTINUATION_MAX_DELAY`` (:class:`Backoff`).

``cooldowns`` holds, per egress name (``direct``, ``proxy-1``; never credentials), the time
until which no Scholar request may go out through it, so a run started during a cooldown waits
or defers instead of sending.

Every method is one transaction. Claims are atomic across processes: on PostgreSQL the rows are
locked (``FOR UPDATE``, ``SKIP LOCKED`` when claiming due rows); on SQLite each write
transaction takes the database's write lock first (``BEGIN IMMEDIATE``) and claims are
conditional updates whose row counts say who won. Datetimes are timezone-aware UTC both ways;
the clock is injectable so that tests control time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, delete, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from scholarcrawl.events import log_event
from scholarcrawl.store.models import ContinuationEntry, Cooldown, Exclusion
from scholarcrawl.store.repository import as_utc, utcnow

logger = logging.getLogger(__name__)

QUEUED = "queued"
CLAIMED = "claimed"
DONE = "done"
ABANDONED = "abandoned"
STATUSES = (QUEUED, CLAIMED, DONE, ABANDONED)
#: The reason of a row a run has just started on (page 0, nothing failed yet).
STARTED = "started"
#: The reason of a row closed because its profile is excluded (``scholarcrawl exclude``).
EXCLUDED = "excluded"

#: A profile's stages, in order (see the module docstring).
PAGES = "pages"
COAUTHORS = "coauthors"
DETAILS = "details"
STAGES = (PAGES, COAUTHORS, DETAILS)


@dataclass(frozen=True, slots=True)
class Work:
    """What a run asks of a profile beyond its pages: ``details`` (None, ``missing``,
    ``all``) and ``coauthors`` (None or ``full``)."""

    details: str | None = None
    coauthors: str | None = None

    def stages(self) -> tuple[str, ...]:
        """The stages this work has, in order."""
        return tuple(
            stage
            for stage, wanted in (
                (PAGES, True),
                (COAUTHORS, self.coauthors is not None),
                (DETAILS, self.details is not None),
            )
            if wanted
        )

    def next_stage(self, stage: str) -> str | None:
        """The first stage of this work after ``stage``; None when none is left."""
        later = STAGES[STAGES.index(stage) + 1 :]
        return next((s for s in self.stages() if s in later), None)


#: The work of a plain crawl: pages only.
PAGES_ONLY = Work()


def _utc_in(value: datetime, name: str) -> datetime:
    """An aware datetime converted to UTC; a naive one is a bug (its zone is unknown)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


_utc_out = as_utc  # SQLite stores UTC wall time without a zone and returns naive datetimes


def _utc_out_opt(value: datetime | None) -> datetime | None:
    return None if value is None else _utc_out(value)


def _positive(value: float, name: str) -> float:
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A detached snapshot of a ``continuation_queue`` row."""

    scholar_id: str
    cstart: int
    sortby: str | None
    stage: str
    work: Work
    reason: str
    attempts: int
    status: str
    next_attempt_at: datetime
    claim_owner: str | None
    lease_expires_at: datetime | None
    last_error: str | None
    run_id: str | None


def _entry(row: ContinuationEntry) -> QueueEntry:
    return QueueEntry(
        scholar_id=row.scholar_id,
        cstart=row.cstart,
        sortby=row.sortby,
        stage=row.stage or PAGES,
        work=Work(details=row.details, coauthors=row.coauthors),
        reason=row.reason,
        attempts=row.attempts,
        status=row.status,
        next_attempt_at=_utc_out(row.next_attempt_at),
        claim_owner=row.claim_owner,
        lease_expires_at=_utc_out_opt(row.lease_expires_at),
        last_error=row.last_error,
        run_id=row.run_id,
    )


@dataclass(frozen=True, slots=True)
class Backoff:
    """Retry delays of a failed page (``CONTINUATION_BASE_DELAY``, ``CONTINUATION_MAX_DELAY``,
    ``CONTINUATION_MAX_ATTEMPTS``): doubling from the base, capped, abandoned at max attempts.
    """

    base_seconds: float = 120.0
    max_seconds: float = 3600.0
    max_attempts: int = 6

    def __post_init__(self) -> None:
        _positive(self.base_seconds, "base_seconds")
        if self.max_seconds < self.base_seconds:
            raise ValueError(
                f"max_seconds ({self.max_seconds}) must be at least base_seconds "
                f"({self.base_seconds})"
            )
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failure (1 → base, 2 → 2×base, …)."""
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {attempts}")
        if attempts > 64:  # far past any cap; avoids float overflow
            return self.max_seconds
        return min(self.base_seconds * 2.0 ** (attempts - 1), self.max_seconds)


DEFAULT_BACKOFF = Backoff()


class _Store:
    """Engine, sessions and clock shared by the queue and the cooldown store."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self._clock = clock
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._sqlite = engine.dialect.name == "sqlite"

    def _now(self) -> datetime:
        return _utc_in(self._clock(), "clock()")

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            if self._sqlite:
                # pysqlite opens a deferred transaction only at the first write, so a read
                # followed by a write would not be atomic, and a write after a read whose
                # snapshot another process outdated fails at once ("database is locked").
                # Taking the write lock first serialises writers (busy_timeout waits).
                session.execute(text("BEGIN IMMEDIATE"))
            yield session

    def _claim_rows(
        self,
        session: Session,
        model: Any,
        due: ColumnElement[bool],
        order: tuple[Any, ...],
        limit: int | None,
        values: dict[str, Any],
    ) -> list[int]:
        """Within a write transaction: set ``values`` on at most ``limit`` rows of ``model``
        that are ``due``, in ``order``; the ids this process won.

        PostgreSQL skips rows another process is claiming right now (``SKIP LOCKED``); on
        SQLite each update repeats the due condition, so its row count says who won.
        """
        candidates = select(model.id).where(due).order_by(*order).limit(limit)
        if not self._sqlite:
            candidates = candidates.with_for_update(skip_locked=True)
        claimed: list[int] = []
        connection = session.connection()
        for row_id in list(session.scalars(candidates)):
            result = connection.execute(
                update(model).where(model.id == row_id, due).values(**values)
            )
            if result.rowcount == 1:
                claimed.append(row_id)
        return claimed


class ContinuationQueue(_Store):
    """Pages of profiles still to fetch, with claims, leases and back-off (see module doc).

    Driven by ``CONTINUATION_ENABLED``, ``CONTINUATION_BASE_DELAY``, ``CONTINUATION_MAX_DELAY``
    and ``CONTINUATION_MAX_ATTEMPTS`` (through :class:`Backoff`).
    """

    def __init__(
        self,
        engine: Engine,
        backoff: Backoff = DEFAULT_BACKOFF,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(engine, clock)
        self.backoff = backoff

    # --- claims ------------------------------------------------------------------------------

    def claim_profile(
        self,
        scholar_id: str,
        owner: str,
        lease_seconds: float,
        *,
        run_id: str | None = None,
        sortby: str | None = None,
        work: Work = PAGES_ONLY,
    ) -> QueueEntry | None:
        """Claim a profile a run is asked to crawl; None when another process holds it, or
        when the profile is excluded.

        A queued or claimed row continues where it is: from its ``cstart`` in the pages stage,
        or in a later stage when this run's ``work`` has that stage (or a later one: the stages
        it does not ask for are passed over). A done or abandoned row, a new one, one in its
        pages queued with another ``sortby`` (another order lists other rows on each page), or
        one whose later stages this run does not ask for, starts again from page 0. The row
        takes this run's ``work`` and ``sortby``.
        """
        _positive(lease_seconds, "lease_seconds")
        try:
            return self._claim_profile(scholar_id, owner, lease_seconds, run_id, sortby, work)
        except IntegrityError:
            # Another process inserted the row between our lookup and our insert: the retry
            # finds its row (and, its lease being live, returns None).
            return self._claim_profile(scholar_id, owner, lease_seconds, run_id, sortby, work)

    def _claim_profile(
        self,
        scholar_id: str,
        owner: str,
        lease_seconds: float,
        run_id: str | None,
        sortby: str | None,
        work: Work,
    ) -> QueueEntry | None:
        now = self._now()
        lease = now + timedelta(seconds=lease_seconds)
        with self._write() as session:
            if session.scalar(select(_excluded(scholar_id))):
                return None
            row = self._locked(session, scholar_id)
            stage = None if row is None else _continued_stage(row.stage or PAGES, work)
            if row is None:
                row = self._new_row(scholar_id, 0, STARTED, now, run_id)
                row.sortby = sortby
                session.add(row)
            elif row.status == CLAIMED and row.claim_owner != owner and _live(row, now):
                return None
            elif (
                row.status in (DONE, ABANDONED)
                or stage is None
                or (stage == PAGES and row.sortby != sortby)
            ):
                row.cstart = 0
                row.stage = PAGES
                row.attempts = 0
                row.reason = STARTED
                row.last_error = None
                row.next_attempt_at = now
            elif stage != row.stage:
                row.stage = stage
                row.cstart = 0
                row.attempts = 0
            row.sortby = sortby  # past its pages, the order they were listed in is moot
            row.details = work.details
            row.coauthors = work.coauthors
            row.status = CLAIMED
            row.claim_owner = owner
            row.lease_expires_at = lease
            if run_id is not None:
                row.run_id = run_id
            row.updated_at = now
            session.flush()
            return _entry(row)

    def claim_due(
        self,
        owner: str,
        lease_seconds: float,
        *,
        limit: int | None = None,
        run_id: str | None = None,
    ) -> list[QueueEntry]:
        """Claim the rows due now (queued and due, or claimed with an expired lease).

        Oldest ``next_attempt_at`` first, at most ``limit``.
        """
        _positive(lease_seconds, "lease_seconds")
        if limit is not None and limit <= 0:
            return []
        now = self._now()
        due = and_(_due(now), ~_excluded(ContinuationEntry.scholar_id))
        values: dict[str, Any] = {
            "status": CLAIMED,
            "claim_owner": owner,
            "lease_expires_at": now + timedelta(seconds=lease_seconds),
            "updated_at": now,
        }
        if run_id is not None:
            values["run_id"] = run_id
        order = (ContinuationEntry.next_attempt_at, ContinuationEntry.id)
        with self._write() as session:
            claimed = self._claim_rows(session, ContinuationEntry, due, order, limit, values)
            if not claimed:
                return []
            rows = session.scalars(
                select(ContinuationEntry).where(ContinuationEntry.id.in_(claimed)).order_by(*order)
            )
            return [_entry(row) for row in rows]

    def extend_leases(self, owner: str, lease_seconds: float) -> int:
        """Heartbeat: renew the lease of every row ``owner`` holds; how many."""
        _positive(lease_seconds, "lease_seconds")
        now = self._now()
        with self._write() as session:
            result = session.connection().execute(
                update(ContinuationEntry)
                .where(_held_by(owner))
                .values(lease_expires_at=now + timedelta(seconds=lease_seconds), updated_at=now)
            )
            return int(result.rowcount)

    def release(self, owner: str) -> int:
        """Queue again, due now, every row ``owner`` still holds (a run ending); how many."""
        now = self._now()
        with self._write() as session:
            result = session.connection().execute(
                update(ContinuationEntry)
                .where(_held_by(owner))
                .values(
                    status=QUEUED,
                    next_attempt_at=now,
                    claim_owner=None,
                    lease_expires_at=None,
                    updated_at=now,
                )
            )
            return int(result.rowcount)

    # --- outcomes ----------------------------------------------------------------------------

    def advance(
        self,
        scholar_id: str,
        owner: str,
        cstart: int,
        *,
        run_id: str | None = None,
        stage: str = PAGES,
    ) -> bool:
        """The page before ``cstart`` is stored (or the stage before ``stage`` is done): the
        claimed row continues from ``stage`` at ``cstart``.

        A row ``owner`` no longer holds (its lease expired and another process took it) is
        left alone, with a ``continuation.claim_lost`` warning; False then.
        """
        _check_stage(stage)
        values: dict[str, Any] = {
            "cstart": cstart,
            "stage": stage,
            "attempts": 0,
            "last_error": None,
        }
        return self._update_held(scholar_id, owner, values, run_id, "advance")

    def complete(self, scholar_id: str, owner: str, *, run_id: str | None = None) -> bool:
        """Every page of the profile is stored: the row is done and its claim cleared.

        Like :meth:`advance`, only while ``owner`` holds the row (False otherwise).
        """
        values: dict[str, Any] = {
            "status": DONE,
            "attempts": 0,
            "last_error": None,
            "claim_owner": None,
            "lease_expires_at": None,
        }
        return self._update_held(scholar_id, owner, values, run_id, "complete")

    def _update_held(
        self,
        scholar_id: str,
        owner: str,
        values: dict[str, Any],
        run_id: str | None,
        action: str,
    ) -> bool:
        now = self._now()
        values = {**values, "updated_at": now}
        if run_id is not None:
            values["run_id"] = run_id
        with self._write() as session:
            result = session.connection().execute(
                update(ContinuationEntry)
                .where(ContinuationEntry.scholar_id == scholar_id, _held_by(owner))
                .values(**values)
            )
            updated = result.rowcount
        if not updated:
            log_event(
                logger,
                logging.WARNING,
                "continuation.claim_lost",
                scholar_id=scholar_id,
                owner=owner,
                action=action,
            )
        return bool(updated)

    def defer(
        self,
        scholar_id: str,
        owner: str | None,
        cstart: int,
        reason: str,
        *,
        not_before: datetime | None = None,
        run_id: str | None = None,
        stage: str = PAGES,
    ) -> QueueEntry:
        """The page at ``cstart`` of ``stage`` was not attempted: queue it, attempts unchanged.

        Due at ``not_before`` (or now, whichever is later). Creates the row when missing.
        """
        not_before = None if not_before is None else _utc_in(not_before, "not_before")
        _check_stage(stage)

        def settle(row: ContinuationEntry, now: datetime) -> None:
            row.stage = stage
            row.cstart = cstart
            row.reason = reason
            row.status = QUEUED
            row.next_attempt_at = now if not_before is None else max(now, not_before)

        return self._settle(scholar_id, owner, cstart, reason, run_id, settle)

    def fail(
        self,
        scholar_id: str,
        owner: str | None,
        cstart: int,
        reason: str,
        error: str | None = None,
        *,
        not_before: datetime | None = None,
        run_id: str | None = None,
        stage: str = PAGES,
    ) -> QueueEntry:
        """The page at ``cstart`` of ``stage`` was attempted and failed: back off, or abandon
        at last.

        Attempts count failures of the same page (a new ``cstart`` or stage starts from 0).
        Creates the row when missing. The returned state says whether it was abandoned.
        """
        not_before = None if not_before is None else _utc_in(not_before, "not_before")
        backoff = self.backoff
        _check_stage(stage)

        def settle(row: ContinuationEntry, now: datetime) -> None:
            if row.cstart != cstart or (row.stage or PAGES) != stage:
                row.attempts = 0
            row.stage = stage
            row.cstart = cstart
            row.attempts += 1
            row.reason = reason
            row.last_error = error or reason
            if row.attempts >= backoff.max_attempts:
                row.status = ABANDONED
                row.next_attempt_at = now
                return
            row.status = QUEUED
            retry_at = now + timedelta(seconds=backoff.delay(row.attempts))
            row.next_attempt_at = retry_at if not_before is None else max(retry_at, not_before)

        return self._settle(scholar_id, owner, cstart, reason, run_id, settle)

    def _settle(
        self,
        scholar_id: str,
        owner: str | None,
        cstart: int,
        reason: str,
        run_id: str | None,
        settle: Callable[[ContinuationEntry, datetime], None],
    ) -> QueueEntry:
        try:
            return self._settle_once(scholar_id, owner, cstart, reason, run_id, settle)
        except IntegrityError:  # a concurrent insert of the same profile: update its row
            return self._settle_once(scholar_id, owner, cstart, reason, run_id, settle)

    def _settle_once(
        self,
        scholar_id: str,
        owner: str | None,
        cstart: int,
        reason: str,
        run_id: str | None,
        settle: Callable[[ContinuationEntry, datetime], None],
    ) -> QueueEntry:
        now = self._now()
        with self._write() as session:
            row = self._locked(session, scholar_id)
            if row is None:
                row = self._new_row(scholar_id, cstart, reason, now, run_id)
                session.add(row)
            elif row.status == CLAIMED and row.claim_owner != owner and _live(row, now):
                # Another process crawls the profile now: its outcome, not ours, counts.
                log_event(
                    logger,
                    logging.WARNING,
                    "continuation.claim_lost",
                    scholar_id=scholar_id,
                    owner=owner,
                    action="settle",
                    holder=row.claim_owner,
                )
                return _entry(row)
            settle(row, now)
            row.claim_owner = None
            row.lease_expires_at = None
            if run_id is not None:
                row.run_id = run_id
            row.updated_at = now
            session.flush()
            return _entry(row)

    def close_excluded(self, *, run_id: str | None = None) -> list[str]:
        """Close (``done``, reason ``excluded``) every queued or claimed row of an excluded
        profile that no live claim holds; their scholar ids, sorted."""
        now = self._now()
        open_rows = or_(
            ContinuationEntry.status == QUEUED,
            and_(
                ContinuationEntry.status == CLAIMED,
                or_(
                    ContinuationEntry.lease_expires_at.is_(None),
                    ContinuationEntry.lease_expires_at < now,
                ),
            ),
        )
        where = and_(open_rows, _excluded(ContinuationEntry.scholar_id))
        values: dict[str, Any] = {
            "status": DONE,
            "reason": EXCLUDED,
            "claim_owner": None,
            "lease_expires_at": None,
            "updated_at": now,
        }
        if run_id is not None:
            values["run_id"] = run_id
        with self._write() as session:
            ids = sorted(session.scalars(select(ContinuationEntry.scholar_id).where(where)))
            if ids:
                session.execute(
                    update(ContinuationEntry)
                    .where(ContinuationEntry.scholar_id.in_(ids), where)
                    .values(**values)
                )
            return ids

    # --- reads -------------------------------------------------------------------------------

    def get(self, scholar_id: str) -> QueueEntry | None:
        with self._read() as session:
            row = session.scalars(
                select(ContinuationEntry).where(ContinuationEntry.scholar_id == scholar_id)
            ).one_or_none()
            return None if row is None else _entry(row)

    def entries(self, status: str | None = None) -> list[QueueEntry]:
        """Every row (or those with ``status``), by status, next attempt and scholar id."""
        query = select(ContinuationEntry).order_by(
            ContinuationEntry.status,
            ContinuationEntry.next_attempt_at,
            ContinuationEntry.scholar_id,
        )
        if status is not None:
            if status not in STATUSES:
                raise ValueError(f"unknown status {status!r}: one of {', '.join(STATUSES)}")
            query = query.where(ContinuationEntry.status == status)
        with self._read() as session:
            return [_entry(row) for row in session.scalars(query)]

    def due(self) -> list[QueueEntry]:
        """The rows :meth:`claim_due` would claim now, oldest first, without claiming them."""
        query = (
            select(ContinuationEntry)
            .where(_due(self._now()))
            .order_by(ContinuationEntry.next_attempt_at, ContinuationEntry.id)
        )
        with self._read() as session:
            return [_entry(row) for row in session.scalars(query)]

    def counts(self) -> dict[str, int]:
        """Rows per status (statuses without rows are left out)."""
        with self._read() as session:
            rows = session.execute(
                select(ContinuationEntry.status, func.count()).group_by(ContinuationEntry.status)
            )
            return {status: int(count) for status, count in rows}

    def pending(self) -> int:
        """Rows still to crawl: queued and claimed."""
        with self._read() as session:
            count = session.scalar(
                select(func.count())
                .select_from(ContinuationEntry)
                .where(ContinuationEntry.status.in_((QUEUED, CLAIMED)))
            )
            return int(count or 0)

    # --- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _locked(session: Session, scholar_id: str) -> ContinuationEntry | None:
        # FOR UPDATE on PostgreSQL; SQLite has none and needs none (BEGIN IMMEDIATE).
        return session.scalars(
            select(ContinuationEntry)
            .where(ContinuationEntry.scholar_id == scholar_id)
            .with_for_update()
        ).one_or_none()

    @staticmethod
    def _new_row(
        scholar_id: str, cstart: int, reason: str, now: datetime, run_id: str | None
    ) -> ContinuationEntry:
        return ContinuationEntry(
            scholar_id=scholar_id,
            cstart=cstart,
            sortby=None,
            stage=PAGES,
            reason=reason,
            attempts=0,
            status=QUEUED,
            next_attempt_at=now,
            claim_owner=None,
            lease_expires_at=None,
            last_error=None,
            run_id=run_id,
            created_at=now,
            updated_at=now,
        )


def _excluded(scholar_id: Any) -> ColumnElement[bool]:
    """Whether ``scholar_id`` (a value or a column) is an excluded profile."""
    return (
        select(Exclusion.id)
        .where(Exclusion.kind == "scholar", Exclusion.value == scholar_id)
        .exists()
    )


def _continued_stage(stage: str, work: Work) -> str | None:
    """Where a run asking ``work`` continues a live row at ``stage``: that stage or the first
    later one it asks for; None when it asks for none of them (it starts again)."""
    if stage in work.stages():
        return stage
    return work.next_stage(stage)


def _check_stage(stage: str) -> None:
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}: one of {', '.join(STAGES)}")


def _live(row: ContinuationEntry, now: datetime) -> bool:
    """Whether the row's lease still runs (expired means ``lease_expires_at < now``)."""
    return row.lease_expires_at is not None and _utc_out(row.lease_expires_at) >= now


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(ContinuationEntry.status == QUEUED, ContinuationEntry.next_attempt_at <= now),
        and_(
            ContinuationEntry.status == CLAIMED,
            or_(
                ContinuationEntry.lease_expires_at.is_(None),
                ContinuationEntry.lease_expires_at < now,
            ),
        ),
    )


def _held_by(owner: str) -> ColumnElement[bool]:
    return and_(ContinuationEntry.status == CLAIMED, ContinuationEntry.claim_owner == owner)


# --- cooldowns -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CooldownState:
    """A detached snapshot of a ``cooldowns`` row."""

    egress: str
    reason: str
    until: datetime
    activated_at: datetime
    run_id: str | None


def _state(row: Cooldown) -> CooldownState:
    return CooldownState(
        egress=row.egress,
        reason=row.reason,
        until=_utc_out(row.until),
        activated_at=_utc_out(row.activated_at),
        run_id=row.run_id,
    )


def _check_egress(egress: str) -> str:
    # The egress is a name shown in logs and the CLI: a proxy URL with credentials is refused.
    if not egress or len(egress) > 255 or "@" in egress:
        raise ValueError("an egress is a short name such as 'direct' or 'proxy-1', not a URL")
    return egress


class CooldownStore(_Store):
    """Persisted cooldowns per egress, shared by every process (``SCHOLAR_*COOLDOWN*``)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(engine, clock)

    def activate(
        self, egress: str, reason: str, until: datetime, *, run_id: str | None = None
    ) -> CooldownState:
        """Cool ``egress`` down until ``until``; an existing later end (and reason) is kept.

        Returns the cooldown in force afterwards.
        """
        _check_egress(egress)
        until = _utc_in(until, "until")
        try:
            return self._activate(egress, reason, until, run_id)
        except IntegrityError:  # a concurrent first activation: compare with its row
            return self._activate(egress, reason, until, run_id)

    def _activate(
        self, egress: str, reason: str, until: datetime, run_id: str | None
    ) -> CooldownState:
        now = self._now()
        with self._write() as session:
            row = session.get(Cooldown, egress, with_for_update=True)
            if row is None:
                row = Cooldown(
                    egress=egress, reason=reason, until=until, activated_at=now, run_id=run_id
                )
                session.add(row)
            elif _utc_out(row.until) < until:
                row.reason = reason
                row.until = until
                row.activated_at = now
                row.run_id = run_id
            session.flush()
            return _state(row)

    def active(self) -> dict[str, CooldownState]:
        """Cooldowns still running, by egress."""
        now = self._now()
        with self._read() as session:
            rows = session.scalars(
                select(Cooldown).where(Cooldown.until > now).order_by(Cooldown.egress)
            )
            return {row.egress: _state(row) for row in rows}

    def get(self, egress: str) -> CooldownState | None:
        """The cooldown of ``egress`` if it still runs."""
        now = self._now()
        with self._read() as session:
            row = session.scalars(
                select(Cooldown).where(Cooldown.egress == egress, Cooldown.until > now)
            ).one_or_none()
            return None if row is None else _state(row)

    def clear(self, egress: str | None = None) -> int:
        """Remove the cooldown of ``egress``, or every one; how many rows went."""
        statement = delete(Cooldown)
        if egress is not None:
            statement = statement.where(Cooldown.egress == egress)
        with self._write() as session:
            return int(session.connection().execute(statement).rowcount)
