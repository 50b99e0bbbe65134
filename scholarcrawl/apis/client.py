"""Sends API requests through Scrapy's engine under the shared request controls.

For each request, in order: the query cache (``api_cache``; a hit sends nothing), in-flight
coalescing (a second caller of the same request waits for the first one's answer), the
in-flight limit (per process, then a send permit shared by every process: ``api_inflight``),
the rate clock shared by every process through the database (``api_runtime_state``), then
``crawler.engine.download_async`` so that downloader middlewares, retries and stats apply.
A 429 starts a cooldown of the whole service (``Retry-After`` when given, else
``<SERVICE>_COOLDOWN_SECONDS``) that every process honours.

Events (``<service>.<event> key=value``): ``request_scheduled`` (wait_seconds,
cooldown_remaining_seconds, source_path), ``request_completed`` (status_code, wait_seconds,
source_path), ``cooldown_activated`` (retry_after, until, source_path), ``cache_hit`` and
``cache_miss`` (source_path). ``source_path`` is the path of the API request (``/works``,
``/api/query``). Stats: ``scholarcrawl/<service>/<event>``.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError
from scrapy.utils.defer import maybe_deferred_to_future
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from twisted.internet.defer import Deferred, DeferredSemaphore

from scholarcrawl.apis import ApiResponseError
from scholarcrawl.apis.config import ApiConfig, ServiceConfig
from scholarcrawl.continuation import make_owner
from scholarcrawl.events import log_event
from scholarcrawl.middlewares.cooldown import async_sleep
from scholarcrawl.stats import stat_key
from scholarcrawl.store.apistate import ApiCache, ApiClock

logger = logging.getLogger(__name__)

#: Answers worth keeping: a result, a definitive "not found", a refused (malformed) query.
CACHEABLE_STATUSES = frozenset({200, 400, 404})
#: Query parameters that identify the sender, not the question: left out of cache keys.
IDENTITY_PARAMETERS = frozenset({"mailto", "email"})
META_SERVICE = "api_service"
MAX_RATE_LIMITED_ATTEMPTS = 3
#: Polling for a send permit held by another process: first pause, longest pause.
PERMIT_POLL_SECONDS = 0.05
PERMIT_MAX_POLL_SECONDS = 0.5
#: A Retry-After beyond a week is read as a week (a bigger one is a server's mistake).
MAX_RETRY_AFTER_SECONDS = 7 * 86400.0
#: Refusals that are the API's final word on a request (kept in the cache like answers).
DEFINITIVE_ERRORS = frozenset({"http_404", "api_error"})
#: The reason of an answer whose body went over DOWNLOAD_MAXSIZE (Scrapy cancelled it).
RESPONSE_TOO_LARGE = "response_too_large"
T = TypeVar("T")


class ApiUnavailable(Exception):
    """No answer now (cooldown longer than the wait allowed, network failure, time budget).

    The publication stays unresolved and is tried again by a later run.
    """

    def __init__(self, service: str, reason: str, detail: str = "") -> None:
        super().__init__(f"{service}: {reason}" + (f" ({detail})" if detail else ""))
        self.service = service
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class ApiAnswer:
    """An API response, from the network or the cache."""

    status: int
    body: bytes
    content_type: str | None
    from_cache: bool
    url: str


def cache_url(url: str) -> str:
    """The URL with the sender's identity removed and the query sorted: what the cache keys on."""
    parts = urlsplit(url)
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key not in IDENTITY_PARAMETERS
    )
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def request_fingerprint(service: str, url: str) -> str:
    """The cache key of a GET of ``url`` to ``service``."""
    return hashlib.sha256(f"{service}\x1fGET\x1f{cache_url(url)}".encode()).hexdigest()


def retry_after_seconds(value: bytes | str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date), None when absent or bad."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isascii() and text.isdigit():
        return min(float(text), MAX_RETRY_AFTER_SECONDS)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - now).total_seconds()), MAX_RETRY_AFTER_SECONDS)


class ApiClient:
    """One per crawl: sends and caches the API requests of every pipeline and spider."""

    def __init__(self, crawler: Crawler, engine: Engine, config: ApiConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.clock = ApiClock(engine)
        self.cache = ApiCache(engine)
        self._semaphores = {
            name: DeferredSemaphore(service.max_in_flight)
            for name, service in config.services().items()
        }
        self._inflight: dict[str, list[Deferred[ApiAnswer]]] = {}
        # this process's name on the send permits (host:pid:tag, so that a process on this
        # machine can tell a dead holder), and how long a permit outlives a process that died
        # holding it elsewhere: the longest wait for a send time plus a download with retries
        self.holder = make_owner()
        self._host = self.holder.partition(":")[0]
        settings = crawler.settings
        self._download_budget = (
            settings.getfloat("DOWNLOAD_TIMEOUT", 180) * (settings.getint("RETRY_TIMES", 2) + 1)
            + 5.0
        )

    # --- public --------------------------------------------------------------------------

    async def fetch(self, service: ServiceConfig, url: str, parse: Callable[[ApiAnswer], T]) -> T:
        """``parse`` of the answer to GET ``url``: cached, coalesced and paced.

        An answer is cached only when ``parse`` accepts it, or refuses it with a definitive
        reason (:data:`DEFINITIVE_ERRORS`: the API said no, and will say it again); a malformed
        or failed answer is never kept. Raises :class:`ApiUnavailable` or what ``parse`` raises.
        """
        fingerprint = request_fingerprint(service.name, url)
        path = urlsplit(url).path or "/"
        cached = self.cache.get(service.name, fingerprint)
        if cached is not None:
            self._event(service, "cache_hit", logging.DEBUG, source_path=path)
            return parse(ApiAnswer(cached.status, cached.body, cached.content_type, True, url))
        self._event(service, "cache_miss", logging.DEBUG, source_path=path)
        waiters = self._inflight.get(fingerprint)
        if waiters is not None:
            # the same question is already on its way: share its answer
            self._inc(service, "coalesced")
            waiter: Deferred[ApiAnswer] = Deferred()
            waiters.append(waiter)
            return parse(await maybe_deferred_to_future(waiter))
        self._inflight[fingerprint] = []
        try:
            answer = await self._send(service, url, path)
        except BaseException as exc:  # also a cancellation: no waiter may hang
            failure = (
                exc if isinstance(exc, Exception) else ApiUnavailable(service.name, "cancelled")
            )
            for waiter in self._inflight.pop(fingerprint, []):
                waiter.errback(failure)
            raise
        for waiter in self._inflight.pop(fingerprint, []):
            waiter.callback(answer)
        try:
            result = parse(answer)
        except ApiResponseError as exc:
            if exc.reason in DEFINITIVE_ERRORS:
                self._remember(service, fingerprint, url, answer)
            raise
        self._remember(service, fingerprint, url, answer)
        return result

    def _remember(
        self, service: ServiceConfig, fingerprint: str, url: str, answer: ApiAnswer
    ) -> None:
        if answer.status in CACHEABLE_STATUSES:
            self.cache.put(
                service.name,
                fingerprint,
                cache_url(url),
                answer.status,
                answer.content_type,
                answer.body,
                service.cache_ttl,
            )

    # --- sending -------------------------------------------------------------------------

    async def _send(self, service: ServiceConfig, url: str, path: str) -> ApiAnswer:
        semaphore = self._semaphores[service.name]
        await maybe_deferred_to_future(semaphore.acquire())
        permit: int | None = None
        try:
            permit, waited_for_permit = await self._take_permit(service)
            for attempt in range(MAX_RATE_LIMITED_ATTEMPTS):
                if attempt:  # a new wait for a send time: the permit's lease starts again
                    self.clock.renew(service.name, permit, self.holder, self._lease(service))
                waited = await self._wait_for_slot(service, path) + waited_for_permit
                waited_for_permit = 0.0
                response = await self._download(service, url)
                status = response.status
                self._event(
                    service,
                    "request_completed",
                    logging.DEBUG,
                    status_code=status,
                    wait_seconds=round(waited, 3),
                    source_path=path,
                )
                self._inc(service, f"response/{status}")
                if status != 429:
                    content_type = response.headers.get(b"Content-Type")
                    return ApiAnswer(
                        status,
                        response.body,
                        content_type.decode("latin-1") if content_type else None,
                        False,
                        url,
                    )
                self._cool_down(service, response.headers.get(b"Retry-After"), path)
            raise ApiUnavailable(service.name, "rate_limited", "429 on every attempt")
        finally:
            if permit is not None:
                self._give_back(service, permit)
            semaphore.release()

    def _give_back(self, service: ServiceConfig, permit: int) -> None:
        try:
            self.clock.release(service.name, permit, self.holder)
        except SQLAlchemyError as exc:  # the request's own outcome matters more than this
            logger.warning(
                "%s: send permit %d not given back (%s); it frees itself within %.0f s",
                service.name,
                permit,
                exc.__class__.__name__,
                self._lease(service),
            )

    def _lease(self, service: ServiceConfig) -> float:
        return service.max_wait_seconds + self._download_budget

    def _holder_is_dead(self, holder: str) -> bool:
        """True for a holder that was a process of this machine and is gone."""
        host, _, rest = holder.partition(":")
        pid_text = rest.partition(":")[0]
        if host != self._host or not pid_text.isdigit():
            return False
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            return True
        except OSError:  # alive under another user (EPERM) or unknowable: not ours to free
            return False
        return False

    async def _take_permit(self, service: ServiceConfig) -> tuple[int, float]:
        """One of the service's send permits every process shares; (permit, seconds waited)."""
        waited, pause = 0.0, PERMIT_POLL_SECONDS
        while True:
            permit = self.clock.acquire(
                service.name,
                service.max_in_flight,
                self.holder,
                self._lease(service),
                self._holder_is_dead,
            )
            if permit is not None:
                return permit, waited
            if waited + pause > service.max_wait_seconds:
                raise ApiUnavailable(
                    service.name, "in_flight", "every send permit stayed held by other processes"
                )
            self._check_budget(service)
            await async_sleep(pause)
            waited += pause
            pause = min(pause * 2, PERMIT_MAX_POLL_SECONDS)

    async def _wait_for_slot(self, service: ServiceConfig, path: str) -> float:
        """Sleep until the shared clock lets this request go; returns the seconds waited."""
        waited = 0.0
        while True:
            self._check_budget(service)
            remaining = self.clock.cooldown_remaining(service.name)
            if remaining > service.max_wait_seconds:
                raise ApiUnavailable(
                    service.name, "cooldown", f"{remaining:.0f} s left, more than the max wait"
                )
            reservation = self.clock.reserve(
                service.name, service.min_interval_seconds, service.max_wait_seconds
            )
            self._event(
                service,
                "request_scheduled",
                logging.DEBUG,
                wait_seconds=round(reservation.wait_seconds, 3),
                cooldown_remaining_seconds=round(reservation.cooldown_remaining_seconds, 3),
                source_path=path,
            )
            if not reservation.granted:
                raise ApiUnavailable(
                    service.name,
                    "max_wait",
                    f"next send slot in {reservation.wait_seconds:.0f} s",
                )
            await async_sleep(reservation.wait_seconds)
            waited += reservation.wait_seconds
            # another process (or request) may have hit a 429 while this one waited
            if self.clock.cooldown_remaining(service.name) <= 0:
                return waited

    async def _download(self, service: ServiceConfig, url: str) -> Any:
        request = Request(
            url,
            headers={"User-Agent": self.config.user_agent, "Accept": "*/*"},
            dont_filter=True,
            meta={
                META_SERVICE: service.name,
                "download_slot": service.slot,
                "dont_obey_robotstxt": True,  # an API is meant for programs
                "autothrottle_dont_adjust_delay": True,  # the rate clock paces it
                "handle_httpstatus_all": True,
            },
        )
        engine = self.crawler.engine
        assert engine is not None
        try:
            return await engine.download_async(request)
        except DownloadCancelledError as exc:
            # Scrapy cancels a body larger than DOWNLOAD_MAXSIZE: a broken or hostile answer,
            # never kept, that the caller records as an error like any unusable answer
            self._inc(service, f"failure/{RESPONSE_TOO_LARGE}")
            detail = str(exc) or "a body over DOWNLOAD_MAXSIZE"
            raise ApiResponseError(RESPONSE_TOO_LARGE, detail) from exc
        except Exception as exc:  # network failure after Scrapy's retries, or a refusal
            self._inc(service, f"failure/{type(exc).__name__}")
            raise ApiUnavailable(service.name, "network", f"{type(exc).__name__}: {exc}") from exc

    def _cool_down(self, service: ServiceConfig, header: bytes | None, path: str) -> None:
        now = datetime.now(UTC)
        retry_after = retry_after_seconds(header, now)
        seconds = service.cooldown_seconds if retry_after is None else retry_after
        until = self.clock.activate_cooldown(
            service.name, now + timedelta(seconds=seconds), "http_429"
        )
        self._event(
            service,
            "cooldown_activated",
            logging.WARNING,
            retry_after=retry_after,
            until=until.isoformat(timespec="seconds"),
            source_path=path,
        )

    def _check_budget(self, service: ServiceConfig) -> None:
        check = getattr(self.crawler.spider, "budget_exhausted", None)
        reason = check() if check is not None else None
        if reason is not None:
            raise ApiUnavailable(service.name, reason)

    # --- reporting -----------------------------------------------------------------------

    def _event(self, service: ServiceConfig, event: str, level: int, **fields: Any) -> None:
        log_event(logger, level, f"{service.name}.{event}", **fields)
        self._inc(service, event)

    def _inc(self, service: ServiceConfig, event: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(stat_key(service.name, event))
