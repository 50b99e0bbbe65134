"""Test databases: migrated as ``scholarcrawl db upgrade`` leaves them; when their queue's
next row is due."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from scholarcrawl.store.db import make_engine, upgrade
from scholarcrawl.store.queue import QueueEntry


def migrated(url: str) -> str:
    """``url``, its schema brought to the latest revision."""
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return url


def seconds_until_due(entries: Iterable[QueueEntry]) -> float | None:
    """How long until the first queued or claimed continuation row is due (a queued row at
    its ``next_attempt_at``, a killed run's claim when its lease lapses), 0 if one is due
    already; None when no row is pending."""
    due = [
        (entry.lease_expires_at or entry.next_attempt_at)
        if entry.status == "claimed"
        else entry.next_attempt_at
        for entry in entries
        if entry.status in ("queued", "claimed")
    ]
    if not due:
        return None
    return max(0.0, (min(due) - datetime.now(UTC)).total_seconds())
