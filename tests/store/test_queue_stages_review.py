"""Where a named profile's row continues when the run lists pages in another order, on
SQLite and on the real PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from scholarcrawl.store.queue import (
    COAUTHORS,
    DETAILS,
    PAGES,
    Backoff,
    ContinuationQueue,
    Work,
)

A = "AAAAAAAAAAAJ"
BOTH = Work(details="missing", coauthors="full")


@pytest.fixture
def queue(engine: Engine) -> ContinuationQueue:
    return ContinuationQueue(engine, Backoff(base_seconds=60, max_seconds=600, max_attempts=3))


@pytest.mark.parametrize("stage", [COAUTHORS, DETAILS])
def test_a_row_past_its_pages_continues_whatever_order_the_run_lists_pages_in(
    queue: ContinuationQueue, stage: str
) -> None:
    """The order only says which rows each page lists: a row whose pages are all stored
    (refresh=new lists them newest first) goes on with its later stage for a run of
    another order, instead of fetching every page again."""
    queue.claim_profile(A, "run-1", 60, sortby="pubdate", work=BOTH)
    assert queue.advance(A, "run-1", 0, stage=stage)
    queue.defer(A, "run-1", 0, "max_pages", stage=stage)
    entry = queue.claim_profile(A, "run-2", 60, work=BOTH)  # most cited first
    assert entry is not None
    assert (entry.stage, entry.cstart, entry.sortby) == (stage, 0, None)


def test_a_row_in_its_pages_starts_again_in_another_order(queue: ContinuationQueue) -> None:
    queue.claim_profile(A, "run-1", 60, sortby="pubdate", work=BOTH)
    assert queue.advance(A, "run-1", 200)
    queue.defer(A, "run-1", 200, "max_pages")
    entry = queue.claim_profile(A, "run-2", 60, work=BOTH)
    assert entry is not None
    assert (entry.stage, entry.cstart, entry.sortby) == (PAGES, 0, None)
