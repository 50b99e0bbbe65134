"""The run records (``crawl_runs``, ``run_scholars``) on SQLite and the real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from scholarcrawl.store.db import current_revision, make_engine
from scholarcrawl.store.models import Base, CrawlRun
from scholarcrawl.store.repository import Repository, utcnow
from scholarcrawl.store.runs import (
    CANCELLED,
    COMPLETED,
    FAILED,
    QUEUED,
    RUNNING,
    RunNotFound,
    RunStore,
)
from tests.store.test_queue import alembic_config

A, B = "AAAAAAAAAAAJ", "BBBBBBBBBBBJ"
NODE = "worker-1:4242"


@pytest.fixture
def runs(engine: Engine) -> RunStore:
    return RunStore(engine)


def test_a_scheduled_run_is_queued_then_taken_over_by_its_job(runs: RunStore) -> None:
    run_id = runs.create("scholar", {"ids": "AAAAAAAAAAAJ", "limit": "5"})
    queued = runs.get(run_id)
    assert (queued.status, queued.started_at, queued.heartbeat_at) == (QUEUED, None, None)
    assert queued.created_at.tzinfo is not None

    adoption = runs.begin("scholar", {"scholar_ids": [A]}, node=NODE, scrapyd_job_id=run_id)

    assert (adoption.run_id, adoption.adopted) == (run_id, True)
    row = runs.get(run_id)
    assert (row.status, row.node, row.scrapyd_job_id) == (RUNNING, NODE, run_id)
    assert row.started_at is not None and row.heartbeat_at is not None
    assert row.arguments == {"scholar_ids": [A]}  # as the spider validated them


def test_a_job_without_a_queued_row_gets_a_row_of_its_own(runs: RunStore) -> None:
    hex_job = uuid.uuid4().hex  # scrapyd's own job ids are 32 hex digits
    adoption = runs.begin("scholar", {"resume": "due"}, node=NODE, scrapyd_job_id=hex_job)
    assert not adoption.adopted
    assert adoption.note == "no queued run has this job id"
    row = runs.get(adoption.run_id)
    assert (row.status, row.scrapyd_job_id, row.arguments) == (RUNNING, hex_job, {"resume": "due"})
    assert runs.get(hex_job).id == adoption.run_id  # found by its job id too


def test_a_job_never_takes_over_a_run_that_is_not_queued(runs: RunStore) -> None:
    run_id = runs.create("scholar", {})
    runs.fail_queued(run_id, "scrapyd refused the job")
    adoption = runs.begin("scholar", {}, node=NODE, scrapyd_job_id=run_id)
    assert not adoption.adopted and adoption.run_id != run_id
    assert adoption.note == "its run is failed (spider scholar), not a queued scholar"
    assert runs.get(run_id).status == FAILED
    other = runs.create("pdfs", {})
    assert not runs.begin("scholar", {}, node=NODE, scrapyd_job_id=other).adopted
    assert runs.get(other).status == QUEUED


def test_a_run_started_by_hand_is_running_at_once(runs: RunStore) -> None:
    adoption = runs.begin("pdfs", {"limit": 3}, node=NODE)
    row = runs.get(adoption.run_id)
    assert (row.status, row.scrapyd_job_id, row.node) == (RUNNING, None, NODE)


def test_heartbeats_carry_counters_and_progress_while_running(runs: RunStore) -> None:
    run_id = runs.begin("scholar", {}, node=NODE).run_id
    before = runs.get(run_id).heartbeat_at
    assert runs.heartbeat(run_id, counters={"pages": 3}, progress={"pages_done": 3})
    row = runs.get(run_id)
    assert row.counters == {"pages": 3} and row.progress == {"pages_done": 3}
    assert before is not None and row.heartbeat_at is not None and row.heartbeat_at >= before
    runs.finish(run_id, COMPLETED, counters={"pages": 4})
    assert not runs.heartbeat(run_id, counters={"pages": 9}, progress={})
    assert runs.get(run_id).counters == {"pages": 4}


def test_finish_records_the_end(runs: RunStore) -> None:
    run_id = runs.begin("scholar", {}, node=NODE).run_id
    before = runs.finish(
        run_id,
        CANCELLED,
        stats={"scholarcrawl/scholar/page/fetched": 2},
        counters={"pages": 2},
        progress={"pages_done": 2, "pages_known": 5},
        error="shut down",
    )
    assert before == RUNNING
    row = runs.get(run_id)
    assert (row.status, row.error, row.stats, row.progress["pages_known"]) == (
        CANCELLED,
        "shut down",
        {"scholarcrawl/scholar/page/fetched": 2},
        5,
    )
    assert row.finished_at is not None
    with pytest.raises(ValueError, match="finishes"):
        runs.finish(run_id, RUNNING)
    assert runs.finish(str(uuid.uuid4()), COMPLETED) is None


def test_stale_running_runs_are_reaped_once_and_live_ones_kept(
    engine: Engine, runs: RunStore
) -> None:
    dead = runs.begin("scholar", {}, node=NODE).run_id
    alive = runs.begin("scholar", {}, node="worker-2:7").run_id
    queued = runs.create("scholar", {})
    beat = utcnow() - timedelta(minutes=10)
    with engine.begin() as connection:  # the dead run's last heartbeat: 10 minutes ago
        connection.execute(sa.update(CrawlRun).where(CrawlRun.id == dead).values(heartbeat_at=beat))

    reaped = runs.reap(timedelta(minutes=5))

    assert [run.id for run in reaped] == [dead]
    row = runs.get(dead)
    assert row.status == FAILED and row.finished_at is not None
    assert row.error is not None and NODE in row.error and "killed or lost" in row.error
    assert beat.isoformat(timespec="seconds") in row.error
    assert runs.get(alive).status == RUNNING
    assert runs.get(queued).status == QUEUED  # not started: no heartbeat to go stale
    assert runs.reap(timedelta(minutes=5)) == []  # never twice


def test_a_recent_heartbeat_is_not_reaped(runs: RunStore) -> None:
    run_id = runs.begin("scholar", {}, node=NODE).run_id
    assert runs.reap(timedelta(minutes=5)) == []
    assert runs.reap(timedelta(minutes=5), now=utcnow() + timedelta(minutes=4)) == []
    assert runs.get(run_id).status == RUNNING


def test_a_run_reaped_while_alive_records_its_real_end(runs: RunStore) -> None:
    run_id = runs.begin("scholar", {}, node=NODE).run_id
    runs.reap(timedelta(seconds=1), now=utcnow() + timedelta(minutes=1))
    assert runs.get(run_id).status == FAILED
    assert runs.finish(run_id, COMPLETED) == FAILED
    row = runs.get(run_id)
    assert (row.status, row.error) == (COMPLETED, None)


def test_queued_runs_fail_or_cancel_only_while_queued(runs: RunStore) -> None:
    refused = runs.create("scholar", {})
    assert runs.fail_queued(refused, "scrapyd at http://127.0.0.1:6800 is down")
    row = runs.get(refused)
    assert (row.status, row.error) == (FAILED, "scrapyd at http://127.0.0.1:6800 is down")
    assert not runs.fail_queued(refused, "again")
    started = runs.create("scholar", {})
    runs.begin("scholar", {}, node=NODE, scrapyd_job_id=started)
    assert not runs.cancel_queued(started, "cancelled in scrapyd")
    assert runs.get(started).status == RUNNING
    waiting = runs.create("pdfs", {})
    assert runs.cancel_queued(waiting, "cancelled in scrapyd before it started")
    assert runs.get(waiting).status == CANCELLED


def test_runs_are_found_by_id_prefix_and_listed_newest_first(runs: RunStore) -> None:
    first = runs.create("scholar", {})
    second = runs.begin("pdfs", {}, node=NODE).run_id
    assert runs.get(first[:8]).id == first
    with pytest.raises(RunNotFound, match="no run"):
        runs.get("ffffffff-nothing")
    with pytest.raises(RunNotFound):
        runs.get("abc")  # too short to be a prefix
    assert [run.id for run in runs.recent()] == [second, first]
    assert [run.id for run in runs.recent(status=QUEUED)] == [first]
    assert [run.id for run in runs.recent(spider="pdfs")] == [second]
    assert [run.id for run in runs.recent(status=(QUEUED, RUNNING), limit=1)] == [second]
    assert runs.counts() == {QUEUED: 1, RUNNING: 1}


def test_an_ambiguous_prefix_is_refused(runs: RunStore) -> None:
    for suffix in ("1", "2"):
        runs.create("scholar", {}, run_id=f"abcd0000-0000-4000-8000-00000000000{suffix}")
    with pytest.raises(RunNotFound, match="2 runs start with"):
        runs.get("abcd0000")


def test_the_runs_that_touched_a_scholar_and_how(engine: Engine, runs: RunStore) -> None:
    repository = Repository(engine)
    first = runs.begin("scholar", {}, node=NODE).run_id
    repository.record_profile_outcome(
        A, status="complete", reason=None, pages_fetched=3, rows_seen=250, run_id=first
    )
    repository.record_profile_outcome(
        B, status="blocked", reason="blocked_captcha", pages_fetched=0, rows_seen=0, run_id=first
    )
    runs.finish(first, COMPLETED)
    second = runs.begin("scholar", {}, node=NODE).run_id
    # a continuation: page 4 this run, 4 pages in all
    repository.record_profile_outcome(
        A,
        status="deferred",
        reason="cooldown",
        pages_fetched=4,
        rows_seen=320,
        run_id=second,
        run_pages=1,
        run_rows=70,
        update_scholar=False,
    )
    [touched_b] = runs.for_scholar(B)
    assert (touched_b.run_id, touched_b.scholar_status, touched_b.reason) == (
        first,
        "blocked",
        "blocked_captcha",
    )
    newest, oldest = runs.for_scholar(A)
    assert (newest.run_id, newest.run_status, newest.scholar_status) == (
        second,
        RUNNING,
        "deferred",
    )
    assert (newest.pages_fetched, newest.rows_seen) == (1, 70)
    assert (oldest.run_id, oldest.run_status, oldest.pages_fetched) == (first, COMPLETED, 3)
    # update_scholar=False: the profile's own row kept the first run's outcome
    [scholar_a] = [row for row in repository.scholars() if row.scholar_id == A]
    assert (scholar_a.crawl_status, scholar_a.pages_fetched) == ("complete", 3)
    # the same run recording the profile again updates its one row
    repository.record_profile_outcome(
        A, status="complete", reason=None, pages_fetched=5, rows_seen=420, run_id=second
    )
    assert [(run.scholar_status, run.pages_fetched) for run in runs.for_scholar(A)] == [
        ("complete", 5),
        ("complete", 3),
    ]
    assert runs.for_scholar("CCCCCCCCCCCJ") == []


# --- migration ---------------------------------------------------------------------------------


def test_migration_0005_keeps_earlier_runs_and_downgrades(database_url: str) -> None:
    engine = make_engine(database_url)
    config = alembic_config(engine)
    command.upgrade(config, "0004")
    started = utcnow()
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO crawl_runs (id, spider, arguments, status, stats, started_at) "
                "VALUES (:id, 'scholar', '{}', 'completed', '{}', :started)"
            ),
            {"id": "00000000-0000-4000-8000-000000000001", "started": started},
        )
    # a stored publication's citation history points at the run (a foreign key); written in
    # SQL, since the models are those of the latest revision
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO scholars (scholar_id, name, interests, cites_per_year, coauthors, "
                "created_at, updated_at) VALUES (:s, 'Ada', '[]', '{}', '[]', :t, :t)"
            ),
            {"s": A, "t": started},
        )
        connection.execute(
            sa.text(
                "INSERT INTO publications (id, fingerprint, title, normalized_title, merged, "
                "cluster_ids, created_at, updated_at) VALUES (1, 'f1', 'A paper stored before "
                "runs were tracked', 'a paper', false, '[]', :t, :t)"
            ),
            {"t": started},
        )
        connection.execute(
            sa.text(
                "INSERT INTO citation_snapshots (publication_id, scholar_id, run_id, citations, "
                "observed_at) VALUES (1, :s, :r, 3, :t)"
            ),
            {"s": A, "r": "00000000-0000-4000-8000-000000000001", "t": started},
        )
    command.upgrade(config, "0005")
    assert current_revision(engine) == "0005"
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM citation_snapshots")).scalar() == 1
    old = RunStore(engine).get("00000000-0000-4000-8000-000000000001")
    assert (old.status, old.counters, old.progress) == (COMPLETED, {}, {})
    assert abs((old.created_at - started).total_seconds()) < 1
    queued = RunStore(engine).create("scholar", {})
    command.downgrade(config, "0004")
    assert "run_scholars" not in sa.inspect(engine).get_table_names()
    columns = {column["name"] for column in sa.inspect(engine).get_columns("crawl_runs")}
    assert "heartbeat_at" not in columns and "scrapyd_job_id" not in columns
    with engine.connect() as connection:
        ids = connection.execute(sa.text("SELECT id FROM crawl_runs")).scalars().all()
    assert set(ids) == {"00000000-0000-4000-8000-000000000001", queued}
    engine.dispose()


def test_the_models_match_the_migrations(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    assert diffs == []


def test_a_run_with_a_longer_limit_of_its_own_is_not_reaped_sooner(
    engine: Engine, runs: RunStore
) -> None:
    slow = runs.begin("scholar", {}, node=NODE, stale_after_seconds=1800).run_id
    default = runs.begin("scholar", {}, node=NODE, stale_after_seconds=300).run_id
    with engine.begin() as connection:  # both beat 10 minutes ago
        connection.execute(
            sa.update(CrawlRun).values(heartbeat_at=utcnow() - timedelta(minutes=10))
        )
    assert runs.get(slow).is_stale(300, utcnow()) is False
    assert [run.id for run in runs.reap(timedelta(minutes=5))] == [default]
    assert runs.get(slow).status == RUNNING
    later = utcnow() + timedelta(minutes=25)
    assert [run.id for run in runs.reap(timedelta(minutes=5), now=later)] == [slow]


def test_a_reused_job_id_finds_the_newest_run(engine: Engine, runs: RunStore) -> None:
    first = runs.begin("scholar", {}, node=NODE, scrapyd_job_id="nightly").run_id
    with engine.begin() as connection:
        connection.execute(
            sa.update(CrawlRun)
            .where(CrawlRun.id == first)
            .values(created_at=utcnow() - timedelta(days=1))
        )
    second = runs.begin("scholar", {}, node=NODE, scrapyd_job_id="nightly").run_id
    assert first != second
    assert runs.get("nightly").id == second
