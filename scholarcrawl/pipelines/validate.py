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

ITEM_TYPES = ("profile", "publication", "publication_detail", "coauthors")


class ValidatePipeline:
    """Checks the fields every later pipeline relies on.

    Every item: a known ``item_type`` and a valid ``scholar_id``. A publication: a title and
    a citation count of at least 0. A detail page: its ``scholar_pub_key``, a title, and a
    citation count of at least 0 or none. A co-author list: a list of objects, each with a
    valid ``scholar_id``. Drops are counted as ``scholarcrawl/validate/dropped/<reason>``.
    """

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
        if item_type not in ITEM_TYPES:
            return "unknown_item_type"
        if not is_valid_scholar_id(str(adapter.get("scholar_id") or "")):
            return "bad_scholar_id"
        if item_type == "publication":
            if not str(adapter.get("title") or "").strip():
                return "empty_title"
            citations = adapter.get("citations")
            if not _count(citations):
                return "bad_citations"
        elif item_type == "publication_detail":
            if not str(adapter.get("scholar_pub_key") or "").strip():
                return "empty_key"
            if not str(adapter.get("title") or "").strip():
                return "empty_title"
            citations = adapter.get("citations")
            if citations is not None and not _count(citations):
                return "bad_citations"
        elif item_type == "coauthors":
            coauthors = adapter.get("coauthors")
            if not isinstance(coauthors, list) or not all(
                isinstance(coauthor, dict)
                and is_valid_scholar_id(str(coauthor.get("scholar_id") or ""))
                for coauthor in coauthors
            ):
                return "bad_coauthors"
        return None


def _count(value: Any) -> bool:
    """A count Scholar can show: an int (not a bool) of at least 0."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
