"""``scholarcrawl schedule`` against a real scrapyd running the deployed egg on the replay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.server import ReplayServer
from scholarcrawl.store.db import make_engine
from scholarcrawl.store.repository import Repository
from scholarcrawl.store.runs import RunRecord, RunStore
from tests.support.crawl import FAST, run_cli
from tests.support.scrapyd import ScrapydServer

pytestmark = pytest.mark.slow

SPEC = CorpusSpec(seed=5, sizes=(130, 20), shared_per_pair=1)


@pytest.fixture(scope="module")
def replay() -> Iterator[ReplayServer]:
    with ReplayServer(Corpus(SPEC)) as server:
        yield server


def schedule(
    scrapyd: ScrapydServer, replay: ReplayServer, url: str, *arguments: str
) -> dict[str, object]:
    settings = {
        **FAST,
        "SCHOLAR_BASE_URL": replay.base_url,
        "SCHOLAR_PAGINATION": "all",
        "SCHOLARCRAWL_DATABASE_URL": url,  # the job's database: the CLI's own
        "LOG_LEVEL": "INFO",
    }
    command = ["schedule", *arguments, "--scrapyd", scrapyd.url, "--database", url, "--json"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    result = run_cli(*command)
    assert result.returncode == 0, result.stderr
    answer: dict[str, object] = json.loads(result.stdout)
    return answer


def finished_run(scrapyd: ScrapydServer, url: str, spider: str, run_id: str) -> RunRecord:
    job = scrapyd.wait_for_job(spider, run_id, timeout=120)
    assert job.ok, job.explain()
    engine = make_engine(url)
    try:
        return RunStore(engine).get(run_id)
    finally:
        engine.dispose()


def test_a_scheduled_crawl_runs_on_scrapyd_and_completes_its_run(
    scrapyd_server: ScrapydServer, replay: ReplayServer, database_url: str
) -> None:
    ids = ",".join(replay.corpus.ids)
    answer = schedule(scrapyd_server, replay, database_url, "--ids", ids)
    run_id = str(answer["run_id"])
    assert answer["jobid"] == run_id

    run = finished_run(scrapyd_server, database_url, "scholar", run_id)

    assert (run.status, run.scrapyd_job_id, run.error) == ("completed", run_id, None)
    assert run.arguments["scholar_ids"] == list(replay.corpus.ids)
    assert run.counters["pages"] == 3  # 130 publications: two pages; 20: one
    assert run.started_at is not None and run.started_at >= run.created_at
    engine = make_engine(database_url)
    try:
        counts = Repository(engine).counts()
        touched = RunStore(engine).for_scholar(replay.corpus.ids[0])
    finally:
        engine.dispose()
    assert counts["publications"] == 130 + 20 - 1  # one paper shared by the two profiles
    assert counts["authorships"] == 150
    assert [(entry.run_id, entry.scholar_status) for entry in touched] == [(run_id, "complete")]

    shown = run_cli("runs", "show", run_id[:8], "--database", database_url, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["status"] == "completed"


def test_limits_and_dry_runs_work_the_same_under_scrapyd(
    scrapyd_server: ScrapydServer, replay: ReplayServer, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    replay.reset_requests()
    dry = schedule(scrapyd_server, replay, url, "--ids", replay.corpus.ids[0], "-a", "dry_run=1")
    dry_run = finished_run(scrapyd_server, url, "scholar", str(dry["run_id"]))
    assert (dry_run.status, dry_run.arguments["dry_run"], dry_run.counters["pages"]) == (
        "completed",
        True,
        0,
    )
    assert not [r for r in replay.requests if r.path.startswith("/citations")]

    # max_pages=1: the first page only, the rest waits in the continuation queue
    limited = schedule(
        scrapyd_server, replay, url, "--ids", replay.corpus.ids[0], "-a", "max_pages=1"
    )
    run = finished_run(scrapyd_server, url, "scholar", str(limited["run_id"]))
    assert (run.status, run.counters["pages"]) == ("completed", 1)
    due = run_cli("queue", "list", "--database", url, "--json")
    [entry] = json.loads(due.stdout)
    assert (entry["scholar_id"], entry["cstart"], entry["reason"]) == (
        replay.corpus.ids[0],
        100,
        "max_pages",
    )

    # then cron's --due finds it due and its job finishes the profile
    resumed = schedule(scrapyd_server, replay, url, "--due", "-a", "limit=5")
    run = finished_run(scrapyd_server, url, "scholar", str(resumed["run_id"]))
    assert (run.status, run.arguments["resume"], run.counters["pages"]) == ("completed", "due", 1)
    nothing = run_cli("schedule", "--due", "--scrapyd", scrapyd_server.url, "--database", url)
    assert nothing.returncode == 0 and "nothing to schedule" in nothing.stdout


def test_a_job_refused_at_start_fails_its_queued_run(
    scrapyd_server: ScrapydServer, replay: ReplayServer, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    # a setting only the job checks (the CLI does not know the node's settings)
    answer = schedule(
        scrapyd_server,
        replay,
        url,
        "--ids",
        replay.corpus.ids[1],
        "-s",
        "RUNS_STALE_AFTER_SECONDS=1",
    )
    run_id = str(answer["run_id"])
    job = scrapyd_server.wait_for_job("scholar", run_id, timeout=120)
    assert job.exit_code == 2, job.explain()
    engine = make_engine(url)
    try:
        run = RunStore(engine).get(run_id)
    finally:
        engine.dispose()
    assert run.status == "failed"
    assert run.error is not None and "RUNS_STALE_AFTER_SECONDS must be longer" in run.error
