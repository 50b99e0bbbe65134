"""Stores profiles and publications (idempotent upserts) and records the run.

Settings: ``SCHOLARCRAWL_DATABASE_URL`` (or the environment variable of that name),
``SCHOLARCRAWL_AUTO_MIGRATE``.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler

from scholarcrawl.stats import stat_key
from scholarcrawl.store.db import ensure_schema, make_engine, redact_url, resolve_database_url
from scholarcrawl.store.repository import Change, Repository

logger = logging.getLogger(__name__)

# Bookkeeping of the run only: never written with values that could hold a secret.
_RUN_STAT_PREFIXES = ("scholarcrawl/", "item_scraped_count", "item_dropped_count", "response_")


class StorePipeline:
    """Writes items through :class:`~scholarcrawl.store.repository.Repository`."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.url = resolve_database_url(settings)
        self.auto_migrate = settings.getbool("SCHOLARCRAWL_AUTO_MIGRATE", True)
        self.repository = Repository(make_engine(self.url))
        self.run_id: str | None = None
        self.dry_run = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        if getattr(spider, "dry_run", False):
            self.dry_run = True  # writes nothing, not even a run row or a migration
            return
        ensure_schema(self.repository.engine, auto_migrate=self.auto_migrate)
        # JSON-safe copy of the validated arguments (paths and the like become strings)
        arguments = json.loads(json.dumps(getattr(spider, "arguments", {}) or {}, default=str))
        self.run_id = self.repository.start_run(getattr(spider, "name", "?"), arguments)
        if spider is not None and hasattr(spider, "run_id"):
            spider.run_id = self.run_id
        logger.info("Storing into %s (run %s)", redact_url(self.url), self.run_id)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        adapter = ItemAdapter(item)
        item_type = adapter["item_type"]
        if item_type == "profile":
            change = self.repository.upsert_scholar(adapter.asdict(), self.run_id)
            self._count("scholar", change)
        elif item_type == "publication":
            assert self.run_id is not None
            result = self.repository.upsert_publication(adapter.asdict(), self.run_id)
            self._count("publication", result.publication)
            self._count("authorship", result.authorship)
            if result.snapshot_added:
                self._inc("citation_snapshot/inserted")
            if result.pdf_queued:
                self._inc("pdf_queue/queued")
        return item

    def close_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        if self.dry_run:
            self.repository.engine.dispose()
            return
        if self.run_id is not None:
            assert self.crawler.stats is not None
            stats = {
                key: value
                for key, value in self.crawler.stats.get_stats().items()
                if key.startswith(_RUN_STAT_PREFIXES) and isinstance(value, int | float | str)
            }
            self.repository.finish_run(self.run_id, "completed", stats)
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
