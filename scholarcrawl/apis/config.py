"""Settings of the machine APIs (arXiv, Crossref, Unpaywall), parsed once and validated.

Each service has a base URL, a minimum interval between requests and a maximum number in
flight (the rate clock and the send permits shared through the database enforce both across
processes), a cooldown for a 429 without ``Retry-After``, and the longest a publication waits
for a send slot before it is left for a later run. ``UNPAYWALL_EMAIL`` is read by the ``pdfs``
spider alone (:class:`~scholarcrawl.pdfresolve.PdfConfig`), with :func:`setting_email`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

CONTACT_EMAIL_ENV = "SCHOLARCRAWL_CONTACT_EMAIL"
UNPAYWALL_EMAIL_ENV = "UNPAYWALL_EMAIL"


class ApiSettingError(ValueError):
    """An API setting has a value scholarcrawl cannot use."""


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """One API's request controls (``<SERVICE>_*`` settings)."""

    name: str
    enabled: bool
    api_url: str
    min_interval_seconds: float
    max_in_flight: int
    cooldown_seconds: float
    max_wait_seconds: float
    cache_ttl: timedelta

    @property
    def slot(self) -> str:
        """The Scrapy download slot of this service's requests."""
        return f"api-{self.name}"

    def __post_init__(self) -> None:
        parts = urlsplit(self.api_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ApiSettingError(f"{self.name}: API URL {self.api_url!r} is not an http(s) URL")
        if self.min_interval_seconds < 0:
            raise ApiSettingError(f"{self.name}: the minimum interval must be >= 0")
        if self.max_in_flight < 1:
            raise ApiSettingError(f"{self.name}: at least one request must be allowed in flight")
        if self.cooldown_seconds < 0 or self.max_wait_seconds < 0:
            raise ApiSettingError(f"{self.name}: cooldown and max wait must be >= 0")
        if self.cache_ttl.total_seconds() < 0:
            raise ApiSettingError("API_CACHE_TTL_DAYS must be >= 0")


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """Every API's controls, the contact e-mail and the User-Agent they are sent with."""

    contact_email: str | None
    user_agent: str
    arxiv: ServiceConfig
    crossref: ServiceConfig
    crossref_rows: int
    arxiv_max_results: int
    unpaywall: ServiceConfig

    @property
    def polite(self) -> bool:
        """Whether Crossref's polite pool applies (a contact e-mail is set)."""
        return self.contact_email is not None

    def services(self) -> dict[str, ServiceConfig]:
        return {"arxiv": self.arxiv, "crossref": self.crossref, "unpaywall": self.unpaywall}

    @classmethod
    def from_settings(cls, settings: BaseSettings | Mapping[str, Any]) -> ApiConfig:
        get = settings.get
        email = setting_email(settings, CONTACT_EMAIL_ENV)
        ttl = timedelta(days=_float(get("API_CACHE_TTL_DAYS", 183), "API_CACHE_TTL_DAYS"))
        max_wait = _float(get("API_MAX_WAIT_SECONDS", 120.0), "API_MAX_WAIT_SECONDS")
        base_agent = str(get("USER_AGENT") or "scholarcrawl")
        agent = f"{base_agent} (mailto:{email})" if email else base_agent
        arxiv = ServiceConfig(
            name="arxiv",
            enabled=_bool(get("ARXIV_ENABLED", True)),
            api_url=str(get("ARXIV_API_URL", "https://export.arxiv.org/api/query")),
            min_interval_seconds=_float(
                get("ARXIV_MIN_INTERVAL_SECONDS", 3.0), "ARXIV_MIN_INTERVAL_SECONDS"
            ),
            max_in_flight=_int(get("ARXIV_MAX_IN_FLIGHT", 1), "ARXIV_MAX_IN_FLIGHT"),
            cooldown_seconds=_float(get("ARXIV_COOLDOWN_SECONDS", 60.0), "ARXIV_COOLDOWN_SECONDS"),
            max_wait_seconds=max_wait,
            cache_ttl=ttl,
        )
        # Crossref's pools: the polite one (with mailto) allows 3 list requests/s and 3 in
        # flight; the public one 1 request/s.
        pool = "" if email else "PUBLIC_"
        crossref = ServiceConfig(
            name="crossref",
            enabled=_bool(get("CROSSREF_ENABLED", True)),
            api_url=str(get("CROSSREF_API_URL", "https://api.crossref.org")).rstrip("/"),
            min_interval_seconds=_float(
                get(f"CROSSREF_{pool}MIN_INTERVAL_SECONDS", 1.0 if pool else 0.34),
                f"CROSSREF_{pool}MIN_INTERVAL_SECONDS",
            ),
            max_in_flight=_int(
                get(f"CROSSREF_{pool}MAX_IN_FLIGHT", 1 if pool else 3),
                f"CROSSREF_{pool}MAX_IN_FLIGHT",
            ),
            cooldown_seconds=_float(
                get("CROSSREF_COOLDOWN_SECONDS", 60.0), "CROSSREF_COOLDOWN_SECONDS"
            ),
            max_wait_seconds=max_wait,
            cache_ttl=ttl,
        )
        rows = _int(get("CROSSREF_ROWS", 5), "CROSSREF_ROWS")
        results = _int(get("ARXIV_MAX_RESULTS", 5), "ARXIV_MAX_RESULTS")
        if not 1 <= rows <= 1000:
            raise ApiSettingError("CROSSREF_ROWS must be between 1 and 1000")
        if not 1 <= results <= 100:
            raise ApiSettingError("ARXIV_MAX_RESULTS must be between 1 and 100")
        # Unpaywall asks for at most 100,000 calls a day: one a second stays under it whatever
        # the number of processes (the rate clock is shared).
        unpaywall = ServiceConfig(
            name="unpaywall",
            enabled=True,
            api_url=str(get("UNPAYWALL_API_URL", "https://api.unpaywall.org")).rstrip("/"),
            min_interval_seconds=_float(
                get("UNPAYWALL_MIN_INTERVAL_SECONDS", 1.0), "UNPAYWALL_MIN_INTERVAL_SECONDS"
            ),
            max_in_flight=_int(get("UNPAYWALL_MAX_IN_FLIGHT", 2), "UNPAYWALL_MAX_IN_FLIGHT"),
            cooldown_seconds=_float(
                get("UNPAYWALL_COOLDOWN_SECONDS", 300.0), "UNPAYWALL_COOLDOWN_SECONDS"
            ),
            max_wait_seconds=max_wait,
            cache_ttl=ttl,
        )
        return cls(email, agent, arxiv, crossref, rows, results, unpaywall)


def api_download_slots(settings: BaseSettings) -> dict[str, dict[str, Any]]:
    """``DOWNLOAD_SLOTS`` entries of the API services: no Scrapy delay (the rate clock paces
    them) and room for the in-flight limit (enforced by the client)."""
    try:
        config = ApiConfig.from_settings(settings)
    except ApiSettingError:
        return {}  # refused with its message when the pipeline starts
    return {
        service.slot: {"concurrency": service.max_in_flight, "delay": 0.0}
        for service in config.services().values()
    }


def setting_email(settings: BaseSettings | Mapping[str, Any], name: str) -> str | None:
    """An e-mail setting (the environment variable of the same name wins); None when unset."""
    value = str(os.environ.get(name) or settings.get(name) or "").strip() or None
    if value is not None and ("@" not in value or any(c.isspace() for c in value)):
        raise ApiSettingError(
            f"{name} {value!r} is not an e-mail address (Crossref and Unpaywall want a real one)"
        )
    return value


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _float(value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ApiSettingError(f"{name} must be a number, not {value!r}") from None


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiSettingError(f"{name} must be an integer, not {value!r}") from None
