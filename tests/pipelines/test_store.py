"""The store pipeline writes a page's rows together, and a failing row fails only itself."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider
from scrapy.utils.test import get_crawler
from sqlalchemy import text

from scholarcrawl.fingerprint import publication_fingerprint
from scholarcrawl.items import PublicationItem
from scholarcrawl.pipelines.store import StorePipeline
from scholarcrawl.store.db import make_engine, upgrade
from scholarcrawl.store.repository import Repository


def _item(position: int, title: str | None = None) -> PublicationItem:
    title = title or f"Paper number {position}"
    item = PublicationItem(
        scholar_id="AAAAAAAAAAAJ",
        title=title,
        authors="A Author",
        venue="Journal",
        year=2020,
        citations=position,
        merged=False,
        cluster_ids=[str(1000 + position)],
        scholar_pub_key=f"k{position}",
        position=position,
    )
    item.fingerprint = publication_fingerprint(title, 2020, "A Author")
    return item


def _pipeline(url: str, **settings: Any) -> tuple[StorePipeline, Any]:
    engine = make_engine(url)
    upgrade(engine)
    run_id = Repository(engine).start_run("scholar", {})
    engine.dispose()
    crawler = get_crawler(Spider, {"SCHOLARCRAWL_DATABASE_URL": url, **settings})
    crawler.spider = Spider("scholar")
    crawler.spider.run_id = run_id  # type: ignore[attr-defined]
    crawler.stats.open_spider()  # type: ignore[union-attr]
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider(crawler.spider)
    return pipeline, crawler.stats


async def _process(
    pipeline: StorePipeline, items: list[PublicationItem], done: list[int] | None = None
) -> list[Any]:
    async def one(item: PublicationItem) -> Any:
        result = await pipeline.process_item(item)
        if done is not None:
            done.append(item.position)
        return result

    return await asyncio.gather(*(one(item) for item in items), return_exceptions=True)


def test_a_page_is_one_batch_and_items_keep_their_order(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    pipeline, stats = _pipeline(url)
    items = [_item(position) for position in range(1, 101)]
    done: list[int] = []
    results = asyncio.run(_process(pipeline, items, done))
    assert results == items
    assert done == list(range(1, 101))  # feeds see Scholar's order
    assert stats.get_value("scholarcrawl/store/batches") == 1
    assert stats.get_value("scholarcrawl/store/publication/inserted") == 100
    assert Repository(make_engine(url)).counts()["authorships"] == 100
    pipeline.close_spider()


def test_the_batch_size_bounds_a_transaction(tmp_path: Path) -> None:
    pipeline, stats = _pipeline(
        f"sqlite:///{tmp_path / 'db.sqlite3'}", SCHOLARCRAWL_STORE_BATCH_SIZE=30
    )
    asyncio.run(_process(pipeline, [_item(position) for position in range(1, 101)]))
    assert stats.get_value("scholarcrawl/store/batches") == 4
    pipeline.close_spider()


def test_a_row_the_database_refuses_fails_alone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    pipeline, stats = _pipeline(url)
    engine = make_engine(url)
    with engine.begin() as connection:  # the database refuses one title, as a constraint would
        connection.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON publications WHEN NEW.title = 'Refused' "
                "BEGIN SELECT RAISE(ABORT, 'refused by the database'); END"
            )
        )
    items = [_item(position) for position in range(1, 11)]
    items[4] = _item(5, title="Refused")
    results = asyncio.run(_process(pipeline, items))
    failed = [i for i, result in enumerate(results) if isinstance(result, Exception)]
    assert failed == [4]
    assert "refused by the database" in str(results[4])
    assert stats.get_value("scholarcrawl/store/batches/one_by_one") == 1
    assert Repository(engine).counts()["publications"] == 9
    pipeline.close_spider()
    engine.dispose()


def test_a_batch_size_below_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SCHOLARCRAWL_STORE_BATCH_SIZE"):
        _pipeline(f"sqlite:///{tmp_path / 'db.sqlite3'}", SCHOLARCRAWL_STORE_BATCH_SIZE=0)


def test_outside_an_asyncio_loop_the_error_says_what_is_needed(tmp_path: Path) -> None:
    pipeline, _ = _pipeline(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    with pytest.raises(RuntimeError, match="asyncio reactor"):
        pipeline._stored({"title": "A"})
    pipeline.close_spider()


def test_an_unexpected_error_fails_every_waiting_item_instead_of_hanging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline, _ = _pipeline(f"sqlite:///{tmp_path / 'db.sqlite3'}")

    def broken(*args: Any) -> None:
        raise KeyError("stats unavailable")

    monkeypatch.setattr(pipeline, "_inc", broken)
    results = asyncio.run(asyncio.wait_for(_process(pipeline, [_item(1), _item(2)]), timeout=10))
    assert [type(result) for result in results] == [KeyError, KeyError]
    pipeline.close_spider()


async def _trickle(pipeline: StorePipeline, items: list[PublicationItem]) -> list[Any]:
    """Rows reaching the store one by one, as their API answers come back."""
    tasks = []
    for item in items:
        tasks.append(asyncio.ensure_future(pipeline.process_item(item)))
        await asyncio.sleep(0.01)
    return await asyncio.gather(*tasks)


@pytest.mark.parametrize(("apis", "batches"), [("True", 1), ("False", 5)])
def test_rows_that_trickle_in_wait_for_each_other_only_when_apis_are_asked(
    tmp_path: Path, apis: str, batches: int
) -> None:
    pipeline, stats = _pipeline(
        f"sqlite:///{tmp_path / 'db.sqlite3'}",
        ARXIV_ENABLED=apis,
        CROSSREF_ENABLED=apis,
        SCHOLARCRAWL_STORE_BATCH_WAIT_SECONDS=0.5,
    )
    items = [_item(position) for position in range(1, 6)]
    assert asyncio.run(_trickle(pipeline, items)) == items
    assert stats.get_value("scholarcrawl/store/batches") == batches
    pipeline.close_spider()
