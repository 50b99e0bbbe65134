"""Drops items that cannot be stored, with a counted reason."""

from __future__ import annotations

import logging
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from scholarcrawl.scholar.urls import is_valid_scholar_id
from scholarcrawl.stats import stat_key

logger = logging.getLogger(__name__)


class ValidatePipeline:
    """Checks the fields every later pipeline relies on."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        adapter = ItemAdapter(item)
        reason = self._problem(adapter)
        if reason is not None:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(stat_key("validate", f"dropped/{reason}"))
            raise DropItem(f"invalid {adapter.get('item_type')} item ({reason}): {item!r}")
        return item

    @staticmethod
    def _problem(adapter: ItemAdapter) -> str | None:
        item_type = adapter.get("item_type")
        if item_type not in ("profile", "publication"):
            return "unknown_item_type"
        if not is_valid_scholar_id(str(adapter.get("scholar_id") or "")):
            return "bad_scholar_id"
        if item_type == "publication":
            if not str(adapter.get("title") or "").strip():
                return "empty_title"
            citations = adapter.get("citations")
            if not isinstance(citations, int) or citations < 0:
                return "bad_citations"
        return None
