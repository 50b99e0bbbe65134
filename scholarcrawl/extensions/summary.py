"""Logs what a ``scholar`` crawl did when it closes: profiles by outcome, pages, rows.

When robots.txt kept pages from being fetched, it says which profiles and how to fetch them.
"""

from __future__ import annotations

import logging
from typing import Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from scholarcrawl import progress
from scholarcrawl.progress import RunProgress
from scholarcrawl.stats import stat_key

logger = logging.getLogger(__name__)


def summarise_identifiers(stats: dict[str, object]) -> str | None:
    """One line on identifier resolution from the crawl's stats (None when nothing ran)."""
    prefix = stat_key("identifiers", "status/")
    statuses = {
        key[len(prefix) :]: int(value)  # type: ignore[call-overload]
        for key, value in stats.items()
        if key.startswith(prefix)
    }
    skipped = int(stats.get(stat_key("identifiers", "skipped/already_resolved"), 0))  # type: ignore[call-overload]
    if not statuses and not skipped:
        return None
    parts = [f"{status} {count}" for status, count in sorted(statuses.items())]
    if skipped:
        parts.append(f"already resolved {skipped}")
    requests = []
    for service in ("arxiv", "crossref"):
        sent = int(stats.get(stat_key(service, "request_completed"), 0))  # type: ignore[call-overload]
        hits = int(stats.get(stat_key(service, "cache_hit"), 0))  # type: ignore[call-overload]
        if sent or hits:
            requests.append(f"{service} {sent} requests, {hits} from cache")
    line = "identifiers: " + ", ".join(parts)
    if requests:
        line += "; " + "; ".join(requests)
    if statuses.get("deferred"):
        line += " (deferred rows are asked again by the next crawl of their profiles)"
    return line


def summarise(run_progress: RunProgress) -> list[str]:
    """The summary's lines (pure, so tests and the CLI can use it)."""
    entries = list(run_progress.profiles.values())
    pages = sum(entry.pages_fetched for entry in entries)
    rows = sum(entry.rows_seen for entry in entries)
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.status] = counts.get(entry.status, 0) + 1
    by_status = ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))
    lines = [
        f"{len(entries)} profiles ({by_status}); {pages} pages fetched; {rows} publication rows"
    ]
    disallowed = run_progress.by_status(progress.ROBOTS_DISALLOWED)
    if disallowed:
        ids = ", ".join(entry.scholar_id for entry in disallowed)
        lines.append(
            f"{len(disallowed)} profiles have more pages that Scholar's robots.txt disallows "
            f"(cstart=): {ids}. Only their first pages were fetched. To fetch every page, "
            "rerun with -s SCHOLAR_PAGINATION=all (this goes against Scholar's robots.txt "
            "and is your choice as the operator)."
        )
    for status in (
        progress.UNAVAILABLE,
        progress.BLOCKED,
        progress.ERROR,
        progress.INCOMPLETE,
        progress.CLAIMED_ELSEWHERE,
    ):
        for entry in run_progress.by_status(status):
            lines.append(f"{entry.scholar_id}: {status} ({entry.reason})")
    waiting = [
        entry
        for entry in entries
        if entry.status
        in (progress.DEFERRED, progress.BLOCKED, progress.ERROR, progress.INCOMPLETE)
    ]
    if waiting:
        reasons = ", ".join(sorted({entry.reason or "?" for entry in waiting}))
        lines.append(
            f"{len(waiting)} profiles wait in the continuation queue ({reasons}): "
            "`scrapy crawl scholar -a resume=due` continues them when due "
            "(`scholarcrawl status` shows cooldowns and the queue)."
        )
    return lines


class CrawlSummary:
    """Logs the run summary on ``spider_closed``."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        run_progress: RunProgress | None = getattr(spider, "progress", None)
        if run_progress is None:
            return
        lines = summarise(run_progress)
        stats = self.crawler.stats
        if stats is not None:
            identifiers = summarise_identifiers(stats.get_stats())
            if identifiers is not None:
                lines.append(identifiers)
        if stats is not None:
            stats.set_value(
                stat_key("summary", "robots_disallowed_profiles"),
                len(run_progress.by_status(progress.ROBOTS_DISALLOWED)),
            )
        for line in lines:
            logger.info("Summary: %s", line)
