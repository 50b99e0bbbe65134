"""AutoThrottle that keeps each download slot's own minimum delay.

Scrapy's AutoThrottle lowers every slot's delay down to the global ``DOWNLOAD_DELAY``; Scholar's
slot (``SCHOLAR_DOWNLOAD_SLOT``) must never go below ``SCHOLAR_DOWNLOAD_DELAY`` while machine
APIs keep their own pace, so the minimum is read per slot from ``DOWNLOAD_SLOTS``.
"""

from __future__ import annotations

from scrapy.core.downloader import Slot
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response


class SlotAwareAutoThrottle(AutoThrottle):
    """AutoThrottle (same settings) with per-slot minimum delays."""

    def _adjust_delay(self, slot: Slot, latency: float, response: Response) -> None:
        slots = self.crawler.settings.getdict("DOWNLOAD_SLOTS")
        key = response.meta.get("download_slot") if response.request is not None else None
        slot_minimum = float(slots.get(key, {}).get("delay", 0.0)) if key else 0.0
        super()._adjust_delay(slot, latency, response)
        if slot.delay < slot_minimum:
            slot.delay = slot_minimum
