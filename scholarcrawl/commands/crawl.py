"""``scrapy crawl`` with checks before anything starts.

Invalid spider arguments end the command with one message and exit status 2; a database that
is unreachable or on a schema this code cannot migrate ends it with one message and exit
status 1. In both cases no request is sent.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from scholarcrawl.store.db import DatabaseError, ensure_schema, make_engine, resolve_database_url


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1 and self.crawler_process is not None:
            spidercls = self.crawler_process.spider_loader.load(args[0])
            assert self.settings is not None
            for name, value in (
                ("check_arguments", opts.spargs),
                ("check_settings", self.settings),
            ):
                check = getattr(spidercls, name, None)
                if check is not None:
                    try:
                        check(value)
                    except ValueError as exc:
                        raise UsageError(str(exc), print_help=False) from None
            if "scholarcrawl.pipelines.store.StorePipeline" in self.settings.getdict(
                "ITEM_PIPELINES"
            ) and not opts.spargs.get("dry_run"):
                engine = make_engine(resolve_database_url(self.settings))
                try:
                    ensure_schema(
                        engine, auto_migrate=self.settings.getbool("SCHOLARCRAWL_AUTO_MIGRATE")
                    )
                except DatabaseError as exc:
                    print(f"scholarcrawl: {exc}", file=sys.stderr)
                    self.exitcode = 1
                    return
                finally:
                    engine.dispose()
        super().run(args, opts)
