"""Stores profiles and publications (idempotent upserts) under the run's id.

The run itself is recorded by :class:`scholarcrawl.extensions.runs.RunTracker`, which gives the
spider its ``run_id`` once this pipeline has made the schema current.

Settings: ``SCHOLARCRAWL_DATABASE_URL`` (or the environment variable of that name),
``SCHOLARCRAWL_AUTO_MIGRATE``.
"""

from __future__ import annotations

import logging
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler

from scholarcrawl.stats import stat_key
from scholarcrawl.store.db import ensure_schema, make_engine, redact_url, resolve_database_url
from scholarcrawl.store.repository import Change, Repository

logger = logging.getLogger(__name__)


class StorePipeline:
    """Writes items through :class:`~scholarcrawl.store.repository.Repository`."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.url = resolve_database_url(settings)
        self.auto_migrate = settings.getbool("SCHOLARCRAWL_AUTO_MIGRATE", True)
        self.repository = Repository(make_engine(self.url))
        self.dry_run = False

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

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        adapter = ItemAdapter(item)
        item_type = adapter["item_type"]
        run_id = self.run_id
        if item_type == "profile":
            change = self.repository.upsert_scholar(adapter.asdict(), run_id)
            self._count("scholar", change)
        elif item_type == "publication":
            if run_id is None:
                # an error, not a drop: the page then counts as failed and stays queued
                raise RuntimeError(
                    "no run is recorded for this crawl (is the RunTracker extension off?)"
                )
            result = self.repository.upsert_publication(adapter.asdict(), run_id)
            self._count("publication", result.publication)
            self._count("authorship", result.authorship)
            if result.snapshot_added:
                self._inc("citation_snapshot/inserted")
            if result.pdf_queued:
                self._inc("pdf_queue/queued")
        return item

    def close_spider(self, spider: Spider | None = None) -> None:
        self.repository.engine.dispose()

    def _count(self, table: str, change: Change) -> None:
        if change.inserted:
            self._inc(f"{table}/inserted")
        elif change.updated:
            self._inc(f"{table}/updated")
        else:
            self._inc(f"{table}/unchanged")

    def _inc(self, event: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(stat_key("store", event))
