"""Stores profiles and publications (idempotent upserts) under the run's id.

Publications are stored a page at a time: each item waits (its ``process_item`` is a
coroutine) until the rows handed over with it are written in one transaction, at most
``SCHOLARCRAWL_STORE_BATCH_SIZE`` rows together. Rows of one batch that cannot be written
together are then written one by one, each in its own transaction, so that a failure fails
only its own item (and so its page), as before.

A publication's detail page (``publication_detail``) is written into the stored publication
in a transaction of its own, once the rows handed over before it are written; one whose
publication is not stored (deleted, excluded, merged away) is dropped and counted
(``scholarcrawl/store/details/missing``). A full co-author list (``coauthors``) is written
into its profile's row.

The run itself is recorded by :class:`scholarcrawl.extensions.runs.RunTracker`, which gives the
spider its ``run_id`` once this pipeline has made the schema current.

A database lost in the middle of the crawl fails the item, and every item after it, at once
(see :mod:`scholarcrawl.dbloss`): the crawl closes and the pages stay queued.

Settings: ``SCHOLARCRAWL_DATABASE_URL`` (or the environment variable of that name),
``SCHOLARCRAWL_AUTO_MIGRATE``, ``SCHOLARCRAWL_STORE_BATCH_SIZE``,
``SCHOLARCRAWL_STORE_BATCH_WAIT_SECONDS``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.settings import BaseSettings

from scholarcrawl.dbloss import DatabaseLoss
from scholarcrawl.stats import stat_key
from scholarcrawl.store.db import (
    database_lost,
    ensure_schema,
    make_engine,
    redact_url,
    resolve_database_url,
)
from scholarcrawl.store.repository import Change, PublicationChange, Repository

logger = logging.getLogger(__name__)

NO_RUN = "no run is recorded for this crawl (is the RunTracker extension off?)"


def batch_settings(settings: BaseSettings) -> tuple[int, float]:
    """``SCHOLARCRAWL_STORE_BATCH_SIZE`` and the wait that applies to this crawl; ValueError
    for a bad value (the spider checks them before anything runs)."""
    size = settings.getint("SCHOLARCRAWL_STORE_BATCH_SIZE", 100)
    if size < 1:
        raise ValueError(f"SCHOLARCRAWL_STORE_BATCH_SIZE must be at least 1, not {size}")
    wait = settings.getfloat("SCHOLARCRAWL_STORE_BATCH_WAIT_SECONDS", 0.2)
    if not 0 <= wait <= 60:
        raise ValueError(f"SCHOLARCRAWL_STORE_BATCH_WAIT_SECONDS must be 0..60, not {wait}")
    # Only rows that wait for arXiv or Crossref answers arrive one by one; without those
    # requests a page's rows arrive together, and waiting would only delay its next page.
    asks_apis = settings.getbool("IDENTIFIERS_ENABLED", True) and (
        settings.getbool("ARXIV_ENABLED", True) or settings.getbool("CROSSREF_ENABLED", True)
    )
    return size, wait if asks_apis else 0.0


class StorePipeline:
    """Writes items through :class:`~scholarcrawl.store.repository.Repository`."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.url = resolve_database_url(settings)
        self.auto_migrate = settings.getbool("SCHOLARCRAWL_AUTO_MIGRATE", True)
        self.repository = Repository(make_engine(self.url))
        self.batch_size, self.batch_wait = batch_settings(settings)
        self.dry_run = False
        # rows handed over and not yet written, each with the future its item waits on
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[PublicationChange]]] = []
        # the next flush: a Handle for the next turn of the loop, a TimerHandle for later
        self._flush_scheduled: asyncio.Handle | None = None
        self.loss = DatabaseLoss.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        if getattr(spider, "dry_run", False):
            self.dry_run = True  # stores nothing and never migrates (runs: see RunTracker)
            return
        ensure_schema(self.repository.engine, auto_migrate=self.auto_migrate)
        logger.info("Storing into %s", redact_url(self.url))

    @property
    def run_id(self) -> str | None:
        return getattr(self.crawler.spider, "run_id", None)

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        with self.loss.guard():
            return await self._process(item)

    async def _process(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        item_type = adapter["item_type"]
        run_id = self.run_id
        if item_type == "profile":
            change = self.repository.upsert_scholar(adapter.asdict(), run_id)
            self._count("scholar", change)
        elif item_type == "publication":
            if run_id is None:
                # an error, not a drop: the page then counts as failed and stays queued
                raise RuntimeError(NO_RUN)
            # a shallow copy: ItemAdapter.asdict() walks every nested value looking for items
            result = await self._stored(dict(adapter.items()))
            self._count("publication", result.publication)
            self._count("authorship", result.authorship)
            if result.snapshot_added:
                self._inc("citation_snapshot/inserted")
            if result.pdf_queued:
                self._inc("pdf_queue/queued")
        elif item_type == "publication_detail":
            if run_id is None:
                raise RuntimeError(NO_RUN)
            # rows handed over before it are written first: its publication may be among them
            await self._written_so_far()
            detail = self.repository.merge_details(dict(adapter.items()), run_id)
            if detail.missing:
                self._inc("details/missing")
                raise DropItem(
                    f"no stored publication for the detail page of "
                    f"{adapter['scholar_id']}:{adapter['scholar_pub_key']}"
                )
            self._inc("details/merged")
            if detail.authors_replaced:
                self._inc("details/authors_replaced")
            if detail.identifiers_refused:
                self._inc("details/identifiers_refused", detail.identifiers_refused)
            if detail.pdf_queued:
                self._inc("pdf_queue/queued")
        elif item_type == "coauthors":
            self.repository.store_full_coauthors(
                adapter["scholar_id"], list(adapter["coauthors"]), run_id
            )
            self._inc("coauthors/stored")
        return item

    async def _written_so_far(self) -> None:
        """Wait until every row handed over so far is written (their own failures are their
        items' to report)."""
        if not self._waiting:
            return
        futures = [future for _, future in self._waiting]
        self._schedule(asyncio.get_running_loop(), 0.0)
        await asyncio.gather(*futures, return_exceptions=True)

    def _stored(self, values: dict[str, Any]) -> asyncio.Future[PublicationChange]:
        """The row joins the next batch; the future is done when the batch is written."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "the store pipeline needs Twisted's asyncio reactor (Scrapy's default "
                "TWISTED_REACTOR): publications wait on asyncio futures for their transaction"
            ) from None
        future: asyncio.Future[PublicationChange] = loop.create_future()
        self._waiting.append((values, future))
        # A full batch is written once the loop has run what is ready (never at once: the
        # items then resume in the order they came, and feeds keep Scholar's order). Without
        # identifier resolution a page's rows all arrive in one turn and fill it. With it,
        # rows arrive one by one as their API answers come back: the batch waits up to
        # SCHOLARCRAWL_STORE_BATCH_WAIT_SECONDS for more rather than write each alone.
        scheduled = self._flush_scheduled
        if len(self._waiting) >= self.batch_size and (
            scheduled is None or isinstance(scheduled, asyncio.TimerHandle)
        ):
            self._schedule(loop, 0.0)
        elif scheduled is None:
            self._schedule(loop, self.batch_wait)
        return future

    def _schedule(self, loop: asyncio.AbstractEventLoop, delay: float) -> None:
        if self._flush_scheduled is not None:
            self._flush_scheduled.cancel()
        self._flush_scheduled = (
            loop.call_soon(self._flush) if delay <= 0 else loop.call_later(delay, self._flush)
        )

    def _flush(self) -> None:
        self._flush_scheduled = None
        waiting = self._waiting[: self.batch_size]
        del self._waiting[: self.batch_size]
        if self._waiting:
            loop = asyncio.get_running_loop()
            full = len(self._waiting) >= self.batch_size
            self._schedule(loop, 0.0 if full else self.batch_wait)
        if not waiting:
            return
        try:
            self._write(waiting)
        except BaseException as exc:  # no item may wait for ever: each fails with the cause
            for _, future in waiting:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise

    def _write(
        self, waiting: list[tuple[dict[str, Any], asyncio.Future[PublicationChange]]]
    ) -> None:
        run_id = self.run_id
        if run_id is None:
            raise RuntimeError(NO_RUN)
        rows = [values for values, _ in waiting]
        self._inc("batches")
        try:
            changes = self.repository.upsert_publications(rows, run_id)
        except Exception as exc:  # each row is retried on its own below
            if database_lost(exc):  # no row can be written now: each fails with the cause
                lost = self.loss.lost(exc)
                for _, future in waiting:
                    if not future.done():
                        future.set_exception(lost)
                return
            logger.debug("A batch of %d rows failed (%r); storing them one by one", len(rows), exc)
            self._inc("batches/one_by_one")
            for values, future in waiting:
                try:
                    change = self.repository.upsert_publication(values, run_id)
                except Exception as row_exc:  # the item's own failure
                    if not future.done():  # done: its item was cancelled (shutdown)
                        future.set_exception(row_exc)
                else:
                    if not future.done():
                        future.set_result(change)
            return
        for (_, future), change in zip(waiting, changes, strict=True):
            if not future.done():
                future.set_result(change)

    def close_spider(self, spider: Spider | None = None) -> None:
        # nothing waits here: the engine closes once every item is through the pipelines
        self.repository.engine.dispose()

    def _count(self, table: str, change: Change) -> None:
        if change.inserted:
            self._inc(f"{table}/inserted")
        elif change.updated:
            self._inc(f"{table}/updated")
        else:
            self._inc(f"{table}/unchanged")

    def _inc(self, event: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(stat_key("store", event), count)
