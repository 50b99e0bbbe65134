"""The spider's side of the continuation queue: claims, progress, outcomes, events, stats.

Every profile a run works on is claimed in ``continuation_queue`` (with a lease the run keeps
renewing) before its first request, so a killed process loses nothing: its rows come back when
the lease expires. Each stored page advances the row's ``cstart``; a finished profile marks it
``done``; a page that failed or was not sent queues it with back-off (see
:class:`~scholarcrawl.store.queue.ContinuationQueue`).

A database error here never crashes the crawl: it is logged, and the lease brings the profile
back later.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from twisted.internet.task import LoopingCall

from scholarcrawl.events import log_event
from scholarcrawl.stats import stat_key
from scholarcrawl.store.db import database_lost
from scholarcrawl.store.queue import (
    ABANDONED,
    CLAIMED,
    PAGES,
    PAGES_ONLY,
    ContinuationQueue,
    QueueEntry,
    Work,
)

logger = logging.getLogger(__name__)


def make_owner() -> str:
    """A claim owner or permit holder naming this process: ``host:pid:random`` (at most 64
    characters, so that a process of this machine can tell a dead one by its pid)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Ledger:
    """Continuation bookkeeping for one run (owner ``owner``)."""

    def __init__(
        self,
        queue: ContinuationQueue,
        *,
        owner: str,
        lease_seconds: float,
        run_id: Callable[[], str | None],
        inc_stat: Callable[[str], None],
        on_lost: Callable[[BaseException], object] | None = None,
    ) -> None:
        self.queue = queue
        self._on_lost = on_lost
        self.owner = owner
        self.lease_seconds = lease_seconds
        self._run_id = run_id
        self._inc_stat = inc_stat
        self._heartbeat: LoopingCall | None = None

    # --- plumbing --------------------------------------------------------------------------

    def _inc(self, event: str) -> None:
        self._inc_stat(stat_key("continuation", event))

    @contextmanager
    def _guard(self, what: str, scholar_id: str | None = None) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            self._inc("database_error")
            logger.error(
                "Continuation queue unavailable (%s%s): %s; the profile's lease brings it back",
                what,
                f" {scholar_id}" if scholar_id else "",
                exc.__class__.__name__,
            )
            if self._on_lost is not None and database_lost(exc):
                self._on_lost(exc)  # nothing more can be recorded: the crawl stops

    def start_heartbeat(self) -> None:
        self._heartbeat = LoopingCall(self._renew)
        self._heartbeat.start(max(0.5, self.lease_seconds / 3), now=False)

    def _renew(self) -> None:
        with self._guard("lease renewal"):
            self.queue.extend_leases(self.owner, self.lease_seconds)

    def stop(self) -> int:
        """Stop renewing and give back every profile this run still holds; how many."""
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        released = 0
        with self._guard("release"):
            released = self.queue.release(self.owner)
        if released:
            self._inc("released")
            logger.info("%d unfinished profiles returned to the continuation queue", released)
        return released

    # --- claims ------------------------------------------------------------------------------

    def claim_profile(
        self, scholar_id: str, sortby: str | None, work: Work = PAGES_ONLY
    ) -> QueueEntry | None:
        """Claim one profile; None when another run holds it (or it is excluded).

        Raises SQLAlchemyError when the queue cannot be reached: a run must not crawl what it
        could not claim (nothing would record where it got to).
        """
        entry = self.queue.claim_profile(
            scholar_id,
            self.owner,
            self.lease_seconds,
            run_id=self._run_id(),
            sortby=sortby,
            work=work,
        )
        if entry is not None:
            self._claimed(entry)
        return entry

    def claim_due(self, limit: int | None) -> list[QueueEntry]:
        """Claim every due row (raises SQLAlchemyError like :meth:`claim_profile`)."""
        entries = self.queue.claim_due(
            self.owner, self.lease_seconds, limit=limit, run_id=self._run_id()
        )
        for entry in entries:
            self._claimed(entry)
        return entries

    def close_excluded(self) -> list[str]:
        """Close the open rows of excluded profiles (raises SQLAlchemyError like claims)."""
        return self.queue.close_excluded(run_id=self._run_id())

    def _claimed(self, entry: QueueEntry) -> None:
        self._inc("claimed")
        log_event(
            logger,
            logging.INFO,
            "continuation.claimed",
            scholar_id=entry.scholar_id,
            cstart=entry.cstart,
            stage=entry.stage,
            reason=entry.reason,
            attempts=entry.attempts,
            owner=self.owner,
        )

    # --- outcomes ----------------------------------------------------------------------------

    def advance(self, scholar_id: str, cstart: int, stage: str = PAGES) -> bool:
        """Move the profile's row to ``cstart`` of ``stage``; False when another run took the
        row over."""
        held = True
        with self._guard("advance", scholar_id):
            held = self.queue.advance(
                scholar_id, self.owner, cstart, run_id=self._run_id(), stage=stage
            )
        return held

    def complete(self, scholar_id: str) -> None:
        with self._guard("complete", scholar_id):
            if self.queue.complete(scholar_id, self.owner, run_id=self._run_id()):
                self._inc("completed")

    def defer(
        self,
        scholar_id: str,
        cstart: int,
        reason: str,
        not_before: float | None,
        stage: str = PAGES,
    ) -> None:
        with self._guard("defer", scholar_id):
            entry = self.queue.defer(
                scholar_id,
                self.owner,
                cstart,
                reason,
                not_before=_datetime(not_before),
                run_id=self._run_id(),
                stage=stage,
            )
            self._enqueued(entry)

    def fail(
        self,
        scholar_id: str,
        cstart: int,
        reason: str,
        error: str | None,
        not_before: float | None,
        stage: str = PAGES,
    ) -> None:
        with self._guard("fail", scholar_id):
            entry = self.queue.fail(
                scholar_id,
                self.owner,
                cstart,
                reason,
                error,
                not_before=_datetime(not_before),
                run_id=self._run_id(),
                stage=stage,
            )
            self._enqueued(entry)

    def _enqueued(self, entry: QueueEntry) -> None:
        if entry.status == CLAIMED:
            return  # another run holds the row (it logged continuation.claim_lost): not ours
        fields: dict[str, Any] = {
            "scholar_id": entry.scholar_id,
            "stage": entry.stage,
            "cstart": entry.cstart,
            "reason": entry.reason,
            "attempts": entry.attempts,
        }
        if entry.status == ABANDONED:
            self._inc("abandoned")
            log_event(
                logger,
                logging.ERROR,
                "continuation.abandoned",
                **fields,
                last_error=entry.last_error,
            )
            return
        self._inc("enqueued")
        log_event(
            logger,
            logging.INFO,
            "continuation.enqueued",
            **fields,
            next_attempt_at=entry.next_attempt_at,
        )


def _datetime(epoch: float | None) -> datetime | None:
    return None if not epoch else datetime.fromtimestamp(epoch, UTC)
