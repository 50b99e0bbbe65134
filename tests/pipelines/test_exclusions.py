"""Exclusions through the project's real item pipelines (validate, fingerprint, exclusions,
PDF queue, exclusions again, store), with a stand-in identifier resolver instead of the APIs,
on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from scrapy import Spider, signals
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.pipelines import ItemPipelineManager
from scrapy.utils.test import get_crawler
from sqlalchemy import Engine

from scholarcrawl import settings as project
from scholarcrawl.items import ProfileItem, PublicationDetailItem, PublicationItem
from scholarcrawl.pipelines.exclusions import (
    ExclusionPipeline,
    ExclusionsUnavailable,
    ResolvedExclusionPipeline,
)
from scholarcrawl.store.db import make_engine, upgrade
from scholarcrawl.store.exclusions import ExclusionStore
from scholarcrawl.store.models import Publication
from scholarcrawl.store.repository import Repository
from tests.support.pipelines import StaticIdentifiersPipeline

A, B, C = "AAAAAAAAAAAJ", "BBBBBBBBBBBJ", "CCCCCCCCCCCJ"
TITLE = "Graph kernels revisited for molecules"
RESOLVED_ONLY = "Revisiting graph kernels on molecular data"  # another wording: only its DOI
PREFIX = "scholarcrawl/exclusions/"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def row(scholar_id: str, title: str, **overrides: Any) -> PublicationItem:
    values: dict[str, Any] = {
        "scholar_id": scholar_id,
        "title": title,
        "authors": "A Author, B Other",
        "venue": "Journal of Graphs 3 (1)",
        "year": 2019,
        "citations": 5,
        "merged": False,
        "cluster_ids": [],
        "scholar_pub_key": f"{scholar_id[:2]}-{title[:10]}",
        "position": 1,
        **overrides,
    }
    return PublicationItem(**values)


def profile(scholar_id: str) -> ProfileItem:
    return ProfileItem(scholar_id=scholar_id, name=f"Scholar {scholar_id[:2]}")


@dataclass
class Crawl:
    """A crawler whose pipelines are the project's, opened as a crawl opens them."""

    manager: ItemPipelineManager
    crawler: Any
    clock: Clock
    engine: Engine
    results: list[Any] = field(default_factory=list)

    def pipeline(self, cls: type) -> Any:
        return next(mw for mw in self.manager.middlewares if type(mw) is cls)

    def process(self, *items: Any) -> list[Any]:
        """Each item through the pipelines in turn: the item, or the exception it ended in."""

        async def run() -> list[Any]:
            out = []
            for item in items:
                try:
                    out.append(await self.manager.process_item_async(item))
                except Exception as exc:
                    out.append(exc)
            return out

        return asyncio.run(run())

    def stat(self, event: str) -> Any:
        return self.crawler.stats.get_value(PREFIX + event)

    def close(self) -> None:
        asyncio.run(self.manager.close_spider_async())


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def open_crawl(engine: Engine, **settings: Any) -> Crawl:
    url = engine.url.render_as_string(hide_password=False)
    run_id = Repository(engine).start_run("scholar", {})
    crawler = get_crawler(
        Spider,
        {
            "ITEM_PIPELINES": {
                **project.ITEM_PIPELINES,
                "tests.support.pipelines.StaticIdentifiersPipeline": 310,
            },
            "IDENTIFIERS_ENABLED": False,  # the stand-in at 310 resolves instead of the APIs
            "TEST_IDENTIFIERS": {
                TITLE: [["doi", "10.1234/gk.2019.1"]],
                RESOLVED_ONLY: [["doi", "10.1234/gk.2019.1"]],
            },
            "SCHOLARCRAWL_DATABASE_URL": url,
            "EXTENSIONS_BASE": {},  # no reactor here: the spider_opened signal reaches pipelines
            **settings,
        },
    )
    crawler.spider = Spider("scholar")
    crawler.spider.run_id = run_id  # type: ignore[attr-defined]
    crawler.stats.open_spider()
    manager = ItemPipelineManager.from_crawler(crawler)
    clock = Clock()
    for mw in manager.middlewares:
        if isinstance(mw, ExclusionPipeline):
            mw.clock = clock
    asyncio.run(manager.open_spider_async())
    crawler.signals.send_catch_log(signals.spider_opened, spider=crawler.spider)
    return Crawl(manager, crawler, clock, engine)


def publication_ids(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            title: pid
            for pid, title in connection.execute(sa.select(Publication.id, Publication.title))
        }


def excluded_paper(engine: Engine) -> Crawl:
    """TITLE stored from A's profile (cluster 111, DOI 10.1234/gk.2019.1), then excluded; a
    new crawl opened after that."""
    first = open_crawl(engine)
    stored = row(A, TITLE, cluster_ids=["111"])
    assert first.process(stored) == [stored]
    first.close()
    ExclusionStore(engine).add_publication(publication_ids(engine)[TITLE], "retracted")
    return open_crawl(engine)


def test_a_row_of_an_excluded_publication_is_dropped_whichever_key_it_has(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    crawl = excluded_paper(engine)
    caplog.set_level(logging.INFO, logger="scholarcrawl.pipelines.exclusions")
    by_fingerprint = row(C, TITLE)  # same title, year and first author on another profile
    by_cluster = row(C, "Graph kernels, revisited (molecules)", cluster_ids=["9", "111"])
    by_key = row(A, "Revisited graph kernels (for molecules)", scholar_pub_key="AA-Graph kern")
    by_local_doi = row(C, "Kernels on graphs", year=2020, venue="J. Graphs, doi:10.1234/GK.2019.1")
    by_resolved_doi = row(B, RESOLVED_ONLY, year=2021)
    kept = row(B, "An unrelated paper on sparse matrices", cluster_ids=["222"])
    results = crawl.process(by_fingerprint, by_cluster, by_key, by_local_doi, by_resolved_doi, kept)

    assert [type(result) for result in results[:5]] == [DropItem] * 5
    assert results[5] is kept
    assert crawl.stat("skipped/publication") == 5
    assert {
        kind: crawl.stat(f"matched/{kind}")
        for kind in ("fingerprint", "cluster_id", "pub_key", "doi", "arxiv")
    } == {"fingerprint": 1, "cluster_id": 1, "pub_key": 1, "doi": 2, "arxiv": None}
    # no request would have been spent: the stand-in resolver saw only the rows let through
    resolver = crawl.pipeline(StaticIdentifiersPipeline)
    assert resolver.seen == [RESOLVED_ONLY, kept.title]
    assert "matched by doi" in str(results[4])
    # nothing of the excluded paper came back
    assert set(publication_ids(engine)) == {kept.title}
    # said once per pipeline, however many rows
    said = [r for r in caplog.records if "is excluded" in r.getMessage()]
    assert [r.levelno for r in said] == [logging.INFO, logging.INFO]
    assert "matched by fingerprint" in said[0].getMessage()
    crawl.close()


def test_a_detail_page_of_an_excluded_publication_is_dropped(engine: Engine) -> None:
    crawl = excluded_paper(engine)
    detail = PublicationDetailItem(
        scholar_id=A,
        scholar_pub_key="AA-Graph kern",
        title=TITLE,
        authors="A Author, B Other, C Third",
        author_list=["A Author", "B Other", "C Third"],
        venue="Journal of Graphs",
        year=2019,
    )
    [result] = crawl.process(detail)
    assert isinstance(result, DropItem)
    assert crawl.stat("matched/pub_key") == 1
    crawl.close()


def test_every_item_of_an_excluded_profile_is_dropped(engine: Engine) -> None:
    ExclusionStore(engine).add_scholar(C, "asked to be left out")
    crawl = open_crawl(engine)
    results = crawl.process(profile(C), row(C, "A paper of an excluded profile"), profile(A))
    assert [type(result) for result in results] == [DropItem, DropItem, ProfileItem]
    assert crawl.stat("skipped/profile_item") == 2
    assert crawl.stat("skipped/publication") is None
    with engine.connect() as connection:
        stored = set(connection.scalars(sa.text("SELECT scholar_id FROM scholars")))
    assert stored == {A}
    crawl.close()


def test_an_exclusion_made_during_a_run_applies_from_the_next_refresh(engine: Engine) -> None:
    crawl = open_crawl(engine, EXCLUSIONS_REFRESH_SECONDS=60)
    store = crawl.pipeline(ExclusionPipeline).store
    reads = []
    original = store.publication_matcher

    def counted() -> Any:
        reads.append(crawl.clock.now)
        return original()

    store.publication_matcher = counted
    ExclusionStore(engine).add_scholar(C)  # `exclude add` while the run goes on
    crawl.clock.now += 59
    assert crawl.process(profile(C)) == [profile(C)]  # the snapshot read at open is in force
    assert reads == []
    crawl.clock.now += 1
    [dropped] = crawl.process(profile(C))
    assert isinstance(dropped, DropItem)
    assert reads == [1060.0]
    assert crawl.process(profile(A), profile(B)) == [profile(A), profile(B)]
    assert reads == [1060.0]  # not again before another minute
    crawl.close()


def rename_exclusions(engine: Engine, away: bool) -> None:
    """Make reading the exclusions fail (a real database error), or mend it."""
    old, new = ("exclusions", "exclusions_away") if away else ("exclusions_away", "exclusions")
    with engine.begin() as connection:
        connection.execute(sa.text(f"ALTER TABLE {old} RENAME TO {new}"))


def test_a_failed_read_keeps_the_last_snapshot_and_is_logged_once(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    ExclusionStore(engine).add_scholar(C)
    crawl = open_crawl(engine, EXCLUSIONS_REFRESH_SECONDS=60)
    rename_exclusions(engine, away=True)
    caplog.set_level(logging.INFO, logger="scholarcrawl.pipelines.exclusions")
    for _ in range(3):
        crawl.clock.now += 60
        [result] = crawl.process(profile(C))
        assert isinstance(result, DropItem)  # the snapshot still excludes C
    assert crawl.stat("read_failed") == 3
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "Cannot read the exclusions" in errors[0].getMessage()
    assert "the last snapshot stays in force" in errors[0].getMessage()
    rename_exclusions(engine, away=False)
    ExclusionStore(engine).remove("scholar", C)
    crawl.clock.now += 60
    assert crawl.process(profile(C)) == [profile(C)]
    assert "The exclusions can be read again" in caplog.text
    crawl.close()


def test_without_any_snapshot_items_fail_rather_than_pass_unjudged(engine: Engine) -> None:
    rename_exclusions(engine, away=True)
    crawl = open_crawl(engine)
    [failed] = crawl.process(row(A, TITLE))
    assert isinstance(failed, ExclusionsUnavailable)
    assert "its page is tried again by a later run" in str(failed)
    assert crawl.stat("read_failed") == 3  # both positions at open, then for the item
    assert publication_ids(engine) == {}
    rename_exclusions(engine, away=False)
    item = row(A, TITLE)
    assert crawl.process(item) == [item]  # no snapshot: read again at once, not a minute later
    assert set(publication_ids(engine)) == {TITLE}
    crawl.close()


def test_exclusions_can_be_switched_off_and_a_bad_interval_is_refused(engine: Engine) -> None:
    ExclusionStore(engine).add_scholar(C)
    crawl = open_crawl(engine, EXCLUSIONS_ENABLED=False)
    assert not any(isinstance(mw, ExclusionPipeline) for mw in crawl.manager.middlewares)
    assert crawl.process(profile(C)) == [profile(C)]
    crawl.close()
    crawler = get_crawler(Spider, {"EXCLUSIONS_ENABLED": False})
    with pytest.raises(NotConfigured):
        ResolvedExclusionPipeline.from_crawler(crawler)
    crawler = get_crawler(Spider, {"EXCLUSIONS_REFRESH_SECONDS": -1})
    with pytest.raises(ValueError, match="EXCLUSIONS_REFRESH_SECONDS must be 0 or more"):
        ExclusionPipeline.from_crawler(crawler)


def test_a_dry_run_reads_no_exclusions(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'never-created.sqlite3'}"
    crawler = get_crawler(Spider, {"SCHOLARCRAWL_DATABASE_URL": url})
    spider = Spider("scholar")
    spider.dry_run = True  # type: ignore[attr-defined]
    crawler.spider = spider
    pipeline = ExclusionPipeline.from_crawler(crawler)
    pipeline.open_spider(spider)
    pipeline.spider_opened(spider)
    item = row(A, TITLE)
    assert pipeline.process_item(item) is item
    pipeline.close_spider(spider)
    assert not (tmp_path / "never-created.sqlite3").exists()
