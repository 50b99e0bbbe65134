"""Sets ``fingerprint`` on publication items (normalised title + year + first author)."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider

from scholarcrawl.fingerprint import publication_fingerprint


class FingerprintPipeline:
    """Fingerprints publications; other items pass through."""

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        adapter = ItemAdapter(item)
        if adapter.get("item_type") == "publication":
            adapter["fingerprint"] = publication_fingerprint(
                adapter["title"], adapter.get("year"), adapter.get("authors")
            )
        return item
