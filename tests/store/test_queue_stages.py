"""Profile stages in the continuation queue (pages, co-author list, detail pages) and
excluded profiles, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from scholarcrawl.store.models import Exclusion
from scholarcrawl.store.queue import (
    ABANDONED,
    CLAIMED,
    COAUTHORS,
    DETAILS,
    DONE,
    EXCLUDED,
    PAGES,
    QUEUED,
    Backoff,
    ContinuationQueue,
    Work,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
A, B, C = "AAAAAAAAAAAJ", "BBBBBBBBBBBJ", "CCCCCCCCCCCJ"
BOTH = Work(details="missing", coauthors="full")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(engine: Engine, clock: Clock) -> ContinuationQueue:
    return ContinuationQueue(
        engine, Backoff(base_seconds=60, max_seconds=600, max_attempts=3), clock
    )


def exclude(engine: Engine, scholar_id: str) -> None:
    with Session(engine) as session, session.begin():
        session.add(Exclusion(kind="scholar", value=scholar_id, created_at=T0))


def test_work_lists_its_stages_in_order() -> None:
    assert Work().stages() == (PAGES,)
    assert BOTH.stages() == (PAGES, COAUTHORS, DETAILS)
    assert Work(details="all").next_stage(PAGES) == DETAILS
    assert BOTH.next_stage(PAGES) == COAUTHORS
    assert BOTH.next_stage(COAUTHORS) == DETAILS
    assert BOTH.next_stage(DETAILS) is None
    assert Work().next_stage(PAGES) is None


def test_a_claim_records_the_runs_work_and_a_due_claim_returns_it(
    queue: ContinuationQueue, clock: Clock
) -> None:
    entry = queue.claim_profile(A, "run-1", 60, work=BOTH)
    assert entry is not None and entry.work == BOTH and entry.stage == PAGES
    assert queue.advance(A, "run-1", 0, stage=DETAILS)
    queue.defer(A, "run-1", 0, "max_detail_pages", stage=DETAILS)
    (due,) = queue.claim_due("run-2", 60)
    assert (due.scholar_id, due.stage, due.cstart, due.work) == (A, DETAILS, 0, BOTH)
    assert due.reason == "max_detail_pages"


def test_a_named_profile_continues_a_later_stage_only_when_the_run_asks_for_it(
    queue: ContinuationQueue,
) -> None:
    queue.claim_profile(A, "run-1", 60, work=BOTH)
    queue.advance(A, "run-1", 0, stage=COAUTHORS)
    queue.release("run-1")
    # asks for details only: the co-author stage it does not want is passed over
    entry = queue.claim_profile(A, "run-2", 60, work=Work(details="all"))
    assert entry is not None
    assert (entry.stage, entry.cstart, entry.work) == (DETAILS, 0, Work(details="all"))
    queue.release("run-2")
    # asks for the same stages: continues where the row is
    entry = queue.claim_profile(A, "run-3", 60, work=BOTH)
    assert entry is not None and entry.stage == DETAILS
    queue.release("run-3")
    # asks for pages only: nothing it wants is left in this row, so the profile starts again
    entry = queue.claim_profile(A, "run-4", 60)
    assert entry is not None and (entry.stage, entry.cstart, entry.work) == (PAGES, 0, Work())


def test_a_row_in_its_pages_keeps_its_cstart_whatever_work_is_asked(
    queue: ContinuationQueue,
) -> None:
    queue.claim_profile(A, "run-1", 60)
    queue.advance(A, "run-1", 200)
    queue.release("run-1")
    entry = queue.claim_profile(A, "run-2", 60, work=BOTH)
    assert entry is not None and (entry.stage, entry.cstart, entry.work) == (PAGES, 200, BOTH)


def test_failures_count_per_stage_and_a_new_stage_starts_from_zero(
    queue: ContinuationQueue, clock: Clock
) -> None:
    queue.claim_profile(A, "run-1", 60, work=BOTH)
    first = queue.fail(A, "run-1", 0, "blocked_captcha", stage=PAGES)
    assert first.attempts == 1 and first.stage == PAGES
    second = queue.fail(A, None, 0, "blocked_captcha", stage=COAUTHORS)
    assert second.attempts == 1 and second.stage == COAUTHORS  # another stage: counted anew
    third = queue.fail(A, None, 0, "layout_unrecognised", stage=COAUTHORS)
    assert third.attempts == 2 and third.status == QUEUED
    assert third.next_attempt_at == T0 + timedelta(seconds=120)
    last = queue.fail(A, None, 0, "layout_unrecognised", stage=COAUTHORS)
    assert last.status == ABANDONED and last.stage == COAUTHORS


def test_an_unknown_stage_is_refused(queue: ContinuationQueue) -> None:
    queue.claim_profile(A, "run-1", 60)
    with pytest.raises(ValueError, match="unknown stage 'abstracts'"):
        queue.advance(A, "run-1", 0, stage="abstracts")
    with pytest.raises(ValueError, match="unknown stage"):
        queue.defer(A, "run-1", 0, "x", stage="abstracts")


def test_an_excluded_profile_is_neither_claimed_by_name_nor_due(
    queue: ContinuationQueue, engine: Engine
) -> None:
    for scholar_id in (A, B):
        queue.defer(scholar_id, None, 100, "max_pages")
    exclude(engine, A)
    assert queue.claim_profile(A, "run-1", 60) is None
    assert [entry.scholar_id for entry in queue.claim_due("run-1", 60)] == [B]
    assert queue.get(A) is not None and queue.get(A).status == QUEUED  # type: ignore[union-attr]


def test_close_excluded_closes_open_rows_of_excluded_profiles_but_not_a_live_claim(
    queue: ContinuationQueue, engine: Engine, clock: Clock
) -> None:
    queue.defer(A, None, 100, "max_pages")
    queue.claim_profile(B, "run-1", 60)
    queue.defer(C, None, 0, "cooldown")
    exclude(engine, A)
    exclude(engine, B)
    assert queue.close_excluded(run_id="r9") == [A]  # B's claim is live
    row = queue.get(A)
    assert row is not None and (row.status, row.reason, row.run_id) == (DONE, EXCLUDED, "r9")
    b = queue.get(B)
    assert b is not None and b.status == CLAIMED
    clock.now = T0 + timedelta(seconds=61)  # B's lease ran out: B's run was killed
    assert queue.close_excluded() == [B]
    c = queue.get(C)
    assert c is not None and c.status == QUEUED
