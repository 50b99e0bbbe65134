"""The continuation queue and the persisted cooldowns, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from typing import TypeVar

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from scholarcrawl.store.db import MIGRATIONS_DIR, current_revision, make_engine
from scholarcrawl.store.models import Base
from scholarcrawl.store.queue import (
    ABANDONED,
    CLAIMED,
    DONE,
    QUEUED,
    Backoff,
    ContinuationQueue,
    CooldownStore,
    QueueEntry,
    Work,
)

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
A, B, C, D = "AAAAAAAAAAAJ", "BBBBBBBBBBBJ", "CCCCCCCCCCCJ", "DDDDDDDDDDDJ"
NEW_TABLES = ("continuation_queue", "cooldowns")

T = TypeVar("T")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def at(self, seconds: float) -> datetime:
        """Set the time to T0 + seconds."""
        self.now = T0 + timedelta(seconds=seconds)
        return self.now


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(engine: Engine, clock: Clock) -> ContinuationQueue:
    return ContinuationQueue(engine, Backoff(), clock)


@pytest.fixture
def cooldowns(engine: Engine, clock: Clock) -> CooldownStore:
    return CooldownStore(engine, clock)


def get(queue: ContinuationQueue, scholar_id: str) -> QueueEntry:
    entry = queue.get(scholar_id)
    assert entry is not None
    return entry


# --- back-off ----------------------------------------------------------------------------------


def test_backoff_doubles_from_the_base_and_is_capped() -> None:
    backoff = Backoff()
    assert [backoff.delay(n) for n in range(1, 8)] == [120, 240, 480, 960, 1920, 3600, 3600]
    assert Backoff(base_seconds=1, max_seconds=10).delay(4) == 8
    assert backoff.delay(10_000) == 3600
    with pytest.raises(ValueError, match="attempts"):
        backoff.delay(0)


@pytest.mark.parametrize(
    "arguments",
    [{"base_seconds": 0}, {"base_seconds": 10, "max_seconds": 5}, {"max_attempts": 0}],
)
def test_backoff_refuses_nonsense(arguments: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Backoff(**arguments)  # type: ignore[arg-type]


# --- failures and deferrals --------------------------------------------------------------------


def test_failures_back_off_then_abandon_with_the_last_error(
    queue: ContinuationQueue, clock: Clock
) -> None:
    queue.claim_profile(A, "run-1", 60, run_id="r1")
    delays = [120, 240, 480, 960, 1920]
    for attempt, delay in enumerate(delays, start=1):
        entry = queue.fail(A, "run-1", 100, "blocked_captcha", f"captcha {attempt}", run_id="r1")
        assert (entry.status, entry.attempts, entry.cstart) == (QUEUED, attempt, 100)
        assert entry.next_attempt_at == clock.now + timedelta(seconds=delay)
        assert (entry.claim_owner, entry.lease_expires_at) == (None, None)
        assert entry.last_error == f"captcha {attempt}"
        assert get(queue, A) == entry
        clock.now = entry.next_attempt_at
        [claimed] = queue.claim_due("run-1", 60)
        assert claimed.attempts == attempt
    last = queue.fail(A, "run-1", 100, "blocked_http_403", "forbidden")
    assert (last.status, last.attempts) == (ABANDONED, 6)
    assert (last.reason, last.last_error) == ("blocked_http_403", "forbidden")
    assert last.claim_owner is None
    assert queue.pending() == 0
    clock.now += timedelta(days=30)
    assert queue.claim_due("run-2", 60) == []


def test_attempts_restart_when_the_failing_page_moves_on(
    queue: ContinuationQueue, clock: Clock
) -> None:
    queue.claim_profile(A, "run-1", 60)
    queue.fail(A, "run-1", 0, "server_error")
    second = queue.fail(A, "run-1", 0, "server_error")
    assert second.attempts == 2
    moved = queue.fail(A, "run-1", 100, "network_error")
    assert (moved.cstart, moved.attempts) == (100, 1)
    assert moved.next_attempt_at == clock.now + timedelta(seconds=120)


def test_a_failure_without_an_error_text_records_its_reason(queue: ContinuationQueue) -> None:
    entry = queue.fail(B, None, 200, "layout_unrecognised")  # creates the row
    assert (entry.attempts, entry.cstart, entry.last_error) == (1, 200, "layout_unrecognised")
    assert entry.sortby is None


def test_a_failure_waits_for_not_before_when_it_is_later(
    queue: ContinuationQueue, clock: Clock
) -> None:
    late = queue.fail(A, None, 0, "blocked_http_429_rate_limited", not_before=at(5000))
    assert late.next_attempt_at == at(5000)
    early = queue.fail(A, None, 0, "blocked_http_429_rate_limited", not_before=at(10))
    assert early.next_attempt_at == clock.now + timedelta(seconds=240)


def test_a_deferral_counts_no_attempt_and_waits_for_not_before(
    queue: ContinuationQueue, clock: Clock
) -> None:
    queue.claim_profile(A, "run-1", 60, run_id="r1")
    queue.fail(A, "run-1", 100, "server_error", "HTTP 500")
    queue.claim_profile(A, "run-1", 60)
    deferred = queue.defer(A, "run-1", 100, "cooldown", not_before=at(900), run_id="r2")
    assert (deferred.status, deferred.attempts, deferred.reason) == (QUEUED, 1, "cooldown")
    assert deferred.next_attempt_at == at(900)
    assert (deferred.claim_owner, deferred.lease_expires_at, deferred.run_id) == (
        None,
        None,
        "r2",
    )
    assert deferred.last_error == "HTTP 500"
    assert queue.defer(A, None, 100, "max_pages", not_before=at(-50)).next_attempt_at == T0
    assert queue.defer(A, None, 100, "max_seconds").next_attempt_at == T0
    created = queue.defer(B, None, 300, "run_stopped")  # upsert of a missing row
    assert (created.cstart, created.attempts, created.status) == (300, 0, QUEUED)
    assert queue.counts() == {QUEUED: 2}


def test_outcomes_leave_another_owners_live_claim_alone(
    queue: ContinuationQueue, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    held = queue.claim_profile(A, "run-2", 60)
    with caplog.at_level(logging.WARNING, logger="scholarcrawl.store.queue"):
        assert queue.defer(A, "run-1", 100, "cooldown") == held
        assert queue.fail(A, None, 100, "server_error") == held
    assert "continuation.claim_lost" in caplog.text
    clock.at(61)  # the lease ran out: the late outcome counts again
    assert queue.defer(A, "run-1", 100, "cooldown").status == QUEUED


# --- progress ----------------------------------------------------------------------------------


def test_advance_persists_progress_and_complete_finishes(
    queue: ContinuationQueue, clock: Clock
) -> None:
    queue.claim_profile(A, "run-1", 60)
    queue.fail(A, "run-1", 0, "network_error", "timeout")
    queue.claim_profile(A, "run-1", 60)
    clock.at(5)
    queue.advance(A, "run-1", 100, run_id="r1")
    entry = get(queue, A)
    assert (entry.status, entry.cstart, entry.attempts, entry.last_error) == (
        CLAIMED,
        100,
        0,
        None,
    )
    assert (entry.claim_owner, entry.run_id) == ("run-1", "r1")
    queue.advance(A, "run-1", 200)
    queue.complete(A, "run-1", run_id="r1")
    done = get(queue, A)
    assert (done.status, done.cstart, done.claim_owner, done.lease_expires_at) == (
        DONE,
        200,
        None,
        None,
    )
    assert queue.pending() == 0


def test_advance_and_complete_need_the_claim(
    queue: ContinuationQueue, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    queue.claim_profile(A, "run-1", 60)
    clock.at(61)
    [taken] = queue.claim_due("run-2", 60)  # run-1 was presumed dead
    with caplog.at_level(logging.WARNING, logger="scholarcrawl.store.queue"):
        queue.advance(A, "run-1", 100)
        queue.complete(A, "run-1")
        queue.advance(C, "run-1", 100)  # never claimed
    assert caplog.text.count("continuation.claim_lost") == 3
    assert get(queue, A) == taken
    assert queue.get(C) is None


# --- claims ------------------------------------------------------------------------------------


def test_claim_profile_creates_a_claimed_row(queue: ContinuationQueue, clock: Clock) -> None:
    entry = queue.claim_profile(A, "run-1", 60, run_id="r1", sortby="pubdate")
    assert entry == QueueEntry(
        scholar_id=A,
        cstart=0,
        sortby="pubdate",
        stage="pages",
        work=Work(),
        reason="started",
        attempts=0,
        status=CLAIMED,
        next_attempt_at=T0,
        claim_owner="run-1",
        lease_expires_at=at(60),
        last_error=None,
        run_id="r1",
    )
    assert get(queue, A) == entry


def test_claim_profile_respects_a_live_lease_and_takes_an_expired_one(
    queue: ContinuationQueue, clock: Clock
) -> None:
    queue.claim_profile(A, "run-1", 60)
    assert queue.claim_profile(A, "run-2", 60) is None
    clock.at(60)  # the lease ends at 60: still live
    assert queue.claim_profile(A, "run-2", 60) is None
    again = queue.claim_profile(A, "run-1", 60)  # the holder itself may claim again
    assert again is not None and again.lease_expires_at == at(120)
    clock.at(120.5)
    taken = queue.claim_profile(A, "run-2", 30, run_id="r2")
    assert taken is not None
    assert (taken.claim_owner, taken.lease_expires_at, taken.run_id) == ("run-2", at(150.5), "r2")


def test_claim_profile_continues_from_a_queued_page(queue: ContinuationQueue) -> None:
    queue.claim_profile(A, "run-1", 60, sortby="pubdate")
    queue.advance(A, "run-1", 200)
    queue.fail(A, "run-1", 200, "blocked_captcha", "captcha page")
    entry = queue.claim_profile(A, "run-2", 60, sortby="pubdate")  # not yet due: asked for
    assert entry is not None
    assert (entry.cstart, entry.attempts, entry.reason, entry.last_error) == (
        200,
        1,
        "blocked_captcha",
        "captcha page",
    )
    assert (entry.status, entry.claim_owner) == (CLAIMED, "run-2")


def test_claim_profile_in_another_order_starts_again(queue: ContinuationQueue) -> None:
    queue.claim_profile(A, "run-1", 60)
    queue.defer(A, "run-1", 300, "max_pages")
    entry = queue.claim_profile(A, "run-2", 60, sortby="pubdate")
    assert entry is not None
    assert (entry.cstart, entry.sortby, entry.reason) == (0, "pubdate", "started")


@pytest.mark.parametrize("finish", ["complete", "abandon"])
def test_claim_profile_restarts_a_finished_profile(
    queue: ContinuationQueue, engine: Engine, clock: Clock, finish: str
) -> None:
    queue.claim_profile(A, "run-1", 60)
    queue.advance(A, "run-1", 300)
    if finish == "complete":
        queue.complete(A, "run-1")
    else:
        strict = ContinuationQueue(engine, Backoff(max_attempts=1), clock)
        assert strict.fail(A, "run-1", 300, "blocked_captcha").status == ABANDONED
    entry = queue.claim_profile(A, "run-2", 60)
    assert entry is not None
    assert (entry.cstart, entry.attempts, entry.reason, entry.last_error) == (
        0,
        0,
        "started",
        None,
    )
    assert (entry.status, entry.claim_owner) == (CLAIMED, "run-2")


def test_claim_due_takes_due_rows_oldest_first_up_to_the_limit(
    queue: ContinuationQueue, clock: Clock
) -> None:
    queue.defer(A, None, 100, "cooldown", not_before=at(30))
    queue.defer(B, None, 200, "cooldown", not_before=at(10))
    queue.defer(C, None, 300, "cooldown", not_before=at(20))
    queue.defer(D, None, 400, "cooldown", not_before=at(1000))
    assert queue.claim_due("run-1", 60) == []  # nothing due yet
    clock.at(20)  # due exactly now counts
    first = queue.claim_due("run-1", 60, limit=1, run_id="r1")
    assert [(e.scholar_id, e.cstart, e.status, e.claim_owner) for e in first] == [
        (B, 200, CLAIMED, "run-1")
    ]
    assert (first[0].lease_expires_at, first[0].run_id) == (at(80), "r1")
    clock.at(50)  # B's lease runs until 80
    assert queue.claim_due("run-1", 60, limit=0) == []
    assert [e.scholar_id for e in queue.claim_due("run-1", 60)] == [C, A]
    assert get(queue, D).status == QUEUED
    assert queue.pending() == 4
    assert queue.counts() == {CLAIMED: 3, QUEUED: 1}


def test_due_lists_what_claim_due_would_take_without_taking_it(
    queue: ContinuationQueue, clock: Clock
) -> None:
    queue.defer(A, None, 100, "cooldown", not_before=at(30))
    queue.defer(B, None, 200, "cooldown", not_before=at(10))
    queue.defer(D, None, 400, "cooldown", not_before=at(1000))
    queue.claim_profile(C, "dead", 20)  # lease until 20
    queue.claim_profile("EEEEEEEEEEEJ", "alive", 1000)
    clock.at(30)
    assert [(e.scholar_id, e.status) for e in queue.due()] == [
        (C, CLAIMED),  # its run died: next_attempt_at 0, lease lapsed at 20
        (B, QUEUED),
        (A, QUEUED),
    ]
    assert queue.counts() == {CLAIMED: 2, QUEUED: 3}  # nothing was claimed by looking
    assert sorted(e.scholar_id for e in queue.claim_due("run-2", 60)) == sorted([A, B, C])


def test_claim_due_brings_back_the_pages_of_a_killed_process(
    queue: ContinuationQueue, clock: Clock
) -> None:
    queue.claim_profile(A, "dead", 60)
    queue.advance(A, "dead", 100)
    queue.claim_profile(B, "dead", 120)
    queue.complete(B, "dead")
    clock.at(60)  # lease ends at 60: not expired yet
    assert queue.claim_due("run-2", 60) == []
    clock.at(60.000001)
    [entry] = queue.claim_due("run-2", 60)
    assert (entry.scholar_id, entry.cstart, entry.claim_owner) == (A, 100, "run-2")
    assert entry.lease_expires_at == at(120.000001)


def test_release_returns_a_runs_rows_to_the_queue(queue: ContinuationQueue, clock: Clock) -> None:
    queue.claim_profile(A, "run-1", 60)
    queue.claim_profile(B, "run-1", 60)
    queue.claim_profile(C, "run-2", 60)
    queue.claim_profile(D, "run-1", 60)
    queue.complete(D, "run-1")
    clock.at(10)
    assert queue.release("run-1") == 2
    assert queue.release("run-1") == 0
    for scholar_id in (A, B):
        entry = get(queue, scholar_id)
        assert (entry.status, entry.claim_owner, entry.lease_expires_at) == (QUEUED, None, None)
        assert entry.next_attempt_at == at(10)
    assert get(queue, C).claim_owner == "run-2"
    assert get(queue, D).status == DONE
    assert [e.scholar_id for e in queue.claim_due("run-3", 60)] == [A, B]


def test_extend_leases_renews_only_the_owners_claims(
    queue: ContinuationQueue, clock: Clock
) -> None:
    queue.claim_profile(A, "run-1", 60)
    queue.claim_profile(B, "run-1", 60)
    queue.claim_profile(C, "run-2", 60)
    clock.at(50)
    assert queue.extend_leases("run-1", 60) == 2
    assert queue.extend_leases("nobody", 60) == 0
    assert get(queue, A).lease_expires_at == at(110)
    clock.at(100)
    assert [e.scholar_id for e in queue.claim_due("run-3", 60)] == [C]
    assert queue.claim_profile(A, "run-3", 60) is None


def test_reads(queue: ContinuationQueue, clock: Clock) -> None:
    assert queue.get(A) is None
    assert (queue.entries(), queue.counts(), queue.pending()) == ([], {}, 0)
    queue.defer(C, None, 100, "cooldown", not_before=at(5))
    queue.defer(B, None, 100, "cooldown", not_before=at(5))
    queue.defer(A, None, 100, "cooldown", not_before=at(9))
    queue.claim_profile(D, "run-1", 60)
    queue.complete(D, "run-1")
    assert [(e.status, e.scholar_id) for e in queue.entries()] == [
        (DONE, D),
        (QUEUED, B),
        (QUEUED, C),
        (QUEUED, A),
    ]
    assert [e.scholar_id for e in queue.entries(QUEUED)] == [B, C, A]
    assert queue.entries(ABANDONED) == []
    assert queue.counts() == {QUEUED: 3, DONE: 1}
    assert queue.pending() == 3
    with pytest.raises(ValueError, match="unknown status"):
        queue.entries("pending")


def test_datetimes_are_aware_utc_whatever_the_clocks_zone(engine: Engine) -> None:
    # The same instants seen from UTC-05:00: stored, compared and returned correctly.
    eastern = timezone(timedelta(hours=-5))
    clock = Clock(T0.astimezone(eastern))
    queue = ContinuationQueue(engine, Backoff(), clock)
    entry = queue.defer(A, None, 0, "cooldown", not_before=at(3600).astimezone(eastern))
    assert entry.next_attempt_at == at(3600) and entry.next_attempt_at.tzinfo is UTC
    stored = get(queue, A)
    assert stored.next_attempt_at == at(3600) and stored.next_attempt_at.tzinfo is UTC
    clock.now = at(3599).astimezone(timezone(timedelta(hours=9)))
    assert queue.claim_due("run-1", 60) == []
    clock.now = at(3600).astimezone(eastern)
    [claimed] = queue.claim_due("run-1", 60)
    assert claimed.lease_expires_at == at(3660)
    assert claimed.lease_expires_at is not None and claimed.lease_expires_at.tzinfo is UTC
    with pytest.raises(ValueError, match="timezone-aware"):
        queue.defer(A, None, 0, "cooldown", not_before=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="lease_seconds"):
        queue.claim_due("run-1", 0)


# --- concurrency -------------------------------------------------------------------------------


def run_in_two_threads(database_url: str, work: Callable[[Engine, str], T]) -> tuple[T, T]:
    """``work(engine, owner)`` in two threads at once, each with its own engine."""
    barrier = threading.Barrier(2)

    def worker(owner: str) -> T:
        engine = make_engine(database_url)
        try:
            barrier.wait(timeout=10)
            return work(engine, owner)
        finally:
            engine.dispose()

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.submit(worker, "one"), pool.submit(worker, "two")
        return first.result(timeout=60), second.result(timeout=60)


def test_concurrent_claim_due_never_claims_a_row_twice(
    database_url: str, queue: ContinuationQueue
) -> None:
    ids = [f"{n:011d}J" for n in range(40)]
    for scholar_id in ids:
        queue.defer(scholar_id, None, 100, "cooldown")

    def drain(engine: Engine, owner: str) -> list[str]:
        mine = ContinuationQueue(engine, Backoff(), lambda: T0)
        claimed: list[str] = []
        while batch := mine.claim_due(owner, 60, limit=3):
            assert all(entry.claim_owner == owner for entry in batch)
            claimed.extend(entry.scholar_id for entry in batch)
        return claimed

    for _round in range(3):
        one, two = run_in_two_threads(database_url, drain)
        assert not set(one) & set(two)
        assert sorted(one + two) == ids
        assert queue.release("one") + queue.release("two") == len(ids)


def test_concurrent_claim_profile_has_exactly_one_winner(
    database_url: str, queue: ContinuationQueue
) -> None:
    for round_ in range(3):
        ids = [f"{round_}{n:010d}J" for n in range(15)]

        def claim_all(engine: Engine, owner: str, ids: list[str] = ids) -> list[str]:
            mine = ContinuationQueue(engine, Backoff(), lambda: T0)
            return [i for i in ids if mine.claim_profile(i, owner, 60) is not None]

        one, two = run_in_two_threads(database_url, claim_all)
        assert not set(one) & set(two)
        assert sorted(one + two) == ids
        owners = {e.scholar_id: e.claim_owner for e in queue.entries()}
        assert [owners[i] for i in ids] == ["one" if i in one else "two" for i in ids]


# --- cooldowns ---------------------------------------------------------------------------------


def test_a_cooldown_is_never_shortened(cooldowns: CooldownStore, clock: Clock) -> None:
    first = cooldowns.activate("direct", "blocked_captcha", at(1800), run_id="r1")
    assert (first.egress, first.reason, first.until, first.activated_at, first.run_id) == (
        "direct",
        "blocked_captcha",
        at(1800),
        T0,
        "r1",
    )
    clock.at(10)
    kept = cooldowns.activate("direct", "network_error", at(900), run_id="r2")
    assert kept == first
    assert cooldowns.get("direct") == first
    clock.at(20)
    longer = cooldowns.activate("direct", "blocked_http_403", at(3600), run_id="r2")
    assert (longer.reason, longer.until, longer.activated_at, longer.run_id) == (
        "blocked_http_403",
        at(3600),
        at(20),
        "r2",
    )
    assert cooldowns.active() == {"direct": longer}


def test_expired_cooldowns_are_not_active(cooldowns: CooldownStore, clock: Clock) -> None:
    cooldowns.activate("direct", "blocked_captcha", at(100))
    cooldowns.activate("proxy-1", "network_error", at(50))
    assert set(cooldowns.active()) == {"direct", "proxy-1"}
    clock.at(50)  # ends at 50: over
    assert set(cooldowns.active()) == {"direct"}
    assert cooldowns.get("proxy-1") is None
    assert cooldowns.get("direct") is not None
    clock.at(100)
    assert cooldowns.active() == {}
    assert cooldowns.get("direct") is None
    renewed = cooldowns.activate("proxy-1", "blocked_http_403", at(200))
    assert (renewed.until, renewed.activated_at) == (at(200), at(100))
    assert cooldowns.active() == {"proxy-1": renewed}


def test_clear_removes_one_cooldown_or_all(cooldowns: CooldownStore) -> None:
    for egress in ("direct", "proxy-1", "proxy-2"):
        cooldowns.activate(egress, "blocked_captcha", at(100))
    assert cooldowns.clear("proxy-1") == 1
    assert cooldowns.clear("proxy-1") == 0
    assert set(cooldowns.active()) == {"direct", "proxy-2"}
    assert cooldowns.clear() == 2
    assert cooldowns.active() == {}


def test_a_cooldown_names_an_egress_in_utc(cooldowns: CooldownStore) -> None:
    with pytest.raises(ValueError, match="egress"):
        cooldowns.activate("http://user:secret@proxy:8080", "blocked_captcha", at(100))
    with pytest.raises(ValueError, match="egress"):
        cooldowns.activate("", "blocked_captcha", at(100))
    with pytest.raises(ValueError, match="timezone-aware"):
        cooldowns.activate("direct", "blocked_captcha", datetime(2026, 3, 1, 13))
    state = cooldowns.activate("direct", "x", at(100).astimezone(timezone(timedelta(hours=2))))
    assert state.until == at(100) and state.until.tzinfo is UTC
    assert cooldowns.active()["direct"].until.tzinfo is UTC


# --- migration ---------------------------------------------------------------------------------


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def test_migration_0002_keeps_data_and_downgrades(database_url: str) -> None:
    engine = make_engine(database_url)
    config = alembic_config(engine)
    command.upgrade(config, "0001")
    scholars = sa.table(
        "scholars",
        sa.column("scholar_id", sa.String),
        sa.column("name", sa.Text),
        sa.column("interests", sa.JSON),
        sa.column("cites_per_year", sa.JSON),
        sa.column("coauthors", sa.JSON),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    with engine.begin() as connection:
        connection.execute(
            scholars.insert().values(
                scholar_id=A,
                name="Ada Author",
                interests=["Testing"],
                cites_per_year={},
                coauthors=[],
                created_at=T0,
                updated_at=T0,
            )
        )

    command.upgrade(config, "0002")
    assert current_revision(engine) == "0002"
    assert set(NEW_TABLES) <= set(sa.inspect(engine).get_table_names())
    with engine.connect() as connection:
        assert connection.execute(sa.select(scholars.c.name)).scalars().all() == ["Ada Author"]
    command.upgrade(config, "head")  # the models are those of the latest revision
    clock = Clock()
    queue = ContinuationQueue(engine, Backoff(), clock)
    assert queue.defer(A, None, 100, "cooldown").status == QUEUED
    CooldownStore(engine, clock).activate("direct", "blocked_captcha", at(60))

    command.downgrade(config, "0001")
    assert current_revision(engine) == "0001"
    tables = set(sa.inspect(engine).get_table_names())
    assert not set(NEW_TABLES) & tables
    assert "scholars" in tables
    with engine.connect() as connection:
        assert connection.execute(sa.select(scholars.c.name)).scalars().all() == ["Ada Author"]
    engine.dispose()


def test_the_models_match_the_migration(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    ours = [diff for diff in diffs if any(table in repr(diff) for table in NEW_TABLES)]
    assert ours == []
    indexes = sa.inspect(engine).get_indexes("continuation_queue")
    names = {index["name"] for index in indexes if str(index["name"]).startswith("ix_")}
    assert names == {"ix_continuation_queue_status", "ix_continuation_queue_next_attempt_at"}
