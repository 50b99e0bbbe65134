"""Records every crawl in ``crawl_runs``: on open, every minute, and on close.

On open the tracker marks ``failed`` the runs whose heartbeat went stale (killed processes),
then takes over the queued row of its scrapyd job (``-a _job=<run id>``, as ``scholarcrawl
schedule`` sends it) or creates a row, and gives the spider its ``run_id``. Every
``RUNS_HEARTBEAT_SECONDS`` it writes a heartbeat with the run's counters and progress (pages
done of pages known); on close, the end status:

- ``completed``: the spider finished, or stopped at one of the operator's limits;
- ``cancelled``: it was shut down (Ctrl-C, SIGTERM, ``scrapyd`` cancel);
- ``failed``: the database failed under it, or it closed for any other reason.

When the database is lost as the crawl closes (down, cut off, locked), the end is retried,
every few seconds, for up to ``RUNS_FINISH_RETRY_SECONDS``: a database back within that time
gets the run's real end at once, not when a reaper finds its heartbeat stale.

A dry run records its row only in a database that already has the current schema: it never
creates or migrates one. Settings: ``RUNS_HEARTBEAT_SECONDS``, ``RUNS_STALE_AFTER_SECONDS``,
``RUNS_FINISH_RETRY_SECONDS``, ``SCHOLARCRAWL_DATABASE_URL``. The tracker runs whenever the store
pipeline does.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.settings import BaseSettings
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from twisted.internet.task import LoopingCall

from scholarcrawl.continuation import make_owner
from scholarcrawl.dbloss import DATABASE_LOST
from scholarcrawl.events import log_event
from scholarcrawl.middlewares.cooldown import async_sleep
from scholarcrawl.spiders import SCRAPYD_JOB_ARGUMENT
from scholarcrawl.stats import PREFIX, stat_key
from scholarcrawl.store.db import (
    database_lost,
    make_engine,
    resolve_database_url,
    schema_is_current,
)
from scholarcrawl.store.runs import CANCELLED, COMPLETED, FAILED, RunStore

logger = logging.getLogger(__name__)

STORE_PIPELINE = "scholarcrawl.pipelines.store.StorePipeline"
#: The close reason of a crawl whose run row could not be written (it sends nothing).
RUN_NOT_RECORDED = "run_not_recorded"
# Waits between two tries of a run's end while its database is lost: short, then steady.
_FINISH_RETRY_FIRST_SECONDS = 0.5
_FINISH_RETRY_MAX_SECONDS = 5.0
# Bookkeeping of the run only: never written with values that could hold a secret.
_RUN_STAT_PREFIXES = (f"{PREFIX}/", "item_scraped_count", "item_dropped_count", "response_")
# Close reasons of a run that did what it was asked (Scrapy's own limits included).
_COMPLETED_REASONS = (
    "finished",
    "closespider_timeout",
    "closespider_itemcount",
    "closespider_pagecount",
    "closespider_timeout_no_item",
)
_CANCELLED_REASONS = ("shutdown", "cancelled")


def run_counters(stats: Mapping[str, Any]) -> dict[str, int]:
    """The figures an operator reads, from a run's Scrapy stats (pure)."""

    def total(prefix: str) -> int:
        return sum(
            int(value)
            for key, value in stats.items()
            if key.startswith(prefix) and isinstance(value, int | float)
        )

    def one(key: str) -> int:
        value = stats.get(key, 0)
        return int(value) if isinstance(value, int | float) else 0

    return {
        "pages": one(stat_key("scholar", "page/fetched")),
        "items": one("item_scraped_count"),
        "blocks": total(stat_key("scholar", "request_blocked/")),
        "cooldowns": total(stat_key("scholar", "cooldown/activated/")),
        "identifiers_resolved": one(stat_key("identifiers", "status/resolved")),
        "pdfs_resolved": one(stat_key("pdfs", "outcome/done")),
        "detail_pages": one(stat_key("scholar", "detail/fetched")),
        "excluded": total(stat_key("exclusions", "skipped/")),
        "errors": one("log_count/ERROR"),
    }


def database_errors(stats: Mapping[str, Any]) -> int:
    """How often the run could not write its state (``…/database_error`` stats)."""
    return sum(
        int(value)
        for key, value in stats.items()
        if key.startswith(f"{PREFIX}/")
        and key.endswith("database_error")
        and isinstance(value, int | float)
    )


def end_status(reason: str, stats: Mapping[str, Any]) -> tuple[str, str | None]:
    """The run's end status and error message from the spider's close reason (pure)."""
    if reason in _CANCELLED_REASONS:
        return CANCELLED, f"shut down before the end (close reason {reason!r})"
    if reason == DATABASE_LOST:
        return FAILED, (
            "the database was lost during the run, which stopped there: what it did not store "
            "is crawled again by a later run (see the log's database.lost)"
        )
    failures = database_errors(stats)
    if failures:
        return FAILED, (
            f"the database could not be written {failures} time{'s' * (failures > 1)}: "
            "what was not recorded is crawled again by a later run (see the log)"
        )
    if reason in _COMPLETED_REASONS:
        return COMPLETED, None
    return FAILED, f"closed with reason {reason!r}"


@dataclass(frozen=True, slots=True)
class RunSettings:
    """``RUNS_HEARTBEAT_SECONDS``, ``RUNS_STALE_AFTER_SECONDS`` and
    ``RUNS_FINISH_RETRY_SECONDS``, validated."""

    heartbeat_seconds: float
    stale_after_seconds: float
    finish_retry_seconds: float = 300.0

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> RunSettings:
        heartbeat = settings.getfloat("RUNS_HEARTBEAT_SECONDS", 60.0)
        stale = settings.getfloat("RUNS_STALE_AFTER_SECONDS", 300.0)
        if not heartbeat > 0:
            raise ValueError(f"RUNS_HEARTBEAT_SECONDS must be positive, not {heartbeat}")
        if not stale > heartbeat:
            raise ValueError(
                "RUNS_STALE_AFTER_SECONDS must be longer than RUNS_HEARTBEAT_SECONDS "
                f"(got {stale} and {heartbeat}): a live run would be taken for a dead one"
            )
        retry = settings.getfloat("RUNS_FINISH_RETRY_SECONDS", 300.0)
        if not retry >= 0:
            raise ValueError(f"RUNS_FINISH_RETRY_SECONDS must be 0 or more, not {retry}")
        return cls(heartbeat, stale, retry)


class RunTracker:
    """Keeps the run's ``crawl_runs`` row true while the crawl runs."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if settings.getdict("ITEM_PIPELINES").get(STORE_PIPELINE) is None:
            raise NotConfigured("runs are recorded in the store pipeline's database")
        self.crawler = crawler
        self.url = resolve_database_url(settings)
        self.config = RunSettings.from_settings(settings)
        self.node = make_owner().rsplit(":", 1)[0]  # host:pid
        self.run_id: str | None = None
        self._engine: Engine | None = None
        self._store: RunStore | None = None
        self._heartbeat: LoopingCall | None = None
        self._lost = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    # --- open --------------------------------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        if getattr(spider, "dry_run", False) and not schema_is_current(self.url):
            logger.info("Dry run: no database with the current schema, so no run is recorded")
            return
        self._engine = make_engine(self.url)
        self._store = RunStore(self._engine)
        job = getattr(spider, SCRAPYD_JOB_ARGUMENT, None)
        try:
            self._reap()
        except SQLAlchemyError as exc:  # the crawl need not wait for someone else's run
            logger.error("Cannot reap stale runs: %s", exc.__class__.__name__)
        try:
            adoption = self._store.begin(
                spider.name,
                json_safe(getattr(spider, "arguments", {}) or {}),
                node=self.node,
                scrapyd_job_id=str(job) if job else None,
                stale_after_seconds=self.config.stale_after_seconds,
            )
        except SQLAlchemyError as exc:
            # whatever it stored would belong to no run: stop before the first request
            logger.error(
                "Cannot record the run in the database (%s): the crawl stops before it starts",
                exc.__class__.__name__,
            )
            self._inc("database_error")
            raise CloseSpider(RUN_NOT_RECORDED) from None
        self.run_id = adoption.run_id
        spider.run_id = self.run_id  # type: ignore[attr-defined]
        if job and not adoption.adopted:
            logger.warning(
                "scrapyd job %s: %s, so this run is recorded as %s (scheduled without "
                "`scholarcrawl schedule`, or against another database?)",
                job,
                adoption.note,
                self.run_id,
            )
        log_event(
            logger,
            logging.INFO,
            "run.started",
            run_id=self.run_id,
            spider=spider.name,
            job=job or "",
            node=self.node,
        )
        self._heartbeat = LoopingCall(self.beat)
        self._heartbeat.start(self.config.heartbeat_seconds, now=False)

    def _reap(self) -> None:
        assert self._store is not None
        for run in self._store.reap(timedelta(seconds=self.config.stale_after_seconds)):
            log_event(
                logger,
                logging.WARNING,
                "run.reaped",
                run_id=run.id,
                spider=run.spider,
                node=run.node or "",
                error=run.error or "",
            )
            self._inc("reaped")

    # --- while it runs -----------------------------------------------------------------------

    def beat(self) -> None:
        """Write the heartbeat, counters and progress (never raises: the crawl goes on)."""
        if self._store is None or self.run_id is None:
            return
        spider = self.crawler.spider
        try:
            alive = self._store.heartbeat(
                self.run_id, counters=self._counters(), progress=_progress(spider)
            )
        except SQLAlchemyError as exc:
            logger.error("Cannot write the run's heartbeat: %s", exc.__class__.__name__)
            self._inc("heartbeat_failed")
            return
        if not alive and not self._lost:
            self._lost = True
            logger.warning(
                "Run %s is no longer marked running (reaped while alive? see `scholarcrawl "
                "runs show %s`): it records its real end when it closes",
                self.run_id,
                self.run_id,
            )

    # --- close -------------------------------------------------------------------------------

    def spider_closed(self, spider: Spider, reason: str) -> Coroutine[Any, Any, None] | None:
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        if self._store is None or self.run_id is None:
            self._dispose()
            return None
        assert self.crawler.stats is not None
        all_stats = self.crawler.stats.get_stats()
        status, error = end_status(reason, all_stats)
        stats = {
            key: value
            for key, value in all_stats.items()
            if key.startswith(_RUN_STAT_PREFIXES) and isinstance(value, int | float | str)
        }
        ending = _Ending(
            status=status,
            reason=reason,
            stats=stats,
            counters=run_counters(all_stats),
            progress=_progress(spider),
            error=error,
        )
        try:
            self._finish(ending)
        except SQLAlchemyError as exc:
            if database_lost(exc) and self.config.finish_retry_seconds > 0:
                logger.warning(
                    "Cannot record the end of run %s (%s): the database is lost; trying again "
                    "for up to %s s",
                    self.run_id,
                    exc.__class__.__name__,
                    f"{self.config.finish_retry_seconds:g}",
                )
                return self._finish_when_back(ending)  # the engine awaits it before it stops
            self._not_recorded(exc)
        self._dispose()
        return None

    def _finish(self, ending: _Ending) -> None:
        assert self._store is not None and self.run_id is not None
        self._store.finish(
            self.run_id,
            ending.status,
            stats=ending.stats,
            counters=ending.counters,
            progress=ending.progress,
            error=ending.error,
        )
        log_event(
            logger,
            logging.INFO,
            "run.finished",
            run_id=self.run_id,
            status=ending.status,
            reason=ending.reason,
        )

    async def _finish_when_back(self, ending: _Ending) -> None:
        """Write the run's end as soon as the database answers again, or give up at the
        deadline (a reaper then marks the run failed once its heartbeat is stale)."""
        deadline = time.monotonic() + self.config.finish_retry_seconds
        wait = _FINISH_RETRY_FIRST_SECONDS
        try:
            while True:
                delay = min(wait, max(0.0, deadline - time.monotonic()))
                await async_sleep(delay)
                try:
                    self._finish(ending)
                    return
                except SQLAlchemyError as exc:
                    if not database_lost(exc) or time.monotonic() >= deadline:
                        self._not_recorded(exc)
                        return
                wait = min(wait * 2, _FINISH_RETRY_MAX_SECONDS)
        finally:
            self._dispose()

    def _not_recorded(self, exc: SQLAlchemyError) -> None:
        logger.error(
            "Cannot record the end of run %s (%s): it is marked failed once its heartbeat "
            "goes stale",
            self.run_id,
            exc.__class__.__name__,
        )

    def _dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def _counters(self) -> dict[str, int]:
        assert self.crawler.stats is not None
        return run_counters(self.crawler.stats.get_stats())

    def _inc(self, event: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(stat_key("runs", event))


@dataclass(frozen=True, slots=True)
class _Ending:
    """What a run's row gets when it closes."""

    status: str
    reason: str
    stats: dict[str, Any]
    counters: dict[str, int]
    progress: dict[str, Any]
    error: str | None


def json_safe(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-ready copy of the validated arguments (paths and the like become strings)."""
    return dict(json.loads(json.dumps(dict(arguments), default=str)))


def _progress(spider: Spider | None) -> dict[str, Any]:
    report = getattr(spider, "run_progress", None)
    return dict(report()) if callable(report) else {}
