"""AutoThrottle that keeps each download slot's own minimum delay.

Scrapy's AutoThrottle lowers every slot's delay down to the global ``DOWNLOAD_DELAY``; Scholar's
slot (``SCHOLAR_DOWNLOAD_SLOT``) must never go below ``SCHOLAR_DOWNLOAD_DELAY`` while machine
APIs keep their own pace, so the minimum is read per slot from ``DOWNLOAD_SLOTS``.

The slot is known from the request (``download_slot`` in its meta), which is why the floor is
noted in ``_response_downloaded``: when that signal fires the response does not carry its
request yet, so ``_adjust_delay`` alone cannot tell which slot it adjusts.
"""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.core.downloader import Slot
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response


class SlotAwareAutoThrottle(AutoThrottle):
    """AutoThrottle (same settings) with per-slot minimum delays."""

    _minimums: dict[str, float] | None = None
    _adjusting: str | None = None  # the slot of the response being handled

    def slot_minimum(self, key: str) -> float:
        """The delay below which slot ``key`` never goes (its ``DOWNLOAD_SLOTS`` delay)."""
        if self._minimums is None:
            self._minimums = {
                str(name): float(values.get("delay", 0.0))
                for name, values in self.crawler.settings.getdict("DOWNLOAD_SLOTS").items()
                if isinstance(values, dict)
            }
        return self._minimums.get(key, 0.0)

    def _response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        self._adjusting = request.meta.get("download_slot")
        try:
            super()._response_downloaded(response, request, spider)
        finally:
            self._adjusting = None

    def _adjust_delay(self, slot: Slot, latency: float, response: Response) -> None:
        super()._adjust_delay(slot, latency, response)
        if self._adjusting is not None:
            slot.delay = max(slot.delay, self.slot_minimum(self._adjusting))
