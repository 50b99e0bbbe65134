"""Drops the rows of excluded publications and every item of an excluded profile.

Settings: ``EXCLUSIONS_ENABLED``, ``EXCLUSIONS_REFRESH_SECONDS``, ``SCHOLARCRAWL_DATABASE_URL``.
Exclusions are made with ``scholarcrawl exclude add`` (:mod:`scholarcrawl.store.exclusions`).

Two positions. :class:`ExclusionPipeline` (priority 250: after the fingerprint, before
identifier resolution, so that no API request is spent on an excluded paper) matches a
publication or detail row by its fingerprint, its cluster ids, its profile's
``citation_for_view`` key and the DOIs and arXiv ids written in the row itself.
:class:`ResolvedExclusionPipeline` (450: after resolution, before the store) matches again with
the identifiers the APIs found, so that a row known by nothing but its DOI (another profile's
wording, no citations hence no cluster id) does not enter the store again either. Any item of
an excluded profile (its header, rows, details, co-authors) is dropped too; the spider does not
request such profiles, so this only catches a profile excluded while a run crawls it.

Each pipeline reads a snapshot of the exclusions when the spider opens (after the store
pipeline has made the schema current), then again when an item comes and the snapshot is
``EXCLUSIONS_REFRESH_SECONDS`` old, so a long run sees an ``exclude add`` made meanwhile.

When the exclusions cannot be read (database errors), nothing is dropped or let through
unjudged: a pipeline that has a snapshot keeps it and tries again at the next refresh; one
that never read any fails each item (:class:`ExclusionsUnavailable`), which fails its page, so
the page stays in the continuation queue for a later run. Each failed read counts
``scholarcrawl/exclusions/read_failed``; the first of an outage is logged at ERROR, the
recovery at INFO.

Stats: ``scholarcrawl/exclusions/skipped/publication`` (rows of excluded publications),
``.../skipped/profile_item`` (items of excluded profiles), ``.../matched/<key kind>`` (the key
that recognised each row: fingerprint, cluster_id, pub_key, doi, arxiv), ``.../read_failed``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.settings import BaseSettings
from sqlalchemy.exc import SQLAlchemyError

from scholarcrawl.resolver import local_identifiers
from scholarcrawl.stats import stat_key
from scholarcrawl.store.db import error_summary, make_engine, resolve_database_url
from scholarcrawl.store.exclusions import ExclusionStore, PublicationMatcher
from scholarcrawl.store.repository import IDENTITY_KINDS

logger = logging.getLogger(__name__)

PUBLICATION_TYPES = ("publication", "publication_detail")


class ExclusionsUnavailable(RuntimeError):
    """The exclusions were never read: an item cannot be judged, so it fails (its page is
    tried again by a later run) rather than be stored or dropped unjudged."""


def refresh_seconds(settings: BaseSettings) -> float:
    """``EXCLUSIONS_REFRESH_SECONDS``; ValueError for a bad value."""
    try:
        value = settings.getfloat("EXCLUSIONS_REFRESH_SECONDS", 60.0)
    except ValueError:
        raise ValueError(
            "EXCLUSIONS_REFRESH_SECONDS must be a number of seconds, not "
            f"{settings.get('EXCLUSIONS_REFRESH_SECONDS')!r}"
        ) from None
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"EXCLUSIONS_REFRESH_SECONDS must be 0 or more, not {value}")
    return value


def own_identifiers(adapter: ItemAdapter) -> list[tuple[str, str]]:
    """The row's own DOIs and arXiv ids: found so far (role ``self``) and written in it."""
    found: list[Mapping[str, Any]] = list(adapter.get("identifiers") or [])
    found += local_identifiers(
        str(adapter.get("title") or ""), adapter.get("authors"), adapter.get("venue")
    )
    pairs = [
        (str(ident["kind"]), str(ident["value"]))
        for ident in found
        if ident.get("role") == "self" and ident.get("kind") in IDENTITY_KINDS
    ]
    return list(dict.fromkeys(pairs))


class ExclusionPipeline:
    """Drops excluded rows before identifier resolution (priority 250); see the module doc."""

    #: Where it stands, for the logs; its snapshot is announced at INFO, the later one's at DEBUG.
    stage = "before_identifiers"
    announce_level = logging.INFO

    def __init__(self, crawler: Crawler, clock: Callable[[], float] = time.monotonic) -> None:
        settings = crawler.settings
        if not settings.getbool("EXCLUSIONS_ENABLED", True):
            raise NotConfigured("EXCLUSIONS_ENABLED is off")
        self.crawler = crawler
        self.refresh = refresh_seconds(settings)
        self.url = resolve_database_url(settings)
        self.clock = clock
        self.store: ExclusionStore | None = None
        self.matcher: PublicationMatcher | None = None
        self.read_at: float | None = None  # when the last read was tried (clock seconds)
        self.dry_run = False
        self._failing = False  # in an outage: its first failure was logged
        self._logged: set[str] = set()  # excluded fingerprints and scholar ids already logged
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        if getattr(spider, "dry_run", False):
            self.dry_run = True  # nothing is stored, and the database may not exist
            return
        self.store = ExclusionStore(make_engine(self.url))

    def spider_opened(self, spider: Spider) -> None:
        # after every pipeline's open_spider: the store pipeline has migrated the schema
        if self.store is not None and self.matcher is None:
            self._read()

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.store is not None:
            self.store.engine.dispose()

    # --- items ---------------------------------------------------------------------------------

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if self.dry_run or self.store is None:
            return item
        matcher = self._current()
        adapter = ItemAdapter(item)
        scholar_id: str | None = adapter.get("scholar_id")
        if scholar_id is not None and matcher.excludes_scholar(scholar_id):
            self._inc("skipped/profile_item")
            if scholar_id not in self._logged:
                self._logged.add(scholar_id)
                logger.info(
                    "Profile %s is excluded: its items are dropped (%s first)",
                    scholar_id,
                    adapter.get("item_type"),
                )
            # an expected skip, logged above once: Scrapy's own line only under DEBUG
            raise DropItem(f"profile {scholar_id} is excluded", log_level="DEBUG")
        if adapter.get("item_type") not in PUBLICATION_TYPES:
            return item
        found = matcher.find(
            adapter.get("fingerprint"),
            adapter.get("cluster_ids") or (),
            scholar_id,
            adapter.get("scholar_pub_key"),
            own_identifiers(adapter),
        )
        if found is None:
            return item
        self._inc("skipped/publication")
        self._inc(f"matched/{found.kind}")
        if found.fingerprint not in self._logged:
            self._logged.add(found.fingerprint)
            logger.info(
                "Publication %s (%r) is excluded: the row of profile %s (matched by %s) is "
                "dropped, and later rows of it are only counted",
                found.fingerprint,
                found.title,
                scholar_id,
                found.kind,
            )
        raise DropItem(
            f"publication {found.fingerprint} is excluded (matched by {found.kind})",
            log_level="DEBUG",
        )

    # --- the snapshot ----------------------------------------------------------------------

    def _current(self) -> PublicationMatcher:
        """The snapshot to judge an item by, read again when it is due."""
        due = (
            self.matcher is None
            or self.read_at is None
            or self.clock() - self.read_at >= self.refresh
        )
        if due:
            self._read()
        if self.matcher is None:
            raise ExclusionsUnavailable(
                "the exclusions cannot be read from the database: the item is not stored, and "
                "its page is tried again by a later run"
            )
        return self.matcher

    def _read(self) -> None:
        assert self.store is not None
        self.read_at = self.clock()
        try:
            matcher = self.store.publication_matcher()
        except SQLAlchemyError as exc:
            self._inc("read_failed")
            if not self._failing:
                self._failing = True
                logger.error(
                    "Cannot read the exclusions (%s): %s",
                    error_summary(exc)[:250],
                    "the last snapshot stays in force until a read succeeds"
                    if self.matcher is not None
                    else "items fail (their pages stay queued) until a read succeeds",
                )
            return
        if self._failing:
            self._failing = False
            logger.info("The exclusions can be read again")
        if self.matcher is None or _size(self.matcher) != _size(matcher):
            logger.log(
                self.announce_level,
                "Exclusions in force (%s): %d profiles, %d publications",
                self.stage,
                len(matcher.scholars),
                matcher.publication_count,
            )
        self.matcher = matcher

    def _inc(self, event: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(stat_key("exclusions", event))


class ResolvedExclusionPipeline(ExclusionPipeline):
    """Matches again after identifier resolution (priority 450), with the DOIs and arXiv ids
    the APIs found: the net for rows that only their identifiers recognise."""

    stage = "after_identifiers"
    announce_level = logging.DEBUG


def _size(matcher: PublicationMatcher) -> tuple[int, int]:
    return len(matcher.scholars), matcher.publication_count
