"""The ``scholar`` spider: pages through Google Scholar profiles.

    scrapy crawl scholar -a ids=ID1,ID2 [-a ids_file=PATH] [-a sortby=pubdate]
    scrapy crawl scholar -a resume=due [-a limit=N]
    ... [-a refresh=full|new] [-a skip_unchanged=1]
    ... [-a max_pages=N] [-a max_seconds=S] [-a dry_run=1]
    ... [-a details=missing|all] [-a max_detail_pages=N] [-a coauthors=full]
    ... [-a follow_coauthors=DEPTH] [-a max_profiles=N]

Every profile is claimed in the continuation queue before its first request; whatever is not
finished when the run stops (a block, a cooldown, an error, a budget) stays there with its next
``cstart`` and is picked up by ``-a resume=due`` or by a later crawl of the same id.

Requests are what Scholar rations, so a recrawl can spend fewer: ``-a refresh=new`` reads each
profile newest first (``sortby=pubdate``) and stops at the first page whose rows were all known
before the run (``caught_up``); ``-a skip_unchanged=1`` stops after page one when the profile's
header and page one match what its last complete crawl stored (``unchanged``). What is known
is read from the database (:class:`~scholarcrawl.store.refresh.ProfileState`) when a page is
parsed, before its items are stored.

A profile's work comes in stages, each recorded in its continuation row: its pages, then (with
``-a coauthors=full``) its full co-author list, then (with ``-a details=missing|all``) the detail
pages of its publications, at most ``max_detail_pages`` per run (``SCHOLAR_MAX_DETAIL_PAGES``).
``-a follow_coauthors=DEPTH`` crawls co-authors' profiles breadth-first, level by level, at most
``max_profiles`` profiles in the run (``SCHOLAR_FOLLOW_MAX_PROFILES``), each once. An excluded
profile (``scholarcrawl exclude add``) is never requested.

Settings: ``SCHOLAR_*`` and ``CONTINUATION_*`` (see docs/settings.md).
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self, TypeGuard

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from twisted.python.failure import Failure

from scholarcrawl import progress
from scholarcrawl.apis.client import RESPONSE_TOO_LARGE
from scholarcrawl.apis.config import ApiConfig, api_download_slots
from scholarcrawl.budget import TimeBudget
from scholarcrawl.continuation import Ledger, make_owner
from scholarcrawl.dbloss import DATABASE_LOST, DatabaseLoss
from scholarcrawl.decoding import response_selector
from scholarcrawl.egress import Egress, EgressPool, ProxySettingError, slot_names
from scholarcrawl.items import (
    coauthors_item_from,
    detail_item_from,
    profile_item_from,
    publication_item_from,
)
from scholarcrawl.matching import MatchPolicy
from scholarcrawl.middlewares.cooldown import (
    COOLDOWN_MODES,
    META_EGRESS,
    META_REASON,
    PageDeferred,
    retried_reason,
)
from scholarcrawl.pipelines.exclusions import refresh_seconds
from scholarcrawl.pipelines.store import batch_settings
from scholarcrawl.progress import RunProgress
from scholarcrawl.scholar import blocks
from scholarcrawl.scholar.colleagues import parse_colleagues_page
from scholarcrawl.scholar.detail import parse_detail_page
from scholarcrawl.scholar.model import ProfilePage, ScholarPageError
from scholarcrawl.scholar.parser import parse_profile_page
from scholarcrawl.scholar.urls import (
    SCHOLAR_ID_HINT,
    colleagues_url,
    detail_url,
    extract_scholar_id,
    is_valid_scholar_id,
    profile_url,
)
from scholarcrawl.spiders import SCRAPYD_JOB_ARGUMENT
from scholarcrawl.stats import stat_key
from scholarcrawl.store.db import (
    database_lost,
    make_engine,
    resolve_database_url,
    sqlite_file_missing,
)
from scholarcrawl.store.details import DetailTarget
from scholarcrawl.store.exclusions import ExclusionStore
from scholarcrawl.store.queue import (
    COAUTHORS,
    DETAILS,
    PAGES,
    Backoff,
    ContinuationQueue,
    CooldownStore,
    QueueEntry,
    Work,
)
from scholarcrawl.store.refresh import ProfileState, StoredHeader
from scholarcrawl.store.repository import Repository

logger = logging.getLogger(__name__)

PAGINATION_MODES = ("robots", "all")
SORT_MODES = ("pubdate",)
RESUME_MODES = ("due",)
REFRESH_MODES = ("full", "new")
DETAIL_MODES = ("missing", "all")
COAUTHOR_MODES = ("full",)
# Scheduler priorities: every profile's first page, then deeper pages (-1, -2, ...), then
# co-author lists, then detail pages, so a block late in a run costs the fewest profiles.
COAUTHORS_PRIORITY = -1000
DETAILS_PRIORITY = -2000
# Why a profile ended complete before its last page (the outcome's reason):
CAUGHT_UP = "caught_up"  # refresh=new: every row of a page (newest first) was already known
UNCHANGED = "unchanged"  # skip_unchanged: page one showed the profile as last crawled
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")
# How often an unforced sync_cooldowns reads the stored cooldowns; the cooldown middleware
# forces a read before every Scholar request (docs: README "Scaling out").
COOLDOWN_SYNC_SECONDS = 2.0


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
    cooldown_mode: str
    lease_seconds: float
    backoff: Backoff
    max_detail_pages: int = 100
    follow_max_profiles: int = 100

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
        mode = str(settings.get("SCHOLAR_COOLDOWN_MODE", "defer")).strip().lower()
        if mode not in COOLDOWN_MODES:
            raise SpiderArgumentError(
                f"SCHOLAR_COOLDOWN_MODE must be one of {', '.join(COOLDOWN_MODES)}, not {mode!r}"
            )
        base = settings.getfloat("CONTINUATION_BASE_DELAY_SECONDS", 120.0)
        most = settings.getfloat("CONTINUATION_MAX_DELAY_SECONDS", 3600.0)
        attempts = settings.getint("CONTINUATION_MAX_ATTEMPTS", 6)
        if not 0 < base <= most:
            raise SpiderArgumentError(
                "CONTINUATION_BASE_DELAY_SECONDS must be positive and at most "
                f"CONTINUATION_MAX_DELAY_SECONDS (got {base} and {most})"
            )
        if attempts < 1:
            raise SpiderArgumentError(
                f"CONTINUATION_MAX_ATTEMPTS must be at least 1, not {attempts}"
            )
        backoff = Backoff(base_seconds=base, max_seconds=most, max_attempts=attempts)
        lease = settings.getfloat("CONTINUATION_LEASE_SECONDS", 900.0)
        if lease <= 0:
            raise SpiderArgumentError("CONTINUATION_LEASE_SECONDS must be positive")
        try:
            slot_names(settings)
        except ProxySettingError as exc:
            raise SpiderArgumentError(str(exc)) from None
        max_detail_pages = settings.getint("SCHOLAR_MAX_DETAIL_PAGES", 100)
        if max_detail_pages < 0:
            raise SpiderArgumentError(
                f"SCHOLAR_MAX_DETAIL_PAGES must be 0 or more, not {max_detail_pages}"
            )
        follow_max = settings.getint("SCHOLAR_FOLLOW_MAX_PROFILES", 100)
        if follow_max < 1:
            raise SpiderArgumentError(
                f"SCHOLAR_FOLLOW_MAX_PROFILES must be at least 1, not {follow_max}"
            )
        return cls(
            base_url=base_url,
            language=str(settings.get("SCHOLAR_LANGUAGE", "en")),
            page_size=page_size,
            pagination=pagination,
            download_slot=str(settings.get("SCHOLAR_DOWNLOAD_SLOT", "scholar")),
            cooldown_mode=mode,
            lease_seconds=lease,
            backoff=backoff,
            max_detail_pages=max_detail_pages,
            follow_max_profiles=follow_max,
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


def parse_ids(
    ids: str | None = None, ids_file: str | None = None, *, required: bool = True
) -> list[str]:
    """Validated, de-duplicated scholar ids from the ``ids`` and ``ids_file`` arguments.

    Raises SpiderArgumentError naming every invalid entry at once.
    """
    raw: list[str] = []
    if ids:
        raw.extend(part for part in ids.replace("\n", ",").split(",") if part.strip())
    if ids_file:
        raw.extend(read_ids_file(ids_file))
    if not raw:
        if not required:
            return []
        raise SpiderArgumentError(
            "no profile to crawl: give -a ids=ID1,ID2, -a ids_file=PATH or -a resume=due"
        )
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
            f"invalid Scholar id{'s' if len(invalid) > 1 else ''}: {listed} ({SCHOLAR_ID_HINT})"
        )
    return valid


def refuse_unknown(spider: str, arguments: Mapping[str, Any], known: Sequence[str]) -> None:
    """Refuse arguments the spider does not take (scrapyd's job id is always accepted)."""
    unknown = sorted(set(arguments) - set(known) - {SCRAPYD_JOB_ARGUMENT})
    if unknown:
        raise SpiderArgumentError(
            f"unknown argument{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: "
            f"the {spider} spider takes {', '.join(known)}"
        )


def _positive_int(name: str, value: Any) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise SpiderArgumentError(f"{name} must be a whole number, not {value!r}") from None
    if number < 1:
        raise SpiderArgumentError(f"{name} must be at least 1, not {number}")
    return number


def _positive_float(name: str, value: Any) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        raise SpiderArgumentError(f"{name} must be a number of seconds, not {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise SpiderArgumentError(f"{name} must be a positive number of seconds, not {value!r}")
    return number


def _flag(name: str, value: Any) -> bool:
    text = "" if value is None else str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SpiderArgumentError(f"{name} must be 1 or 0, not {value!r}")


@dataclass(frozen=True, slots=True)
class Ending:
    """Why a page ends its profile ``complete`` with a reason (``caught_up``, ``unchanged``),
    whether or not Scholar shows more, and the profile's size as known then (its pages not
    fetched are as earlier runs stored them)."""

    reason: str
    pages: int
    rows: int


@dataclass(slots=True)
class PendingPage:
    """A parsed page whose items are still in the pipelines."""

    remaining: int
    next_cstart: int | None  # None: the profile's last page, or one that ends it early
    error: str | None = None
    ending: Ending | None = None  # set when the page ends the profile (caught up, unchanged)
    stage: str = PAGES


@dataclass(frozen=True, slots=True)
class Planned:
    """Where a run starts a profile: a stage and, in the pages stage, a ``cstart``."""

    scholar_id: str
    stage: str
    cstart: int


class ScholarSpider(TimeBudget, scrapy.Spider):
    """Crawls Google Scholar profiles page by page (``pagesize=100``, ``cstart=``)."""

    name = "scholar"

    ARGUMENTS = (
        "ids",
        "ids_file",
        "sortby",
        "refresh",
        "skip_unchanged",
        "resume",
        "limit",
        "max_pages",
        "max_seconds",
        "dry_run",
        "details",
        "max_detail_pages",
        "coauthors",
        "follow_coauthors",
        "max_profiles",
    )

    def __init__(self, **kwargs: Any) -> None:
        arguments = {name: kwargs.pop(name, None) for name in self.ARGUMENTS}
        super().__init__(**kwargs)
        self.arguments = self.check_arguments(arguments)
        self.scholar_ids: list[str] = self.arguments["scholar_ids"]
        self.sortby: str | None = self.arguments["sortby"]
        self.refresh: str = self.arguments["refresh"]
        self.skip_unchanged: bool = self.arguments["skip_unchanged"]
        self.resume: str | None = self.arguments["resume"]
        self.limit: int | None = self.arguments["limit"]
        self.max_pages: int | None = self.arguments["max_pages"]
        self.max_seconds: float | None = self.arguments["max_seconds"]
        self.dry_run: bool = self.arguments["dry_run"]
        self.work = Work(details=self.arguments["details"], coauthors=self.arguments["coauthors"])
        self.max_detail_pages: int | None = self.arguments["max_detail_pages"]
        self.follow_depth: int = self.arguments["follow_coauthors"] or 0
        self.max_profiles: int | None = self.arguments["max_profiles"]
        self.progress = RunProgress()
        for scholar_id in self.scholar_ids:
            self.progress.add(scholar_id)
        self.run_id: str | None = None  # set by the run tracker when the spider opens
        self.ledger: Ledger | None = None
        self.cooldowns: CooldownStore | None = None
        self._engine: Engine | None = None
        self._repository: Repository | None = None
        self._state: ProfileState | None = None
        self._state_unreadable = False
        self._stored: dict[str, StoredHeader | None] = {}
        self._new_rows: dict[str, int] = {}  # refresh=new: rows not known before, per profile
        self._sortby_of: dict[str, str | None] = {}
        self._pages_requested = 0
        self._started = time.monotonic()
        self._cooldowns_read = 0.0
        self._pending_pages: dict[tuple[str, str, int | str], PendingPage] = {}
        self._exclusions: ExclusionStore | None = None
        self._work_of: dict[str, Work] = {}  # a due row keeps the work it was queued with
        self._ending_reason: dict[str, str] = {}  # caught_up / unchanged, until the end
        self._details_requested = 0
        self._detail_targets: dict[str, deque[DetailTarget]] = {}
        self._detail_in_flight: dict[tuple[str, str], DetailTarget] = {}
        self._pages_done: set[str] = set()  # profiles whose every page is stored
        # follow_coauthors: every profile of the run by its level (seeds are 0), the profiles
        # of each level whose co-authors are not known yet, the candidates of each level
        self._depth_of: dict[str, int] = {}
        self._level_waiting: dict[int, set[str]] = {}
        self._candidates: dict[int, dict[str, None]] = {}
        self._coauthors_reported: set[str] = set()
        self._following = False  # set once the seeds are planned

    @classmethod
    def check_arguments(cls, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Validate the spider's arguments (called by ``scrapy crawl`` before anything runs)."""
        refuse_unknown(cls.name, arguments, cls.ARGUMENTS)
        sortby = arguments.get("sortby") or None
        refresh = arguments.get("refresh") or "full"
        if refresh not in REFRESH_MODES:
            raise SpiderArgumentError(
                f"refresh must be {' or '.join(REFRESH_MODES)} (or absent), not {refresh!r}"
            )
        if refresh == "new":
            if sortby not in (None, "pubdate"):
                raise SpiderArgumentError(
                    "refresh=new reads every profile newest first (sortby=pubdate), so it "
                    f"cannot take sortby={sortby!r}"
                )
            sortby = "pubdate"
        if sortby is not None and sortby not in SORT_MODES:
            raise SpiderArgumentError(
                f"sortby must be {' or '.join(SORT_MODES)} (or absent), not {sortby!r}"
            )
        resume = arguments.get("resume") or None
        if resume is not None and resume not in RESUME_MODES:
            raise SpiderArgumentError(
                f"resume must be {' or '.join(RESUME_MODES)} (or absent), not {resume!r}"
            )
        limit = _positive_int("limit", arguments.get("limit"))
        if limit is not None and resume is None:
            raise SpiderArgumentError("limit applies to -a resume=due only")
        scholar_ids = parse_ids(
            arguments.get("ids"), arguments.get("ids_file"), required=resume is None
        )
        details = arguments.get("details") or None
        if details is not None and details not in DETAIL_MODES:
            raise SpiderArgumentError(
                f"details must be {' or '.join(DETAIL_MODES)} (or absent), not {details!r}"
            )
        max_detail_pages = _positive_int("max_detail_pages", arguments.get("max_detail_pages"))
        if max_detail_pages is not None and details is None:
            raise SpiderArgumentError("max_detail_pages applies to -a details=missing|all only")
        coauthors = arguments.get("coauthors") or None
        if coauthors is not None and coauthors not in COAUTHOR_MODES:
            raise SpiderArgumentError(f"coauthors must be full (or absent), not {coauthors!r}")
        follow = _positive_int("follow_coauthors", arguments.get("follow_coauthors"))
        max_profiles = _positive_int("max_profiles", arguments.get("max_profiles"))
        if max_profiles is not None and follow is None:
            raise SpiderArgumentError("max_profiles applies to -a follow_coauthors=DEPTH only")
        return {
            "scholar_ids": scholar_ids,
            "sortby": sortby,
            "refresh": refresh,
            "skip_unchanged": _flag("skip_unchanged", arguments.get("skip_unchanged")),
            "resume": resume,
            "limit": limit,
            "max_pages": _positive_int("max_pages", arguments.get("max_pages")),
            "max_seconds": _positive_float("max_seconds", arguments.get("max_seconds")),
            "dry_run": _flag("dry_run", arguments.get("dry_run")),
            "details": details,
            "max_detail_pages": max_detail_pages,
            "coauthors": coauthors,
            "follow_coauthors": follow,
            "max_profiles": max_profiles,
        }

    @classmethod
    def check_settings(cls, settings: BaseSettings) -> None:
        """Validate the Scholar, continuation, store and API settings (before anything runs)."""
        ScholarConfig.from_settings(settings)
        batch_settings(settings)
        refresh_seconds(settings)
        if settings.getbool("IDENTIFIERS_ENABLED", True):
            ApiConfig.from_settings(settings)
            MatchPolicy.from_settings(settings)

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        # Scholar's own download slot: one connection and a polite delay, whatever the global
        # concurrency the machine APIs use. An explicit DOWNLOAD_SLOTS entry wins.
        # With SCHOLAR_PROXIES, each proxy (egress) gets a slot of its own.
        slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
        try:
            names = slot_names(settings)
        except ProxySettingError:
            names = [str(settings.get("SCHOLAR_DOWNLOAD_SLOT", "scholar"))]  # refused later
        for slot in names:
            slots.setdefault(
                slot,
                {
                    "concurrency": settings.getint("SCHOLAR_CONCURRENCY", 1),
                    "delay": settings.getfloat("SCHOLAR_DOWNLOAD_DELAY", 5.0),
                    "jitter": settings.getfloat("SCHOLAR_DOWNLOAD_JITTER", 0.5),
                },
            )
        for slot, values in api_download_slots(settings).items():
            slots.setdefault(slot, values)  # the APIs: paced by the shared rate clock
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = ScholarConfig.from_settings(crawler.settings)
        spider.egress_pool = EgressPool.from_settings(crawler.settings)
        crawler.signals.connect(spider.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(spider.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(spider.item_failed, signal=signals.item_error)
        return spider

    config: ScholarConfig
    egress_pool: EgressPool

    # --- the run's state ---------------------------------------------------------------------

    def _open_state(self) -> None:
        """Queue and cooldown stores on the run's database (the store pipeline migrated it)."""
        self._engine = make_engine(resolve_database_url(self.crawler.settings))
        queue = ContinuationQueue(self._engine, backoff=self.config.backoff)
        self.ledger = Ledger(
            queue,
            owner=make_owner(),
            lease_seconds=self.config.lease_seconds,
            run_id=lambda: self.run_id,
            inc_stat=self._inc_raw,
            on_lost=self._database_lost,
        )
        self.cooldowns = CooldownStore(self._engine)
        self._repository = Repository(self._engine)
        self._state = ProfileState(self._engine)
        self._exclusions = ExclusionStore(self._engine)
        self.sync_cooldowns(force=True)

    def sync_cooldowns(self, force: bool = False) -> bool:
        """Adopt cooldowns stored by any run (this one, or another process sharing the DB).

        False when the stored cooldowns could not be read (the middleware then sends nothing).
        """
        if self.cooldowns is None:
            return True
        now = time.monotonic()
        if not force and now - self._cooldowns_read < COOLDOWN_SYNC_SECONDS:
            return True
        try:
            active = self.cooldowns.active()
        except SQLAlchemyError as exc:
            logger.error("Cannot read stored cooldowns: %s", exc.__class__.__name__)
            return False
        self._cooldowns_read = now
        for name, state in active.items():
            egress = self.egress_pool.get(name)
            until = state.until.timestamp()
            if egress is not None and until > egress.cooldown_until:
                egress.cooldown_until = until
                egress.cooldown_reason = state.reason
        return True

    def persist_cooldown(self, egress: Egress, reason: str, until: float) -> None:
        """Store a cooldown so that every run sharing the database honours it."""
        if self.cooldowns is None:
            return
        try:
            self.cooldowns.activate(
                egress.name, reason, datetime.fromtimestamp(until, UTC), run_id=self.run_id
            )
        except SQLAlchemyError as exc:
            logger.error(
                "Cannot store the cooldown of %s: %s", egress.label, exc.__class__.__name__
            )
            self._inc("run/database_error")

    def closed(self, reason: str) -> None:
        if self.ledger is not None:
            self.ledger.stop()
        if self._engine is not None:
            self._engine.dispose()

    def run_progress(self) -> dict[str, int]:
        """Pages done of pages known, for the run's record (see RunProgress.report)."""
        return self.progress.report()

    # --- requests --------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        if self.dry_run:
            self._print_plan()
            return
        self._open_state()
        assert self.ledger is not None
        plan: list[Planned] = []
        try:
            plan = self._claim_plan()
        except SQLAlchemyError as exc:
            logger.error(
                "The continuation queue cannot be reached (%s): nothing is sent, since nothing "
                "could record where the crawl got to",
                exc.__class__.__name__,
            )
            self._inc("run/database_error")
            self.ledger.stop()
            return
        self.ledger.start_heartbeat()
        if not plan and self.resume == "due":
            logger.info("No continuation is due now (`scholarcrawl queue list` shows when)")
        if self.egress_pool.all_cooling():
            until = self.egress_pool.earliest_cooldown_end()
            reasons = sorted({e.cooldown_reason or "?" for e in self.egress_pool.egresses})
            when = datetime.fromtimestamp(until, UTC).isoformat(timespec="seconds")
            if self.config.cooldown_mode == "defer":
                logger.warning(
                    "Scholar cools down until %s (%s): nothing is sent; %d profiles stay in the "
                    "continuation queue for -a resume=due after then",
                    when,
                    ", ".join(reasons),
                    len(plan),
                )
                for planned in plan:
                    self._deferred(
                        planned.scholar_id, planned.cstart, "cooldown", until, planned.stage
                    )
                return
            logger.warning("Scholar cools down until %s (%s): waiting", when, ", ".join(reasons))
            await self.sleep_within_budget(until - time.time())
            if self.budget_exhausted():
                for planned in plan:
                    self._deferred(
                        planned.scholar_id, planned.cstart, "max_seconds", None, planned.stage
                    )
                return
        self._start_following()
        for planned in plan:
            request = self._stage_request(planned.scholar_id, planned.stage, planned.cstart)
            if request is not None:
                yield request

    def _claim_plan(self) -> list[Planned]:
        """Claim every profile of this run; where each starts, in order."""
        assert self.ledger is not None
        plan: list[Planned] = []
        excluded = self._excluded(self.scholar_ids)
        for scholar_id in self.scholar_ids:
            if scholar_id in excluded:
                self._skip_excluded(scholar_id, "named")
                continue
            entry = self.ledger.claim_profile(scholar_id, self.sortby, self.work)
            if entry is None:
                # recorded in run_scholars too: `runs show` says why this run left it alone
                self._finish(scholar_id, progress.CLAIMED_ELSEWHERE, "claimed_elsewhere")
                logger.warning(
                    "Profile %s is being crawled by another run (its queue row is claimed): "
                    "skipped",
                    scholar_id,
                )
                continue
            plan.append(self._planned(entry.scholar_id, entry.cstart, entry.sortby, entry))
        if self.resume == "due":
            for scholar_id in self.ledger.close_excluded():
                self._skip_excluded(scholar_id, "queued")
            for entry in self.ledger.claim_due(self.limit):
                if entry.scholar_id not in self._sortby_of:
                    plan.append(self._planned(entry.scholar_id, entry.cstart, entry.sortby, entry))
        return plan

    def _planned(
        self, scholar_id: str, cstart: int, sortby: str | None, entry: QueueEntry, depth: int = 0
    ) -> Planned:
        progress_entry = self.progress.add(scholar_id)
        # the row's own order: a claimed id's row has this run's sortby (claim_profile starts
        # a row of another order again), a due row keeps the order its pages were listed in
        self._sortby_of[scholar_id] = sortby
        # and its own work: a named id's row took this run's, a due row keeps what it was
        # queued with
        self._work_of[scholar_id] = entry.work
        self._depth_of[scholar_id] = depth  # follow_coauthors: seeds are level 0
        if entry.stage == PAGES:
            progress_entry.pages_before = math.ceil(cstart / self.config.page_size)
            progress_entry.rows_before = cstart
            return Planned(scholar_id, PAGES, cstart)
        self._pages_done.add(scholar_id)
        header = self._stored_header(scholar_id)  # its pages were fetched by an earlier run
        if header is not None:
            progress_entry.pages_before = header.pages_fetched or 0
            progress_entry.rows_before = header.rows_seen or 0
        return Planned(scholar_id, entry.stage, 0)

    def _print_plan(self) -> None:
        """``dry_run``: the requests this run would start with; nothing sent, nothing written."""
        queued: dict[str, tuple[int, str | None]] = {}
        due: list[tuple[str, int, str | None]] = []
        later: dict[str, QueueEntry] = {}  # due rows past their pages
        url = resolve_database_url(self.crawler.settings)
        if not sqlite_file_missing(url):  # connecting would create the file: nothing queued
            engine = make_engine(url)
            try:
                queue = ContinuationQueue(engine)
                queued = {
                    entry.scholar_id: (entry.cstart, entry.sortby)
                    for entry in queue.entries()
                    if entry.status in ("queued", "claimed")
                }
                due_rows = queue.due()
                due = [(entry.scholar_id, entry.cstart, entry.sortby) for entry in due_rows]
                later = {e.scholar_id: e for e in due_rows if e.stage != PAGES}
            except SQLAlchemyError as exc:
                print(f"dry run: continuation queue not readable ({exc.__class__.__name__})")
            finally:
                engine.dispose()
        planned: list[tuple[str, int, str | None]] = []
        for scholar_id in self.scholar_ids:
            # a row queued in another order starts again from page 0 (see claim_profile)
            cstart, sortby = queued.get(scholar_id, (0, self.sortby))
            planned.append((scholar_id, cstart if sortby == self.sortby else 0, self.sortby))
        if self.resume == "due":
            planned += [row for row in due if row[0] not in self.scholar_ids][: self.limit]
        print(f"dry run: {len(planned)} profiles; nothing is sent and nothing is written")
        if self.refresh == "new":
            print(
                "dry run: refresh=new: profiles newest first (sortby=pubdate), each stopping at "
                "the first page whose rows are all known"
            )
        if self.skip_unchanged:
            print(
                "dry run: skip_unchanged: a profile unchanged since its last crawl stops at page 1"
            )
        if self.work.coauthors:
            print("dry run: coauthors=full: then each profile's full co-author list (1 request)")
        if self.work.details:
            print(
                f"dry run: details={self.work.details}: then detail pages, at most "
                f"{self.detail_budget} in this run"
            )
        if self.follow_depth:
            print(
                f"dry run: follow_coauthors={self.follow_depth}: co-authors breadth-first, at "
                f"most {self.follow_limit} profiles in all"
            )
        for scholar_id, cstart, sortby in planned:
            entry = later.get(scholar_id) if scholar_id not in self.scholar_ids else None
            if entry is not None:
                print(
                    f"dry run: would continue {scholar_id} at its {entry.stage} stage "
                    f"(details={entry.work.details}, coauthors={entry.work.coauthors})"
                )
                self.progress.finish(scholar_id, progress.PENDING)
                continue
            order = f"sortby={sortby}" if sortby else "no sortby: most cited first"
            print(f"dry run: would request {self._page_url(scholar_id, cstart, sortby)} ({order})")
            self.progress.finish(scholar_id, progress.PENDING)

    def _page_url(self, scholar_id: str, cstart: int, sortby: str | None) -> str:
        return profile_url(
            self.config.base_url,
            scholar_id,
            cstart=cstart,
            pagesize=self.config.page_size,
            language=self.config.language,
            sortby=sortby,
        )

    def page_request(self, scholar_id: str, cstart: int) -> scrapy.Request | None:
        """The request for one page (first pages outrank deeper ones), or None past max_pages."""
        if self.max_pages is not None and self._pages_requested >= self.max_pages:
            return None
        self._pages_requested += 1
        page_index = cstart // self.config.page_size
        meta = self._scholar_meta(scholar_id, PAGES, cstart)
        if cstart and self.config.pagination == "all":
            meta["dont_obey_robotstxt"] = True
        return scrapy.Request(
            self._page_url(scholar_id, cstart, self._sortby_of.get(scholar_id, self.sortby)),
            callback=self.parse_page,
            errback=self.page_failed,
            priority=-page_index,
            meta=meta,
            dont_filter=True,
        )

    def _scholar_meta(self, scholar_id: str, stage: str, cstart: int = 0) -> dict[str, Any]:
        """The meta of every Scholar request: what the cooldown middleware and the errback
        read (``scholar_id`` marks a Scholar request)."""
        return {
            "scholar_id": scholar_id,
            "stage": stage,
            "cstart": cstart,
            "download_slot": self.config.download_slot,
            "dont_redirect": True,
            "dont_retry": True,  # ScholarCooldownMiddleware retries Scholar, Scrapy does not
            "handle_httpstatus_list": [*blocks.REDIRECT_STATUSES, 403, 404, 429, 500, 502, 503],
        }

    def _stage_request(self, scholar_id: str, stage: str, cstart: int) -> scrapy.Request | None:
        """The next request of a profile at ``stage``; None when none is to be sent (the
        profile was deferred, or it is complete: both already recorded)."""
        if stage == PAGES:
            request = self.page_request(scholar_id, cstart)
            if request is None:
                self._deferred(scholar_id, cstart, "max_pages", None)
            return request
        if stage == COAUTHORS:
            if self.max_pages is not None and self._pages_requested >= self.max_pages:
                self._deferred(scholar_id, 0, "max_pages", None, COAUTHORS)
                return None
            self._pages_requested += 1
            return scrapy.Request(
                colleagues_url(self.config.base_url, scholar_id, language=self.config.language),
                callback=self.parse_colleagues,
                errback=self.page_failed,
                priority=COAUTHORS_PRIORITY,
                meta=self._scholar_meta(scholar_id, COAUTHORS),
                dont_filter=True,
            )
        return self._detail_request(scholar_id)

    def _detail_request(self, scholar_id: str) -> scrapy.Request | None:
        """The request for the profile's next publication still without details, within the
        run's detail budget; None when none is left (the profile completes) or the budget is
        spent (it waits in the queue)."""
        targets = self._detail_targets.get(scholar_id)
        if targets is None:
            work = self._work_of.get(scholar_id, self.work)
            try:
                assert self._repository is not None
                # a row in its detail stage always has its mode; "missing" if a late write of
                # a run that lost the row ever left it without one
                mode = work.details or "missing"
                targets = deque(self._repository.details_pending(scholar_id, mode))
            except SQLAlchemyError as exc:
                logger.error(
                    "Cannot read which publications of %s need details: %s",
                    scholar_id,
                    exc.__class__.__name__,
                )
                self._inc("run/database_error")
                self._finish(scholar_id, progress.ERROR, "database_error", next_cstart=0)
                assert self.ledger is not None
                self.ledger.fail(scholar_id, 0, "database_error", str(exc), None, DETAILS)
                return None
            targets = self._requestable(scholar_id, targets)
            self._detail_targets[scholar_id] = targets
            if targets:
                logger.info(
                    "Profile %s: %d publications need their detail page (details=%s)",
                    scholar_id,
                    len(targets),
                    work.details,
                )
        if not targets:
            del self._detail_targets[scholar_id]
            self._stage_done(scholar_id, DETAILS)
            return None
        budget = self.detail_budget
        if self._details_requested >= budget:
            left = len(targets)
            del self._detail_targets[scholar_id]
            self._inc("detail/over_budget")
            logger.info(
                "Profile %s: the run's %d detail pages are spent; %d wait in the "
                "continuation queue",
                scholar_id,
                budget,
                left,
            )
            self._deferred(scholar_id, 0, "max_detail_pages", None, DETAILS)
            return None
        target = targets.popleft()
        self._details_requested += 1
        self._detail_in_flight[(scholar_id, target.scholar_pub_key)] = target
        meta = self._scholar_meta(scholar_id, DETAILS)
        meta["pub_key"] = target.scholar_pub_key
        return scrapy.Request(
            detail_url(
                self.config.base_url,
                scholar_id,
                target.scholar_pub_key,
                language=self.config.language,
            ),
            callback=self.parse_detail,
            errback=self.page_failed,
            priority=DETAILS_PRIORITY,
            meta=meta,
            dont_filter=True,
        )

    def _requestable(self, scholar_id: str, targets: deque[DetailTarget]) -> deque[DetailTarget]:
        """The targets whose stored key makes a detail URL; the others are recorded as having
        no detail page (``bad_key``), so that no run stops at them."""
        kept: deque[DetailTarget] = deque()
        for target in targets:
            try:
                detail_url(self.config.base_url, scholar_id, target.scholar_pub_key)
            except ValueError as exc:
                self._inc("detail/bad_key")
                logger.error("Publication of %s has no detail page to ask for: %s", scholar_id, exc)
                self._mark_no_detail(scholar_id, target.scholar_pub_key, "bad_key")
                continue
            kept.append(target)
        return kept

    def _mark_no_detail(self, scholar_id: str, pub_key: str, reason: str) -> None:
        """Record that a publication has no detail page, so that no run asks for it again."""
        if self._repository is None:
            return
        try:
            self._repository.mark_details_unavailable(scholar_id, pub_key, reason)
        except SQLAlchemyError as exc:
            logger.error(
                "Cannot record that %s has no detail page: %s", pub_key, exc.__class__.__name__
            )
            self._inc("run/database_error")

    @property
    def follow_limit(self) -> int:
        """Profiles this run may crawl in all under follow_coauthors (``-a max_profiles``,
        else the setting)."""
        return self.max_profiles or self.config.follow_max_profiles

    @property
    def detail_budget(self) -> int:
        """Detail pages this run may request (``-a max_detail_pages``, else the setting)."""
        if self.max_detail_pages is not None:
            return self.max_detail_pages
        return self.config.max_detail_pages

    # --- responses -------------------------------------------------------------------------

    def parse_page(self, response: Response) -> Iterator[Any]:
        scholar_id: str = response.meta["scholar_id"]
        cstart: int = response.meta["cstart"]
        self._inc("page/fetched")
        if not self._readable(response, scholar_id, cstart, PAGES):
            return
        try:
            page = parse_profile_page(response_selector(response), cstart=cstart)
        except ScholarPageError as exc:
            self._page_not_read(scholar_id, cstart, exc.reason, response.url, response.meta)
            return
        self.progress.page_fetched(scholar_id, len(page.rows))
        more = page.more_enabled and bool(page.rows)
        # read before this page's items are stored: storing them makes them known
        ending = self._ending(scholar_id, page, more)
        items: list[Any] = [publication_item_from(scholar_id, row) for row in page.rows]
        if cstart == 0:
            items.insert(0, profile_item_from(scholar_id, page.header))
            if self._work_of.get(scholar_id, self.work).coauthors is None:
                # without the full list, page one's (at most 20) are the co-authors to follow
                self._coauthors_known(scholar_id, [c.scholar_id for c in page.header.coauthors])
        key: tuple[str, str, int | str] = (scholar_id, PAGES, cstart)
        self._pending_pages[key] = PendingPage(
            remaining=len(items),
            next_cstart=cstart + self.config.page_size if more and ending is None else None,
            ending=ending,
        )
        # The queue moves past this page, and the next page is requested, only once every
        # item of it went through the pipelines (item signals: see _item_done).
        yield from items
        if not items:
            self._page_stored(key)

    def _readable(
        self, response: Response, scholar_id: str, cstart: int, stage: str
    ) -> TypeGuard[TextResponse]:
        """Whether the response is a page to parse; when not (a block, a sign-in page, an
        unexpected status, not text), the profile's outcome is recorded and False."""
        # classified once, by the cooldown middleware (here when it is not installed)
        reason = response.meta.get(META_REASON) or blocks.classify_response(response)
        if reason == blocks.OK and not isinstance(response, TextResponse):
            reason = "layout_unrecognised"
        if reason == blocks.OK:
            return True
        self._page_not_read(scholar_id, cstart, reason, response.url, response.meta, stage)
        return False

    def parse_colleagues(self, response: Response) -> Iterator[Any]:
        """The profile's full co-author list (``-a coauthors=full``)."""
        scholar_id: str = response.meta["scholar_id"]
        self._inc("coauthors/fetched")
        if response.status == 404:
            # "not found" for the co-author list: the profile has none to show
            self._inc("coauthors/unavailable")
            logger.info("Profile %s has no co-author list page (%s)", scholar_id, response.url)
            self._coauthors_known(scholar_id, None)
            self._stage_done(scholar_id, COAUTHORS)
            return
        if not self._readable(response, scholar_id, 0, COAUTHORS):
            return
        try:
            coauthors = parse_colleagues_page(response_selector(response))
        except ScholarPageError as exc:
            self._page_not_read(scholar_id, 0, exc.reason, response.url, response.meta, COAUTHORS)
            return
        self.progress.get(scholar_id)  # the profile is this run's
        self._coauthors_known(scholar_id, [c.scholar_id for c in coauthors])
        self._pending_pages[(scholar_id, COAUTHORS, 0)] = PendingPage(
            remaining=1, next_cstart=None, stage=COAUTHORS
        )
        yield coauthors_item_from(scholar_id, coauthors)

    def parse_detail(self, response: Response) -> Iterator[Any]:
        """One publication's detail page (``-a details=...``), merged into the publication."""
        scholar_id: str = response.meta["scholar_id"]
        pub_key: str = response.meta["pub_key"]
        target = self._detail_in_flight.pop((scholar_id, pub_key))
        self._inc("detail/fetched")
        if response.status == 404:
            # the article is gone from the profile: recorded, so no run asks for it again
            self._inc("detail/unavailable")
            logger.info("Publication %s of %s has no detail page any more", pub_key, scholar_id)
            self._mark_no_detail(scholar_id, pub_key, "not_found")
            self._continue_details(scholar_id)
            return
        if not self._readable(response, scholar_id, 0, DETAILS):
            return
        try:
            detail = parse_detail_page(response_selector(response))
        except ScholarPageError as exc:
            self._page_not_read(scholar_id, 0, exc.reason, response.url, response.meta, DETAILS)
            return
        self._pending_pages[(scholar_id, DETAILS, pub_key)] = PendingPage(
            remaining=1, next_cstart=None, stage=DETAILS
        )
        yield detail_item_from(
            scholar_id,
            pub_key,
            detail,
            publication_id=target.publication_id,
            fingerprint=target.fingerprint,
        )

    # --- request economy (refresh=new, skip_unchanged) ---------------------------------------

    def _ending(self, scholar_id: str, page: ProfilePage, more: bool) -> Ending | None:
        """Whether this page ends its profile: unchanged since its last complete crawl
        (``skip_unchanged``, page one only), or caught up (``refresh=new``, newest first:
        every row of the page was known before this run). Read before the page is stored;
        at most one query for the page's rows."""
        newest_first = self.refresh == "new" and self._sortby_of.get(scholar_id) == "pubdate"
        skip = self.skip_unchanged and page.cstart == 0
        if not (newest_first or skip):
            return None
        read: list[dict[str, int]] = []

        def known() -> dict[str, int]:
            if not read:
                read.append(self._known_rows(scholar_id, page))
            return read[0]

        ending = self._unchanged(scholar_id, page, more, known) if skip else None
        if ending is None and newest_first:
            ending = self._caught_up(scholar_id, page, more, known)
        return ending

    def _unchanged(
        self,
        scholar_id: str,
        page: ProfilePage,
        more: bool,
        known: Callable[[], dict[str, int]],
    ) -> Ending | None:
        """Page one shows the profile as its last complete crawl stored it: the same citation
        indices and, as far as page one tells, the same publications."""
        header = self._stored_header(scholar_id)
        if not self._header_unchanged(header, page):
            return None
        assert header is not None and header.rows_seen is not None
        if not more:  # the whole profile is on this page: its rows are the count
            if len(page.rows) != header.rows_seen:
                return None
            return Ending(UNCHANGED, 1, len(page.rows))
        # Scholar prints no count: every row of page one known with its stored citations,
        # and the profile had more than a page (a new uncited paper at the end goes unseen)
        if header.rows_seen <= self.config.page_size:
            return None
        stored = known()
        if not all(
            row.scholar_pub_key is not None and stored.get(row.scholar_pub_key) == row.citations
            for row in page.rows
        ):
            return None
        pages = max(math.ceil(header.rows_seen / self.config.page_size), header.pages_fetched or 0)
        return Ending(UNCHANGED, pages, header.rows_seen)

    def _caught_up(
        self,
        scholar_id: str,
        page: ProfilePage,
        more: bool,
        known: Callable[[], dict[str, int]],
    ) -> Ending | None:
        """Newest first, every row of this page was known before this run: so are the rows
        of the pages after it (a row without a Scholar key is never known)."""
        stored = known()
        new = sum(1 for row in page.rows if row.scholar_pub_key not in stored)
        self._new_rows[scholar_id] = self._new_rows.get(scholar_id, 0) + new
        if new or not page.rows:
            return None
        entry = self.progress.get(scholar_id)
        header = self._stored_header(scholar_id)
        crawled = (
            header is not None
            and header.crawl_status == progress.COMPLETE
            and header.rows_seen is not None
        )
        if not crawled and entry.pages_before == 0:
            # the pages past this one may never have been fetched (a first crawl in robots
            # mode, an abandoned one): the rows known up to here say nothing about them
            return None
        pages = entry.pages_before + entry.pages_fetched
        rows = entry.rows_before + entry.rows_seen
        if more and crawled:
            # the pages past this one list what the last complete crawl saw, and the rows
            # new since then came before this page
            assert header is not None and header.rows_seen is not None
            rows = max(rows, header.rows_seen + self._new_rows[scholar_id])
            pages = max(pages, math.ceil(rows / self.config.page_size))
        return Ending(CAUGHT_UP, pages, rows)

    @staticmethod
    def _header_unchanged(header: StoredHeader | None, page: ProfilePage) -> bool:
        """The stored profile was last crawled to its end, with page one's citation indices."""
        return (
            header is not None
            and header.crawl_status == progress.COMPLETE
            and header.pages_fetched is not None
            and header.rows_seen is not None
            and (header.citations_all, header.h_index_all, header.i10_all)
            == (page.header.citations_all, page.header.h_index_all, page.header.i10_all)
        )

    def _stored_header(self, scholar_id: str) -> StoredHeader | None:
        """The profile's stored header (read once a run, before this run stores page one);
        None when never stored or not readable (then the profile counts as changed)."""
        if scholar_id not in self._stored:
            header = None
            if self._state is not None:
                try:
                    header = self._state.stored_header(scholar_id)
                except SQLAlchemyError as exc:
                    self._unreadable(exc)
            self._stored[scholar_id] = header
        return self._stored[scholar_id]

    def _known_rows(self, scholar_id: str, page: ProfilePage) -> dict[str, int]:
        """Stored citations of the page's rows this scholar already has, by Scholar key
        (one query); a row without a key is never known. Empty when not readable."""
        keys = [row.scholar_pub_key for row in page.rows if row.scholar_pub_key is not None]
        if self._state is None or not keys:
            return {}
        try:
            return self._state.known_rows(scholar_id, keys)
        except SQLAlchemyError as exc:
            self._unreadable(exc)
            return {}

    def _unreadable(self, exc: SQLAlchemyError) -> None:
        # nothing is lost: the profile is fetched as with refresh=full and no skip
        self._inc("refresh/read_failed")
        if not self._state_unreadable:
            self._state_unreadable = True
            logger.warning(
                "Cannot read what earlier runs stored (%s): profiles whose state cannot be read "
                "are fetched to their last page",
                exc.__class__.__name__,
            )

    # --- pages stored ------------------------------------------------------------------------

    def item_scraped(self, item: Any, response: Response, spider: scrapy.Spider) -> None:
        self._item_done(response, None)

    def item_dropped(
        self, item: Any, response: Response, exception: BaseException, spider: scrapy.Spider
    ) -> None:
        self._item_done(response, None)  # refused as invalid: handled, and counted in stats

    def item_failed(
        self, item: Any, response: Response, spider: scrapy.Spider, failure: Failure
    ) -> None:
        self._item_done(response, f"{failure.type.__name__}: {failure.getErrorMessage()}")

    def _item_done(self, response: Response | None, error: str | None) -> None:
        if response is None or "scholar_id" not in response.meta:
            return
        meta = response.meta
        stage = meta.get("stage", PAGES)
        where = meta.get("pub_key", "") if stage == DETAILS else meta.get("cstart", 0)
        key = (meta["scholar_id"], stage, where)
        pending = self._pending_pages.get(key)
        if pending is None:
            return
        pending.remaining -= 1
        if error is not None and pending.error is None:
            pending.error = error
        if pending.remaining <= 0:
            self._page_stored(key)

    def _page_stored(self, key: tuple[str, str, int | str]) -> None:
        """Every item of a page is through the pipelines: move the queue on, or hold it."""
        scholar_id, stage, where = key
        cstart = where if isinstance(where, int) else 0
        pending = self._pending_pages.pop(key)
        assert self.ledger is not None
        if pending.error is not None:
            if DatabaseLoss.of(self.crawler).message is not None:
                # nothing can be recorded (said once): the row's lease brings the page back
                self.progress.finish(scholar_id, progress.ERROR, DATABASE_LOST, next_cstart=cstart)
                return
            self._finish(scholar_id, progress.ERROR, "store_failed", next_cstart=cstart)
            logger.error(
                "Profile %s %s %s was not stored (%s); it stays queued at that page",
                scholar_id,
                stage,
                f"cstart={cstart}" if stage == PAGES else where or "list",
                pending.error,
            )
            self.ledger.fail(scholar_id, cstart, "store_failed", pending.error, None, stage)
            return
        if stage == COAUTHORS:
            self._stage_done(scholar_id, COAUTHORS)
            return
        if stage == DETAILS:
            self._continue_details(scholar_id)
            return
        if pending.ending is not None:
            self._ended_early(scholar_id, cstart, pending.ending)
            return
        if pending.next_cstart is None:
            self._stage_done(scholar_id, PAGES)
            return
        if not self._advance(scholar_id, pending.next_cstart, PAGES):
            return
        request = self.page_request(scholar_id, pending.next_cstart)
        if request is None:
            self._deferred(scholar_id, pending.next_cstart, "max_pages", None)
            return
        assert self.crawler.engine is not None
        self.crawler.engine.crawl(request)

    def _ended_early(self, scholar_id: str, cstart: int, ending: Ending) -> None:
        """The profile is complete without its later pages (caught up, or unchanged)."""
        assert self.ledger is not None
        entry = self.progress.get(scholar_id)
        # the pages not fetched count as stored by earlier runs, so the profile's row keeps
        # its size (skip_unchanged compares it next time)
        entry.pages_before = max(0, ending.pages - entry.pages_fetched)
        entry.rows_before = max(0, ending.rows - entry.rows_seen)
        self._inc(f"refresh/{ending.reason}")
        if ending.reason == CAUGHT_UP:
            logger.info(
                "Profile %s caught up at cstart=%d (refresh=new): every row of the page was "
                "known, so no later page is requested",
                scholar_id,
                cstart,
            )
        else:
            logger.info(
                "Profile %s is unchanged since its last complete crawl (skip_unchanged): "
                "%d of its %d pages not requested",
                scholar_id,
                entry.pages_before,
                ending.pages,
            )
        self._ending_reason[scholar_id] = ending.reason
        self._stage_done(scholar_id, PAGES)

    # --- stages: pages, co-author list, detail pages -----------------------------------------

    def _stage_done(self, scholar_id: str, stage: str) -> None:
        """A stage of the profile is finished: start its next one, or complete it."""
        assert self.ledger is not None
        if stage == PAGES:
            self._pages_done.add(scholar_id)
        work = self._work_of.get(scholar_id, self.work)
        following = work.next_stage(stage)
        if following is None:
            self._finish(scholar_id, progress.COMPLETE, self._ending_reason.pop(scholar_id, None))
            self.ledger.complete(scholar_id)
            return
        if not self._advance(scholar_id, 0, following):
            return
        self._crawl(self._stage_request(scholar_id, following, 0))

    def _advance(self, scholar_id: str, cstart: int, stage: str) -> bool:
        """Move the profile's row on; False, with the profile ended, when another run took it
        over (its lease expired) and this run must stop it."""
        assert self.ledger is not None
        if self.ledger.advance(scholar_id, cstart, stage):
            return True
        self._finish(scholar_id, progress.CLAIMED_ELSEWHERE, "claim_lost")
        logger.warning(
            "Profile %s was taken over by another run (lease expired): this run stops it",
            scholar_id,
        )
        return False

    def _continue_details(self, scholar_id: str) -> None:
        """A detail page is settled (stored, or recorded as gone): as a stored profile page
        does, it clears the row's failed attempts (they count failures of one page), and
        finds out whether the row is still this run's; then the next detail page."""
        if not self._advance(scholar_id, 0, DETAILS):
            return
        self._crawl(self._detail_request(scholar_id))

    def _crawl(self, request: scrapy.Request | None) -> None:
        if request is not None:
            assert self.crawler.engine is not None
            self.crawler.engine.crawl(request)

    # --- follow_coauthors: breadth-first, level by level ---------------------------------------

    def _start_following(self) -> None:
        """The seeds are planned: level 0 waits for their co-authors."""
        if not self.follow_depth:
            return
        seeds = {sid for sid, depth in self._depth_of.items() if depth == 0}
        waiting = self._level_waiting.setdefault(0, set())
        waiting |= seeds - self._coauthors_reported
        self._following = True
        if not waiting:
            self._admit_level(1)

    def _coauthors_known(self, scholar_id: str, coauthor_ids: list[str] | None) -> None:
        """The profile's co-authors are known (None: read the stored ones, since this run
        could not read them): they are candidates of the next level; a level whose every
        profile is known admits the next one."""
        if not self.follow_depth or scholar_id in self._coauthors_reported:
            return
        depth = self._depth_of.get(scholar_id)
        if depth is None:
            return
        self._coauthors_reported.add(scholar_id)
        if coauthor_ids is None:
            coauthor_ids = []
            if self._state is not None:
                try:
                    coauthor_ids = self._state.stored_coauthors(scholar_id)
                except SQLAlchemyError as exc:
                    self._unreadable(exc)
        if depth < self.follow_depth:
            bucket = self._candidates.setdefault(depth + 1, {})
            for coauthor_id in coauthor_ids:
                if coauthor_id not in self._depth_of and is_valid_scholar_id(coauthor_id):
                    bucket.setdefault(coauthor_id, None)
        waiting = self._level_waiting.get(depth)
        if waiting is None:
            return  # the seeds are still being planned: _start_following goes on
        waiting.discard(scholar_id)
        if not waiting and self._following:
            self._admit_level(depth + 1)

    def _admit_level(self, level: int) -> None:
        """Claim and start the profiles of ``level`` (co-authors of the level before), in
        the order they were found, while the run has room (``max_profiles``)."""
        assert self.ledger is not None
        while level <= self.follow_depth:
            candidates = [c for c in self._candidates.pop(level, {}) if c not in self._depth_of]
            excluded = self._excluded(candidates)
            limit = self.follow_limit
            admitted: list[Planned] = []
            over = 0
            for scholar_id in candidates:
                if scholar_id in excluded:
                    self._skip_excluded(scholar_id, "co-author")
                    continue
                if len(self._depth_of) >= limit:
                    over += 1
                    continue
                try:
                    entry = self.ledger.claim_profile(scholar_id, self.sortby, self.work)
                except SQLAlchemyError as exc:
                    logger.error(
                        "Cannot claim co-author %s (%s): not followed",
                        scholar_id,
                        exc.__class__.__name__,
                    )
                    self._inc("run/database_error")
                    continue
                self._depth_of[scholar_id] = level
                if entry is None:
                    self.progress.add(scholar_id)
                    self.progress.finish(
                        scholar_id, progress.CLAIMED_ELSEWHERE, "claimed_elsewhere"
                    )
                    continue
                admitted.append(self._planned(scholar_id, entry.cstart, entry.sortby, entry, level))
            if over:
                self._inc_by("follow/over_limit", over)
                logger.info(
                    "Co-authors at level %d: %d not followed, the run has its %d profiles "
                    "(max_profiles)",
                    level,
                    over,
                    limit,
                )
            if admitted:
                self._inc_by("follow/admitted", len(admitted))
                logger.info(
                    "Following %d co-authors at level %d of %d",
                    len(admitted),
                    level,
                    self.follow_depth,
                )
                self._level_waiting[level] = {p.scholar_id for p in admitted}
                for planned in admitted:
                    self._crawl(
                        self._stage_request(planned.scholar_id, planned.stage, planned.cstart)
                    )
                return
            level += 1  # an empty level: nothing of it can lead further

    # --- exclusions ----------------------------------------------------------------------------

    def _excluded(self, scholar_ids: Sequence[str]) -> set[str]:
        """Which of ``scholar_ids`` are excluded (the claim checks again, atomically)."""
        if not scholar_ids or self._exclusions is None:
            return set()
        try:
            return set(self._exclusions.excluded_scholars(scholar_ids))
        except SQLAlchemyError as exc:
            logger.error("Cannot read the exclusions: %s", exc.__class__.__name__)
            self._inc("run/database_error")
            return set()

    def _skip_excluded(self, scholar_id: str, how: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(stat_key("exclusions", "skipped/scholar"))
        logger.info("Profile %s (%s) is excluded: not requested", scholar_id, how)

    def page_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        scholar_id: str = request.meta["scholar_id"]
        cstart: int = request.meta["cstart"]
        stage: str = request.meta.get("stage", PAGES)
        if stage == DETAILS:
            self._detail_in_flight.pop((scholar_id, request.meta["pub_key"]), None)
        assert self.ledger is not None
        if isinstance(failure.value, PageDeferred):
            earlier = retried_reason(request.meta)
            if earlier is not None:  # a retry held back: the page did fail, and counts so
                self._finish(scholar_id, progress.ERROR, earlier, next_cstart=cstart)
                self._inc(f"page/failed/{earlier}")
                self.ledger.fail(
                    scholar_id, cstart, earlier, str(failure.value), failure.value.until, stage
                )
                return
            self._deferred(scholar_id, cstart, failure.value.reason, failure.value.until, stage)
            return
        if failure.check(IgnoreRequest) and "robots" in str(failure.value).lower():
            self._finish(
                scholar_id,
                progress.ROBOTS_DISALLOWED,
                "robots_disallowed",
                next_cstart=cstart,
            )
            self.ledger.complete(scholar_id)
            self._inc("page/robots_disallowed")
            logger.info(
                "Profile %s has more pages from cstart=%d; robots.txt disallows them "
                "(SCHOLAR_PAGINATION=robots)",
                scholar_id,
                cstart,
            )
            return
        error = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        # Scrapy cancels a body over DOWNLOAD_MAXSIZE: the page was answered, just not readable
        reason = RESPONSE_TOO_LARGE if failure.check(DownloadCancelledError) else "network_error"
        self._finish(scholar_id, progress.ERROR, reason, next_cstart=cstart)
        self._inc(f"page/failed/{reason}")
        logger.error(
            "Profile %s %s failed: %s", scholar_id, _where(stage, cstart, request.url), error
        )
        self.ledger.fail(scholar_id, cstart, reason, error, self._cooldown_end(request.meta), stage)

    def _finish(
        self,
        scholar_id: str,
        status: str,
        reason: str | None = None,
        next_cstart: int | None = None,
    ) -> None:
        """The profile's outcome in this run, stored at once (a killed run keeps what it did).

        A profile whose pages are all stored is ``complete`` even when a later stage (its
        co-author list, its detail pages) stopped: ``reason`` says what stopped it, and its
        continuation row holds the rest. So ``refresh=new`` and ``skip_unchanged`` trust it.
        """
        if scholar_id in self._pages_done and status not in (
            progress.COMPLETE,
            progress.CLAIMED_ELSEWHERE,
        ):
            status = progress.COMPLETE
        self.progress.finish(scholar_id, status, reason, next_cstart=next_cstart)
        entry = self.progress.get(scholar_id)
        if self._repository is None:
            return
        try:
            self._repository.record_profile_outcome(
                scholar_id,
                status=status,
                reason=reason,
                pages_fetched=entry.pages_before + entry.pages_fetched,
                rows_seen=entry.rows_before + entry.rows_seen,
                run_id=self.run_id,
                run_pages=entry.pages_fetched,
                run_rows=entry.rows_seen,
                # nothing fetched this run: the profile's row keeps its state
                update_scholar=entry.pages_fetched > 0
                or status not in (progress.DEFERRED, progress.CLAIMED_ELSEWHERE),
            )
        except SQLAlchemyError as exc:
            logger.error("Cannot record the outcome of %s: %s", scholar_id, exc.__class__.__name__)
            self._inc("run/database_error")  # the run ends failed: its record is incomplete
            if database_lost(exc):
                self._database_lost(exc)
        # follow_coauthors: a profile that ends before its co-authors were read (a block, a
        # deferral) leads to those an earlier run stored
        self._coauthors_known(scholar_id, None)

    def _database_lost(self, exc: BaseException) -> None:
        """The spider's own bookkeeping met a lost database: the crawl stops, as when an item
        cannot be stored (:mod:`scholarcrawl.dbloss`), even if no item comes after."""
        DatabaseLoss.of(self.crawler).lost(exc)

    def _cooldown_end(self, meta: Mapping[str, Any]) -> float | None:
        egress = self.egress_pool.get(meta.get(META_EGRESS, ""))
        if egress is not None and egress.cooling(time.time()):
            return egress.cooldown_until
        return None

    def _deferred(
        self,
        scholar_id: str,
        cstart: int,
        reason: str,
        until: float | None,
        stage: str = PAGES,
    ) -> None:
        """A page not sent: the profile waits in the queue (no attempt counted)."""
        self._finish(scholar_id, progress.DEFERRED, reason, next_cstart=cstart)
        self._inc(f"page/deferred/{reason}")
        assert self.ledger is not None
        self.ledger.defer(scholar_id, cstart, reason, until, stage)

    def _page_not_read(
        self,
        scholar_id: str,
        cstart: int,
        reason: str,
        url: str,
        meta: Mapping[str, Any] | None = None,
        stage: str = PAGES,
    ) -> None:
        self._inc(f"page/not_read/{reason}")
        if reason == blocks.PROFILE_UNAVAILABLE and stage == PAGES:
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
                "Profile %s %s not read (%s): %s",
                scholar_id,
                _where(stage, cstart, url),
                reason,
                url,
            )
        next_cstart = None if status == progress.UNAVAILABLE else cstart
        self._finish(scholar_id, status, reason, next_cstart=next_cstart)
        assert self.ledger is not None
        if status == progress.UNAVAILABLE:
            self.ledger.complete(scholar_id)
        else:
            self.ledger.fail(scholar_id, cstart, reason, url, self._cooldown_end(meta or {}), stage)

    def _inc(self, path: str) -> None:
        self._inc_raw(stat_key("scholar", path))

    def _inc_by(self, path: str, count: int) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(stat_key("scholar", path), count)

    def _inc_raw(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key)


def _where(stage: str, cstart: int, url: str) -> str:
    """A page named in a log line: ``page cstart=100``, ``co-author list``, ``detail page``."""
    if stage == PAGES:
        return f"page cstart={cstart}"
    return "co-author list" if stage == COAUTHORS else "detail page"
