"""Egresses: the ways out to Scholar (the machine itself, or each of ``SCHOLAR_PROXIES``).

Cooldowns, 429 pauses and failure thresholds apply per egress, so a blocked proxy rests while
the others go on. An egress's ``name`` (``direct``, ``proxy-HOST:PORT``) is safe to log and
store; its ``proxy`` URL may hold credentials and is only ever handed to Scrapy's
HttpProxyMiddleware through ``request.meta["proxy"]``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings
from twisted.internet.defer import DeferredLock

DIRECT = "direct"
PROXY_SCHEMES = ("http", "https")


class ProxySettingError(ValueError):
    """``SCHOLAR_PROXIES`` holds something that is not a usable proxy URL."""


def redact_proxy(url: str) -> str:
    """``scheme://host:port`` of a proxy URL: no user, no password, no path."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ":?"
    return f"{parts.scheme}://{host}{port}"


def read_proxies(value: Any) -> list[str]:
    """Proxy URLs from the setting: a list, a comma/space separated string, or a file path.

    A file holds one URL per line; blank lines and ``#`` comments are skipped.
    """
    if value is None or value == "" or value == []:
        return []
    if isinstance(value, str):
        path = Path(value).expanduser()
        if "://" not in value and path.is_file():
            lines = (line.split("#", 1)[0].strip() for line in path.read_text("utf-8").splitlines())
            entries = [line for line in lines if line]
        else:
            entries = value.replace(",", " ").split()
    else:
        entries = [str(entry).strip() for entry in value if str(entry).strip()]
    bad = []
    for entry in entries:
        parts = urlsplit(entry)
        try:
            parts.port  # noqa: B018 (raises on a bad port)
        except ValueError:
            bad.append(redact_proxy(entry))
            continue
        if parts.scheme not in PROXY_SCHEMES or not parts.hostname:
            bad.append(redact_proxy(entry) if parts.hostname else "an unparsable entry")
    if bad:
        raise ProxySettingError(
            "SCHOLAR_PROXIES entries must be http:// or https:// proxy URLs: " + ", ".join(bad)
        )
    return entries


def proxies_from_settings(settings: BaseSettings) -> list[str]:
    return read_proxies(settings.get("SCHOLAR_PROXIES"))


def slot_names(settings: BaseSettings) -> list[str]:
    """The download slot of each egress: the Scholar slot, or one per proxy."""
    base = str(settings.get("SCHOLAR_DOWNLOAD_SLOT", "scholar"))
    proxies = proxies_from_settings(settings)
    if not proxies:
        return [base]
    return [f"{base}-proxy-{index}" for index in range(1, len(proxies) + 1)]


@dataclass(eq=False)
class Egress:
    """One way out, with its own pause, cooldown and failure counts."""

    name: str
    proxy: str | None
    slot: str
    lock: DeferredLock = field(default_factory=DeferredLock, repr=False)
    paused_until: float = 0.0  # epoch seconds: a 429 or retry back-off, nothing is sent
    cooldown_until: float = 0.0  # epoch seconds: a block or too many network failures
    cooldown_reason: str | None = None
    blocked_failures: int = 0
    network_failures: int = 0
    rate_limited: int = 0  # 429s in a row, whichever pages they answered

    @property
    def label(self) -> str:
        """How logs name this egress (never with credentials)."""
        return self.name

    def cooling(self, now: float) -> bool:
        return self.cooldown_until > now


class EgressPool:
    """Every egress of the run; hands them out in turn, skipping those cooling down."""

    def __init__(self, egresses: Sequence[Egress], clock: Callable[[], float] = time.time) -> None:
        if not egresses:
            raise ValueError("an egress pool needs at least one egress")
        self.egresses = list(egresses)
        self.clock = clock
        self._next = 0

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> EgressPool:
        proxies = proxies_from_settings(settings)
        slots = slot_names(settings)
        if not proxies:
            return cls([Egress(DIRECT, None, slots[0])])
        # Named by host and port, not by position: a stored cooldown stays with its proxy
        # when the list is reordered between runs.
        egresses: list[Egress] = []
        for proxy, slot in zip(proxies, slots, strict=True):
            name = "proxy-" + redact_proxy(proxy).split("://", 1)[1]
            taken = sum(1 for egress in egresses if egress.name.split("#")[0] == name)
            egresses.append(Egress(f"{name}#{taken + 1}" if taken else name, proxy, slot))
        return cls(egresses)

    def get(self, name: str) -> Egress | None:
        return next((egress for egress in self.egresses if egress.name == name), None)

    def choose(self) -> Egress | None:
        """The next egress not cooling down (round robin), or None when all are."""
        now = self.clock()
        for offset in range(len(self.egresses)):
            egress = self.egresses[(self._next + offset) % len(self.egresses)]
            if not egress.cooling(now):
                self._next = (self._next + offset + 1) % len(self.egresses)
                return egress
        return None

    def all_cooling(self) -> bool:
        now = self.clock()
        return all(egress.cooling(now) for egress in self.egresses)

    def earliest_cooldown_end(self) -> float:
        """When the first egress comes back (0 when one is available now)."""
        now = self.clock()
        ends = [egress.cooldown_until for egress in self.egresses if egress.cooling(now)]
        return min(ends) if len(ends) == len(self.egresses) else 0.0

    def names(self) -> Iterable[str]:
        return (egress.name for egress in self.egresses)
