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

from scholarcrawl.cli import main
from scholarcrawl.store.db import make_engine, upgrade
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
    responses.post(SCHEDULE, json={"status": "ok", "jobid": "x"})
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
    assert len(responses.calls) == 0
    assert not database.exists()


@responses.activate
def test_due_schedules_only_when_continuations_are_due(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    queue = ContinuationQueue(engine)
    queue.defer(A, None, 100, "cooldown", not_before=utcnow() + timedelta(hours=1))
    engine.dispose()
    responses.post(SCHEDULE, json={"status": "ok", "jobid": "x"})

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
    responses.post(SCHEDULE, json={"status": "ok", "jobid": "x"})
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
