"""The ``scholarcrawl`` command: db, summary, demo (end to end)."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scholarcrawl.cli import main
from scholarcrawl.replay.generator import DEMO_IDS, DEMO_SPEC
from scholarcrawl.store.db import make_engine, upgrade
from scholarcrawl.store.pdfqueue import PdfQueue
from scholarcrawl.store.queue import Backoff, ContinuationQueue, CooldownStore
from tests.conftest import REPO_ROOT
from tests.store.test_pdfqueue import _queue_rows, _resolved


def test_db_upgrade_then_summary_json(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade", "--database", database_url]) == 0
    assert "schema migrated empty -> " in capsys.readouterr().out
    assert main(["db", "current", "--database", database_url]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["summary", "--json", "--database", database_url]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["counts"]["publications"] == 0


def test_unreachable_database_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql+psycopg://ops:topsecret@127.0.0.1:9/scholar"
    assert main(["db", "upgrade", "--database", url]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "cannot reach the database" in err
    assert "topsecret" not in err


def test_queue_list_and_status_show_what_waits(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade", "--database", database_url]) == 0
    capsys.readouterr()
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    queue = ContinuationQueue(engine, backoff=Backoff(base_seconds=60, max_seconds=600))
    queue.defer("RxmmtT8AAAAJ", None, 100, "cooldown", not_before=now + timedelta(hours=1))
    queue.fail("gM5i-iYAAAAJ", None, 0, "blocked_captcha", "http://x/citations?user=gM5i")
    queue.defer("P1RwlvoAAAAJ", None, 0, "max_pages")  # due now
    queue.defer("FWxwqtAAAAAJ", None, 0, "max_detail_pages", stage="details")
    # a claim whose run died: due again once its lease has lapsed
    lapsed = ContinuationQueue(engine, clock=lambda: now - timedelta(minutes=20))
    assert lapsed.claim_profile("Pm3O_58AAAAJ", "dead-run", lease_seconds=60) is not None
    assert queue.claim_profile("f66ae1YAAAAJ", "live-run", lease_seconds=600) is not None
    CooldownStore(engine).activate("direct", "blocked_captcha", now + timedelta(minutes=30))
    engine.dispose()

    assert main(["queue", "list", "--json", "--database", database_url]) == 0
    rows = {row["scholar_id"]: row for row in json.loads(capsys.readouterr().out)}
    assert (rows["RxmmtT8AAAAJ"]["cstart"], rows["RxmmtT8AAAAJ"]["reason"]) == (100, "cooldown")
    assert (rows["gM5i-iYAAAAJ"]["attempts"], rows["gM5i-iYAAAAJ"]["status"]) == (1, "queued")
    assert (rows["FWxwqtAAAAAJ"]["stage"], rows["RxmmtT8AAAAJ"]["stage"]) == ("details", "pages")
    assert main(["queue", "list", "--database", database_url]) == 0
    table = capsys.readouterr().out
    assert "RxmmtT8AAAAJ  queued     pages        100" in table and "blocked_captcha" in table
    assert "FWxwqtAAAAAJ  queued     details        0" in table

    assert main(["status", "--json", "--database", database_url]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["queue"] == {"queued": 4, "claimed": 2} and status["due"] == 3
    [cooldown] = status["cooldowns"]
    assert (cooldown["egress"], cooldown["reason"]) == ("direct", "blocked_captcha")
    assert main(["status", "--database", database_url]) == 0
    text = capsys.readouterr().out
    assert "cooldown: direct until" in text and "claimed 2, queued 4; due now: 3" in text


def test_queue_on_an_unmigrated_database_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    assert main(["queue", "list", "--database", url]) == 1
    assert "run `scholarcrawl db upgrade`" in capsys.readouterr().err


def test_crawl_refuses_bad_settings_before_anything(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            *(sys.executable, "-m", "scrapy", "crawl", "scholar", "-a", "ids=RxmmtT8AAAAJ"),
            *("-s", "SCHOLAR_COOLDOWN_MODE=sleep", "-s", "SCHOLAR_BASE_URL=http://127.0.0.1:9"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "SCHOLARCRAWL_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"},
    )
    assert result.returncode == 2
    assert "SCHOLAR_COOLDOWN_MODE must be one of defer, wait, not 'sleep'" in result.stderr
    assert not (tmp_path / "x.sqlite3").exists()


@pytest.mark.slow
def test_demo_crawls_three_profiles_and_prints_a_summary(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    result = subprocess.run(
        [sys.executable, "-m", "scholarcrawl.cli", "demo", "--database-file", str(database)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "SCHOLAR_PAGINATION=all" in out
    assert "profiles:      3" in out
    assert 250 in DEMO_SPEC.sizes
    pages = sum(max(1, math.ceil(size / 100)) for size in DEMO_SPEC.sizes)
    assert f"pages fetched: {pages}" in out
    # identifiers came from the replay's mock APIs, never a real host
    resolved = re.search(r"identifiers: +(\d+) publications resolved .*?(\d+) API requests", out)
    assert resolved is not None, out
    assert int(resolved.group(1)) > 0 and int(resolved.group(2)) > 0
    assert f"database:      {database}" in out
    # both runs recorded, in order, with their counters
    crawl_run = re.search(r"run: +\S+ scholar completed; pages (\d+), items \d+", out)
    pdf_run = re.search(r"run: +\S+ pdfs completed; .*pdfs_resolved (\d+)", out)
    assert crawl_run is not None and pdf_run is not None, out
    assert int(crawl_run.group(1)) == pages and int(pdf_run.group(1)) > 0
    assert crawl_run.start() < pdf_run.start()
    for scholar_id in DEMO_IDS:
        assert scholar_id in out
    assert database.exists()


def test_replay_refuses_a_bad_fault_spec(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "--port", "0", "--fault", "429:after=soon"]) == 2
    assert "after" in capsys.readouterr().err


def test_replay_serves_with_faults(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scholarcrawl.cli",
            "replay",
            "--port",
            "0",
            "--fault",
            "403:times=1",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("replay: serving 3 profiles on http://127.0.0.1:")
        assert process.stdout.readline().startswith("replay: fault 403:")
        base = line.split(" on ", 1)[1].strip()
        url = f"{base}/citations?user={DEMO_IDS[0]}&hl=en"
        with pytest.raises(urllib.error.HTTPError) as blocked:
            urllib.request.urlopen(url, timeout=10)
        assert blocked.value.code == 403
        with urllib.request.urlopen(url, timeout=10) as response:  # times=1: once only
            assert response.status == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_merges_and_api_cooldowns_are_shown(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from scholarcrawl.fingerprint import publication_fingerprint
    from scholarcrawl.store.apistate import ApiClock
    from scholarcrawl.store.repository import Repository

    engine = make_engine(database_url)
    upgrade(engine)
    repository = Repository(engine)
    run_id = repository.start_run("scholar", {})

    def row(scholar_id: str, year: int, identifiers: list[dict[str, object]]) -> dict[str, object]:
        title = "Graph kernels revisited"
        return {
            "scholar_id": scholar_id,
            "title": title,
            "authors": "A Author",
            "venue": "Journal of Tests",
            "year": year,
            "citations": 1,
            "merged": False,
            "cluster_ids": [],
            "scholar_pub_key": None,
            "position": 1,
            "fingerprint": publication_fingerprint(title, year, "A Author"),
            "identifiers": identifiers,
        }

    doi = {
        "kind": "doi",
        "value": "10.1/gk",
        "role": "self",
        "source": "crossref",
        "confidence": 0.9,
        "evidence": {},
    }
    repository.upsert_publication(row("AAAAAAAAAAAJ", 2019, []), run_id)
    repository.upsert_publication(row("BBBBBBBBBBBJ", 2020, []), run_id)
    repository.upsert_publication(row("AAAAAAAAAAAJ", 2019, [doi]), run_id)
    repository.upsert_publication(row("BBBBBBBBBBBJ", 2020, [doi]), run_id)
    ApiClock(engine).activate_cooldown(
        "crossref", datetime.now(UTC) + timedelta(hours=1), "http_429"
    )
    engine.dispose()

    assert main(["merges", "--database", database_url]) == 0
    out = capsys.readouterr().out
    assert "doi 10.1/gk" in out and "merged: Graph kernels revisited (2020" in out
    assert main(["merges", "--json", "--database", database_url]) == 0
    (merge,) = json.loads(capsys.readouterr().out)
    assert merge["evidence"]["value"] == "10.1/gk" and merge["run_id"] == run_id
    assert main(["status", "--json", "--database", database_url]) == 0
    status = json.loads(capsys.readouterr().out)
    assert [c["service"] for c in status["api_cooldowns"]] == ["crossref"]
    assert main(["status", "--database", database_url]) == 0
    assert "API cooldown: crossref until" in capsys.readouterr().out
    assert main(["summary", "--json", "--database", database_url]) == 0
    assert json.loads(capsys.readouterr().out)["identifiers"]["merges"] == 1


def test_status_shows_the_pdf_queue_what_is_due_and_what_is_not_downloaded(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    queue = PdfQueue(engine)
    _resolved(queue, engine, 3, downloaded=1)  # done: one stored, two never downloaded
    _queue_rows(engine, 2, first=3)  # pending
    engine.dispose()
    assert main(["status", "--json", "--database", database_url]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["pdf_queue"] == {"done": 3, "pending": 2}
    assert status["pdf_due"] == 2
    assert status["pdf_downloads"] == {"stored": 1}
    assert status["pdf_undownloaded"] == 2
    assert main(["status", "--database", database_url]) == 0
    out = capsys.readouterr().out
    assert "PDF queue: done 3, pending 2; due now: 2" in out
    assert "PDF downloads: stored 1" in out
    assert "PDFs resolved and not downloaded: 2 " in out
