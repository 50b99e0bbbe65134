"""Item pipelines for tests: a store that fails on purpose."""

from __future__ import annotations

from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler


class FailOnPositionPipeline:
    """Raises on the publication at ``TEST_FAIL_POSITION`` (a write that fails mid-page)."""

    def __init__(self, position: int) -> None:
        self.position = position

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.settings.getint("TEST_FAIL_POSITION"))

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        if adapter.get("item_type") == "publication" and adapter["position"] == self.position:
            raise RuntimeError(f"simulated write failure at position {self.position}")
        return item
