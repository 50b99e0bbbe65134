"""The ``scholar`` spider: pages through Google Scholar profiles.

    scrapy crawl scholar -a ids=ID1,ID2 [-a ids_file=PATH] [-a sortby=pubdate]

Settings: ``SCHOLAR_BASE_URL``, ``SCHOLAR_LANGUAGE``, ``SCHOLAR_PAGE_SIZE``,
``SCHOLAR_PAGINATION``, ``SCHOLAR_CONCURRENCY``, ``SCHOLAR_DOWNLOAD_DELAY``,
``SCHOLAR_DOWNLOAD_SLOT`` (see docs/settings.md).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from scholarcrawl import progress
from scholarcrawl.items import profile_item_from, publication_item_from
from scholarcrawl.progress import RunProgress
from scholarcrawl.scholar import blocks
from scholarcrawl.scholar.model import ScholarPageError
from scholarcrawl.scholar.parser import parse_profile_page
from scholarcrawl.scholar.urls import extract_scholar_id, is_valid_scholar_id, profile_url
from scholarcrawl.stats import stat_key

logger = logging.getLogger(__name__)

PAGINATION_MODES = ("robots", "all")
SORT_MODES = ("pubdate",)


class SpiderArgumentError(ValueError):
    """A spider argument is invalid; raised before any request is sent."""


@dataclass(frozen=True, slots=True)
class ScholarConfig:
    """The ``SCHOLAR_*`` settings, parsed and validated once."""

    base_url: str
    language: str
    page_size: int
    pagination: str
    download_slot: str

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> ScholarConfig:
        pagination = str(settings.get("SCHOLAR_PAGINATION", "robots")).strip().lower()
        if pagination not in PAGINATION_MODES:
            raise SpiderArgumentError(
                f"SCHOLAR_PAGINATION must be one of {', '.join(PAGINATION_MODES)}, "
                f"not {pagination!r}"
            )
        page_size = settings.getint("SCHOLAR_PAGE_SIZE", 100)
        if not 1 <= page_size <= 100:
            raise SpiderArgumentError(f"SCHOLAR_PAGE_SIZE must be 1..100, not {page_size}")
        base_url = str(settings.get("SCHOLAR_BASE_URL")).rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise SpiderArgumentError(f"SCHOLAR_BASE_URL must be an http(s) URL: {base_url!r}")
        return cls(
            base_url=base_url,
            language=str(settings.get("SCHOLAR_LANGUAGE", "en")),
            page_size=page_size,
            pagination=pagination,
            download_slot=str(settings.get("SCHOLAR_DOWNLOAD_SLOT", "scholar")),
        )


def read_ids_file(path: str) -> list[str]:
    """Ids or profile URLs, one per line; blank lines and ``#`` comments are skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SpiderArgumentError(f"cannot read ids_file {path!r}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise SpiderArgumentError(f"ids_file {path!r} is not UTF-8 text") from None
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def parse_ids(ids: str | None = None, ids_file: str | None = None) -> list[str]:
    """Validated, de-duplicated scholar ids from the ``ids`` and ``ids_file`` arguments.

    Raises SpiderArgumentError naming every invalid entry at once.
    """
    raw: list[str] = []
    if ids:
        raw.extend(part for part in ids.replace("\n", ",").split(",") if part.strip())
    if ids_file:
        raw.extend(read_ids_file(ids_file))
    if not raw:
        raise SpiderArgumentError("no profile to crawl: give -a ids=ID1,ID2 or -a ids_file=PATH")
    valid: list[str] = []
    invalid: list[str] = []
    for entry in raw:
        scholar_id = extract_scholar_id(entry)
        if is_valid_scholar_id(scholar_id):
            if scholar_id not in valid:
                valid.append(scholar_id)
        else:
            invalid.append(entry.strip())
    if invalid:
        listed = ", ".join(repr(entry) for entry in invalid)
        raise SpiderArgumentError(
            f"invalid Scholar id{'s' if len(invalid) > 1 else ''}: {listed} "
            "(a Scholar id is 12 characters of A-Z a-z 0-9 _ -, or a profile URL with user=)"
        )
    return valid


class ScholarSpider(scrapy.Spider):
    """Crawls Google Scholar profiles page by page (``pagesize=100``, ``cstart=``)."""

    name = "scholar"

    def __init__(
        self,
        ids: str | None = None,
        ids_file: str | None = None,
        sortby: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.arguments = self.check_arguments(
            {"ids": ids, "ids_file": ids_file, "sortby": sortby, **kwargs}
        )
        self.scholar_ids: list[str] = self.arguments["scholar_ids"]
        self.sortby: str | None = self.arguments["sortby"]
        self.progress = RunProgress()
        for scholar_id in self.scholar_ids:
            self.progress.add(scholar_id)

    @classmethod
    def check_arguments(cls, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Validate the spider's arguments (called by ``scrapy crawl`` before anything runs)."""
        sortby = arguments.get("sortby") or None
        if sortby is not None and sortby not in SORT_MODES:
            raise SpiderArgumentError(
                f"sortby must be {' or '.join(SORT_MODES)} (or absent), not {sortby!r}"
            )
        scholar_ids = parse_ids(arguments.get("ids"), arguments.get("ids_file"))
        return {"scholar_ids": scholar_ids, "sortby": sortby}

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        # Scholar's own download slot: one connection and a polite delay, whatever the global
        # concurrency the machine APIs use. An explicit DOWNLOAD_SLOTS entry wins.
        slot = str(settings.get("SCHOLAR_DOWNLOAD_SLOT", "scholar"))
        slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
        slots.setdefault(
            slot,
            {
                "concurrency": settings.getint("SCHOLAR_CONCURRENCY", 1),
                "delay": settings.getfloat("SCHOLAR_DOWNLOAD_DELAY", 5.0),
                "jitter": settings.getfloat("SCHOLAR_DOWNLOAD_JITTER", 0.5),
            },
        )
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = ScholarConfig.from_settings(crawler.settings)
        return spider

    config: ScholarConfig

    # --- requests --------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        for scholar_id in self.scholar_ids:
            yield self.page_request(scholar_id, 0)

    def page_request(self, scholar_id: str, cstart: int) -> scrapy.Request:
        """The request for one page; first pages outrank every deeper page."""
        page_index = cstart // self.config.page_size
        meta: dict[str, Any] = {
            "scholar_id": scholar_id,
            "cstart": cstart,
            "download_slot": self.config.download_slot,
            "dont_redirect": True,
            "handle_httpstatus_list": [*blocks.REDIRECT_STATUSES, 403, 404, 429, 500, 502, 503],
        }
        if cstart and self.config.pagination == "all":
            meta["dont_obey_robotstxt"] = True
        return scrapy.Request(
            profile_url(
                self.config.base_url,
                scholar_id,
                cstart=cstart,
                pagesize=self.config.page_size,
                language=self.config.language,
                sortby=self.sortby,
            ),
            callback=self.parse_page,
            errback=self.page_failed,
            priority=-page_index,
            meta=meta,
            dont_filter=True,
        )

    # --- responses -------------------------------------------------------------------------

    def parse_page(self, response: Response) -> Iterator[Any]:
        scholar_id: str = response.meta["scholar_id"]
        cstart: int = response.meta["cstart"]
        self._inc("page/fetched")
        headers = {"location": (response.headers.get("Location") or b"").decode("latin-1")}
        reason = blocks.classify(response.status, headers, response.body)
        if reason != blocks.OK:
            self._page_not_read(scholar_id, cstart, reason, response.url)
            return
        if not isinstance(response, TextResponse):
            self._page_not_read(scholar_id, cstart, "layout_unrecognised", response.url)
            return
        try:
            page = parse_profile_page(response.selector, cstart=cstart)
        except ScholarPageError as exc:
            self._page_not_read(scholar_id, cstart, exc.reason, response.url)
            return
        self.progress.page_fetched(scholar_id, len(page.rows))
        if cstart == 0:
            yield profile_item_from(scholar_id, page.header)
        for row in page.rows:
            yield publication_item_from(scholar_id, row)
        if page.more_enabled and page.rows:
            yield self.page_request(scholar_id, cstart + self.config.page_size)
        else:
            self.progress.finish(scholar_id, progress.COMPLETE)

    def page_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        scholar_id: str = request.meta["scholar_id"]
        cstart: int = request.meta["cstart"]
        if failure.check(IgnoreRequest) and "robots" in str(failure.value).lower():
            self.progress.finish(
                scholar_id,
                progress.ROBOTS_DISALLOWED,
                "robots_disallowed",
                next_cstart=cstart,
            )
            self._inc("page/robots_disallowed")
            logger.info(
                "Profile %s has more pages from cstart=%d; robots.txt disallows them "
                "(SCHOLAR_PAGINATION=robots)",
                scholar_id,
                cstart,
            )
            return
        reason = f"network_error:{failure.type.__name__}" if failure.type else "network_error"
        self.progress.finish(scholar_id, progress.ERROR, reason, next_cstart=cstart)
        self._inc("page/failed/network_error")
        logger.error(
            "Profile %s page cstart=%d failed: %s", scholar_id, cstart, failure.getErrorMessage()
        )

    def _page_not_read(self, scholar_id: str, cstart: int, reason: str, url: str) -> None:
        self._inc(f"page/not_read/{reason}")
        if reason == blocks.PROFILE_UNAVAILABLE:
            status = progress.UNAVAILABLE
            logger.warning(
                "Profile %s is unavailable (no such id, or private): %s", scholar_id, url
            )
        elif reason in blocks.BLOCK_REASONS:
            status = progress.BLOCKED
            logger.warning("Scholar blocked the request for %s (%s): %s", scholar_id, reason, url)
        elif reason == "scholar_error_banner":
            status = progress.INCOMPLETE
            logger.warning("Scholar could not serve %s now (error banner): %s", scholar_id, url)
        else:
            status = progress.ERROR
            logger.error(
                "Profile %s page cstart=%d not read (%s): %s", scholar_id, cstart, reason, url
            )
        next_cstart = None if status == progress.UNAVAILABLE else cstart
        self.progress.finish(scholar_id, status, reason, next_cstart=next_cstart)

    def _inc(self, path: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(stat_key("scholar", path))
