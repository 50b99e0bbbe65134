"""The ``pdfs`` spider's download handler: scrapy-playwright for pages that need a browser.

A module of its own, so that loading the spiders (every ``scrapy crawl``) does not import
scrapy-playwright and Playwright: only a crawl that installs the handler pays for them
(:mod:`scholarcrawl.browser` says which browser and whether it is there).

Settings: ``PDF_BROWSER_ENABLED``, ``PLAYWRIGHT_*``.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler


class BrowserDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright for ``meta["playwright"]`` requests, counted retries for the rest."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        # as in CountedRetriesHTTP11DownloadHandler: Twisted's hidden resend is off
        self._pool.retryAutomatically = False
