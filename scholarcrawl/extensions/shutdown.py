"""Finishes a graceful shutdown that arrives while the spider is still opening.

Ctrl-C, ``kill -INT`` and scrapyd's ``cancel.json`` make Scrapy stop each crawler by stopping its
engine, but only an engine that is already running. A signal that lands while the spider opens
(the run being recorded, exclusions read, continuation rows claimed) stopped the reactor with the
spider never closed: its run stayed ``running`` until reaped as killed, and its claims held
until their lease ran out. This extension holds the reactor's shutdown until the engine has
started and then stops it, so the spider closes with reason ``shutdown`` like any interrupted
crawl: the run is recorded ``cancelled`` and the claims are handed back.
"""

from __future__ import annotations

import logging
import time
from typing import Self

from scrapy import Spider, signals
from scrapy.core.engine import ExecutionEngine
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.defer import Deferred

from scholarcrawl.middlewares.cooldown import async_sleep

logger = logging.getLogger(__name__)

# How long the shutdown waits for an opening spider's engine to start: opening takes a few
# database round trips, and a crawl whose opening hangs longer is killed by the second signal.
OPENING_WAIT_SECONDS = 60.0
POLL_SECONDS = 0.01


class StartupShutdown:
    """Closes a spider whose crawl was told to stop before its engine started."""

    def __init__(self, crawler: Crawler) -> None:
        from twisted.internet import reactor

        self.crawler = crawler
        self._closed = False
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        # zope's interface declares the method without `self`, which mypy misreads
        reactor.addSystemEventTrigger("before", "shutdown", self.before_shutdown)  # type: ignore[arg-type]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self._closed = True

    def before_shutdown(self) -> Deferred[None] | None:
        """A Deferred the reactor waits for when a spider is open but its engine is not running."""
        engine = self.crawler.engine
        if engine is None or self._closed or engine.running:
            return None  # nothing opened, already closed, or Scrapy's own stop closes it
        logger.info("Shutdown requested while the spider opens: it is closed once it has started")
        return deferred_from_coro(self._stop_when_started(engine))

    async def _stop_when_started(self, engine: ExecutionEngine) -> None:
        deadline = time.monotonic() + OPENING_WAIT_SECONDS
        while not self._closed:
            if engine.running:
                await engine.stop_async()  # closes the spider with reason "shutdown"
                return
            if time.monotonic() > deadline:
                logger.error(
                    "The spider did not finish opening within %d s of the shutdown: the reactor "
                    "stops without closing it",
                    OPENING_WAIT_SECONDS,
                )
                return
            await async_sleep(POLL_SECONDS)
