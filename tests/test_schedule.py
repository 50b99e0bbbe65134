"""``scholarcrawl schedule``: the queued run first, then scrapyd's schedule.json (``responses``)."""

from __future__ import annotations

import base64
import json
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
import responses
import sqlalchemy as sa

from scholarcrawl.cli import main
from scholarcrawl.store.db import make_engine, upgrade
from scholarcrawl.store.models import CrawlRun
from scholarcrawl.store.queue import ContinuationQueue
from scholarcrawl.store.repository import utcnow
from scholarcrawl.store.runs import RunRecord, RunStore
from tests.store.test_pdfqueue import _queue_rows

SCRAPYD = "http://127.0.0.1:6811"
SCHEDULE = f"{SCRAPYD}/schedule.json"
A, B = "AAAAAAAAAAAJ", "BBBBBBBBBBBJ"
PASSWORD = "s3cret-Passw0rd"


@pytest.fixture(autouse=True)
def no_scrapyd_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SCRAPYD_URL", "SCRAPYD_USERNAME", "SCRAPYD_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def echo_jobid(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    """scrapyd's answer to schedule.json: the job id it was given."""
    jobid = dict(parse_qsl(str(request.body)))["jobid"]
    return 200, {}, json.dumps({"status": "ok", "jobid": jobid})


def runs_of(url: str) -> list[RunRecord]:
    engine = make_engine(url)
    try:
        return RunStore(engine).recent(limit=None)
    finally:
        engine.dispose()


def form(call: Any) -> list[tuple[str, str]]:
    return parse_qsl(call.request.body)


def schedule(url: str, *arguments: str) -> int:
    return main(["schedule", *arguments, "--scrapyd", SCRAPYD, "--database", url])


@responses.activate
def test_the_run_is_committed_queued_before_scrapyd_is_asked(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[RunRecord] = []

    def accept(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        fields = dict(parse_qsl(str(request.body)))
        seen.extend(runs_of(database_url))  # what another process sees at this moment
        return 200, {}, json.dumps({"status": "ok", "jobid": fields["jobid"]})

    responses.add_callback(responses.POST, SCHEDULE, callback=accept)

    status = schedule(
        database_url,
        "--ids",
        f"{A},https://scholar.google.com/citations?user={B}&hl=en",
        "-a",
        "max_seconds=600",
        "-a",
        "dry_run=1",
        "-s",
        "SCHOLAR_PAGINATION=all",
        "--json",
    )

    assert status == 0
    out = json.loads(capsys.readouterr().out)
    [call] = responses.calls
    assert sorted(form(call)) == sorted(
        [
            ("project", "scholarcrawl"),
            ("spider", "scholar"),
            ("jobid", out["run_id"]),
            ("ids", f"{A},https://scholar.google.com/citations?user={B}&hl=en"),
            ("max_seconds", "600"),
            ("dry_run", "1"),
            ("setting", "SCHOLAR_PAGINATION=all"),
        ]
    )
    assert out == {
        "scheduled": True,
        "run_id": out["run_id"],
        "jobid": out["run_id"],
        "spider": "scholar",
        "scrapyd": SCRAPYD,
        "project": "scholarcrawl",
    }
    [queued] = seen
    assert (queued.id, queued.status) == (out["run_id"], "queued")
    [run] = runs_of(database_url)
    assert (run.status, run.spider, run.started_at) == ("queued", "scholar", None)
    assert run.arguments["scholar_ids"] == [A, B]  # validated here, as the spider will
    assert (run.arguments["max_seconds"], run.arguments["dry_run"]) == (600.0, True)


@responses.activate
def test_a_refusal_fails_the_run_with_scrapyds_message(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    responses.post(SCHEDULE, json={"status": "error", "message": "spider 'scholar' not found"})

    assert schedule(database_url, "--ids", A) == 1

    [run] = runs_of(database_url)
    err = capsys.readouterr().err
    assert run.status == "failed" and run.finished_at is not None
    assert run.error is not None and "spider 'scholar' not found" in run.error
    assert f"run {run.id} failed" in err and "spider 'scholar' not found" in err


@responses.activate
def test_an_http_error_fails_the_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    responses.post(SCHEDULE, status=500, body="Internal Server Error")
    assert schedule(url, "--ids", A) == 1
    [run] = runs_of(url)
    assert run.status == "failed" and "500" in str(run.error)


def test_scrapyd_down_fails_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    assert main(["schedule", "--ids", A, "--scrapyd", closed, "--database", url, "--json"]) == 1
    [run] = runs_of(url)
    out = json.loads(capsys.readouterr().out)
    assert (out["scheduled"], out["run_id"]) == (False, run.id)
    assert run.status == "failed"
    assert run.error == (
        f"not scheduled: cannot reach scrapyd at {closed} (schedule.json): connection refused"
    )


@responses.activate
def test_credentials_come_from_the_environment_and_never_show(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    monkeypatch.setenv("SCRAPYD_USERNAME", "ops")
    monkeypatch.setenv("SCRAPYD_PASSWORD", PASSWORD)
    token = base64.b64encode(f"ops:{PASSWORD}".encode()).decode()
    responses.add_callback(responses.POST, SCHEDULE, callback=echo_jobid)
    responses.post(SCHEDULE, status=401, body="Unauthorized")

    assert schedule(url, "--ids", A) == 0
    assert schedule(url, "--ids", B) == 1

    assert [call.request.headers["Authorization"] for call in responses.calls] == [
        f"Basic {token}"
    ] * 2
    captured = capsys.readouterr()
    failed = [run for run in runs_of(url) if run.status == "failed"]
    assert len(failed) == 1
    for text in (captured.out, captured.err, str(failed[0].error)):
        assert PASSWORD not in text and token not in text


@responses.activate
def test_bad_arguments_create_nothing_and_send_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "db.sqlite3"
    url = f"sqlite:///{database}"
    assert schedule(url, "--ids", "not-an-id") == 2
    assert "not-an-id" in capsys.readouterr().err
    assert schedule(url, "--ids", A, "-a", "max_pages=0") == 2
    assert "max_pages must be at least 1" in capsys.readouterr().err
    assert schedule(url, "--ids", A, "-a", "bogus") == 2
    assert "-a 'bogus' is not NAME=VALUE" in capsys.readouterr().err
    assert schedule(url, "--pdfs", "-a", "download=maybe") == 2
    assert schedule(url, "--ids", A, "-a", "refresh=new", "-a", "sortby=title") == 2
    assert "refresh=new reads every profile newest first" in capsys.readouterr().err
    assert schedule(url, "--due", "-a", "skip_unchanged=perhaps") == 2
    assert "skip_unchanged must be 1 or 0" in capsys.readouterr().err
    assert len(responses.calls) == 0
    assert not database.exists()


@responses.activate
def test_refresh_and_skip_unchanged_reach_the_job_and_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    responses.add_callback(responses.POST, SCHEDULE, callback=echo_jobid)
    status = schedule(url, "--ids", A, "-a", "refresh=new", "-a", "skip_unchanged=1")
    assert status == 0, capsys.readouterr().err
    [call] = responses.calls
    assert {("refresh", "new"), ("skip_unchanged", "1")} <= set(form(call))
    [run] = runs_of(url)
    assert (run.arguments["refresh"], run.arguments["skip_unchanged"]) == ("new", True)
    assert run.arguments["sortby"] == "pubdate"


@responses.activate
def test_due_schedules_only_when_continuations_are_due(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    queue = ContinuationQueue(engine)
    queue.defer(A, None, 100, "cooldown", not_before=utcnow() + timedelta(hours=1))
    engine.dispose()
    responses.add_callback(responses.POST, SCHEDULE, callback=echo_jobid)

    assert schedule(database_url, "--due", "--json") == 0
    assert json.loads(capsys.readouterr().out) == {"scheduled": False, "due": 0}
    assert len(responses.calls) == 0 and runs_of(database_url) == []

    engine = make_engine(database_url)
    ContinuationQueue(engine).defer(B, None, 200, "max_seconds")  # due now
    engine.dispose()
    assert schedule(database_url, "--due", "-a", "limit=5") == 0
    [call] = responses.calls
    fields = dict(form(call))
    assert (fields["spider"], fields["resume"], fields["limit"]) == ("scholar", "due", "5")
    [run] = runs_of(database_url)
    assert (run.id, run.arguments["resume"], run.arguments["limit"]) == (fields["jobid"], "due", 5)
    assert f"run {run.id} queued" in capsys.readouterr().out


@responses.activate
def test_pdfs_schedules_only_when_pdf_rows_are_due(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    responses.add_callback(responses.POST, SCHEDULE, callback=echo_jobid)
    assert schedule(database_url, "--pdfs") == 0
    assert "nothing to schedule: no PDF rows are due" in capsys.readouterr().out
    assert len(responses.calls) == 0

    engine = make_engine(database_url)
    _queue_rows(engine, 2)
    engine.dispose()
    assert schedule(database_url, "--pdfs", "-a", "download=1", "-a", "limit=10") == 0
    [call] = responses.calls
    assert form(call)[1:2] == [("spider", "pdfs")]
    assert ("download", "1") in form(call) and ("limit", "10") in form(call)
    pdfs = [run for run in runs_of(database_url) if run.spider == "pdfs"]
    assert [(run.status, run.arguments["download"]) for run in pdfs] == [("queued", True)]


@responses.activate
def test_arguments_scrapyd_or_the_options_own_are_refused_before_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "db.sqlite3"
    url = f"sqlite:///{database}"
    for argument in ("_job=x", "jobid=x", "ids=BBBBBBBBBBBJ", "resume=due"):
        assert schedule(url, "--ids", A, "-a", argument) == 2
        name = argument.split("=")[0]
        assert f"-a {name}: give ids with --ids" in capsys.readouterr().err
    assert schedule(url, "--due", "-a", "resume=other") == 2
    assert len(responses.calls) == 0 and not database.exists()


def by_job(calls: Any) -> set[str]:
    return {dict(parse_qsl(str(call.request.url).split("?", 1)[1]))["job"] for call in calls}


def _status(states: dict[str, str | None]) -> Any:
    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        job = dict(parse_qsl(str(request.url).split("?", 1)[1]))["job"]
        state = states[job]
        body = (
            {"status": "ok", "currstate": state} if state else {"status": "ok", "currstate": None}
        )
        return 200, {}, json.dumps(body)

    return answer


@responses.activate
def test_reap_with_scrapyd_fails_queued_runs_whose_jobs_will_never_start_them(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    runs = RunStore(engine)
    waiting, died, lost, just_made = (
        runs.create("scholar", {}, scrapyd_url=SCRAPYD) for _ in range(4)
    )
    elsewhere = runs.create("scholar", {}, scrapyd_url="http://10.0.0.2:6800")
    with engine.begin() as connection:  # all but the last were scheduled a while ago
        connection.execute(
            sa.update(CrawlRun)
            .where(CrawlRun.id != just_made)
            .values(created_at=utcnow() - timedelta(minutes=5))
        )
    engine.dispose()
    states = {waiting: "pending", died: "finished", lost: None}
    responses.add_callback(responses.GET, f"{SCRAPYD}/status.json", callback=_status(states))

    assert main(["runs", "reap", "--scrapyd", SCRAPYD, "--database", database_url]) == 0
    # a run queued a moment ago may not have reached scrapyd yet: not asked about
    assert by_job(responses.calls) == {waiting, died, lost}

    out = capsys.readouterr().out
    by_id = {run.id: run for run in runs_of(database_url)}
    assert (by_id[waiting].status, by_id[just_made].status) == ("queued", "queued")
    assert by_id[elsewhere].status == "queued"  # another node's job: not this scrapyd's to say
    assert by_id[died].status == "failed"
    assert "finished without starting the run" in str(by_id[died].error)
    assert by_id[lost].status == "failed"
    assert "does not know its job" in str(by_id[lost].error)
    assert f"{died}  queued run marked failed" in out and waiting not in out


def test_reap_with_scrapyd_down_says_so_after_reaping_what_it_can(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    runs = RunStore(engine)
    queued = runs.create("scholar", {}, scrapyd_url=closed)
    dead = runs.begin("scholar", {}, node="n:1").run_id
    with engine.begin() as connection:
        connection.execute(
            sa.update(CrawlRun).values(
                created_at=utcnow() - timedelta(hours=1), heartbeat_at=utcnow() - timedelta(hours=1)
            )
        )
    engine.dispose()
    assert main(["runs", "reap", "--scrapyd", closed, "--database", url]) == 1
    captured = capsys.readouterr()
    assert "cannot reach scrapyd" in captured.err
    assert f"{dead}  scholar: marked failed" in captured.out  # said although scrapyd is down
    by_id = {run.id: run.status for run in runs_of(url)}
    assert by_id == {queued: "queued", dead: "failed"}


@responses.activate
def test_cancel_marks_a_pending_jobs_run_cancelled_and_leaves_a_running_one_to_its_tracker(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    runs = RunStore(engine)
    pending = runs.create("scholar", {})
    running = runs.create("scholar", {})
    runs.begin("scholar", {}, node="n:1", scrapyd_job_id=running)
    engine.dispose()
    responses.post(f"{SCRAPYD}/cancel.json", json={"status": "ok", "prevstate": "pending"})
    responses.post(f"{SCRAPYD}/cancel.json", json={"status": "ok", "prevstate": "running"})

    cancel = ["runs", "cancel", "--scrapyd", SCRAPYD, "--database", database_url]
    assert main([*cancel, pending[:8]]) == 0
    assert main([*cancel, running]) == 0

    out = capsys.readouterr().out
    assert f"run {pending} cancelled before it started" in out
    assert f"run {running}: scrapyd stops its job" in out
    assert [dict(parse_qsl(call.request.body))["job"] for call in responses.calls] == [
        pending,
        running,
    ]
    by_id = {run.id: run for run in runs_of(database_url)}
    assert (by_id[pending].status, by_id[running].status) == ("cancelled", "running")
    assert main([*cancel, "ffffffff"]) == 1
    assert "no run 'ffffffff'" in capsys.readouterr().err


def test_read_only_commands_never_create_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "missing.sqlite3"
    for command in (["status"], ["runs", "list"], ["queue", "list"], ["summary"]):
        assert main([*command, "--database", f"sqlite:///{database}"]) == 1
        assert "there is no database at" in capsys.readouterr().err
    assert not database.exists()


@responses.activate
def test_a_job_id_scrapyd_changed_fails_the_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    responses.post(SCHEDULE, json={"status": "ok", "jobid": "something-else"})
    assert schedule(url, "--ids", A) == 1
    [run] = runs_of(url)
    assert run.status == "failed" and "gave the job the id 'something-else'" in str(run.error)


@responses.activate
def test_no_answer_in_time_leaves_the_run_queued_for_reap_to_settle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    responses.post(SCHEDULE, body=requests.ReadTimeout("read timed out"))
    assert schedule(url, "--ids", A) == 1
    [run] = runs_of(url)
    assert (run.status, run.scrapyd_url) == ("queued", SCRAPYD)  # the job may exist
    err = capsys.readouterr().err
    assert f"run {run.id} queued, " in err and "failed" not in err
    assert "stays queued until `scholarcrawl runs reap --scrapyd`" in err


@responses.activate
def test_cancel_of_a_job_scrapyd_does_not_have_fails(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    run_id = RunStore(engine).create("scholar", {}, scrapyd_url=SCRAPYD)
    engine.dispose()
    responses.post(f"{SCRAPYD}/cancel.json", json={"status": "ok", "prevstate": None})
    assert main(["runs", "cancel", run_id, "--scrapyd", SCRAPYD, "--database", database_url]) == 1
    assert "has no pending or running job" in capsys.readouterr().err
    assert [run.status for run in runs_of(database_url)] == ["queued"]
