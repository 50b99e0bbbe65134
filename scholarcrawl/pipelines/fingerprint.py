"""Sets ``fingerprint`` on publication items (normalised title + year + first author)."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider

from scholarcrawl.fingerprint import publication_fingerprint


class FingerprintPipeline:
    """Fingerprints publication rows; other items pass through.

    A detail page's item carries the stored publication's fingerprint and keeps it: its full
    author list or its date must not make the paper another one (enrichment never changes a
    publication's identity).
    """

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        adapter = ItemAdapter(item)
        if adapter.get("item_type") == "publication":
            adapter["fingerprint"] = publication_fingerprint(
                adapter["title"], adapter.get("year"), adapter.get("authors")
            )
        return item
