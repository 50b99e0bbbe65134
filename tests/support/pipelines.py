"""Item pipelines for tests: a store that fails on purpose, a stand-in identifier resolver."""

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


class StaticIdentifiersPipeline:
    """Stands in for identifier resolution: a publication whose title is a key of
    ``TEST_IDENTIFIERS`` gets those ``(kind, value)`` pairs as its own identifiers, as if an
    API had found them."""

    def __init__(self, found: dict[str, list[list[str]]]) -> None:
        self.found = found
        self.seen: list[str] = []  # titles it was asked about, in order

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.settings.getdict("TEST_IDENTIFIERS"))

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        if adapter.get("item_type") != "publication":
            return item
        self.seen.append(adapter["title"])
        adapter["identifiers"] = [
            *(adapter.get("identifiers") or []),
            *(
                {
                    "kind": kind,
                    "value": value,
                    "role": "self",
                    "source": "crossref",
                    "confidence": 0.95,
                    "evidence": {},
                }
                for kind, value in self.found.get(adapter["title"], [])
            ),
        ]
        return item
