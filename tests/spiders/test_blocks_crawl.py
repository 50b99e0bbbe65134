"""Blocks, cooldowns and the continuation queue, end to end against the replay server.

Timings are compressed by settings (cooldowns of seconds, back-offs of tenths); nothing here
sleeps for real minutes. The replay server's timestamped request log is the witness of what
was sent and when.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from scholarcrawl.replay.faults import RANDOM_KINDS, parse_fault, random_faults
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.server import FaultHook, ReplayServer
from scholarcrawl.store.db import make_engine
from scholarcrawl.store.queue import ContinuationQueue, CooldownStore, QueueEntry
from scholarcrawl.store.repository import Repository
from tests.support.crawl import run_scrapy
from tests.support.databases import seconds_until_due
from tests.support.dbdump import dump
from tests.support.logs import events

pytestmark = pytest.mark.slow

# Compressed timings: every wait of the real defaults, in tenths of seconds.
FAST_FAULTS = {
    "SCHOLAR_PAGINATION": "all",
    "SCHOLAR_RATE_LIMIT_RETRIES": "1",
    "SCHOLAR_RATE_LIMIT_BACKOFF_SECONDS": "0.2",
    "SCHOLAR_RETRY_BACKOFF_SECONDS": "0.1",
    "SCHOLAR_BLOCKED_COOLDOWN_SECONDS": "30",
    "SCHOLAR_NETWORK_COOLDOWN_SECONDS": "30",
    "CONTINUATION_BASE_DELAY_SECONDS": "0.2",
    "CONTINUATION_MAX_DELAY_SECONDS": "0.8",
    "CONTINUATION_LEASE_SECONDS": "30",
}
# A timeout shorter than the project's 30 s, only where a `slow` fault must outlast it: with
# it everywhere, a page answered late by a loaded machine was sent twice and counts broke.
SLOW_FAULT_TIMEOUT = 2

SPEC = CorpusSpec(seed=5, sizes=(250, 40, 12, 130, 7), shared_per_pair=1)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(SPEC)


def crawl(
    server: ReplayServer, database_url: str, *arguments: str, **settings: str
) -> tuple[int, str]:
    result = run_scrapy(
        ["crawl", "scholar", *arguments],
        {
            **FAST_FAULTS,
            "SCHOLAR_BASE_URL": server.base_url,
            "SCHOLARCRAWL_DATABASE_URL": database_url,
            **settings,
        },
    )
    return result.returncode, result.stderr + result.stdout


def ids_argument(ids: Sequence[str]) -> str:
    return "ids=" + ",".join(ids)


def pages(server: ReplayServer) -> list[Any]:
    return [record for record in server.requests if record.path.startswith("/citations")]


def queue_rows(database_url: str) -> dict[str, QueueEntry]:
    engine = make_engine(database_url)
    try:
        return {entry.scholar_id: entry for entry in ContinuationQueue(engine).entries()}
    finally:
        engine.dispose()


def last_run_stats(database_url: str) -> dict[str, Any]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            stats = connection.execute(
                text("SELECT stats FROM crawl_runs ORDER BY started_at DESC LIMIT 1")
            ).scalar_one()
    finally:
        engine.dispose()
    return json.loads(stats) if isinstance(stats, str) else dict(stats)


def clean_dump(corpus: Corpus, database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    with ReplayServer(corpus) as server:
        status, log = crawl(server, database_url, "-a", ids_argument(corpus.ids))
        assert status == 0, log[-3000:]
    engine = make_engine(database_url)
    try:
        return dump(engine)
    finally:
        engine.dispose()


def drain(server: ReplayServer, database_url: str, runs: int = 25, **settings: str) -> int:
    """``resume=due`` until the queue holds nothing queued or claimed; the number of runs."""
    for run in range(1, runs + 1):
        wait = seconds_until_due(queue_rows(database_url).values())
        if wait is None:
            return run - 1
        time.sleep(wait + 0.05)
        status, log = crawl(server, database_url, "-a", "resume=due", **settings)
        assert status == 0, log[-3000:]
    raise AssertionError(f"queue not drained after {runs} runs: {queue_rows(database_url)}")


# --- every fault mode and its reason ---------------------------------------------------------

KIND_REASONS = {
    "429": "blocked_http_429_rate_limited",
    "sorry429": "blocked_captcha",  # the /sorry/ page with 429: a CAPTCHA, never retried
    "sorry200": "blocked_captcha",
    "captcha_inline": "blocked_captcha",
    "sorry_redirect": "blocked_sorry_redirect",
    "403": "blocked_http_403",
    "503": "server_error",
    "500": "server_error",
    "reset": "network_error",
    "slow": "network_error",
    "truncated": "layout_unrecognised",
}


def test_each_fault_mode_is_recorded_with_its_reason(database_url: str) -> None:
    kinds = sorted(KIND_REASONS)
    spec = CorpusSpec(seed=9, sizes=(5,) * (len(kinds) + 1), shared_per_pair=0)
    corpus = Corpus(spec)
    by_id = dict(zip(corpus.ids, kinds, strict=False))
    unavailable = corpus.ids[-1]
    by_kind = {
        kind: parse_fault(
            f"{kind}:ids={scholar_id}"
            + (f",delay={3 * SLOW_FAULT_TIMEOUT}" if kind == "slow" else "")
        )
        for scholar_id, kind in by_id.items()
    }
    faults: list[FaultHook] = list(by_kind.values())
    faults.append(parse_fault(f"signin_redirect:ids={unavailable}"))
    with ReplayServer(corpus, faults=faults) as server:
        # thresholds out of reach: each profile meets its own fault, no cooldown stops the run
        status, log = crawl(
            server,
            database_url,
            "-a",
            ids_argument(corpus.ids),
            SCHOLAR_BLOCKED_FAILURE_THRESHOLD="100",
            SCHOLAR_NETWORK_FAILURE_THRESHOLD="100",
            DOWNLOAD_TIMEOUT=str(SLOW_FAULT_TIMEOUT),
        )
        assert status == 0, log[-3000:]
        sent = pages(server)
    rows = queue_rows(database_url)
    for scholar_id, kind in by_id.items():
        row = rows[scholar_id]
        assert (row.reason, row.status, row.attempts, row.cstart) == (
            KIND_REASONS[kind],
            "queued",
            1,
            0,
        ), kind
        # 429 is retried (SCHOLAR_RATE_LIMIT_RETRIES=1), network errors too; blocks never.
        # (A slow answer is logged by the server only once sent, long after the timeout.)
        expected = 2 if kind in ("429", "reset", "slow") else 1
        assert by_kind[kind].fired == expected, kind
        if kind != "slow":
            assert len([r for r in sent if r.scholar_id == scholar_id]) == expected, kind
        if kind == "sorry_redirect":  # the redirect is classified, never followed
            assert all("/sorry/" not in r.path for r in server.requests)
    assert rows[unavailable].status == "done"  # not a block: nothing to retry
    scholars = {row.scholar_id: row for row in Repository(make_engine(database_url)).scholars()}
    assert scholars[unavailable].crawl_status == "unavailable"
    assert scholars[unavailable].crawl_reason == "profile_unavailable"
    blocked = {e["reason"] for e in events(log, "scholar.request_blocked")}
    assert blocked == {
        "blocked_http_429_rate_limited",
        "blocked_captcha",
        "blocked_sorry_redirect",
        "blocked_http_403",
    }
    enqueued = {e["scholar_id"] for e in events(log, "continuation.enqueued")}
    assert enqueued == set(by_id)


# --- 429: the whole egress waits --------------------------------------------------------------


@pytest.mark.parametrize(("retry_after", "pause"), [(None, 0.6), (1, 1.0)])
def test_rate_limit_pauses_every_request_then_retries(
    corpus: Corpus, database_url: str, retry_after: int | None, pause: float
) -> None:
    spec = "429:times=1" + (f",retry_after={retry_after}" if retry_after else "")
    with ReplayServer(corpus, faults=[parse_fault(spec)]) as server:
        status, log = crawl(
            server,
            database_url,
            "-a",
            ids_argument(corpus.ids),
            SCHOLAR_RATE_LIMIT_BACKOFF_SECONDS="0.6",
        )
        assert status == 0, log[-3000:]
        sent = pages(server)
    [limited] = [i for i, record in enumerate(sent) if record.status == 429]
    # nothing at all went out during the pause (backoff, or Retry-After when larger)
    assert sent[limited + 1].monotonic - sent[limited].monotonic >= pause
    retried = [r for r in sent[limited + 1 :] if r.path == sent[limited].path]
    assert [r.status for r in retried] == [200]
    assert len(sent) == 3 + 1 + 1 + 2 + 1 + 1  # every page once, plus the one retry
    assert all(row.status == "done" for row in queue_rows(database_url).values())


def test_a_retry_after_beyond_the_max_wait_is_a_block_at_once(
    corpus: Corpus, tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    with ReplayServer(corpus, faults=[parse_fault("429:retry_after=7200")]) as server:
        status, log = crawl(
            server,
            database_url,
            "-a",
            ids_argument(corpus.ids),
            SCHOLAR_RATE_LIMIT_MAX_WAIT_SECONDS="60",
            SCHOLAR_BLOCKED_COOLDOWN_SECONDS="600",
        )
        assert status == 0, log[-3000:]
        assert len(pages(server)) == 1  # no retry: Scholar asked for two hours
    [activated] = events(log, "scholar.cooldown_activated")
    until = datetime.fromisoformat(activated["until"])
    # the cooldown lasts as long as Retry-After asked, beyond SCHOLAR_BLOCKED_COOLDOWN_SECONDS
    assert until >= datetime.now(UTC) + timedelta(seconds=7000)
    assert activated["reason"] == "blocked_http_429_rate_limited"


# --- blocks: cooldown, defer, persisted --------------------------------------------------------


def test_block_stops_every_request_and_queues_the_rest(corpus: Corpus, database_url: str) -> None:
    blocked_id = corpus.ids[1]
    with ReplayServer(corpus, faults=[parse_fault(f"sorry200:ids={blocked_id}")]) as server:
        # one request at a time, through the cooldown middleware too: requests waiting there
        # side by side may reach Scholar's slot in another order than the profiles'
        status, log = crawl(
            server, database_url, "-a", ids_argument(corpus.ids), CONCURRENT_REQUESTS="1"
        )
        assert status == 0, log[-3000:]
        sent = pages(server)
        # one blocked failure is the threshold: the block is the last request of the run
        assert sent[-1].scholar_id == blocked_id and len(sent) == 2, [r.path for r in sent]
        [activated] = events(log, "scholar.cooldown_activated")
        assert activated["reason"] == "blocked_captcha" and activated["egress"] == "direct"
        rows = queue_rows(database_url)
        assert rows[corpus.ids[0]].status == "queued" and rows[corpus.ids[0]].cstart == 100
        assert rows[corpus.ids[0]].reason == "cooldown"  # its page 2 was never sent
        assert (rows[blocked_id].reason, rows[blocked_id].attempts) == ("blocked_captcha", 1)
        for scholar_id in corpus.ids[2:]:
            assert (rows[scholar_id].reason, rows[scholar_id].attempts) == ("cooldown", 0)
        until = datetime.fromisoformat(activated["until"])
        assert all(row.next_attempt_at >= until for row in rows.values())
        engine = make_engine(database_url)
        [stored] = CooldownStore(engine).active().values()
        engine.dispose()
        assert (stored.egress, stored.reason) == ("direct", "blocked_captcha")
        assert "wait in the continuation queue" in log
        stats = last_run_stats(database_url)
        assert stats["scholarcrawl/scholar/request_blocked/blocked_captcha"] == 1
        assert stats["scholarcrawl/scholar/cooldown/activated/blocked_captcha"] == 1
        assert stats["scholarcrawl/scholar/page/deferred/cooldown"] == len(corpus.ids) - 1
        assert stats["scholarcrawl/continuation/claimed"] == len(corpus.ids)
        assert stats["scholarcrawl/continuation/enqueued"] == len(corpus.ids)

        # a run started during the stored cooldown sends nothing, and says until when
        server.reset_requests()
        for arguments in (("-a", "resume=due"), ("-a", ids_argument(corpus.ids[2:3]))):
            status, log = crawl(server, database_url, *arguments)
            assert status == 0, log[-3000:]
            assert server.requests == []
            assert f"Scholar cools down until {stored.until.isoformat(timespec='seconds')}" in log


@pytest.mark.parametrize(
    ("kind", "reason", "sent"),
    [
        ("sorry429", "blocked_captcha", 1),
        ("sorry_redirect", "blocked_sorry_redirect", 1),
        ("captcha_inline", "blocked_captcha", 1),
        ("403", "blocked_http_403", 1),
        # the second 429 in a row, on the next page, uses up the budget (RETRIES=1): both
        # pages that met a 429 are queued as rate-limited, the held-back retry included
        ("429", "blocked_http_429_rate_limited", 2),
    ],
)
def test_every_block_kind_starts_a_cooldown(
    corpus: Corpus, tmp_path: Path, kind: str, reason: str, sent: int
) -> None:
    database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    with ReplayServer(corpus, faults=[parse_fault(kind)]) as server:
        status, log = crawl(server, database_url, "-a", ids_argument(corpus.ids))
        assert status == 0, log[-3000:]
        assert len(pages(server)) == sent  # and then nothing: every page waits
    [activated] = events(log, "scholar.cooldown_activated")
    assert activated["reason"] == reason
    rows = queue_rows(database_url)
    assert sorted(row.reason for row in rows.values()) == sorted(
        [reason] * sent + ["cooldown"] * (len(corpus.ids) - sent)
    )


def test_wait_mode_sleeps_through_the_cooldown_and_goes_on(
    corpus: Corpus, database_url: str
) -> None:
    with ReplayServer(corpus, faults=[parse_fault("403:times=1,after=1")]) as server:
        status, log = crawl(
            server,
            database_url,
            "-a",
            ids_argument(corpus.ids),
            SCHOLAR_COOLDOWN_MODE="wait",
            SCHOLAR_BLOCKED_COOLDOWN_SECONDS="1.5",
        )
        assert status == 0, log[-3000:]
        sent = pages(server)
    [blocked] = [i for i, record in enumerate(sent) if record.status == 403]
    assert sent[blocked + 1].monotonic - sent[blocked].monotonic >= 1.5
    assert len(sent) == 3 + 1 + 1 + 2 + 1  # nothing deferred: every page went out once
    assert events(log, "scholar.cooldown_ended")
    rows = queue_rows(database_url)
    assert [row.reason for row in rows.values() if row.status != "done"] == ["blocked_http_403"]


def test_network_failures_reach_their_threshold(corpus: Corpus, database_url: str) -> None:
    with ReplayServer(corpus, faults=[parse_fault("reset:after=1")]) as server:
        status, log = crawl(server, database_url, "-a", ids_argument(corpus.ids))
        assert status == 0, log[-3000:]
        sent = pages(server)
    # page 1 fine; then two failed attempts meet the threshold (2): the retry of the first
    # is held back by the cooldown, and nothing else is sent
    assert len(sent) == 1 + 2, [r.path for r in sent]
    [activated] = events(log, "scholar.cooldown_activated")
    assert activated["reason"] == "network_error"
    rows = queue_rows(database_url)
    failed = [row for row in rows.values() if row.reason == "network_error"]
    assert len(failed) == 2 and all(row.attempts == 1 for row in failed)


# --- nothing is lost ------------------------------------------------------------------------


def same_backend_url(database_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Another empty database on the backend of ``database_url`` (dumps compare like with like)."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'clean.sqlite3'}"
    return str(request.getfixturevalue("postgres_server").create_database())


def test_random_faults_then_resume_equal_a_clean_crawl(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    corpus = Corpus(
        CorpusSpec(
            seed=21,
            sizes=(230, 12, 101, 7, 64, 0, 150, 33, 9, 18, 120, 5, 44, 3, 77, 28, 11, 205, 2, 56),
            shared_per_pair=2,
        )
    )
    expected = clean_dump(corpus, same_backend_url(database_url, request, tmp_path))
    # every transient fault; not signin_redirect, which says the profile does not exist
    kinds = [kind for kind in RANDOM_KINDS if kind != "signin_redirect"]
    hook = random_faults(seed=1234, probability=0.25, kinds=kinds, max_total=14)
    short = {
        "SCHOLAR_BLOCKED_COOLDOWN_SECONDS": "0.5",
        "SCHOLAR_NETWORK_COOLDOWN_SECONDS": "0.5",
    }
    with ReplayServer(corpus, faults=[hook]) as server:
        status, log = crawl(server, database_url, "-a", ids_argument(corpus.ids), **short)
        assert status == 0, log[-3000:]
        runs = drain(server, database_url, **short)
    assert len(hook.injected) == 14
    assert runs >= 1
    engine = make_engine(database_url)
    try:
        assert dump(engine) == expected
    finally:
        engine.dispose()
    assert all(row.status == "done" for row in queue_rows(database_url).values())


def test_queued_profile_continues_from_its_page(corpus: Corpus, database_url: str) -> None:
    big = corpus.ids[0]  # 250 publications: cstart 0, 100, 200
    with ReplayServer(corpus, faults=[parse_fault(f"403:ids={big},cstart=100,times=1")]) as server:
        status, log = crawl(
            server, database_url, "-a", ids_argument([big]), SCHOLAR_BLOCKED_COOLDOWN_SECONDS="0.5"
        )
        assert status == 0, log[-3000:]
        row = queue_rows(database_url)[big]
        assert (row.status, row.cstart, row.reason) == ("queued", 100, "blocked_http_403")
        time.sleep(0.8)
        server.reset_requests()
        status, log = crawl(server, database_url, "-a", ids_argument([big]))
        assert status == 0, log[-3000:]
        assert [r.path.split("cstart=")[-1] for r in pages(server)] == ["100", "200"]
        [claimed] = events(log, "continuation.claimed")
        assert (claimed["scholar_id"], claimed["cstart"]) == (big, "100")
    assert queue_rows(database_url)[big].status == "done"
    scholars = {row.scholar_id: row for row in Repository(make_engine(database_url)).scholars()}
    assert (scholars[big].pages_fetched, scholars[big].rows_seen) == (3, 250)
    assert len(Repository(make_engine(database_url)).publications_of(big)) == 250


def test_a_page_that_keeps_failing_is_abandoned_with_its_last_error(
    corpus: Corpus, database_url: str
) -> None:
    broken = corpus.ids[2]
    with ReplayServer(corpus, faults=[parse_fault(f"503:ids={broken}")]) as server:
        status, log = crawl(
            server, database_url, "-a", ids_argument([broken]), CONTINUATION_MAX_ATTEMPTS="2"
        )
        assert status == 0, log[-3000:]
        assert queue_rows(database_url)[broken].status == "queued"
        time.sleep(0.25)  # CONTINUATION_BASE_DELAY_SECONDS
        status, log = crawl(server, database_url, "-a", "resume=due", CONTINUATION_MAX_ATTEMPTS="2")
        assert status == 0, log[-3000:]
        assert len(pages(server)) == 2
    row = queue_rows(database_url)[broken]
    assert (row.status, row.attempts, row.reason) == ("abandoned", 2, "server_error")
    assert row.last_error and f"user={broken}" in row.last_error
    [abandoned] = events(log, "continuation.abandoned")
    assert (abandoned["scholar_id"], abandoned["attempts"]) == (broken, "2")


def test_a_page_not_stored_is_not_skipped(corpus: Corpus, database_url: str) -> None:
    """A write that fails mid-page keeps the queue at that page; later pages wait for it."""
    big = corpus.ids[0]  # 250 publications: pages at cstart 0, 100, 200
    pipelines = {
        "scholarcrawl.pipelines.validate.ValidatePipeline": 100,
        "scholarcrawl.pipelines.fingerprint.FingerprintPipeline": 200,
        "tests.support.pipelines.FailOnPositionPipeline": 400,
        "scholarcrawl.pipelines.store.StorePipeline": 500,
    }
    with ReplayServer(corpus) as server:
        status, log = crawl(
            server,
            database_url,
            "-a",
            ids_argument([big]),
            ITEM_PIPELINES=json.dumps(pipelines),
            TEST_FAIL_POSITION="150",
        )
        assert status == 0, log[-3000:]
        # page 2 held a row that could not be written: page 3 is not even requested
        assert [r.path.split("cstart=")[-1] for r in pages(server)][1:] == ["100"]
        row = queue_rows(database_url)[big]
        assert (row.status, row.cstart, row.reason, row.attempts) == (
            "queued",
            100,
            "store_failed",
            1,
        )
        assert row.last_error and "simulated write failure at position 150" in row.last_error
        # pages 1 and 2 but the row that failed; page 3 waits for page 2
        assert len(Repository(make_engine(database_url)).publications_of(big)) == 100 + 99
        drain(server, database_url)
        assert [r.path.split("cstart=")[-1] for r in pages(server)][2:] == ["100", "200"]
    assert queue_rows(database_url)[big].status == "done"
    assert len(Repository(make_engine(database_url)).publications_of(big)) == 250


# --- bounded runs -------------------------------------------------------------------------------


def test_max_pages_queues_what_is_left(corpus: Corpus, database_url: str) -> None:
    with ReplayServer(corpus) as server:
        status, log = crawl(
            server, database_url, "-a", ids_argument(corpus.ids), "-a", "max_pages=3"
        )
        assert status == 0, log[-3000:]
        assert len(pages(server)) == 3
        rows = queue_rows(database_url)
        assert (
            sorted(row.reason for row in rows.values() if row.status == "queued")
            == ["max_pages"] * 3
        )
        drain(server, database_url)
        assert len(pages(server)) == 3 + 1 + 1 + 2 + 1  # every page once, over the runs


def test_max_seconds_queues_what_is_left(corpus: Corpus, database_url: str) -> None:
    # The budget counts from the spider's start, so it must outlast a start-up slowed by a
    # loaded machine (0.5 s once did not), and end long before the 8 pages at 1 s each.
    with ReplayServer(corpus) as server:
        status, log = crawl(
            server,
            database_url,
            "-a",
            ids_argument(corpus.ids),
            "-a",
            "max_seconds=3",
            SCHOLAR_DOWNLOAD_DELAY="1.0",
            SCHOLAR_DOWNLOAD_JITTER="0",
        )
        assert status == 0, log[-3000:]
        sent = len(pages(server))
        assert 1 <= sent < 8
        rows = queue_rows(database_url)
        assert {row.reason for row in rows.values() if row.status == "queued"} == {"max_seconds"}
        drain(server, database_url)
        assert len(pages(server)) == 8


def test_the_scholar_slot_never_goes_below_its_delay_however_fast_the_answers(
    corpus: Corpus, tmp_path: Path
) -> None:
    """AutoThrottle moves a slot's delay towards the server's latency (here about a
    millisecond) and would halve Scholar's delay at every answer; the Scholar slot's
    SCHOLAR_DOWNLOAD_DELAY is its floor."""
    delay = 0.4
    with ReplayServer(corpus) as server:
        status, log = crawl(
            server,
            f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "-a",
            ids_argument(corpus.ids),
            SCHOLAR_DOWNLOAD_DELAY=str(delay),
            SCHOLAR_DOWNLOAD_JITTER="0",
        )
        times = [record.monotonic for record in pages(server)]
    assert status == 0, log[-3000:]
    assert len(times) == 8
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # sends are `delay` apart; an arrival may lag its send by scheduling jitter, never lead it
    assert min(gaps) >= delay - 0.1, gaps


def test_dry_run_sends_and_writes_nothing(corpus: Corpus, tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    with ReplayServer(corpus) as server:
        status, log = crawl(
            server, f"sqlite:///{database}", "-a", ids_argument(corpus.ids[:2]), "-a", "dry_run=1"
        )
        assert status == 0, log[-3000:]
        assert server.requests == []
    assert "dry run: 2 profiles; nothing is sent and nothing is written" in log
    for scholar_id in corpus.ids[:2]:
        assert f"would request {server.base_url}/citations?user={scholar_id}&hl=en" in log
    assert not database.exists()
