"""The floor of the crawl benchmark: Scrapy alone downloading the same URLs, parsing nothing.

    scrapy runspider bench/barespider.py -a urls_file=URLS [-s SETTING=VALUE ...]

Run from a directory without ``scrapy.cfg`` (``bench.common.bare_crawl`` does), so that no
setting, middleware, pipeline or extension of scholarcrawl applies. Each URL goes to the
download slot the full crawl gives it (``scholar`` for profile pages, ``api-arxiv`` and
``api-crossref`` for the mock APIs), so ``DOWNLOAD_SLOTS`` sets the same concurrency.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response


def slot_of(url: str) -> str:
    """The download slot the full crawl sends ``url`` through."""
    path = urlsplit(url).path
    if path.startswith("/api/query"):
        return "api-arxiv"
    if path.startswith("/works"):
        return "api-crossref"
    return "scholar"


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, urls_file: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = [
            line.strip() for line in Path(urls_file).read_text(encoding="utf-8").splitlines()
        ]
        self.urls = [url for url in self.urls if url]

    async def start(self) -> AsyncIterator[Any]:
        for url in self.urls:
            yield scrapy.Request(
                url,
                callback=self.parse,
                dont_filter=True,
                meta={"download_slot": slot_of(url)},
            )

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        yield from ()
