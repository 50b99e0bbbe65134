"""HTTP download handler whose retries are all visible and counted.

Twisted's connection pool silently resends an idempotent request once when a *reused*
keep-alive connection fails (``HTTPConnectionPool.retryAutomatically``). Against a host that
resets connections because it is blocking us, that doubles every attempt behind the back of
``SCHOLAR_NETWORK_ERROR_RETRIES``. This handler turns the hidden retry off; the cooldown
middleware's retries are the only ones.
"""

from __future__ import annotations

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler


class CountedRetriesHTTP11DownloadHandler(HTTP11DownloadHandler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._pool.retryAutomatically = False
