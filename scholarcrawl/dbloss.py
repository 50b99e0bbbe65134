"""A database lost in the middle of a crawl: said once, the crawl closed, nothing more tried.

PostgreSQL stopped or cut off, or SQLite locked by another process beyond its busy timeout
(:func:`~scholarcrawl.store.db.database_lost` tells these from one refused statement): nothing
the crawl does from then on can be recorded, so it must not ask Scholar for more. The first
component to meet the loss reports it here (:meth:`DatabaseLoss.lost`): it is logged once at
ERROR (``database.lost``, counted as ``scholarcrawl/store/database_lost``) and the spider
closes with reason ``database_lost``, which ends the run ``failed``. Every item after that
fails at once with :class:`~scholarcrawl.store.db.DatabaseLost` (:meth:`DatabaseLoss.check`)
instead of waiting on the database again (SQLite waits its busy timeout per statement); the
log formatter keeps those out of the log, and their pages stay queued for a later run.

One :class:`DatabaseLoss` per crawler, shared by the pipelines and the spider.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from weakref import WeakKeyDictionary

from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

from scholarcrawl.events import log_event
from scholarcrawl.stats import stat_key
from scholarcrawl.store.db import (
    DatabaseLost,
    database_lost,
    error_summary,
    redact_url,
    resolve_database_url,
)

logger = logging.getLogger(__name__)

#: The close reason of a crawl whose database was lost under it (the run ends ``failed``).
DATABASE_LOST = "database_lost"

_LOSSES: WeakKeyDictionary[Crawler, DatabaseLoss] = WeakKeyDictionary()


class DatabaseLoss:
    """Whether the crawl's database was lost, and why (``SCHOLARCRAWL_DATABASE_URL``)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.database = redact_url(resolve_database_url(crawler.settings))
        self.message: str | None = None

    @classmethod
    def of(cls, crawler: Crawler) -> DatabaseLoss:
        """The crawler's one instance."""
        loss = _LOSSES.get(crawler)
        if loss is None:
            loss = _LOSSES[crawler] = cls(crawler)
        return loss

    def check(self) -> None:
        """Raise :class:`DatabaseLost` once the database was lost (nothing is tried again)."""
        if self.message is not None:
            raise DatabaseLost(self.message)

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Fail at once when the database was lost already; a lost database met inside is
        reported (:meth:`lost`) and raised as :class:`DatabaseLost`."""
        self.check()
        try:
            yield
        except Exception as exc:
            if database_lost(exc):
                raise self.lost(exc) from None
            raise

    def lost(self, exc: BaseException) -> DatabaseLost:
        """Report the loss (logged and the spider closed the first time); the error to raise."""
        if self.message is None:
            error = error_summary(exc)
            self.message = f"the database {self.database} was lost during the run ({error})"
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value(stat_key("store", "database_lost"))
            log_event(
                logger,
                logging.ERROR,
                "database.lost",
                database=self.database,
                error=error,
                action="the crawl stops; what it did not store stays queued for a later run",
            )
            engine = self.crawler.engine
            if engine is not None and engine.spider is not None:
                deferred_from_coro(engine.close_spider_async(reason=DATABASE_LOST))
        return DatabaseLost(self.message)
