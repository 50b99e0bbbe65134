"""``ScholarCooldownMiddleware``: never hammer a blocked Scholar, never lose a page.

For Scholar page requests (``request.meta["scholar_id"]``) of a spider that owns an
:class:`~scholarcrawl.egress.EgressPool` (``spider.egress_pool``):

* one request per egress is past this middleware at a time (a lock held from
  ``process_request`` to ``process_response``/``process_exception``), so when a 429 or a block
  arrives no other request of that egress is already waiting in a download slot;
* 429: up to ``SCHOLAR_RATE_LIMIT_RETRIES`` retries, each after
  ``SCHOLAR_RATE_LIMIT_BACKOFF_SECONDS`` or ``Retry-After`` when larger; during the wait the
  whole egress is paused. The budget counts 429s in a row on the egress, whatever page they
  answer, so a rate-limited egress sends at most that many retries before it cools down. A
  ``Retry-After`` beyond ``SCHOLAR_RATE_LIMIT_MAX_WAIT_SECONDS`` is a block at once. Retries
  exhausted: a blocked failure;
* CAPTCHA, ``/sorry/`` redirects and 403: a blocked failure at once. After
  ``SCHOLAR_BLOCKED_FAILURE_THRESHOLD`` blocked failures the egress cools down for
  ``SCHOLAR_BLOCKED_COOLDOWN_SECONDS`` (stored in the database, so other runs see it);
* network errors (``RETRY_EXCEPTIONS``): ``SCHOLAR_NETWORK_ERROR_RETRIES`` retries after
  ``SCHOLAR_RETRY_BACKOFF_SECONDS``. Every failed attempt is a network failure of its egress
  (a success resets the count); ``SCHOLAR_NETWORK_FAILURE_THRESHOLD`` of them in a row start a
  cooldown of ``SCHOLAR_NETWORK_COOLDOWN_SECONDS``;
* during a cooldown, ``SCHOLAR_COOLDOWN_MODE=defer`` drops each request with
  :class:`PageDeferred` (the spider queues the page) and ``wait`` holds it until the cooldown
  ends. Either way nothing is sent to a cooling egress;
* cooldowns stored by other processes (other runs, other scrapyd nodes sharing the database)
  count as much as this run's own: once a request holds its egress's lock, after any pause and
  after its download slot's delay, the spider's ``sync_cooldowns(force=True)`` reads the
  ``cooldowns`` table (one row per egress), the last thing before the request leaves. When that
  read fails, the request is not sent as if nothing were stored: it is dropped with
  :class:`PageDeferred` (``cooldown_unknown``) in either mode, and the spider queues the page.
  What remains is a request already on its way (past that read) when another node stores its
  block: Scholar may receive it.

The download slot's delay (``SCHOLAR_DOWNLOAD_DELAY`` with its jitter, as AutoThrottle leaves
it) is served here, before that read, rather than by the slot after it: Scrapy's downloader
applies a slot's delay after the downloader middlewares, which would leave seconds between the
read and the request. The middleware waits the delay the slot draws since the egress's last
request, then lets the slot send at once (its ``lastseen`` back to "never sent"); the lock
keeps that slot to one request at a time, so the pace is the slot's own.

Ordering: the middleware sits at 745, after the robots.txt check and before
HttpProxyMiddleware (750). Nothing between it and the downloader may answer or replace a
Scholar request (an HttpCacheMiddleware policy that serves Scholar pages, say): the egress lock
taken in ``process_request`` is released in this middleware's ``process_response`` or
``process_exception``.

Scrapy's own RetryMiddleware leaves Scholar requests alone (the spider sets ``dont_retry``).
The responses that are not retried reach the spider, which classifies them again and queues
the page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import load_object
from twisted.internet.task import deferLater

from scholarcrawl.events import log_event
from scholarcrawl.scholar import blocks
from scholarcrawl.stats import stat_key

if TYPE_CHECKING:
    from scrapy.core.downloader import Slot

    from scholarcrawl.egress import Egress, EgressPool

logger = logging.getLogger(__name__)

COOLDOWN_MODES = ("defer", "wait")
#: Why a page is deferred when the stored cooldowns cannot be read.
COOLDOWN_UNKNOWN = "cooldown_unknown"
NETWORK_ERROR = "network_error"
META_EGRESS = "scholar_egress"
META_REASON = "scholar_response_reason"  # what the classifier said of the response
_META_LOCKED = "_scholar_egress_locked"
_META_429_RETRIES = "scholar_rate_limit_retries"
_META_NETWORK_RETRIES = "scholar_network_retries"


class PageDeferred(IgnoreRequest):
    """A Scholar page not sent now (a cooldown, or the run's budget); the spider queues it."""

    def __init__(self, reason: str, until: float | None = None) -> None:
        super().__init__(f"page deferred: {reason}")
        self.reason = reason
        self.until = until


def parse_retry_after(value: str | bytes | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def retried_reason(meta: Mapping[str, Any]) -> str | None:
    """Why a request is a retry (``network_error`` or the 429 reason), or None for a first try."""
    if meta.get(_META_NETWORK_RETRIES):
        return NETWORK_ERROR
    if meta.get(_META_429_RETRIES):
        return blocks.BLOCKED_HTTP_429
    return None


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


async def async_sleep(seconds: float) -> None:
    """Sleep on the running reactor (imported here: importing it at module level installs one)."""
    from twisted.internet import reactor

    if seconds > 0:
        await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))


class ScholarCooldownMiddleware:
    """Pauses, retries and cools down Scholar's egresses; see the module docstring."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.rate_limit_retries = settings.getint("SCHOLAR_RATE_LIMIT_RETRIES", 3)
        self.rate_limit_backoff = settings.getfloat("SCHOLAR_RATE_LIMIT_BACKOFF_SECONDS", 30.0)
        self.rate_limit_max_wait = settings.getfloat("SCHOLAR_RATE_LIMIT_MAX_WAIT_SECONDS", 300.0)
        self.network_retries = settings.getint("SCHOLAR_NETWORK_ERROR_RETRIES", 1)
        self.retry_backoff = settings.getfloat("SCHOLAR_RETRY_BACKOFF_SECONDS", 1.0)
        self.blocked_threshold = max(1, settings.getint("SCHOLAR_BLOCKED_FAILURE_THRESHOLD", 1))
        self.blocked_cooldown = settings.getfloat("SCHOLAR_BLOCKED_COOLDOWN_SECONDS", 1800.0)
        self.network_threshold = max(1, settings.getint("SCHOLAR_NETWORK_FAILURE_THRESHOLD", 2))
        self.network_cooldown = settings.getfloat("SCHOLAR_NETWORK_COOLDOWN_SECONDS", 900.0)
        mode = str(settings.get("SCHOLAR_COOLDOWN_MODE", "defer")).strip().lower()
        if mode not in COOLDOWN_MODES:
            raise ValueError(f"SCHOLAR_COOLDOWN_MODE must be defer or wait, not {mode!r}")
        self.mode = mode
        self.network_exceptions = tuple(
            load_object(entry) if isinstance(entry, str) else entry
            for entry in settings.getlist("RETRY_EXCEPTIONS")
        )
        # When each egress last let a request go (time.monotonic(), as the slots count).
        self._let_go: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    # --- helpers -------------------------------------------------------------------------

    def _pool(self, request: Request) -> EgressPool | None:
        if "scholar_id" not in request.meta:
            return None
        spider = self.crawler.spider
        return getattr(spider, "egress_pool", None)

    def _route_other_scholar_request(self, request: Request) -> None:
        """Scholar's robots.txt (fetched by RobotsTxtMiddleware) leaves through a proxy too.

        With ``SCHOLAR_PROXIES`` set, nothing should reach Scholar from the machine's own
        address. Such a request takes the next proxy that is not cooling down (any proxy when
        all are); it is never held back, since a robots.txt that cannot be fetched would be
        read as "allow everything".
        """
        spider = self.crawler.spider
        pool: EgressPool | None = getattr(spider, "egress_pool", None)
        base = getattr(getattr(spider, "config", None), "base_url", None)
        if pool is None or base is None or "proxy" in request.meta:
            return
        if "api_service" in request.meta:
            return  # a machine API (replayed on the same host in tests), not Scholar
        if urlsplit(request.url).netloc != urlsplit(base).netloc:
            return
        egress = pool.choose() or pool.egresses[0]
        if egress.proxy is not None:
            request.meta["proxy"] = egress.proxy

    def _inc(self, path: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(stat_key("scholar", path))

    def _release(self, request: Request, pool: EgressPool) -> Egress | None:
        egress = pool.get(request.meta.get(META_EGRESS, ""))
        if egress is not None and request.meta.pop(_META_LOCKED, False):
            egress.lock.release()
        return egress

    def _sync(self) -> bool:
        """Read the cooldowns every process stored now; False when they could not be read."""
        sync = getattr(self.crawler.spider, "sync_cooldowns", None)
        return sync is None or sync(force=True) is not False

    def _downloader_slot(self, egress: Egress) -> Slot | None:
        downloader = getattr(self.crawler.engine, "downloader", None)
        slots: dict[str, Slot] | None = getattr(downloader, "slots", None)
        return None if slots is None else slots.get(egress.slot)

    async def _serve_slot_delay(self, egress: Egress) -> Slot | None:
        """Wait the delay the egress's download slot would wait before sending; the slot.

        None when the slot does not exist yet (or was collected, idle): it sends at once.
        """
        slot = self._downloader_slot(egress)
        if slot is None:
            return None
        last = max(slot.lastseen, self._let_go.get(egress.name, 0.0))
        wait = last + slot.download_delay() - time.monotonic()
        if wait > 0:
            await self._sleep_within_budget(wait)
        return slot

    def _note_cooldown_ended(self, pool: EgressPool) -> None:
        now = pool.clock()
        for egress in pool.egresses:
            if egress.cooldown_reason is not None and not egress.cooling(now):
                log_event(
                    logger,
                    logging.INFO,
                    "scholar.cooldown_ended",
                    egress=egress.label,
                    reason=egress.cooldown_reason,
                )
                self._inc("cooldown/ended")
                egress.cooldown_reason = None
                egress.blocked_failures = 0
                egress.network_failures = 0
                egress.rate_limited = 0

    async def _sleep_within_budget(self, seconds: float) -> None:
        """The spider's budget-bounded sleep (``max_seconds``), or a plain one."""
        sleep = getattr(self.crawler.spider, "sleep_within_budget", None)
        await (sleep(seconds) if sleep is not None else async_sleep(seconds))

    def _budget_reason(self) -> str | None:
        check = getattr(self.crawler.spider, "budget_exhausted", None)
        return check() if check is not None else None

    # --- the three hooks -----------------------------------------------------------------

    async def process_request(self, request: Request) -> None:
        pool = self._pool(request)
        if pool is None:
            self._route_other_scholar_request(request)
            return None
        while True:
            budget = self._budget_reason()
            if budget is not None:
                raise PageDeferred(budget)
            self._note_cooldown_ended(pool)
            egress = pool.choose()
            if egress is None:
                until = pool.earliest_cooldown_end()
                if self.mode == "defer":
                    raise PageDeferred("cooldown", until)
                logger.info("Every Scholar egress cools down until %s: waiting", _iso(until))
                await self._sleep_within_budget(until - pool.clock())
                continue
            await maybe_deferred_to_future(egress.lock.acquire())
            # The state may have changed while this request waited for the lock.
            pause = egress.paused_until - pool.clock()
            if pause > 0 and not egress.cooling(pool.clock()):
                await self._sleep_within_budget(pause)
            slot = None if egress.cooling(pool.clock()) else await self._serve_slot_delay(egress)
            # The cooldowns other processes stored, read after every wait: with the lock held,
            # nothing of this run goes out on the egress between this read and this request.
            if not self._sync():
                egress.lock.release()
                raise PageDeferred(COOLDOWN_UNKNOWN)
            if egress.cooling(pool.clock()) or egress.paused_until > pool.clock():
                egress.lock.release()
                continue
            budget = self._budget_reason()
            if budget is not None:
                egress.lock.release()
                raise PageDeferred(budget)
            break
        if slot is not None:
            slot.lastseen = 0.0  # its delay is served: the slot sends now, as if it never had
        self._let_go[egress.name] = time.monotonic()
        request.meta[META_EGRESS] = egress.name
        request.meta[_META_LOCKED] = True
        request.meta["download_slot"] = egress.slot
        if egress.proxy is not None:
            request.meta["proxy"] = egress.proxy
        return None

    def process_response(self, request: Request, response: Response) -> Request | Response:
        pool = self._pool(request)
        if pool is None:
            return response
        egress = self._release(request, pool)
        if egress is None:
            return response
        reason = blocks.classify_response(response)
        request.meta[META_REASON] = reason  # the spider reads it instead of classifying again
        if reason == blocks.OK:
            egress.blocked_failures = 0
            egress.network_failures = 0
            egress.rate_limited = 0
            return response
        if reason not in blocks.BLOCK_REASONS:
            return response  # profile_unavailable, server_error…: the spider records them
        self._inc(f"request_blocked/{reason}")
        log_event(
            logger,
            logging.WARNING,
            "scholar.request_blocked",
            reason=reason,
            url=request.url,
            egress=egress.label,
            status=response.status,
        )
        now = pool.clock()
        if reason == blocks.BLOCKED_HTTP_429:
            # The retry budget is the egress's as much as the page's: 429s in a row on other
            # pages use it up too, so a rate-limited egress never sends more than
            # SCHOLAR_RATE_LIMIT_RETRIES + 1 requests before it cools down.
            egress.rate_limited += 1
            retries = int(request.meta.get(_META_429_RETRIES, 0))
            retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
            wait = max(self.rate_limit_backoff, retry_after or 0.0)
            if (
                retries < self.rate_limit_retries
                and egress.rate_limited <= self.rate_limit_retries
                and wait <= self.rate_limit_max_wait
            ):
                egress.paused_until = max(egress.paused_until, now + wait)
                self._inc("retry/rate_limited")
                logger.info(
                    "Scholar rate-limited %s: egress %s pauses %.1f s, then retry %d of %d",
                    request.url,
                    egress.label,
                    wait,
                    retries + 1,
                    self.rate_limit_retries,
                )
                retry = request.replace(dont_filter=True)
                retry.meta[_META_429_RETRIES] = retries + 1
                return retry
            self._blocked(egress, reason, max(now + self.blocked_cooldown, now + wait))
            return response
        self._blocked(egress, reason, now + self.blocked_cooldown)
        return response

    def process_exception(self, request: Request, exception: Exception) -> Request | None:
        pool = self._pool(request)
        if pool is None:
            return None
        egress = self._release(request, pool)
        if egress is None or isinstance(exception, IgnoreRequest):
            return None
        if not isinstance(exception, self.network_exceptions):
            return None
        retries = int(request.meta.get(_META_NETWORK_RETRIES, 0))
        now = pool.clock()
        # Every failed attempt counts: a host that resets connection after connection is not
        # given one more request per page before the egress rests.
        egress.network_failures += 1
        self._inc("network_failure")
        if egress.network_failures >= self.network_threshold:
            self._activate(egress, NETWORK_ERROR, now + self.network_cooldown)
            return None
        if retries < self.network_retries:
            egress.paused_until = max(egress.paused_until, now + self.retry_backoff)
            self._inc("retry/network_error")
            logger.info(
                "Network error on %s (%s): retry %d of %d after %.1f s",
                request.url,
                exception.__class__.__name__,
                retries + 1,
                self.network_retries,
                self.retry_backoff,
            )
            retry = request.replace(dont_filter=True)
            retry.meta[_META_NETWORK_RETRIES] = retries + 1
            return retry
        return None

    # --- cooldowns -------------------------------------------------------------------------

    def _blocked(self, egress: Egress, reason: str, until: float) -> None:
        egress.blocked_failures += 1
        self._inc("blocked_failure")
        if egress.blocked_failures >= self.blocked_threshold:
            self._activate(egress, reason, until)

    def _activate(self, egress: Egress, reason: str, until: float) -> None:
        if egress.cooldown_until >= until:
            return
        egress.cooldown_until = until
        egress.cooldown_reason = reason
        self._inc(f"cooldown/activated/{reason}")
        log_event(
            logger,
            logging.WARNING,
            "scholar.cooldown_activated",
            reason=reason,
            until=_iso(until),
            egress=egress.label,
        )
        persist = getattr(self.crawler.spider, "persist_cooldown", None)
        if persist is not None:
            persist(egress, reason, until)
