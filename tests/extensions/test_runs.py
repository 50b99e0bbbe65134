"""The run tracker: every crawl's ``crawl_runs`` row from open to close, and killed runs reaped."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from scrapy.settings import Settings

from scholarcrawl.extensions.runs import RunSettings, end_status, run_counters
from scholarcrawl.progress import COMPLETE, RunProgress
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.server import ReplayServer
from scholarcrawl.settings import EXTENSIONS as PROJECT_EXTENSIONS
from scholarcrawl.store.db import make_engine, upgrade
from scholarcrawl.store.models import CitationSnapshot
from scholarcrawl.store.runs import RunRecord, RunStore
from tests.support.crawl import run_cli, run_scrapy, start_scrapy

# Three profiles: 250 publications (three pages), 40 and 12.
SPEC = CorpusSpec(seed=11, sizes=(250, 40, 12), shared_per_pair=1)
PAGES = 5


# --- pure parts --------------------------------------------------------------------------------


def test_counters_read_the_figures_an_operator_needs() -> None:
    stats = {
        "scholarcrawl/scholar/page/fetched": 4,
        "item_scraped_count": 312,
        "scholarcrawl/scholar/request_blocked/blocked_captcha": 2,
        "scholarcrawl/scholar/request_blocked/blocked_http_429_rate_limited": 1,
        "scholarcrawl/scholar/cooldown/activated/blocked_captcha": 1,
        "scholarcrawl/identifiers/status/resolved": 40,
        "scholarcrawl/identifiers/status/unresolved": 7,
        "scholarcrawl/pdfs/outcome/done": 5,
        "scholarcrawl/pdfs/outcome/not-found": 3,
        "scholarcrawl/scholar/detail/fetched": 6,
        "scholarcrawl/exclusions/skipped/scholar": 1,
        "scholarcrawl/exclusions/skipped/publication": 2,
        "log_count/ERROR": 2,
        "log_count/WARNING": 9,
    }
    assert run_counters(stats) == {
        "pages": 4,
        "items": 312,
        "blocks": 3,
        "cooldowns": 1,
        "identifiers_resolved": 40,
        "pdfs_resolved": 5,
        "detail_pages": 6,
        "excluded": 3,
        "errors": 2,
    }
    assert set(run_counters({}).values()) == {0}


@pytest.mark.parametrize(
    ("reason", "stats", "status"),
    [
        ("finished", {}, "completed"),
        ("closespider_timeout", {}, "completed"),
        ("shutdown", {}, "cancelled"),
        ("cancelled", {}, "cancelled"),
        ("finished", {"scholarcrawl/scholar/run/database_error": 1}, "failed"),
        ("finished", {"scholarcrawl/pdfs/database_error": 2}, "failed"),
        ("closespider_errorcount", {}, "failed"),
        ("something_else", {}, "failed"),
    ],
)
def test_the_end_status_follows_the_close_reason(
    reason: str, stats: dict[str, int], status: str
) -> None:
    got, error = end_status(reason, stats)
    assert got == status
    assert (error is None) == (status == "completed")
    if status == "failed" and stats:
        assert "database could not be written" in str(error)


def test_run_settings_refuse_a_stale_limit_a_live_run_would_reach() -> None:
    assert RunSettings.from_settings(Settings()) == RunSettings(60.0, 300.0)
    with pytest.raises(ValueError, match="RUNS_STALE_AFTER_SECONDS must be longer"):
        RunSettings.from_settings(
            Settings({"RUNS_HEARTBEAT_SECONDS": 60, "RUNS_STALE_AFTER_SECONDS": 30})
        )
    with pytest.raises(ValueError, match="RUNS_HEARTBEAT_SECONDS must be positive"):
        RunSettings.from_settings(Settings({"RUNS_HEARTBEAT_SECONDS": 0}))


def test_progress_counts_pages_done_of_pages_known() -> None:
    progress = RunProgress()
    for scholar_id in ("AAAAAAAAAAAJ", "BBBBBBBBBBBJ", "CCCCCCCCCCCJ"):
        progress.add(scholar_id)
    assert progress.report() == {
        "pages_done": 0,
        "pages_known": 3,
        "profiles_done": 0,
        "profiles": 3,
    }
    progress.page_fetched("AAAAAAAAAAAJ", 100)  # a second page is on its way
    progress.page_fetched("BBBBBBBBBBBJ", 40)
    progress.finish("BBBBBBBBBBBJ", COMPLETE)
    assert progress.report() == {
        "pages_done": 2,
        "pages_known": 4,
        "profiles_done": 1,
        "profiles": 3,
    }


# --- end to end --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(SPEC)


@pytest.fixture
def replay(corpus: Corpus) -> Iterator[ReplayServer]:
    with ReplayServer(corpus) as server:
        yield server


def settings_for(server: ReplayServer, url: str, **extra: str) -> dict[str, str]:
    return {
        "SCHOLAR_BASE_URL": server.base_url,
        "SCHOLAR_PAGINATION": "all",
        "SCHOLARCRAWL_DATABASE_URL": url,
        **extra,
    }


def all_runs(url: str) -> list[RunRecord]:
    engine = make_engine(url)
    try:
        return RunStore(engine).recent(limit=None)
    except sa.exc.DBAPIError:  # not created yet
        return []
    finally:
        engine.dispose()


def wait_for(
    url: str, check: Callable[[list[RunRecord]], bool], process: subprocess.Popen[bytes]
) -> list[RunRecord]:
    deadline = time.monotonic() + 60
    while True:
        runs = all_runs(url)
        if check(runs):
            return runs
        assert process.poll() is None, "the crawl ended before the state the test waits for"
        assert time.monotonic() < deadline, f"never reached: {runs}"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_crawl_records_its_run_with_heartbeats_while_it_runs(
    replay: ReplayServer, database_url: str, tmp_path: Path
) -> None:
    # slow enough (0.5 s a page) to be seen running, with a heartbeat every 0.2 s
    process = start_scrapy(
        ["crawl", "scholar", "-a", "ids=" + ",".join(replay.corpus.ids)],
        settings_for(
            replay,
            database_url,
            SCHOLAR_DOWNLOAD_DELAY="0.5",
            SCHOLAR_DOWNLOAD_JITTER="0",
            RUNS_HEARTBEAT_SECONDS="0.2",
            RUNS_STALE_AFTER_SECONDS="5",
        ),
        log=tmp_path / "crawl.log",
    )
    try:
        [running] = wait_for(
            database_url,
            lambda runs: bool(runs) and runs[0].counters.get("pages", 0) >= 1,
            process,
        )
        assert running.status == "running"
        assert running.node is not None and running.node.endswith(f":{process.pid}")
        assert running.heartbeat_at is not None and running.started_at is not None
        assert running.heartbeat_at > running.started_at
        assert 1 <= running.progress["pages_done"] < running.progress["pages_known"]
        assert process.wait(timeout=60) == 0, (tmp_path / "crawl.log").read_text()[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = (tmp_path / "crawl.log").read_text()
    [run] = all_runs(database_url)
    assert (run.status, run.spider, run.error, run.scrapyd_job_id) == (
        "completed",
        "scholar",
        None,
        None,
    )
    assert run.arguments["scholar_ids"] == list(replay.corpus.ids)
    citations = [r for r in replay.requests if r.path.startswith("/citations")]
    assert run.counters["pages"] == len(citations) == PAGES
    assert run.counters["items"] == run.stats["item_scraped_count"] == 3 + 250 + 40 + 12
    assert (run.counters["blocks"], run.counters["errors"]) == (0, 0)
    assert run.progress == {
        "pages_done": PAGES,
        "pages_known": PAGES,
        "profiles_done": 3,
        "profiles": 3,
    }
    assert run.finished_at is not None and run.started_at is not None
    assert f"run.started run_id={run.id}" in log
    assert f"run.finished run_id={run.id} status=completed reason=finished" in log
    engine = make_engine(database_url)
    try:
        runs = RunStore(engine)
        touched = {entry.scholar_id: entry for entry in runs.scholars_of(run.id)}
        assert set(touched) == set(replay.corpus.ids)
        assert {entry.status for entry in touched.values()} == {"complete"}
        assert [touched[scholar_id].pages_fetched for scholar_id in replay.corpus.ids] == [3, 1, 1]
        with engine.connect() as connection:
            snapshot_runs = connection.execute(
                sa.select(CitationSnapshot.run_id).distinct()
            ).scalars()
            assert list(snapshot_runs) == [run.id]
    finally:
        engine.dispose()


@pytest.mark.slow
def test_killed_runs_are_reaped_by_the_cli_and_by_the_next_run(
    replay: ReplayServer, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'runs.sqlite3'}"
    slow = {
        "SCHOLAR_DOWNLOAD_DELAY": "1",
        "SCHOLAR_DOWNLOAD_JITTER": "0",
        "RUNS_HEARTBEAT_SECONDS": "0.2",
        "RUNS_STALE_AFTER_SECONDS": "1",
        "CONTINUATION_LEASE_SECONDS": "1",
    }
    killed = []
    for n in range(2):
        process = start_scrapy(
            ["crawl", "scholar", "-a", "ids=" + replay.corpus.ids[0]],
            settings_for(replay, url, **slow),
            log=tmp_path / f"killed-{n}.log",
        )
        try:
            runs = wait_for(
                url,
                lambda runs: any(r.status == "running" and r.counters.get("pages") for r in runs),
                process,
            )
            process.kill()
        finally:
            process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL
        killed.append(next(r.id for r in runs if r.status == "running"))
        time.sleep(1.2)  # its heartbeat goes stale
        if n == 0:
            # a fresh heartbeat limit finds nothing; the run's own limit reaps it
            fresh = run_cli("runs", "reap", "--stale-after", "600", "--database", url)
            assert "no running run has a heartbeat older than 600 s" in fresh.stdout
            reaped = run_cli("runs", "reap", "--stale-after", "1", "--database", url, "--json")
            assert reaped.returncode == 0, reaped.stderr
            [record] = json.loads(reaped.stdout)
            assert (record["id"], record["status"]) == (killed[0], "failed")
            assert "killed or lost" in record["error"]
    # the next run reaps the second one when it opens
    result = run_scrapy(
        ["crawl", "scholar", "-a", "ids=" + replay.corpus.ids[2]],
        settings_for(replay, url, RUNS_STALE_AFTER_SECONDS="1", RUNS_HEARTBEAT_SECONDS="0.2"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"run.reaped run_id={killed[1]} spider=scholar" in result.stderr
    runs = {run.id: run for run in all_runs(url)}
    assert [runs[run_id].status for run_id in killed] == ["failed", "failed"]
    assert runs[killed[1]].error is not None and "killed or lost" in runs[killed[1]].error
    assert sorted(run.status for run in runs.values()) == ["completed", "failed", "failed"]


@pytest.mark.slow
def test_an_interrupted_run_is_cancelled(replay: ReplayServer, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.sqlite3'}"
    process = start_scrapy(
        ["crawl", "scholar", "-a", "ids=" + ",".join(replay.corpus.ids)],
        settings_for(replay, url, SCHOLAR_DOWNLOAD_DELAY="1", SCHOLAR_DOWNLOAD_JITTER="0"),
        log=tmp_path / "crawl.log",
    )
    try:
        wait_for(url, lambda runs: bool(runs) and runs[0].status == "running", process)
        process.send_signal(signal.SIGINT)  # Ctrl-C, as scrapyd's cancel.json sends it
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    [run] = all_runs(url)
    assert run.status == "cancelled", (tmp_path / "crawl.log").read_text()[-3000:]
    assert run.error is not None and "shutdown" in run.error
    assert run.counters["pages"] < PAGES


@pytest.mark.slow
def test_ctrl_c_while_the_spider_opens_still_closes_it_and_cancels_the_run(
    replay: ReplayServer, tmp_path: Path
) -> None:
    """Scrapy alone stops the reactor without closing a spider that is not running yet."""
    url = f"sqlite:///{tmp_path / 'runs.sqlite3'}"
    extensions = {**PROJECT_EXTENSIONS, "tests.support.interrupt.InterruptWhileOpening": 900}
    result = run_scrapy(
        ["crawl", "scholar", "-a", "ids=" + ",".join(replay.corpus.ids)],
        settings_for(replay, url, EXTENSIONS=json.dumps(extensions)),
    )
    assert "Received SIGINT, shutting down gracefully" in result.stderr, result.stderr[-3000:]
    assert "Closing spider (shutdown)" in result.stderr, result.stderr[-3000:]
    [run] = all_runs(url)
    assert run.status == "cancelled", result.stderr[-3000:]
    assert run.counters["pages"] < PAGES
    # the claims the run took are handed back, not left to run out their lease
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            statuses = connection.execute(
                sa.text("SELECT scholar_id, status FROM continuation_queue")
            ).all()
    finally:
        engine.dispose()
    assert all(status != "claimed" for _, status in statuses), statuses


@pytest.mark.slow
def test_a_scrapyd_job_takes_over_its_queued_run_and_a_refused_one_fails_it(
    replay: ReplayServer, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'runs.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    runs = RunStore(engine)
    queued = runs.create("scholar", {"ids": replay.corpus.ids[1]})
    refused = runs.create("scholar", {"ids": replay.corpus.ids[1], "max_pages": "0"})
    try:
        result = run_scrapy(
            ["crawl", "scholar", "-a", "ids=" + replay.corpus.ids[1], "-a", f"_job={queued}"],
            settings_for(replay, url),
        )
        assert result.returncode == 0, result.stderr[-3000:]
        run = runs.get(queued)
        assert (run.status, run.scrapyd_job_id, run.counters["pages"]) == ("completed", queued, 1)
        assert run.arguments["scholar_ids"] == [replay.corpus.ids[1]]
        assert [entry.scholar_id for entry in runs.scholars_of(queued)] == [replay.corpus.ids[1]]

        bad = run_scrapy(
            [
                "crawl",
                "scholar",
                "-a",
                "ids=" + replay.corpus.ids[1],
                "-a",
                "max_pages=0",
                "-a",
                f"_job={refused}",
            ],
            settings_for(replay, url),
        )
        assert bad.returncode == 2
        run = runs.get(refused)
        assert run.status == "failed"
        assert run.error == "refused before it started: max_pages must be at least 1, not 0"

        # a job scheduled some other way gets a row of its own that keeps the job id
        stray = uuid.uuid4().hex
        result = run_scrapy(
            ["crawl", "scholar", "-a", "ids=" + replay.corpus.ids[2], "-a", f"_job={stray}"],
            settings_for(replay, url),
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert "no queued run has this job id" in result.stderr
        own = runs.get(stray)
        assert (own.status, own.scrapyd_job_id) == ("completed", stray)
        assert own.id not in (queued, refused)
    finally:
        engine.dispose()


@pytest.mark.slow
def test_a_dry_run_is_recorded_only_in_a_database_that_already_exists(
    replay: ReplayServer, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.sqlite3"
    result = run_scrapy(
        ["crawl", "scholar", "-a", "ids=" + replay.corpus.ids[0], "-a", "dry_run=1"],
        settings_for(replay, f"sqlite:///{missing}"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert not missing.exists()
    assert "no run is recorded" in result.stderr

    url = f"sqlite:///{tmp_path / 'runs.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    result = run_scrapy(
        ["crawl", "scholar", "-a", "ids=" + replay.corpus.ids[0], "-a", "dry_run=1"],
        settings_for(replay, url),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    [run] = all_runs(url)
    assert (run.status, run.arguments["dry_run"], run.counters["pages"]) == ("completed", True, 0)
    assert run.progress["pages_done"] == 0
    assert not [r for r in replay.requests if r.path.startswith("/citations")]


@pytest.mark.slow
def test_a_crawl_whose_run_cannot_be_recorded_sends_nothing_and_stores_nothing(
    replay: ReplayServer, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'runs.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as connection:  # the database refuses every new run
        connection.exec_driver_sql(
            "CREATE TRIGGER no_runs BEFORE INSERT ON crawl_runs "
            "BEGIN SELECT RAISE(ABORT, 'runs are refused'); END"
        )
    engine.dispose()
    result = run_scrapy(
        ["crawl", "scholar", "-a", "ids=" + replay.corpus.ids[0]], settings_for(replay, url)
    )
    assert "the crawl stops before it starts" in result.stderr, result.stderr[-3000:]
    assert "'finish_reason': 'run_not_recorded'" in result.stderr
    assert not [r for r in replay.requests if r.path.startswith("/citations")]
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM publications").scalar() == 0
            assert connection.exec_driver_sql("SELECT count(*) FROM crawl_runs").scalar() == 0
    finally:
        engine.dispose()


def test_the_tracker_runs_with_the_store_pipeline_only() -> None:
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler

    from scholarcrawl.extensions.runs import STORE_PIPELINE, RunTracker

    assert RunTracker.from_crawler(
        get_crawler(settings_dict={"ITEM_PIPELINES": {STORE_PIPELINE: 500}})
    )
    for pipelines in ({}, {STORE_PIPELINE: None}):
        with pytest.raises(NotConfigured):
            RunTracker.from_crawler(get_crawler(settings_dict={"ITEM_PIPELINES": pipelines}))


def test_a_lost_database_ends_the_run_failed_saying_so_and_its_retry_is_bounded() -> None:
    status, error = end_status("database_lost", {})
    assert status == "failed"
    assert error is not None and error.startswith("the database was lost during the run")
    assert RunSettings.from_settings(Settings({})).finish_retry_seconds == 300.0
    with pytest.raises(ValueError, match="RUNS_FINISH_RETRY_SECONDS must be 0 or more"):
        RunSettings.from_settings(Settings({"RUNS_FINISH_RETRY_SECONDS": "-1"}))
