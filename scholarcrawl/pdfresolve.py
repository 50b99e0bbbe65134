"""Finds the open-access PDF of one queued publication (docs/pdfs.md).

In order, for a row of ``pdf_queue``:

1. **arXiv id**: ``<PDF_ARXIV_URL>/pdf/<id>``, no request at all (source ``arxiv``).
2. **DOI**: Unpaywall ``/v2/{doi}?email=…`` through the shared API client (rate clock, send
   permits, cache, cooldowns, ``unpaywall.*`` events). ``best_oa_location.url_for_pdf``, else
   another location's ``url_for_pdf`` (source ``unpaywall``); an answer with no location is
   ``no-oa-location``, a DOI Unpaywall does not know ``not-found``.
3. **Landing pages** (``url_for_landing_page`` of each location, best first): fetched as
   ordinary Scrapy requests (robots.txt, throttling, retries), then searched for a
   ``citation_pdf_url`` meta, a ``link rel=alternate type=application/pdf`` or anchors to
   PDFs, scored (:mod:`scholarcrawl.landing`); the best above ``PDF_MIN_CANDIDATE_SCORE`` wins
   (source ``landing``).
4. **Browser**: a landing page with no candidate that needs scripts, or on a host listed in
   ``PDF_BROWSER_HOSTS``, is rendered in Chromium (scrapy-playwright) and searched again
   (source ``browser``). No other request uses the browser.

A bot check or a refusal (403, 429, a challenge page) is ``blocked``; a server error or a
network failure ``http-error``; both are retried later with back-off. An API that cannot
answer now (cooldown, send slot beyond ``API_MAX_WAIT_SECONDS``, the run's time budget) is no
outcome at all: the row goes back to ``pending`` unchanged (:class:`Deferral`).
With ``download``, the PDF found is fetched and kept by :class:`~scholarcrawl.pdfstore.PdfStore`;
a row resolved earlier without a download is only downloaded (no Unpaywall request).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from parsel import Selector
from scrapy import Request
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response, TextResponse
from twisted.internet.defer import CancelledError

from scholarcrawl.apis import ApiResponseError
from scholarcrawl.apis.client import ApiClient, ApiUnavailable
from scholarcrawl.apis.config import (
    UNPAYWALL_EMAIL_ENV,
    ApiConfig,
    ApiSettingError,
    ServiceConfig,
    setting_email,
)
from scholarcrawl.apis.unpaywall import UnpaywallRecord, parse_unpaywall, unpaywall_url
from scholarcrawl.decoding import response_text
from scholarcrawl.landing import (
    find_pdf_candidates,
    is_challenge,
    needs_scripts,
    parse_page,
    pick_pdf,
)
from scholarcrawl.pdfstore import PDF_MAGIC, NotAPdf, PdfStore, TooLarge
from scholarcrawl.store.pdfqueue import (
    BLOCKED,
    DONE,
    HTTP_ERROR,
    NO_OA_LOCATION,
    NOT_FOUND,
    PdfOutcome,
    PdfTask,
    RetryPolicy,
)

logger = logging.getLogger(__name__)

#: Answers from a landing page's server that mean "not you, not now".
BLOCKING_STATUSES = frozenset({401, 403, 429})
GONE_STATUSES = frozenset({404, 410})
META_PDF_STEP = "pdf_step"  # landing | browser | download: what a request is for
#: Error answers are read, not dropped; redirects are still followed (``handle_httpstatus_all``
#: would stop RedirectMiddleware, and doi.org answers with a redirect).
ERROR_STATUSES = list(range(400, 600))


class PdfSettingError(ValueError):
    """A ``PDF_*`` / ``UNPAYWALL_*`` setting scholarcrawl cannot use."""


@dataclass(frozen=True, slots=True)
class PdfConfig:
    """``UNPAYWALL_*`` and ``PDF_*`` settings of the ``pdfs`` spider, parsed once."""

    api: ApiConfig
    email: str
    arxiv_url: str
    concurrency: int
    lease_seconds: float
    retry: RetryPolicy
    min_candidate_score: float
    max_landing_pages: int
    browser_enabled: bool
    browser_hosts: tuple[str, ...]
    browser_settle_ms: int
    store_dir: str
    max_bytes: int

    @property
    def unpaywall(self) -> ServiceConfig:
        return self.api.unpaywall

    @classmethod
    def from_settings(cls, settings: Any) -> PdfConfig:
        try:
            api = ApiConfig.from_settings(settings)
            email = setting_email(settings, UNPAYWALL_EMAIL_ENV)  # the pdfs spider's alone
        except ApiSettingError as exc:
            raise PdfSettingError(str(exc)) from None
        if email is None:
            raise PdfSettingError(
                "UNPAYWALL_EMAIL is not set: Unpaywall requires a real e-mail address with "
                "every request; set the UNPAYWALL_EMAIL environment variable or "
                "-s UNPAYWALL_EMAIL=you@example.org"
            )
        arxiv_url = str(settings.get("PDF_ARXIV_URL", "https://arxiv.org")).rstrip("/")
        if urlsplit(arxiv_url).scheme not in ("http", "https"):
            raise PdfSettingError(f"PDF_ARXIV_URL must be an http(s) URL, not {arxiv_url!r}")
        try:
            retry = RetryPolicy(
                enabled=settings.getbool("PDF_AUTO_RETRY_ENABLED", True),
                interval_seconds=settings.getfloat("PDF_AUTO_RETRY_INTERVAL_SECONDS", 3600.0),
                max_attempts=settings.getint("PDF_AUTO_RETRY_MAX_ATTEMPTS", 5),
            )
        except ValueError as exc:
            raise PdfSettingError(str(exc)) from None
        config = cls(
            api=api,
            email=email,
            arxiv_url=arxiv_url,
            concurrency=settings.getint("PDF_CONCURRENCY", 4),
            lease_seconds=settings.getfloat("PDF_LEASE_SECONDS", 600.0),
            retry=retry,
            min_candidate_score=settings.getfloat("PDF_MIN_CANDIDATE_SCORE", 0.5),
            max_landing_pages=settings.getint("PDF_MAX_LANDING_PAGES", 2),
            browser_enabled=settings.getbool("PDF_BROWSER_ENABLED", True),
            browser_hosts=tuple(
                host.strip().lower()
                for host in settings.getlist("PDF_BROWSER_HOSTS")
                if host.strip()
            ),
            browser_settle_ms=settings.getint("PDF_BROWSER_SETTLE_MS", 500),
            store_dir=str(settings.get("PDF_STORE", "pdfs")),
            max_bytes=settings.getint("PDF_MAX_BYTES", 50 * 1024 * 1024),
        )
        if config.concurrency < 1:
            raise PdfSettingError("PDF_CONCURRENCY must be at least 1")
        if config.lease_seconds <= 0:
            raise PdfSettingError("PDF_LEASE_SECONDS must be positive")
        if not 0.0 <= config.min_candidate_score <= 1.0:
            raise PdfSettingError("PDF_MIN_CANDIDATE_SCORE must be between 0 and 1")
        if config.max_landing_pages < 1:
            raise PdfSettingError("PDF_MAX_LANDING_PAGES must be at least 1")
        if config.max_bytes < 1024:
            raise PdfSettingError("PDF_MAX_BYTES must be at least 1024")
        return config

    def wants_browser(self, url: str) -> bool:
        """Whether ``url``'s host is listed in ``PDF_BROWSER_HOSTS`` (or is a subdomain)."""
        host = (urlsplit(url).hostname or "").lower()
        return any(host == listed or host.endswith("." + listed) for listed in self.browser_hosts)


@dataclass(frozen=True, slots=True)
class Deferral:
    """No outcome now: the row goes back to pending (from ``not_before``)."""

    reason: str
    detail: str = ""
    not_before: datetime | None = None


@dataclass(frozen=True, slots=True)
class _Unlinked:
    """A fetched page with no PDF link: its URL, and its parse for the next question."""

    url: str
    page: Selector | None


Fetch = Callable[[Request], Awaitable[Response]]


class PdfResolver:
    """Resolves :class:`PdfTask` rows; ``fetch`` sends a Scrapy request through the engine."""

    def __init__(
        self,
        config: PdfConfig,
        client: ApiClient,
        fetch: Fetch,
        *,
        download: bool = False,
        browser_available: bool = True,
        inc: Callable[[str], None] = lambda event: None,
    ) -> None:
        self.config = config
        self.client = client
        self.fetch = fetch
        self.download = download
        self.browser_available = browser_available
        self.store = PdfStore(config.store_dir, config.max_bytes) if download else None
        self._inc = inc

    async def resolve(self, task: PdfTask) -> PdfOutcome | Deferral:
        if task.download_only:  # resolved by an earlier run that did not download
            assert task.pdf_url is not None and task.source is not None
            if self.store is None:
                raise ValueError(f"row {task.id} was claimed for a download, without download")
            return await self._download(PdfOutcome(DONE, pdf_url=task.pdf_url, source=task.source))
        if task.arxiv_id:
            outcome = PdfOutcome(
                DONE,
                pdf_url=f"{self.config.arxiv_url}/pdf/{quote(task.arxiv_id, safe='/.')}",
                landing_url=f"{self.config.arxiv_url}/abs/{quote(task.arxiv_id, safe='/.')}",
                source="arxiv",
            )
        elif task.doi:
            found = await self._from_doi(task.doi)
            if isinstance(found, Deferral):
                return found
            outcome = found
        else:  # a row is only queued with one of the two
            return PdfOutcome(NOT_FOUND, error="no DOI and no arXiv id")
        if outcome.status == DONE and self.download:
            return await self._download(outcome)
        return outcome

    # --- Unpaywall ---------------------------------------------------------------------------

    async def _from_doi(self, doi: str) -> PdfOutcome | Deferral:
        service = self.config.unpaywall
        url = unpaywall_url(service.api_url, doi, self.config.email)
        try:
            record = await self.client.fetch(service, url, _parse)
        except ApiUnavailable as exc:
            return Deferral(f"unpaywall_{exc.reason}", exc.detail, self._cooldown_end(service))
        except ApiResponseError as exc:
            if exc.reason == "http_404":
                return PdfOutcome(NOT_FOUND, error=f"unpaywall: {exc.detail}"[:500])
            return PdfOutcome(HTTP_ERROR, error=f"unpaywall {exc.reason}: {exc.detail}"[:500])
        pdf_urls = record.pdf_urls()
        landings = record.landing_urls()
        if pdf_urls:
            return PdfOutcome(
                DONE,
                pdf_url=pdf_urls[0],
                landing_url=landings[0] if landings else None,
                source="unpaywall",
                oa_status=record.oa_status,
            )
        if not landings:
            return PdfOutcome(
                NO_OA_LOCATION,
                oa_status=record.oa_status,
                error=f"unpaywall: no open-access location ({record.oa_status or 'closed'})",
            )
        return await self._from_landings(record, landings[: self.config.max_landing_pages])

    def _cooldown_end(self, service: ServiceConfig) -> datetime | None:
        remaining = self.client.clock.cooldown_remaining(service.name)
        return datetime.now(UTC) + timedelta(seconds=remaining) if remaining > 0 else None

    # --- landing pages -----------------------------------------------------------------------

    async def _from_landings(
        self, record: UnpaywallRecord, landings: list[str]
    ) -> PdfOutcome | Deferral:
        """The first landing page that yields a PDF; else the most telling failure."""
        failures: list[PdfOutcome | Deferral] = []
        for landing in landings:
            result = await self._from_landing(landing)
            if isinstance(result, PdfOutcome) and result.status == DONE:
                return replace(result, oa_status=record.oa_status)
            failures.append(result)
        # a deferral or a retryable failure beats "not found" (it may work next time): the
        # first of the most hopeful kind, else the last failure
        _, chosen = min(enumerate(failures), key=_hope)
        if isinstance(chosen, Deferral):
            return chosen
        return replace(chosen, oa_status=record.oa_status)

    async def _from_landing(self, landing: str) -> PdfOutcome | Deferral:
        if self.config.browser_enabled and self.config.wants_browser(landing):
            return await self._render(landing, "listed in PDF_BROWSER_HOSTS")
        response = await self._get(landing, "landing")
        if (
            isinstance(response, Response)
            and _refusal(response) is None
            and response.body.startswith(PDF_MAGIC)
        ):  # the landing URL serves the PDF itself
            return PdfOutcome(DONE, pdf_url=response.url, landing_url=landing, source="landing")
        found = self._search(response, "landing")
        if isinstance(found, PdfOutcome):
            return found
        if self.config.browser_enabled and needs_scripts(found.page):
            return await self._render(found.url, "the page needs scripts")
        return PdfOutcome(NOT_FOUND, landing_url=found.url, error="landing page has no PDF link")

    async def _render(self, landing: str, why: str) -> PdfOutcome | Deferral:
        if not self.browser_available:
            return Deferral("browser_unavailable", f"{landing} needs a browser ({why})")
        from scrapy_playwright.page import PageMethod

        logger.debug("Rendering %s in the browser: %s", landing, why)
        self._inc("browser/rendered")
        meta: dict[str, Any] = {
            "playwright": True,
            "playwright_page_methods": [
                PageMethod("wait_for_load_state", "networkidle"),
                PageMethod("wait_for_timeout", self.config.browser_settle_ms),
            ],
        }
        found = self._search(await self._get(landing, "browser", meta), "browser")
        if isinstance(found, PdfOutcome):
            return found
        return PdfOutcome(NOT_FOUND, landing_url=found.url, error="no PDF link, even rendered")

    def _search(self, response: Response | PdfOutcome, step: str) -> PdfOutcome | _Unlinked:
        """The outcome a fetched page gives (a failure, a refusal, a bot check, a page that is
        not HTML, or its PDF link, source ``step``); the parsed page when it has no link."""
        if isinstance(response, PdfOutcome):
            return response
        failure = _refusal(response)
        if failure is not None:
            return failure
        if not isinstance(response, TextResponse):
            what = "landing page" if step == "landing" else "rendered page"
            return PdfOutcome(
                NOT_FOUND,
                landing_url=response.url,
                error=f"{what} is not HTML ({_content_type(response)})",
            )
        page = parse_page(response_text(response))  # once, for every question asked of it
        if is_challenge(page, response.status):
            return PdfOutcome(BLOCKED, landing_url=response.url, error=f"{step}: bot check")
        candidate = pick_pdf(
            find_pdf_candidates(page, response.url), self.config.min_candidate_score
        )
        if candidate is None:
            return _Unlinked(response.url, page)
        self._inc(f"candidate/{candidate.kind}")
        return PdfOutcome(DONE, pdf_url=candidate.url, landing_url=response.url, source=step)

    async def _get(
        self, url: str, step: str, meta: Mapping[str, Any] | None = None
    ) -> Response | PdfOutcome:
        request = Request(
            url,
            dont_filter=True,
            meta={"handle_httpstatus_list": ERROR_STATUSES, META_PDF_STEP: step, **(meta or {})},
        )
        try:
            return await self.fetch(request)
        except IgnoreRequest as exc:  # robots.txt, mostly
            return PdfOutcome(BLOCKED, landing_url=url, error=f"{step}: {exc or 'ignored'}")
        except Exception as exc:  # network failure after Scrapy's retries, browser failure
            self._inc(f"failure/{step}/{type(exc).__name__}")
            return PdfOutcome(
                HTTP_ERROR, landing_url=url, error=f"{step}: {type(exc).__name__}: {exc}"[:500]
            )

    # --- download ----------------------------------------------------------------------------

    async def _download(self, outcome: PdfOutcome) -> PdfOutcome:
        assert self.store is not None and outcome.pdf_url is not None
        request = Request(
            outcome.pdf_url,
            dont_filter=True,
            meta={
                "handle_httpstatus_list": ERROR_STATUSES,
                META_PDF_STEP: "download",
                "download_maxsize": self.store.max_bytes,
                "download_warnsize": 0,
            },
        )
        try:
            response = await self.fetch(request)
        except (DownloadCancelledError, CancelledError):
            # Scrapy cancels a body larger than download_maxsize (by Content-Length or as it
            # arrives)
            return replace(outcome, download_status="too-large")
        except Exception as exc:
            self._inc(f"failure/download/{type(exc).__name__}")
            return replace(outcome, download_status="http-error")
        if response.status != 200:
            return replace(outcome, download_status="http-error")
        try:
            stored = self.store.store(response.body)
        except TooLarge:
            return replace(outcome, download_status="too-large")
        except NotAPdf:
            return replace(outcome, download_status="not-pdf")
        return replace(
            outcome, download_status="stored", pdf_sha256=stored.sha256, pdf_size=stored.size
        )


def _parse(answer: Any) -> UnpaywallRecord:
    return parse_unpaywall(answer.body, answer.status)


def _refusal(response: Response) -> PdfOutcome | None:
    status = response.status
    if status < 400:
        return None
    if status in GONE_STATUSES:
        return PdfOutcome(NOT_FOUND, landing_url=response.url, error=f"landing: http_{status}")
    if status in BLOCKING_STATUSES:
        return PdfOutcome(BLOCKED, landing_url=response.url, error=f"landing: http_{status}")
    return PdfOutcome(HTTP_ERROR, landing_url=response.url, error=f"landing: http_{status}")


def _content_type(response: Response) -> str:
    value = response.headers.get(b"Content-Type")
    return value.decode("latin-1") if value else "no content type"


def _hope(indexed: tuple[int, PdfOutcome | Deferral]) -> tuple[int, int]:
    """Ranks a landing page's failure: deferral, blocked, http-error (first of each), then
    anything else (the last)."""
    index, failure = indexed
    if isinstance(failure, Deferral):
        return (0, index)
    if failure.status == BLOCKED:
        return (1, index)
    if failure.status == HTTP_ERROR:
        return (2, index)
    return (3, -index)
