"""Request economy end to end: ``-a refresh=new`` and ``-a skip_unchanged=1`` against the
replay server, counted from its request log."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from scholarcrawl.replay.faults import parse_fault
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.server import ReplayServer
from scholarcrawl.stats import stat_key
from scholarcrawl.store.db import make_engine
from scholarcrawl.store.queue import ContinuationQueue, QueueEntry
from scholarcrawl.store.repository import Repository
from scholarcrawl.store.runs import RunRecord, RunStore
from tests.support.crawl import crawl_scholar, run_scrapy

pytestmark = pytest.mark.slow

# Two profiles: 250 publications (three pages) and 60 (one page).
SPEC = CorpusSpec(seed=11, sizes=(250, 60), shared_per_pair=1)
ALL = {"SCHOLAR_PAGINATION": "all"}
CAUGHT_UP = stat_key("scholar", "refresh/caught_up")
UNCHANGED = stat_key("scholar", "refresh/unchanged")
READ_FAILED = stat_key("scholar", "refresh/read_failed")


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(SPEC)


@pytest.fixture
def replay(corpus: Corpus) -> Iterator[ReplayServer]:
    with ReplayServer(corpus) as server:
        yield server


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'scholarcrawl.sqlite3'}"


def crawl(
    server: ReplayServer,
    database_url: str,
    *arguments: str,
    spider: str = "scholar",
    **settings: str,
) -> str:
    """Run a crawl of every corpus profile (unless ``arguments`` name ids or resume=due) after
    clearing the request log; its log, once it succeeded."""
    if not any(a.startswith(("ids=", "resume=")) for a in arguments):
        arguments = ("ids=" + ",".join(server.corpus.ids), *arguments)
    return crawl_scholar(server, database_url, *arguments, spider=spider, **settings)


def pages(server: ReplayServer) -> list[str]:
    """The Scholar page requests of the last crawl (paths and queries)."""
    return [record.path for record in server.requests if record.path.startswith("/citations")]


def cstarts(server: ReplayServer, scholar_id: str) -> list[int]:
    found = []
    for path in pages(server):
        if f"user={scholar_id}&" in path:
            found.append(int(path.split("cstart=")[1]) if "cstart=" in path else 0)
    return found


def last_run(database_url: str) -> RunRecord:
    engine = make_engine(database_url)
    try:
        return RunStore(engine).recent(limit=1)[0]
    finally:
        engine.dispose()


def queue_rows(database_url: str) -> dict[str, QueueEntry]:
    engine = make_engine(database_url)
    try:
        return {entry.scholar_id: entry for entry in ContinuationQueue(engine).entries()}
    finally:
        engine.dispose()


def scholar_rows(database_url: str) -> dict[str, tuple[Any, ...]]:
    """Each profile's (crawl_status, crawl_reason, pages_fetched, rows_seen)."""
    engine = make_engine(database_url)
    try:
        return {
            row.scholar_id: (row.crawl_status, row.crawl_reason, row.pages_fetched, row.rows_seen)
            for row in Repository(engine).scholars()
        }
    finally:
        engine.dispose()


def stored_citations(database_url: str, scholar_id: str) -> dict[str, int]:
    """This profile's authorships: Scholar key -> stored citations."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT scholar_pub_key, citations FROM authorships WHERE scholar_id = :s"),
                {"s": scholar_id},
            )
            return {key: citations for key, citations in rows}
    finally:
        engine.dispose()


def execute(database_url: str, statement: str, **values: Any) -> int:
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            return connection.execute(sa.text(statement), values).rowcount
    finally:
        engine.dispose()


def newest_keys(corpus: Corpus, scholar_id: str, page: int = 0) -> list[str]:
    """The Scholar keys of one page of the profile, newest first (sortby=pubdate)."""
    profile = corpus.profile(scholar_id)
    assert profile is not None
    rows = profile.sorted_publications("pubdate")[page * 100 : (page + 1) * 100]
    return [row.scholar_pub_key for row in rows if row.scholar_pub_key is not None]


def true_citations(corpus: Corpus, scholar_id: str) -> dict[str, int]:
    profile = corpus.profile(scholar_id)
    assert profile is not None
    return {
        row.scholar_pub_key: row.citations
        for row in profile.publications
        if row.scholar_pub_key is not None
    }


def delete_authorships(database_url: str, scholar_id: str, keys: list[str]) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            deleted = connection.execute(
                sa.text(
                    "DELETE FROM authorships WHERE scholar_id = :s AND scholar_pub_key IN :keys"
                ).bindparams(sa.bindparam("keys", expanding=True)),
                {"s": scholar_id, "keys": keys},
            ).rowcount
    finally:
        engine.dispose()
    assert deleted == len(keys)


# --- refresh=new -------------------------------------------------------------------------------


def test_refresh_new_costs_one_request_per_profile_that_has_nothing_new(
    replay: ReplayServer, corpus: Corpus, database_url: str
) -> None:
    big, small = corpus.ids
    crawl(replay, database_url, **ALL)
    assert len(pages(replay)) == 3 + 1
    assert len(stored_citations(database_url, big)) == 250
    # every stored count is stale: the rerun writes back what it sees
    execute(database_url, "UPDATE authorships SET citations = citations + 1000")

    crawl(replay, database_url, "refresh=new", **ALL)

    paths = pages(replay)
    assert len(paths) == 2, paths
    assert all("sortby=pubdate" in path and "cstart=" not in path for path in paths)
    assert all(path.startswith("/citations?user=") for path in paths)
    assert {entry.status for entry in queue_rows(database_url).values()} == {"done"}
    assert scholar_rows(database_url) == {
        big: ("complete", "caught_up", 3, 250),
        small: ("complete", "caught_up", 1, 60),
    }
    run = last_run(database_url)
    assert run.status == "completed"
    assert run.stats[CAUGHT_UP] == 2
    assert run.arguments["refresh"] == "new" and run.arguments["sortby"] == "pubdate"
    # the rows of the page fetched have their counts again; those of pages not fetched do not
    truth = true_citations(corpus, big)
    stored = stored_citations(database_url, big)
    first = set(newest_keys(corpus, big))
    assert {key: stored[key] for key in first} == {key: truth[key] for key in first}
    assert all(stored[key] == truth[key] + 1000 for key in stored.keys() - first)
    assert stored_citations(database_url, small) == true_citations(corpus, small)


def test_refresh_new_fetches_until_a_page_whose_rows_were_all_known(
    replay: ReplayServer, corpus: Corpus, sqlite_url: str
) -> None:
    big, small = corpus.ids
    crawl(replay, sqlite_url, **ALL)
    newest = newest_keys(corpus, big)
    delete_authorships(sqlite_url, big, newest)  # as if these were new papers

    crawl(replay, sqlite_url, "refresh=new", **ALL)

    assert cstarts(replay, big) == [0, 100]  # not 200: page two was all known
    assert cstarts(replay, small) == [0]
    assert all("sortby=pubdate" in path for path in pages(replay))
    stored = stored_citations(sqlite_url, big)
    assert len(stored) == 250 and set(newest) <= set(stored)
    status, reason, _, _ = scholar_rows(sqlite_url)[big]
    assert (status, reason) == ("complete", "caught_up")
    assert queue_rows(sqlite_url)[big].status == "done"
    assert last_run(sqlite_url).stats[CAUGHT_UP] == 2


def test_a_first_refresh_new_fetches_every_page_and_refresh_full_refetches_them(
    replay: ReplayServer, corpus: Corpus, sqlite_url: str
) -> None:
    big, small = corpus.ids
    crawl(replay, sqlite_url, "refresh=new", **ALL)  # nothing is known yet
    assert cstarts(replay, big) == [0, 100, 200]
    assert cstarts(replay, small) == [0]
    assert all("sortby=pubdate" in path for path in pages(replay))
    assert scholar_rows(sqlite_url)[big] == ("complete", None, 3, 250)
    assert CAUGHT_UP not in last_run(sqlite_url).stats

    crawl(replay, sqlite_url, "refresh=full", **ALL)
    assert cstarts(replay, big) == [0, 100, 200]
    assert cstarts(replay, small) == [0]
    assert not any("sortby" in path for path in pages(replay))
    assert scholar_rows(sqlite_url)[big] == ("complete", None, 3, 250)


def test_in_robots_mode_refresh_new_never_calls_a_profile_known_only_in_part_complete(
    replay: ReplayServer, corpus: Corpus, sqlite_url: str
) -> None:
    big, small = corpus.ids
    crawl(replay, sqlite_url, "refresh=new")  # robots.txt allows each page one, sortby or not
    assert pages(replay) == [
        f"/citations?user={big}&hl=en&pagesize=100&sortby=pubdate",
        f"/citations?user={small}&hl=en&pagesize=100&sortby=pubdate",
    ]
    crawl(replay, sqlite_url, "refresh=new")
    assert len(pages(replay)) == 2
    # page one was all known, but the pages past it were never fetched: not caught up
    assert scholar_rows(sqlite_url)[big][:2] == ("robots_disallowed", "robots_disallowed")
    assert scholar_rows(sqlite_url)[small][:2] == ("complete", "caught_up")


@pytest.mark.parametrize(("mode", "expected"), [("new", [100]), ("full", [100, 200])])
def test_a_refresh_new_continuation_stays_newest_first(
    replay: ReplayServer, corpus: Corpus, sqlite_url: str, mode: str, expected: list[int]
) -> None:
    big = corpus.ids[0]
    crawl(replay, sqlite_url, **ALL)
    delete_authorships(sqlite_url, big, newest_keys(corpus, big))
    crawl(replay, sqlite_url, f"ids={big}", "refresh=new", "max_pages=1", **ALL)
    row = queue_rows(sqlite_url)[big]
    assert (row.status, row.cstart, row.sortby) == ("queued", 100, "pubdate")

    # resumed with refresh=new the stop rule applies; with refresh=full it goes to the end
    crawl(replay, sqlite_url, "resume=due", f"refresh={mode}", **ALL)
    assert cstarts(replay, big) == expected
    assert all("sortby=pubdate" in path for path in pages(replay))
    assert queue_rows(sqlite_url)[big].status == "done"
    assert len(stored_citations(sqlite_url, big)) == 250
    assert scholar_rows(sqlite_url)[big][:2] == (
        ("complete", "caught_up") if mode == "new" else ("complete", None)
    )


def test_refresh_new_resumes_a_row_queued_in_citation_order_in_that_order(
    replay: ReplayServer, corpus: Corpus, sqlite_url: str
) -> None:
    big = corpus.ids[0]
    crawl(replay, sqlite_url, f"ids={big}", "max_pages=1", **ALL)
    assert queue_rows(sqlite_url)[big].sortby is None

    crawl(replay, sqlite_url, "resume=due", "refresh=new", **ALL)
    # its pages are listed by citations: another order would skip and repeat rows
    assert cstarts(replay, big) == [100, 200]
    assert not any("sortby" in path for path in pages(replay))
    assert len(stored_citations(sqlite_url, big)) == 250
    assert scholar_rows(sqlite_url)[big] == ("complete", None, 3, 250)


# --- skip_unchanged ----------------------------------------------------------------------------


def test_skip_unchanged_costs_one_request_per_unchanged_profile(
    replay: ReplayServer, corpus: Corpus, sqlite_url: str
) -> None:
    big, small = corpus.ids
    crawl(replay, sqlite_url, **ALL)

    for _ in range(2):  # the profile's size is kept, so the next run can skip it too
        crawl(replay, sqlite_url, "skip_unchanged=1", **ALL)
        assert cstarts(replay, big) == [0] and cstarts(replay, small) == [0]
        assert scholar_rows(sqlite_url) == {
            big: ("complete", "unchanged", 3, 250),
            small: ("complete", "unchanged", 1, 60),
        }
        assert {entry.status for entry in queue_rows(sqlite_url).values()} == {"done"}
        run = last_run(sqlite_url)
        assert run.stats[UNCHANGED] == 2 and run.arguments["skip_unchanged"] is True

    # a changed header (here: the stored one) fetches the whole profile
    assert execute(
        sqlite_url,
        "UPDATE scholars SET citations_all = citations_all - 1 WHERE scholar_id = :s",
        s=big,
    )
    crawl(replay, sqlite_url, "skip_unchanged=1", **ALL)
    assert cstarts(replay, big) == [0, 100, 200]
    assert cstarts(replay, small) == [0]
    assert scholar_rows(sqlite_url)[big] == ("complete", None, 3, 250)
    assert last_run(sqlite_url).stats[UNCHANGED] == 1

    # with refresh=new too: page one decides
    crawl(replay, sqlite_url, "skip_unchanged=1", "refresh=new", **ALL)
    assert len(pages(replay)) == 2 and all("sortby=pubdate" in p for p in pages(replay))
    assert scholar_rows(sqlite_url)[big][:2] == ("complete", "unchanged")


def test_skip_unchanged_fetches_a_profile_whose_rows_changed(
    replay: ReplayServer, corpus: Corpus, sqlite_url: str
) -> None:
    big, small = corpus.ids
    crawl(replay, sqlite_url, **ALL)
    profile = corpus.profile(big)
    assert profile is not None
    first = [row.scholar_pub_key for row in profile.sorted_publications()[:1]]
    execute(
        sqlite_url,
        "UPDATE authorships SET citations = citations - 1 WHERE scholar_pub_key = :k",
        k=first[0],
    )
    execute(sqlite_url, "UPDATE scholars SET rows_seen = 59 WHERE scholar_id = :s", s=small)

    crawl(replay, sqlite_url, "skip_unchanged=1", **ALL)
    assert cstarts(replay, big) == [0, 100, 200]  # a count on page one differs
    assert cstarts(replay, small) == [0]  # its one page: a row more than stored
    assert scholar_rows(sqlite_url) == {
        big: ("complete", None, 3, 250),
        small: ("complete", None, 1, 60),
    }
    assert UNCHANGED not in last_run(sqlite_url).stats

    # a profile stored with one page that now shows more: a paper was added, perhaps
    # uncited and so at the end, where page one cannot tell
    execute(
        sqlite_url,
        "UPDATE scholars SET rows_seen = 100, pages_fetched = 1 WHERE scholar_id = :s",
        s=big,
    )
    crawl(replay, sqlite_url, "skip_unchanged=1", **ALL)
    assert cstarts(replay, big) == [0, 100, 200]
    assert scholar_rows(sqlite_url)[big] == ("complete", None, 3, 250)


def test_a_profile_whose_last_crawl_was_blocked_is_neither_unchanged_nor_caught_up(
    corpus: Corpus, sqlite_url: str
) -> None:
    big, small = corpus.ids
    block = parse_fault(f"403:ids={big},cstart=200,after=1,times=1")
    with ReplayServer(corpus, faults=[block]) as server:
        crawl(server, sqlite_url, **ALL)
        crawl(server, sqlite_url, **ALL, SCHOLAR_BLOCKED_COOLDOWN_SECONDS="0.5")
        # its header and first 200 rows are as stored, but its last crawl did not end
        assert scholar_rows(sqlite_url)[big] == ("blocked", "blocked_http_403", 2, 200)
        time.sleep(0.8)  # the cooldown ends

        # another order starts the queued profile again from page one
        crawl(server, sqlite_url, "skip_unchanged=1", "refresh=new", **ALL)
        assert cstarts(server, big) == [0, 100, 200]
        assert cstarts(server, small) == [0]  # its last crawl was complete: unchanged
    assert scholar_rows(sqlite_url)[big] == ("complete", None, 3, 250)
    assert scholar_rows(sqlite_url)[small][:2] == ("complete", "unchanged")


# --- the database cannot be read back ---------------------------------------------------------


def test_a_failed_read_fetches_every_page_and_loses_nothing(
    replay: ReplayServer, corpus: Corpus, sqlite_url: str
) -> None:
    big, small = corpus.ids
    crawl(replay, sqlite_url, **ALL)
    delete_authorships(sqlite_url, big, newest_keys(corpus, big, page=2)[:5])

    log = crawl(
        replay,
        sqlite_url,
        "refresh=new",
        "skip_unchanged=1",
        spider="scholar_unreadable_state",
        SPIDER_MODULES="scholarcrawl.spiders,tests.support.spiders",
        **ALL,
    )

    assert cstarts(replay, big) == [0, 100, 200]
    assert cstarts(replay, small) == [0]
    assert log.count("Cannot read what earlier runs stored") == 1
    run = last_run(sqlite_url)
    assert run.status == "completed"  # nothing was lost: not a database error of the run
    assert run.stats[READ_FAILED] >= 4
    assert len(stored_citations(sqlite_url, big)) == 250
    assert scholar_rows(sqlite_url)[big] == ("complete", None, 3, 250)


def test_dry_run_shows_the_order_each_request_would_use(
    replay: ReplayServer, corpus: Corpus, tmp_path: Path
) -> None:
    database = tmp_path / "db.sqlite3"
    result = run_scrapy(
        ["crawl", "scholar", "-a", f"ids={corpus.ids[0]}", "-a", "refresh=new", "-a", "dry_run=1"],
        {"SCHOLAR_BASE_URL": replay.base_url, "SCHOLARCRAWL_DATABASE_URL": f"sqlite:///{database}"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    url = f"{replay.base_url}/citations?user={corpus.ids[0]}&hl=en&pagesize=100&sortby=pubdate"
    assert f"would request {url} (sortby=pubdate)" in result.stdout
    assert "refresh=new" in result.stdout
    assert replay.requests == []
    assert not database.exists()
