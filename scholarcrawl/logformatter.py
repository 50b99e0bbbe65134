"""Scrapy's log messages, without building a "Scraped from" record per item nobody reads.

Scrapy logs every scraped item at DEBUG. Under ``LOG_LEVEL`` INFO or above the handler drops
that record, but only after it was built: about as much work per publication as a pipeline.
:class:`ScholarLogFormatter` builds it only when ``LOG_LEVEL`` lets DEBUG through.

An item that failed because the database was lost (:func:`~scholarcrawl.store.db.database_lost`)
is logged at DEBUG: :mod:`scholarcrawl.dbloss` said it once at ERROR, and a page of a hundred
rows would otherwise log a hundred tracebacks.

Settings: ``LOG_FORMATTER`` (set to this class in settings.py), ``LOG_LEVEL``.
"""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure

from scholarcrawl.store.db import database_lost


class ScholarLogFormatter(LogFormatter):
    """Logs scraped items only when ``LOG_LEVEL`` is DEBUG (every other message as Scrapy)."""

    def __init__(self, log_items: bool = True) -> None:
        super().__init__()
        self.log_items = log_items

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        level = crawler.settings.get("LOG_LEVEL", "DEBUG")
        try:
            number = logging._checkLevel(level)  # type: ignore[attr-defined]
        except (ValueError, TypeError):
            number = logging.DEBUG  # Scrapy itself refuses a bad level; say everything
        return cls(log_items=number <= logging.DEBUG)

    def scraped(  # type: ignore[override]  # None: Scrapy logs nothing
        self, item: Any, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult | None:
        if not self.log_items:
            return None
        return super().scraped(item, response, spider)

    def item_error(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        result = super().item_error(item, exception, response, spider)
        if database_lost(exception):
            result["level"] = logging.DEBUG
        return result
