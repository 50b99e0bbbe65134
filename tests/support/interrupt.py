"""An extension that presses Ctrl-C on its own crawl while the spider is still opening.

Scrapy's shutdown handler stops only an engine that is already running, so a SIGINT that lands
between ``spider_opened`` and the engine's start used to stop the reactor without ever closing
the spider. Sending it from a ``spider_opened`` handler puts it in that window every time.
"""

from __future__ import annotations

import os
import signal
from typing import Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler


class InterruptWhileOpening:
    def __init__(self, crawler: Crawler) -> None:
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        os.kill(os.getpid(), signal.SIGINT)
