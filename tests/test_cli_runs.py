"""``scholarcrawl runs …``, the runs in ``status`` and ``export`` on the command line."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from scholarcrawl.cli import main
from scholarcrawl.store.db import make_engine
from scholarcrawl.store.models import CrawlRun
from scholarcrawl.store.repository import Repository, utcnow
from scholarcrawl.store.runs import RunStore
from tests.store.test_repository import pub

A, B = "AAAAAAAAAAAJ", "BBBBBBBBBBBJ"


@pytest.fixture
def engine(migrated_database_url: str) -> Engine:
    return make_engine(migrated_database_url)


def _runs(engine: Engine) -> dict[str, str]:
    """A finished crawl of A and B, a running crawl with progress, a queued pdfs job."""
    runs = RunStore(engine)
    repository = Repository(engine)
    done = runs.begin("scholar", {"scholar_ids": [A, B]}, node="n1:1").run_id
    repository.record_profile_outcome(
        A, status="complete", reason=None, pages_fetched=2, rows_seen=150, run_id=done
    )
    repository.record_profile_outcome(
        B, status="blocked", reason="blocked_captcha", pages_fetched=0, rows_seen=0, run_id=done
    )
    runs.finish(done, "completed", counters={"pages": 2, "items": 151, "blocks": 1})
    running = runs.begin("scholar", {"scholar_ids": [A]}, node="n2:2").run_id
    runs.heartbeat(
        running,
        counters={"pages": 1},
        progress={"pages_done": 1, "pages_known": 3, "profiles_done": 0, "profiles": 1},
    )
    queued = runs.create("pdfs", {"limit": 10})
    return {"done": done, "running": running, "queued": queued}


def test_runs_list_and_show(
    engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _runs(engine)
    engine.dispose()

    assert main(["runs", "list", "--database", database_url, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [run["id"] for run in listed] == [ids["queued"], ids["running"], ids["done"]]
    assert listed[2]["counters"] == {"pages": 2, "items": 151, "blocks": 1}

    assert main(["runs", "list", "--status", "running", "--database", database_url]) == 0
    out = capsys.readouterr().out
    assert ids["running"] in out and ids["done"] not in out
    assert "pages 1 of 3 known, profiles 0 of 1" in out

    assert main(["runs", "show", ids["done"][:8], "--database", database_url]) == 0
    out = capsys.readouterr().out
    assert f"run {ids['done']}" in out
    assert "status:     completed" in out
    assert "counters:   pages 2, items 151, blocks 1" in out
    assert f"{B}: blocked (blocked_captcha), 0 pages, 0 rows" in out

    assert main(["runs", "show", ids["queued"], "--database", database_url, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["status"], shown["started_at"], shown["scholars"]) == ("queued", None, [])

    assert main(["runs", "show", "ffffffff", "--database", database_url]) == 1
    assert "no run 'ffffffff'" in capsys.readouterr().err


def test_runs_for_scholar(
    engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _runs(engine)
    Repository(engine).record_profile_outcome(
        A,
        status="deferred",
        reason="max_seconds",
        pages_fetched=3,
        rows_seen=250,
        run_id=ids["running"],
        run_pages=1,
        run_rows=100,
    )
    engine.dispose()
    url = f"https://scholar.google.com/citations?user={A}&hl=en"
    assert main(["runs", "for-scholar", url, "--database", database_url, "--json"]) == 0
    touched = json.loads(capsys.readouterr().out)
    assert [(t["run_id"], t["run_status"], t["scholar_status"]) for t in touched] == [
        (ids["running"], "running", "deferred"),
        (ids["done"], "completed", "complete"),
    ]
    assert main(["runs", "for-scholar", B, "--database", database_url]) == 0
    out = capsys.readouterr().out
    assert f"{ids['done']}  scholar  run completed" in out
    assert f"{B}: blocked (blocked_captcha), 0 pages, 0 rows" in out
    assert main(["runs", "for-scholar", "CCCCCCCCCCCJ", "--database", database_url]) == 0
    assert "no run has touched CCCCCCCCCCCJ" in capsys.readouterr().out
    assert main(["runs", "for-scholar", "nope", "--database", database_url]) == 2
    assert "'nope' is not a Scholar id" in capsys.readouterr().err


def test_status_shows_running_runs_progress_stale_ones_and_the_last_runs(
    engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _runs(engine)
    dead = RunStore(engine).begin("pdfs", {}, node="n3:3").run_id
    with engine.begin() as connection:
        connection.execute(
            sa.update(CrawlRun)
            .where(CrawlRun.id == dead)
            .values(heartbeat_at=utcnow() - timedelta(minutes=20))
        )
    engine.dispose()

    assert main(["status", "--database", database_url]) == 0
    out = capsys.readouterr().out
    assert "runs: completed 1, queued 1, running 2" in out
    [running_line] = [line for line in out.splitlines() if ids["running"] in line]
    assert "pages 1 of 3 known" in running_line and "STALE" not in running_line
    [dead_line] = [line for line in out.splitlines() if dead in line]
    assert "STALE: killed? `scholarcrawl runs reap` marks it failed" in dead_line
    assert "last 1 finished runs:" in out

    assert main(["status", "--database", database_url, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["runs"] == {"completed": 1, "queued": 1, "running": 2}
    by_id = {run["id"]: run for run in status["running_runs"]}
    assert set(by_id) == {ids["running"], ids["queued"], dead}
    assert (by_id[dead]["stale"], by_id[ids["running"]]["stale"]) == (True, False)
    assert by_id[ids["running"]]["progress"]["pages_known"] == 3
    assert [run["id"] for run in status["last_runs"]] == [ids["done"]]

    # reaping with the default limit (300 s) takes the dead run only
    assert main(["runs", "reap", "--database", database_url]) == 0
    assert f"{dead}  pdfs: marked failed" in capsys.readouterr().out


def test_export_is_a_command(
    engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    repository = Repository(engine)
    run_id = repository.start_run("scholar", {})
    repository.upsert_publication(pub(A, "Exported on the command line"), run_id)
    engine.dispose()
    assert main(["export", "--format", "jsonl", "--database", database_url]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert json.loads(line)["title"] == "Exported on the command line"
