"""Detail pages, full co-author lists, following co-authors and excluded profiles, end to end:
``scrapy crawl scholar`` against the replay server, counted from its request log and read back
from the database."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from scholarcrawl.replay.faults import parse_fault
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.server import ReplayServer
from scholarcrawl.stats import stat_key
from scholarcrawl.store.db import make_engine
from scholarcrawl.store.exclusions import ExclusionStore
from scholarcrawl.store.queue import ContinuationQueue, QueueEntry
from scholarcrawl.store.repository import Repository
from scholarcrawl.store.runs import RunStore
from tests.support.crawl import api_settings, crawl_scholar, run_scrapy

pytestmark = pytest.mark.slow

# Four profiles: 30, 12, 8 and 6 publications. The first has 52 co-authors (20 on page one);
# co-authors that are profiles of the corpus: A <-> B, B <-> C, C <-> D (see test_corpus_shape).
SPEC = CorpusSpec(seed=11, sizes=(30, 12, 8, 6), shared_per_pair=1)
ALL = {"SCHOLAR_PAGINATION": "all"}


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(SPEC)


@pytest.fixture(scope="module")
def ids(corpus: Corpus) -> list[str]:
    return list(corpus.ids)


@pytest.fixture
def replay(corpus: Corpus) -> Iterator[ReplayServer]:
    with ReplayServer(corpus) as server:
        yield server


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'scholarcrawl.sqlite3'}"


def crawl(server: ReplayServer, database_url: str, *arguments: str, **settings: str) -> str:
    """Run ``scrapy crawl scholar`` with ``arguments`` after clearing the request log."""
    return crawl_scholar(server, database_url, *arguments, **{**ALL, **settings})


def requests_of(server: ReplayServer) -> list[tuple[str, str, str]]:
    """(kind, scholar id, key) of each Scholar request of the last crawl, in order: kind is
    ``page``, ``colleagues`` or ``detail``."""
    out = []
    for record in server.requests:
        if not record.path.startswith("/citations"):
            continue
        query = parse_qs(urlsplit(record.path).query)
        view = (query.get("view_op") or [""])[0]
        kind = {"view_citation": "detail", "list_colleagues": "colleagues"}.get(view, "page")
        user = (query.get("user") or [""])[0]
        key = (query.get("citation_for_view") or [""])[0]
        out.append((kind, user, key))
    return out


def queue_rows(database_url: str) -> dict[str, QueueEntry]:
    engine = make_engine(database_url)
    try:
        return {entry.scholar_id: entry for entry in ContinuationQueue(engine).entries()}
    finally:
        engine.dispose()


def publications(database_url: str) -> dict[str, dict[str, Any]]:
    """Each stored publication's columns, by the first scholar key listing it."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT a.scholar_pub_key AS key, p.* FROM publications p "
                    "JOIN authorships a ON a.publication_id = p.id ORDER BY a.id"
                )
            ).mappings()
            found: dict[str, dict[str, Any]] = {}
            for row in rows:
                found.setdefault(row["key"], dict(row))
            return found
    finally:
        engine.dispose()


def last_stats(database_url: str) -> dict[str, Any]:
    engine = make_engine(database_url)
    try:
        return RunStore(engine).recent(limit=1)[0].stats
    finally:
        engine.dispose()


def test_corpus_shape(corpus: Corpus, ids: list[str]) -> None:
    """What the tests below rely on."""
    a, b, c, d = ids
    first = corpus.profile(a)
    assert first is not None and len(first.colleagues) > 20 == len(first.header.coauthors)
    links = {
        scholar_id: {x.scholar_id for x in corpus.profile(scholar_id).header.coauthors}  # type: ignore[union-attr]
        & set(ids)
        for scholar_id in ids
    }
    assert links == {a: {b}, b: {a, c}, c: {b, d}, d: {b, c}}


def test_details_all_under_a_budget_then_resume_due_finishes_them(
    replay: ReplayServer, corpus: Corpus, ids: list[str], database_url: str
) -> None:
    a = ids[0]
    profile = corpus.profile(a)
    assert profile is not None
    crawl(replay, database_url, f"ids={a}", "details=all", "max_detail_pages=10")
    sent = requests_of(replay)
    assert [kind for kind, _, _ in sent] == ["page"] + ["detail"] * 10
    row = queue_rows(database_url)[a]
    assert (row.status, row.stage, row.reason, row.attempts) == (
        "queued",
        "details",
        "max_detail_pages",
        0,
    )
    engine = make_engine(database_url)
    try:
        [scholar] = [s for s in Repository(engine).scholars() if s.scholar_id == a]
    finally:
        engine.dispose()
    # its pages are all stored: complete (refresh=new and skip_unchanged trust it), with the
    # reason its detail stage stopped; the queue row holds the rest
    assert (scholar.crawl_status, scholar.crawl_reason) == ("complete", "max_detail_pages")
    stored = publications(database_url)
    fetched = {key for key, pub in stored.items() if pub["details_status"] == "fetched"}
    assert fetched == {key for _, _, key in sent[1:]}
    # in the profile's order: the first ten rows
    assert [key for _, _, key in sent[1:]] == [r.scholar_pub_key for r in profile.default_rows[:10]]
    rows = {r.scholar_pub_key: r for r in profile.default_rows}
    for key in fetched:
        truth = profile.detail(key)
        assert truth is not None
        pub = stored[key]
        line = rows[key].authors or ""
        # a line Scholar cut short is replaced by the full list; a whole one stays as listed
        assert pub["authors"] == (", ".join(truth.authors) if line.endswith("...") else line)
        assert (pub["journal"], pub["conference"], pub["book"]) == (
            truth.journal,
            truth.conference,
            truth.book,
        )
        assert (pub["volume"], pub["issue"], pub["pages"], pub["publisher"]) == (
            truth.volume,
            truth.issue,
            truth.pages,
            truth.publisher,
        )
        assert pub["publication_date"] == truth.publication_date
        assert pub["description"] == truth.description
        assert pub["detail_citations"] == truth.citations
        assert pub["fulltext_url"] == truth.fulltext_url

    # resume=due goes on with the row's own work (details=all), without being asked again
    crawl(replay, database_url, "resume=due")
    sent = requests_of(replay)
    assert [kind for kind, _, _ in sent] == ["detail"] * 20
    assert queue_rows(database_url)[a].status == "done"
    stored = publications(database_url)
    assert all(pub["details_status"] == "fetched" for pub in stored.values())
    assert len(stored) == 30
    cut = [key for key, row in rows.items() if (row.authors or "").endswith("...")]
    assert cut and all(not stored[key]["authors"].endswith("...") for key in cut)

    # a detail page is read once: asking again costs the profile page only
    crawl(replay, database_url, f"ids={a}", "details=all")
    assert [kind for kind, _, _ in requests_of(replay)] == ["page"]
    assert queue_rows(database_url)[a].status == "done"


def test_details_missing_asks_only_for_cut_lines_and_unsettled_identifiers(
    replay: ReplayServer, ids: list[str], sqlite_url: str
) -> None:
    a, b = ids[0], ids[1]
    apis = api_settings(replay.base_url)
    crawl(replay, sqlite_url, f"ids={a},{b}", **apis)
    engine = make_engine(sqlite_url)
    try:
        repository = Repository(engine)
        wanted = {
            scholar_id: [
                t.scholar_pub_key for t in repository.details_pending(scholar_id, "missing")
            ]
            for scholar_id in (a, b)
        }
        everything = {
            scholar_id: repository.details_pending(scholar_id, "all") for scholar_id in (a, b)
        }
    finally:
        engine.dispose()
    before = publications(sqlite_url)
    cut = {key for key, pub in before.items() if (pub["authors"] or "").endswith("...")}
    assert cut and cut <= {key for keys in wanted.values() for key in keys}
    assert 0 < sum(map(len, wanted.values())) < sum(map(len, everything.values()))

    crawl(replay, sqlite_url, f"ids={a},{b}", "details=missing", **apis)
    sent = requests_of(replay)
    details = [(user, key) for kind, user, key in sent if kind == "detail"]
    # every profile page before any detail page (priorities), each detail page once
    assert [kind for kind, _, _ in sent][:2] == ["page", "page"]
    assert sorted(details) == sorted((s, k) for s, keys in wanted.items() for k in keys)
    after = publications(sqlite_url)
    assert not any((after[key]["authors"] or "").endswith("...") for key in cut)
    assert {key for key, pub in after.items() if pub["details_status"] == "fetched"} == {
        key for _, key in details
    }
    stats = last_stats(sqlite_url)
    assert stats[stat_key("scholar", "detail/fetched")] == len(details)
    assert all(row.status == "done" for row in queue_rows(sqlite_url).values())


def test_a_block_on_a_detail_page_cools_down_and_the_next_run_goes_on(
    corpus: Corpus, ids: list[str], sqlite_url: str
) -> None:
    a = ids[0]
    block = parse_fault("sorry429:pages=detail,after=3,times=1")
    short = {
        "SCHOLAR_BLOCKED_COOLDOWN_SECONDS": "1",
        "CONTINUATION_BASE_DELAY_SECONDS": "0.1",
        "CONTINUATION_MAX_DELAY_SECONDS": "0.1",
    }
    with ReplayServer(corpus, faults=[block]) as server:
        crawl(server, sqlite_url, f"ids={a}", "details=all", **short)
        sent = requests_of(server)
        # page, three detail pages, the blocked fourth: nothing after the block
        assert [kind for kind, _, _ in sent] == ["page"] + ["detail"] * 4
        row = queue_rows(sqlite_url)[a]
        assert (row.status, row.stage, row.reason, row.attempts) == (
            "queued",
            "details",
            "blocked_captcha",
            1,
        )
        fetched = {k for k, p in publications(sqlite_url).items() if p["details_status"]}
        assert fetched == {key for _, _, key in sent[1:4]}
        blocked_key = sent[4][2]
        time.sleep(1.2)  # the cooldown and the back-off both run out
        crawl(server, sqlite_url, "resume=due", **short)
        sent = requests_of(server)
        assert [kind for kind, _, _ in sent] == ["detail"] * 27
        assert sent[0][2] == blocked_key  # the blocked page first, then the rest
    assert queue_rows(sqlite_url)[a].status == "done"
    assert all(p["details_status"] == "fetched" for p in publications(sqlite_url).values())


def test_a_missing_article_is_recorded_and_a_changed_page_stops_the_profile(
    corpus: Corpus, ids: list[str], sqlite_url: str
) -> None:
    d = ids[3]
    profile = corpus.profile(d)
    assert profile is not None
    keys = [r.scholar_pub_key for r in profile.default_rows]
    faults = [parse_fault(f"404:keys={keys[1]}"), parse_fault(f"layout_changed:keys={keys[3]}")]
    with ReplayServer(corpus, faults=faults) as server:
        crawl(server, sqlite_url, f"ids={d}", "details=all")
        sent = [key for kind, _, key in requests_of(server) if kind == "detail"]
    # the 404 is passed over, the changed page stops the profile: never an empty result
    assert sent == keys[:4]
    stored = publications(sqlite_url)
    assert stored[keys[1]]["details_status"] == "unavailable"
    assert [stored[k]["details_status"] for k in (keys[0], keys[2])] == ["fetched"] * 2
    assert stored[keys[3]]["details_status"] is None
    row = queue_rows(sqlite_url)[d]
    assert (row.status, row.stage, row.reason, row.attempts) == (
        "queued",
        "details",
        "layout_unrecognised",
        1,
    )
    stats = last_stats(sqlite_url)
    assert stats[stat_key("scholar", "detail/unavailable")] == 1
    assert stats[stat_key("scholar", "page/not_read/layout_unrecognised")] == 1


def test_coauthors_full_stores_every_co_author_once(
    replay: ReplayServer, corpus: Corpus, ids: list[str], sqlite_url: str
) -> None:
    a = ids[0]
    profile = corpus.profile(a)
    assert profile is not None
    crawl(replay, sqlite_url, f"ids={a}", "coauthors=full")
    assert [kind for kind, _, _ in requests_of(replay)] == ["page", "colleagues"]
    engine = make_engine(sqlite_url)
    try:
        [scholar] = [s for s in Repository(engine).scholars() if s.scholar_id == a]
    finally:
        engine.dispose()
    assert scholar.coauthors_full is not None
    assert [c["scholar_id"] for c in scholar.coauthors_full] == [
        c.scholar_id for c in profile.colleagues
    ]
    assert [c["name"] for c in scholar.coauthors_full] == [c.name for c in profile.colleagues]
    assert len(scholar.coauthors) == 20 < len(scholar.coauthors_full)
    assert queue_rows(sqlite_url)[a].status == "done"


def test_follow_coauthors_is_breadth_first_once_each_and_bounded(
    replay: ReplayServer, corpus: Corpus, ids: list[str], sqlite_url: str
) -> None:
    a, b, c, d = ids
    crawl(replay, sqlite_url, f"ids={b}", "follow_coauthors=2")
    firsts = [user for kind, user, _ in requests_of(replay) if kind == "page"]
    assert len(firsts) == len(set(firsts))  # never the same profile twice
    sidebar = lambda sid: [x.scholar_id for x in corpus.profile(sid).header.coauthors]  # noqa: E731
    level1 = sidebar(b)
    # level by level: every co-author of b before any co-author of a co-author
    assert firsts[0] == b and set(firsts[1 : 1 + len(level1)]) == set(level1)
    level2 = {x for sid in (a, c) for x in sidebar(sid)} - {b, *level1}
    assert set(firsts[1 + len(level1) :]) == level2
    assert d in firsts  # a co-author of a co-author
    stats = last_stats(sqlite_url)
    assert stats[stat_key("scholar", "follow/admitted")] == len(firsts) - 1

    # the bound counts the seeds; those left over are counted, not requested
    crawl(replay, sqlite_url, f"ids={b}", "follow_coauthors=2", "max_profiles=3")
    firsts = [user for kind, user, _ in requests_of(replay) if kind == "page"]
    assert firsts[0] == b and set(firsts[1:]) == set(level1[:2])  # the first two found
    stats = last_stats(sqlite_url)
    # level 1's other 18, then the co-authors of the two followed: found, counted, not requested
    assert stats[stat_key("scholar", "follow/over_limit")] > len(level1) - 2
    assert stats[stat_key("scholar", "follow/admitted")] == 2


def test_an_excluded_profile_is_never_requested_by_any_entry_point(
    replay: ReplayServer, ids: list[str], sqlite_url: str
) -> None:
    a, b, c, d = ids
    crawl(replay, sqlite_url, f"ids={d}")  # migrates the database
    engine = make_engine(sqlite_url)
    try:
        queue = ContinuationQueue(engine)
        queue.defer(a, None, 0, "max_pages")  # due now
        store = ExclusionStore(engine)
        store.add_scholar(a, "left the lab")
        store.add_scholar(c, "not ours")
    finally:
        engine.dispose()
    # by id, by resume=due, by following co-authors (a and c are b's co-authors)
    crawl(replay, sqlite_url, f"ids={c},{b}", "resume=due", "follow_coauthors=2")
    requested = {user for _, user, _ in requests_of(replay)}
    assert b in requested and len(requested) > 10  # b and its other co-authors
    assert not requested & {a, c, d}  # d is only reached through c
    rows = queue_rows(sqlite_url)
    assert (rows[a].status, rows[a].reason) == ("done", "excluded")
    stats = last_stats(sqlite_url)
    # c named, a queued, then a and c again as co-authors of b and d
    assert stats[stat_key("exclusions", "skipped/scholar")] >= 2


def test_a_changed_co_author_list_stops_the_profile_at_that_stage_and_nothing_is_lost(
    corpus: Corpus, ids: list[str], sqlite_url: str
) -> None:
    a = ids[0]
    changed = parse_fault("layout_changed:pages=colleagues,times=1")
    with ReplayServer(corpus, faults=[changed]) as server:
        crawl(server, sqlite_url, f"ids={a}", "coauthors=full", "details=all")
        assert [kind for kind, _, _ in requests_of(server)] == ["page", "colleagues"]
        row = queue_rows(sqlite_url)[a]
        assert (row.status, row.stage, row.reason, row.attempts) == (
            "queued",
            "coauthors",
            "layout_unrecognised",
            1,
        )
        assert len(publications(sqlite_url)) == 30  # the pages stay stored
        # asked again by id with the same work: the co-author list, then the detail pages
        crawl(server, sqlite_url, f"ids={a}", "coauthors=full", "details=all")
        kinds = [kind for kind, _, _ in requests_of(server)]
    assert kinds == ["colleagues"] + ["detail"] * 30
    assert queue_rows(sqlite_url)[a].status == "done"


def test_when_the_details_to_fetch_cannot_be_read_the_profile_waits_at_that_stage(
    replay: ReplayServer, ids: list[str], sqlite_url: str
) -> None:
    d = ids[3]
    server = replay
    server.reset_requests()
    with tempfile.TemporaryDirectory():
        result = run_scrapy(
            ["crawl", "scholar_unreadable_details", "-a", f"ids={d}", "-a", "details=all"],
            {
                "SCHOLAR_BASE_URL": server.base_url,
                "SCHOLARCRAWL_DATABASE_URL": sqlite_url,
                "SPIDER_MODULES": "scholarcrawl.spiders,tests.support.spiders",
                **ALL,
            },
        )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Cannot read which publications of" in result.stderr
    assert [kind for kind, _, _ in requests_of(server)] == ["page"]
    row = queue_rows(sqlite_url)[d]
    assert (row.status, row.stage, row.reason, row.attempts) == (
        "queued",
        "details",
        "database_error",
        1,
    )
    assert len(publications(sqlite_url)) == 6  # the page was stored
    engine = make_engine(sqlite_url)
    try:
        run = RunStore(engine).recent(limit=1)[0]
    finally:
        engine.dispose()
    assert run.status == "failed"  # its record says a database error happened


def test_dry_run_shows_a_due_row_continuing_its_detail_stage(
    replay: ReplayServer, ids: list[str], sqlite_url: str
) -> None:
    d = ids[3]
    crawl(replay, sqlite_url, f"ids={d}", "details=all", "max_detail_pages=2")
    assert queue_rows(sqlite_url)[d].stage == "details"
    replay.reset_requests()
    result = run_scrapy(
        ["crawl", "scholar", "-a", "resume=due", "-a", "dry_run=1"],
        {"SCHOLAR_BASE_URL": replay.base_url, "SCHOLARCRAWL_DATABASE_URL": sqlite_url},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"would continue {d} at its details stage (details=all" in result.stdout
    assert requests_of(replay) == []
