"""Marks publications for the open-access PDF queue (``pdf_queue``).

Settings: ``PDF_QUEUE_ENABLED``. The store writes the queue row in the same transaction as the
publication, so a stored publication with a DOI or an arXiv id always has its row; a
publication without either gets none (``scrapy crawl pdfs`` resolves the rows).
"""

from __future__ import annotations

from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class PdfQueuePipeline:
    """Sets ``queue_pdf`` on publication and detail items (before the store, priority 400):
    an identifier a detail page brings queues the PDF as a row's would."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("PDF_QUEUE_ENABLED", True):
            raise NotConfigured("PDF_QUEUE_ENABLED is off")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        adapter = ItemAdapter(item)
        if adapter.get("item_type") in ("publication", "publication_detail"):
            adapter["queue_pdf"] = True
        return item
