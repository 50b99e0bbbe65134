"""How a profile's later stages (co-author list, detail pages) meet the continuation queue:
``scrapy crawl scholar`` against the replay server, read back from the database."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from scholarcrawl.replay.faults import parse_fault
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.server import ReplayServer
from scholarcrawl.store.db import make_engine
from scholarcrawl.store.queue import ContinuationQueue, QueueEntry
from tests.support.crawl import crawl_scholar

pytestmark = pytest.mark.slow

SPEC = CorpusSpec(seed=11, sizes=(30, 12), shared_per_pair=1)
SHORT = {
    "SCHOLAR_PAGINATION": "all",
    "SCHOLAR_BLOCKED_COOLDOWN_SECONDS": "1",
    "CONTINUATION_BASE_DELAY_SECONDS": "0.1",
    "CONTINUATION_MAX_DELAY_SECONDS": "0.1",
}


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(SPEC)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'scholarcrawl.sqlite3'}"


def crawl(server: ReplayServer, database_url: str, *arguments: str, **settings: str) -> None:
    crawl_scholar(server, database_url, *arguments, **{**SHORT, **settings})


def details_sent(server: ReplayServer) -> list[str]:
    keys = []
    for record in server.requests:
        query = parse_qs(urlsplit(record.path).query)
        if (query.get("view_op") or [""])[0] == "view_citation":
            keys.append(query["citation_for_view"][0])
    return keys


def queue_row(database_url: str, scholar_id: str) -> QueueEntry:
    engine = make_engine(database_url)
    try:
        entry = ContinuationQueue(engine).get(scholar_id)
    finally:
        engine.dispose()
    assert entry is not None
    return entry


def test_blocks_on_different_detail_pages_are_not_counted_as_failures_of_one_page(
    corpus: Corpus, sqlite_url: str
) -> None:
    """Attempts count failures of the same page: a detail page stored after a failed one
    starts the count again, as a stored profile page does. Two runs that each store detail
    pages and are then blocked on a new one leave the row queued, not abandoned."""
    a = corpus.ids[0]
    sent: list[list[str]] = []
    for arguments in ((f"ids={a}", "details=all"), ("resume=due",)):
        block = parse_fault("sorry429:pages=detail,after=2,times=1")
        with ReplayServer(corpus, faults=[block]) as server:
            crawl(server, sqlite_url, *arguments, CONTINUATION_MAX_ATTEMPTS="2")
            sent.append(details_sent(server))
        time.sleep(1.2)  # the cooldown and the back-off both run out
    assert len(sent[0]) == len(sent[1]) == 3
    assert sent[1][0] == sent[0][2]  # the blocked page first, then new ones
    row = queue_row(sqlite_url, a)
    assert (row.status, row.stage, row.reason, row.attempts) == (
        "queued",
        "details",
        "blocked_captcha",
        1,
    )


def test_a_stored_key_no_detail_url_can_carry_is_passed_over_not_left_hanging(
    corpus: Corpus, sqlite_url: str
) -> None:
    """A stored Scholar key that is not a key (``detail_url`` refuses it) is recorded as
    having no detail page, and the profile's other detail pages are fetched: the profile
    completes instead of waiting, without an outcome, for a request never sent."""
    b = corpus.ids[1]
    with ReplayServer(corpus) as server:
        crawl(server, sqlite_url, f"ids={b}", "details=all", "max_detail_pages=1")
        [first] = details_sent(server)
    assert queue_row(sqlite_url, b).stage == "details"
    engine = make_engine(sqlite_url)
    try:
        with engine.begin() as connection:
            keys = list(
                connection.execute(
                    sa.text(
                        "SELECT scholar_pub_key FROM authorships WHERE scholar_id = :b "
                        "ORDER BY position"
                    ),
                    {"b": b},
                ).scalars()
            )
            bad = keys[2]
            connection.execute(
                sa.text(
                    "UPDATE authorships SET scholar_pub_key = :new WHERE scholar_pub_key = :old"
                ),
                {"new": f"{b}:not a key", "old": bad},
            )
    finally:
        engine.dispose()
    with ReplayServer(corpus) as server:
        crawl(server, sqlite_url, "resume=due")
        sent = details_sent(server)
    assert sent == [key for key in keys if key not in (first, bad)]
    assert queue_row(sqlite_url, b).status == "done"
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as connection:
            status = connection.execute(
                sa.text(
                    "SELECT p.details_status FROM publications p JOIN authorships a "
                    "ON a.publication_id = p.id WHERE a.scholar_pub_key = :key"
                ),
                {"key": f"{b}:not a key"},
            ).scalar_one()
    finally:
        engine.dispose()
    assert status == "unavailable"
