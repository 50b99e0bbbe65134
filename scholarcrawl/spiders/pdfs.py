"""The ``pdfs`` spider: drains the open-access PDF queue.

    scrapy crawl pdfs [-a limit=N] [-a max_seconds=S] [-a download=1]

Claims due ``pdf_queue`` rows under a lease it renews, resolves up to ``PDF_CONCURRENCY`` of
them at a time (:mod:`scholarcrawl.pdfresolve`) and writes each outcome. With ``download=1``
it also downloads the PDFs that earlier runs resolved without downloading. Rows it could not
finish (time budget, an API cooldown, a browser that is missing) go back to ``pending``;
rows of a killed run come back when their lease runs out. Publications stored before the
queue existed are queued first.

Settings: ``UNPAYWALL_*`` (``UNPAYWALL_EMAIL`` is required), ``PDF_*``,
``PLAYWRIGHT_LAUNCH_OPTIONS`` (docs/settings.md, docs/pdfs.md).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any, Self

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from twisted.internet.task import LoopingCall

from scholarcrawl.apis.client import ApiClient
from scholarcrawl.apis.config import api_download_slots
from scholarcrawl.browser import launch_options, missing_browser
from scholarcrawl.budget import TimeBudget
from scholarcrawl.continuation import make_owner
from scholarcrawl.events import log_event
from scholarcrawl.pdfresolve import Deferral, PdfConfig, PdfResolver, PdfSettingError
from scholarcrawl.spiders.scholar import (
    SpiderArgumentError,
    _flag,
    _positive_float,
    _positive_int,
    refuse_unknown,
)
from scholarcrawl.stats import stat_key
from scholarcrawl.store.db import make_engine, resolve_database_url
from scholarcrawl.store.pdfqueue import PdfQueue, PdfTask

logger = logging.getLogger(__name__)


class PdfsSpider(TimeBudget, scrapy.Spider):
    """Resolves queued publications to open-access PDF URLs (and optionally downloads them)."""

    name = "pdfs"
    ARGUMENTS = ("limit", "max_seconds", "download")
    custom_settings = {  # noqa: RUF012 (Scrapy's documented class attribute)
        # no items: the store pipeline only records the run
        "ITEM_PIPELINES": {"scholarcrawl.pipelines.store.StorePipeline": 500},
    }

    def __init__(self, **kwargs: Any) -> None:
        arguments = {name: kwargs.pop(name, None) for name in self.ARGUMENTS}
        super().__init__(**kwargs)
        self.arguments = self.check_arguments(arguments)
        self.limit: int | None = self.arguments["limit"]
        self.max_seconds: float | None = self.arguments["max_seconds"]
        self.download: bool = self.arguments["download"]
        self.run_id: str | None = None  # set by the run tracker when the spider opens
        self.owner = make_owner()
        self.queue: PdfQueue | None = None
        self._engine: Engine | None = None
        self._heartbeat: LoopingCall | None = None
        self._given_back: set[int] = set()  # rows deferred by this run
        self._rows_claimed = 0
        self._rows_done = 0
        self._started = time.monotonic()

    # --- arguments and settings --------------------------------------------------------------

    @classmethod
    def check_arguments(cls, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Validate the spider's arguments (called by ``scrapy crawl`` before anything runs)."""
        refuse_unknown(cls.name, arguments, cls.ARGUMENTS)
        return {
            "limit": _positive_int("limit", arguments.get("limit")),
            "max_seconds": _positive_float("max_seconds", arguments.get("max_seconds")),
            "download": _flag("download", arguments.get("download")),
        }

    @classmethod
    def check_settings(cls, settings: BaseSettings) -> None:
        """``UNPAYWALL_EMAIL`` and the ``PDF_*`` settings (before anything runs)."""
        PdfConfig.from_settings(settings)

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
        for slot, values in api_download_slots(settings).items():
            slots.setdefault(slot, values)  # the APIs: paced by the shared rate clock
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
        if settings.getbool("PDF_BROWSER_ENABLED", True):
            handler = "scholarcrawl.browserhandler.BrowserDownloadHandler"
            handlers = {**settings.getdict("DOWNLOAD_HANDLERS"), "http": handler, "https": handler}
            _set(settings, "DOWNLOAD_HANDLERS", handlers)
            options = launch_options(settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS"))
            _set(settings, "PLAYWRIGHT_LAUNCH_OPTIONS", options)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        try:
            spider.config = PdfConfig.from_settings(crawler.settings)
        except PdfSettingError as exc:
            raise SpiderArgumentError(str(exc)) from None
        return spider

    config: PdfConfig

    # --- the run -----------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        await self._drain()
        return
        yield  # an async generator that yields nothing: every request goes through the engine

    async def _drain(self) -> None:
        self._engine = make_engine(resolve_database_url(self.settings))
        self.queue = PdfQueue(self._engine, self.config.retry)
        try:
            added = self.queue.backfill()
        except SQLAlchemyError as exc:
            logger.error(
                "The PDF queue cannot be reached (%s): nothing is resolved",
                exc.__class__.__name__,
            )
            self._inc("run/database_error")
            return
        if added:
            logger.info("Queued %d publications stored before the PDF queue existed", added)
        browser_problem = None
        if self.config.browser_enabled:
            browser_problem = missing_browser(self.settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS"))
            if browser_problem:
                logger.warning(
                    "No browser for landing pages that need scripts (%s): such rows stay pending",
                    browser_problem,
                )
        resolver = PdfResolver(
            self.config,
            ApiClient(self.crawler, self._engine, self.config.api),
            self._fetch,
            download=self.download,
            browser_available=browser_problem is None,
            inc=self._inc,
        )
        if resolver.store is not None:
            removed = resolver.store.remove_orphans()
            if removed:
                logger.info("Removed %d partial PDF files of killed processes", removed)
                self._inc("store/partial_removed", removed)
        self._heartbeat = LoopingCall(self._renew)
        self._heartbeat.start(max(0.5, self.config.lease_seconds / 3), now=False)
        running: set[asyncio.Future[None]] = set()
        queue_empty = False
        while True:
            while (
                not queue_empty
                and len(running) < self.config.concurrency
                and not self.budget_exhausted()
                and (self.limit is None or self._rows_claimed < self.limit)
            ):
                want = self.config.concurrency - len(running)
                if self.limit is not None:
                    want = min(want, self.limit - self._rows_claimed)
                try:
                    tasks = self.queue.claim_due(
                        self.owner,
                        self.config.lease_seconds,
                        limit=want,
                        run_id=self.run_id,
                        exclude=self._given_back,
                        download=self.download,
                    )
                except SQLAlchemyError as exc:
                    logger.error("Cannot claim PDF rows: %s", exc.__class__.__name__)
                    self._inc("run/database_error")
                    tasks = []
                if not tasks:
                    queue_empty = True
                    break
                self._rows_claimed += len(tasks)
                self._inc("claimed", len(tasks))
                for task in tasks:
                    running.add(asyncio.ensure_future(self._resolve_counted(resolver, task)))
            if not running:
                break
            _, pending = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            running = set(pending)
        if self._rows_claimed == 0:
            logger.info("No PDF row is due now (`scholarcrawl status` shows the queue)")

    def run_progress(self) -> dict[str, int]:
        """Rows finished (settled or given back) of the rows claimed, for the run's record."""
        return {"rows_done": self._rows_done, "rows_claimed": self._rows_claimed}

    async def _resolve_counted(self, resolver: PdfResolver, task: PdfTask) -> None:
        try:
            await self._resolve(resolver, task)
        finally:
            self._rows_done += 1

    async def _resolve(self, resolver: PdfResolver, task: PdfTask) -> None:
        assert self.queue is not None
        try:
            result = await resolver.resolve(task)
        except Exception as exc:  # a bug must not lose the row: it goes back to pending
            logger.exception("Resolving PDF row %d failed", task.id)
            result = Deferral("error", f"{type(exc).__name__}: {exc}")
        try:
            if isinstance(result, Deferral):
                # due again at once when there is no cooldown to wait for, but not in this run
                self._given_back.add(task.id)
                self.queue.release(
                    task.id,
                    self.owner,
                    error=f"{result.reason}: {result.detail}"[:500] if result.detail else None,
                    not_before=result.not_before,
                )
                self._inc(f"deferred/{result.reason}")
                log_event(
                    logger,
                    logging.INFO,
                    "pdf.deferred",
                    row_id=task.id,
                    publication_id=task.publication_id,
                    reason=result.reason,
                )
                return
            entry = self.queue.settle(task.id, self.owner, result, run_id=self.run_id)
        except SQLAlchemyError as exc:
            logger.error(
                "Cannot write the outcome of PDF row %d (%s); its lease brings it back",
                task.id,
                exc.__class__.__name__,
            )
            self._inc("database_error")
            return
        if entry is None:
            self._inc("claim_lost")
            return
        if task.download_only:
            self._inc(f"download/{result.download_status}")
            self._inc("download_only")
            log_event(
                logger,
                logging.INFO,
                "pdf.downloaded",
                row_id=task.id,
                publication_id=task.publication_id,
                pdf_url=task.pdf_url,
                download_status=result.download_status,
            )
            return
        self._inc(f"outcome/{result.status}")
        if result.source:
            self._inc(f"source/{result.source}")
        if result.download_status:
            self._inc(f"download/{result.download_status}")
        log_event(
            logger,
            logging.INFO if result.status == "done" else logging.DEBUG,
            "pdf.resolved",
            row_id=task.id,
            publication_id=task.publication_id,
            status=result.status,
            source=result.source,
            pdf_url=result.pdf_url,
            attempts=entry.attempts,
            error=result.error,
        )

    async def _fetch(self, request: scrapy.Request) -> Response:
        engine = self.crawler.engine
        assert engine is not None
        self._inc(f"request/{request.meta.get('pdf_step', 'other')}")
        return await engine.download_async(request)

    def _renew(self) -> None:
        if self.queue is None:
            return
        try:
            self.queue.extend_leases(self.owner, self.config.lease_seconds)
        except SQLAlchemyError as exc:
            logger.error("Cannot renew PDF claims: %s", exc.__class__.__name__)

    def closed(self, reason: str) -> None:
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        if self.queue is not None:
            try:
                given_back = self.queue.release_all(self.owner)
            except SQLAlchemyError as exc:
                logger.error("Cannot give back PDF claims: %s", exc.__class__.__name__)
            else:
                if given_back:
                    logger.info("%d claimed PDF rows went back to pending", given_back)
        if self._engine is not None:
            self._engine.dispose()

    def _inc(self, event: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(stat_key("pdfs", event), count)


def _set(settings: BaseSettings, name: str, value: Any) -> None:
    """Set at no lower a priority than the value it completes (a -s value is kept, filled)."""
    priority = max(settings.getpriority(name) or 0, SETTINGS_PRIORITIES["spider"])
    settings.set(name, value, priority=priority)
