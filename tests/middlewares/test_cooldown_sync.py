"""Cooldowns stored by another process stop the very next Scholar request of a running crawl.

The replay server's hook plays the other process (another run, another scrapyd node): while the
crawl's first page is on the wire, it writes to the crawl's database. The server's request log
is the witness of what the crawl sent afterwards.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from scholarcrawl.middlewares.cooldown import COOLDOWN_UNKNOWN
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.server import ReplayRequest, ReplayResponse, ReplayServer, RequestRecord
from scholarcrawl.store.db import make_engine
from scholarcrawl.store.queue import ContinuationQueue, CooldownState, CooldownStore, QueueEntry
from tests.support.crawl import run_scrapy

pytestmark = pytest.mark.slow

SPEC = CorpusSpec(seed=11, sizes=(4, 6, 5))


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(SPEC)


class OnFirstPage:
    """A hook that runs ``action`` on the database once, when the first profile page arrives,
    then lets the server answer that page normally."""

    def __init__(self, database_url: str, action: str, *, later: float = 0.0) -> None:
        self.database_url = database_url
        self.action = action
        self.later = later  # seconds after the page arrived (0: before it is answered)
        self.scholar_id: str | None = None
        self.stored: CooldownState | None = None
        self.done = threading.Event()

    def __call__(self, request: ReplayRequest) -> ReplayResponse | None:
        if request.path != "/citations" or self.scholar_id is not None:
            return None
        self.scholar_id = request.scholar_id
        if self.later:
            threading.Timer(self.later, self.act).start()
        else:
            self.act()
        return None

    def act(self) -> None:
        engine = make_engine(self.database_url)
        try:
            if self.action == "cooldown":
                until = datetime.now(UTC) + timedelta(minutes=10)
                self.stored = CooldownStore(engine).activate("direct", "blocked_captcha", until)
            else:  # the cooldowns can no longer be read
                with engine.begin() as connection:
                    connection.execute(text("ALTER TABLE cooldowns RENAME TO cooldowns_gone"))
        finally:
            engine.dispose()
            self.done.set()


def crawl(
    server: ReplayServer, database_url: str, ids: list[str], **settings: str
) -> tuple[int, str]:
    result = run_scrapy(
        ["crawl", "scholar", "-a", "ids=" + ",".join(ids)],
        {
            "SCHOLAR_BASE_URL": server.base_url,
            "SCHOLARCRAWL_DATABASE_URL": database_url,
            **settings,
        },
    )
    return result.returncode, result.stderr + result.stdout


def pages(server: ReplayServer) -> list[RequestRecord]:
    return [record for record in server.requests if record.path.startswith("/citations")]


def queue_rows(database_url: str) -> dict[str, QueueEntry]:
    engine = make_engine(database_url)
    try:
        return {entry.scholar_id: entry for entry in ContinuationQueue(engine).entries()}
    finally:
        engine.dispose()


def run_stats(database_url: str) -> dict[str, Any]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            stats = connection.execute(text("SELECT stats FROM crawl_runs")).scalar_one()
    finally:
        engine.dispose()
    return json.loads(stats) if isinstance(stats, str) else dict(stats)


def test_a_cooldown_another_process_stores_stops_the_next_request(
    corpus: Corpus, database_url: str
) -> None:
    hook = OnFirstPage(database_url, "cooldown")
    with ReplayServer(corpus, apis=False, oa=False, faults=[hook]) as server:
        status, log = crawl(server, database_url, list(corpus.ids))
        sent = pages(server)

    assert status == 0, log[-3000:]
    # the other profiles' requests were waiting for the egress while the first page was on
    # the wire: each read the stored cooldowns before leaving, and none left
    assert [record.scholar_id for record in sent] == [hook.scholar_id], log[-3000:]
    assert hook.stored is not None
    rows = queue_rows(database_url)
    assert rows.pop(str(hook.scholar_id)).status == "done"
    assert sorted(rows) == sorted(set(corpus.ids) - {hook.scholar_id})
    for row in rows.values():
        assert (row.status, row.reason, row.attempts) == ("queued", "cooldown", 0)
        assert row.next_attempt_at >= hook.stored.until
    stats = run_stats(database_url)
    assert stats["scholarcrawl/scholar/page/deferred/cooldown"] == len(corpus.ids) - 1


def test_cooldowns_that_cannot_be_read_send_nothing(corpus: Corpus, tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    hook = OnFirstPage(database_url, "hide")
    with ReplayServer(corpus, apis=False, oa=False, faults=[hook]) as server:
        status, log = crawl(server, database_url, list(corpus.ids))
        sent = pages(server)

    assert status == 0, log[-3000:]
    # nothing stored is known, which is not the same as nothing stored: no request goes out
    assert [record.scholar_id for record in sent] == [hook.scholar_id], log[-3000:]
    assert "Cannot read stored cooldowns: OperationalError" in log
    rows = queue_rows(database_url)
    assert rows.pop(str(hook.scholar_id)).status == "done"
    for row in rows.values():
        assert (row.status, row.reason, row.attempts) == ("queued", COOLDOWN_UNKNOWN, 0)
    stats = run_stats(database_url)
    assert stats[f"scholarcrawl/scholar/page/deferred/{COOLDOWN_UNKNOWN}"] == len(corpus.ids) - 1


def test_a_cooldown_stored_during_the_download_delay_stops_the_next_request(
    corpus: Corpus, tmp_path: Path
) -> None:
    # Scrapy waits a slot's delay after the downloader middlewares: were the cooldowns read
    # before that wait, a cooldown stored during it would not stop the request
    database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    hook = OnFirstPage(database_url, "cooldown", later=0.5)
    with ReplayServer(corpus, apis=False, oa=False, faults=[hook]) as server:
        status, log = crawl(
            server,
            database_url,
            list(corpus.ids),
            SCHOLAR_DOWNLOAD_DELAY="2.5",
            SCHOLAR_DOWNLOAD_JITTER="0",
            AUTOTHROTTLE_ENABLED="False",
        )
        sent = pages(server)

    assert status == 0, log[-3000:]
    assert hook.done.is_set() and hook.stored is not None
    assert [record.scholar_id for record in sent] == [hook.scholar_id], log[-3000:]
    rows = queue_rows(database_url)
    assert rows.pop(str(hook.scholar_id)).status == "done"
    assert {(row.status, row.reason, row.attempts) for row in rows.values()} == {
        ("queued", "cooldown", 0)
    }
