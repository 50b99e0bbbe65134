"""Request controls shared by every process: the API rate clock, cooldowns and the query cache.

``api_runtime_state`` holds one row per service (``arxiv``, ``crossref``, ``unpaywall``):
the earliest time the next request may leave (``next_allowed_at``) and the end of a cooldown
after a 429. A process *reserves* a send time: in one transaction it reads the row, takes
``max(now, next_allowed_at, cooldown_until)`` and moves ``next_allowed_at`` one interval past
it, so two processes never get send times closer than the interval. On PostgreSQL the row is
locked (``FOR UPDATE``); on SQLite the transaction takes the write lock first
(``BEGIN IMMEDIATE``).

``api_inflight`` holds each service's send permits (``<SERVICE>_MAX_IN_FLIGHT`` rows): a request
holds one from before it leaves until its answer is in, so the limit holds across processes; a
killed process's permits come back when their lease runs out, or at once when the caller can
tell that their holder is gone (a dead process on the same machine).

``api_cache`` holds answers by a fingerprint of the request (service, method, URL without the
contact e-mail), with an expiry (``API_CACHE_TTL_DAYS``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ParamSpec, TypeVar

from sqlalchemy import ColumnElement, Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scholarcrawl.store.models import ApiCacheEntry, ApiInFlight, ApiRuntimeState
from scholarcrawl.store.queue import _Store, _utc_in, _utc_out, _utc_out_opt
from scholarcrawl.store.repository import utcnow


@dataclass(frozen=True, slots=True)
class Reservation:
    """A send time granted by the rate clock (or refused: ``granted`` False, clock unmoved)."""

    service: str
    send_at: datetime
    wait_seconds: float  # from now until send_at
    cooldown_remaining_seconds: float  # of a cooldown in force when reserving (0 when none)
    granted: bool = True


@dataclass(frozen=True, slots=True)
class ServiceState:
    service: str
    next_allowed_at: datetime
    cooldown_until: datetime | None
    cooldown_reason: str | None


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    status: int
    content_type: str | None
    body: bytes
    fetched_at: datetime
    expires_at: datetime


def _state_row(session: Session, service: str, now: datetime) -> ApiRuntimeState:
    """The locked clock row of ``service``, created when it is the service's first request (an
    IntegrityError then means another process created it at the same time: try again)."""
    row = session.get(ApiRuntimeState, service, with_for_update=True)
    if row is None:
        row = ApiRuntimeState(service=service, next_allowed_at=now, updated_at=now)
        session.add(row)
        session.flush()
    return row


def _held_by(service: str, slot: int, holder: str) -> tuple[ColumnElement[bool], ...]:
    """The permit ``slot`` of ``service`` while ``holder`` holds it."""
    return (
        ApiInFlight.service == service,
        ApiInFlight.slot == slot,
        ApiInFlight.holder == holder,
    )


P = ParamSpec("P")
T = TypeVar("T")


def _again_on_conflict(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``work``, once more when it failed because another process created the same state or
    permit rows at that moment (they exist now, so the second try finds them)."""
    try:
        return work(*args, **kwargs)
    except IntegrityError:
        return work(*args, **kwargs)


class ApiClock(_Store):
    """The per-service rate clock, cooldowns and send permits (``ARXIV_*``, ``CROSSREF_*``,
    ``UNPAYWALL_*``)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(engine, clock)

    def reserve(
        self, service: str, interval_seconds: float, max_wait_seconds: float | None = None
    ) -> Reservation:
        """Take the next send time of ``service``, ``interval_seconds`` after the last one.

        A send time more than ``max_wait_seconds`` away is refused and the clock is left as it
        was, so that callers who give up never push it further ahead.
        """
        if interval_seconds < 0:
            raise ValueError(f"interval_seconds must be >= 0, not {interval_seconds}")
        return _again_on_conflict(self._reserve, service, interval_seconds, max_wait_seconds)

    def _reserve(
        self, service: str, interval_seconds: float, max_wait_seconds: float | None
    ) -> Reservation:
        now = self._now()
        with self._write() as session:
            row = _state_row(session, service, now)
            send_at = max(now, _utc_out(row.next_allowed_at))
            cooldown_until = _utc_out_opt(row.cooldown_until)
            cooldown_remaining = 0.0
            if cooldown_until is not None and cooldown_until > now:
                cooldown_remaining = (cooldown_until - now).total_seconds()
                send_at = max(send_at, cooldown_until)
            wait = (send_at - now).total_seconds()
            if max_wait_seconds is not None and wait > max_wait_seconds:
                return Reservation(service, send_at, wait, cooldown_remaining, granted=False)
            row.next_allowed_at = send_at + timedelta(seconds=interval_seconds)
            row.updated_at = now
            return Reservation(service, send_at, wait, cooldown_remaining)

    def state(self, service: str) -> ServiceState | None:
        with self._read() as session:
            row = session.get(ApiRuntimeState, service)
            if row is None:
                return None
            return ServiceState(
                row.service,
                _utc_out(row.next_allowed_at),
                _utc_out_opt(row.cooldown_until),
                row.cooldown_reason,
            )

    def cooldown_remaining(self, service: str) -> float:
        """Seconds left of the cooldown of ``service`` (0 when none is in force)."""
        state = self.state(service)
        if state is None or state.cooldown_until is None:
            return 0.0
        return max(0.0, (state.cooldown_until - self._now()).total_seconds())

    def activate_cooldown(self, service: str, until: datetime, reason: str) -> datetime:
        """No request of ``service`` before ``until`` (a later cooldown in force is kept)."""
        until = _utc_in(until, "until")
        return _again_on_conflict(self._activate, service, until, reason)

    def _activate(self, service: str, until: datetime, reason: str) -> datetime:
        now = self._now()
        with self._write() as session:
            row = _state_row(session, service, now)
            current = _utc_out_opt(row.cooldown_until)
            if current is None or current < until:
                row.cooldown_until = until
                row.cooldown_reason = reason
            row.updated_at = now
            session.flush()
            return _utc_out(row.cooldown_until) if row.cooldown_until is not None else until

    def acquire(
        self,
        service: str,
        limit: int,
        holder: str,
        lease_seconds: float,
        is_dead: Callable[[str], bool] | None = None,
    ) -> int | None:
        """Take one of ``limit`` send permits of ``service`` for ``holder``; None when all are
        held. A permit whose lease ran out, or whose holder ``is_dead`` says is gone (a killed
        process on this machine), is free again."""
        if limit < 1:
            raise ValueError(f"limit must be >= 1, not {limit}")
        return _again_on_conflict(self._acquire, service, limit, holder, lease_seconds, is_dead)

    def _acquire(
        self,
        service: str,
        limit: int,
        holder: str,
        lease_seconds: float,
        is_dead: Callable[[str], bool] | None,
    ) -> int | None:
        now = self._now()
        with self._write() as session:
            existing = set(
                session.scalars(select(ApiInFlight.slot).where(ApiInFlight.service == service))
            )
            for slot in range(limit):
                if slot not in existing:
                    session.add(ApiInFlight(service=service, slot=slot))
            session.flush()
            permits = (
                select(ApiInFlight)
                .where(ApiInFlight.service == service, ApiInFlight.slot < limit)
                .order_by(ApiInFlight.slot)
            )
            if not self._sqlite:
                permits = permits.with_for_update(skip_locked=True)

            def free(row: ApiInFlight) -> bool:
                if row.holder is None or row.expires_at is None:
                    return True
                if _utc_out(row.expires_at) <= now:
                    return True
                return is_dead is not None and is_dead(row.holder)

            taken = next((row for row in session.scalars(permits) if free(row)), None)
            if taken is None:
                return None
            taken.holder = holder
            taken.expires_at = now + timedelta(seconds=lease_seconds)
            return taken.slot

    def renew(self, service: str, slot: int, holder: str, lease_seconds: float) -> bool:
        """Extend ``holder``'s lease of a permit from now; False when it is no longer held."""
        with self._write() as session:
            result = session.execute(
                update(ApiInFlight)
                .where(*_held_by(service, slot, holder))
                .values(expires_at=self._now() + timedelta(seconds=lease_seconds))
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def release(self, service: str, slot: int, holder: str) -> None:
        """Give a permit back (only the holder can; a lost lease is not someone else's)."""
        with self._write() as session:
            session.execute(
                update(ApiInFlight)
                .where(*_held_by(service, slot, holder))
                .values(holder=None, expires_at=None)
            )

    def in_flight(self, service: str) -> int:
        """Permits of ``service`` held now (leases not run out)."""
        now = self._now()
        with self._read() as session:
            held = session.scalar(
                select(func.count()).where(
                    ApiInFlight.service == service,
                    ApiInFlight.holder.is_not(None),
                    ApiInFlight.expires_at > now,
                )
            )
            return held or 0

    def states(self) -> list[ServiceState]:
        with self._read() as session:
            rows = session.scalars(select(ApiRuntimeState).order_by(ApiRuntimeState.service))
            return [
                ServiceState(
                    r.service,
                    _utc_out(r.next_allowed_at),
                    _utc_out_opt(r.cooldown_until),
                    r.cooldown_reason,
                )
                for r in rows
            ]


class ApiCache(_Store):
    """Answers of API requests by request fingerprint, until they expire."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(engine, clock)

    def get(self, service: str, fingerprint: str) -> CachedAnswer | None:
        """The unexpired answer for this request, or None."""
        now = self._now()
        with self._read() as session:
            row = session.scalars(
                select(ApiCacheEntry).where(
                    ApiCacheEntry.service == service,
                    ApiCacheEntry.fingerprint == fingerprint,
                    ApiCacheEntry.expires_at > now,
                )
            ).one_or_none()
            if row is None:
                return None
            return CachedAnswer(
                row.status,
                row.content_type,
                bytes(row.body),
                _utc_out(row.fetched_at),
                _utc_out(row.expires_at),
            )

    def put(
        self,
        service: str,
        fingerprint: str,
        request_url: str,
        status: int,
        content_type: str | None,
        body: bytes,
        ttl: timedelta,
    ) -> None:
        """Store (or replace) the answer for this request."""
        for attempt in (1, 2):
            try:
                now = self._now()
                with self._write() as session:
                    row = session.scalars(
                        select(ApiCacheEntry).where(
                            ApiCacheEntry.service == service,
                            ApiCacheEntry.fingerprint == fingerprint,
                        )
                    ).one_or_none()
                    if row is None:
                        row = ApiCacheEntry(service=service, fingerprint=fingerprint)
                        session.add(row)
                    row.request_url = request_url
                    row.status = status
                    row.content_type = content_type
                    row.body = body
                    row.fetched_at = now
                    row.expires_at = now + ttl
                return
            except IntegrityError:  # another process stored the same request at the same time
                if attempt == 2:
                    raise

    def purge_expired(self) -> int:
        """Delete expired answers; how many went."""
        now = self._now()
        with self._write() as session:
            result = session.connection().execute(
                delete(ApiCacheEntry).where(ApiCacheEntry.expires_at <= now)
            )
            return int(result.rowcount)
