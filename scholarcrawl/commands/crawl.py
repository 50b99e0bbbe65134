"""``scrapy crawl`` with checks before anything starts.

Invalid spider arguments or settings end the command with one message and exit status 2; a
database that is unreachable or on a schema this code cannot migrate ends it with one message
and exit status 1. In both cases no request is sent. Under scrapyd (``-a _job=<run id>``), the
queued run of the job is marked ``failed`` with the same message, so a job that never started
is not left ``queued``.

A crawl whose database was lost under it (close reason ``database_lost``) ends with exit
status 1, so that cron or a wrapper script sees it failed.
"""

from __future__ import annotations

import argparse
import logging
import sys

from scrapy import Spider
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from sqlalchemy.exc import SQLAlchemyError

from scholarcrawl.dbloss import DATABASE_LOST
from scholarcrawl.extensions.runs import STORE_PIPELINE, RunSettings
from scholarcrawl.spiders import SCRAPYD_JOB_ARGUMENT
from scholarcrawl.store.db import (
    DatabaseError,
    ensure_schema,
    make_engine,
    resolve_database_url,
    schema_is_current,
)
from scholarcrawl.store.runs import RunStore

logger = logging.getLogger(__name__)


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1 and self.crawler_process is not None:
            assert self.settings is not None
            job = opts.spargs.get(SCRAPYD_JOB_ARGUMENT)
            spidercls = self.crawler_process.spider_loader.load(args[0])
            checks = [
                (getattr(spidercls, "check_arguments", None), opts.spargs),
                (getattr(spidercls, "check_settings", None), self.settings),
                (RunSettings.from_settings, self.settings),
            ]
            for check, value in checks:
                if check is None:
                    continue
                try:
                    check(value)
                except ValueError as exc:
                    self._fail_scheduled_run(job, f"refused before it started: {exc}")
                    raise UsageError(str(exc), print_help=False) from None
            if STORE_PIPELINE in self.settings.getdict("ITEM_PIPELINES") and not opts.spargs.get(
                "dry_run"
            ):
                try:
                    engine = make_engine(resolve_database_url(self.settings))
                    try:
                        ensure_schema(
                            engine,
                            auto_migrate=self.settings.getbool("SCHOLARCRAWL_AUTO_MIGRATE"),
                        )
                    finally:
                        engine.dispose()
                except DatabaseError as exc:
                    print(f"scholarcrawl: {exc}", file=sys.stderr)
                    self._fail_scheduled_run(job, f"refused before it started: {exc}")
                    self.exitcode = 1
                    return
        self._started: Crawler | None = None
        super().run(args, opts)
        stats = self._started.stats if self._started is not None else None
        if stats is not None and stats.get_value("finish_reason") == DATABASE_LOST:
            self.exitcode = 1

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        self._started = super()._create_crawler(spidercls)  # its close reason sets the exit status
        return self._started

    def _fail_scheduled_run(self, job: str | None, error: str) -> None:
        """Mark the queued run of a scrapyd job failed, when its database can say so."""
        if not job or self.settings is None:
            return
        url = resolve_database_url(self.settings)
        if not schema_is_current(url):  # nowhere to say it
            return
        engine = make_engine(url)
        try:
            RunStore(engine).fail_queued(job, error)
        except SQLAlchemyError as exc:
            logger.error("Cannot mark run %s failed: %s", job, exc.__class__.__name__)
        finally:
            engine.dispose()
