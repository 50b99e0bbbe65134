"""A run's time budget (``-a max_seconds``), shared by the spiders that take one.

The API client asks ``spider.budget_exhausted()`` before every wait, so a budget bounds the
waits for API send slots too.
"""

from __future__ import annotations

import time

from scholarcrawl.middlewares.cooldown import async_sleep


class TimeBudget:
    """Mixin: ``max_seconds`` counted from ``_started`` (both set by the spider's ``__init__``)."""

    max_seconds: float | None
    _started: float

    def seconds_left(self) -> float | None:
        """Seconds left of ``max_seconds`` (None: no time budget)."""
        if self.max_seconds is None:
            return None
        return max(0.0, self.max_seconds - (time.monotonic() - self._started))

    def budget_exhausted(self) -> str | None:
        """``max_seconds`` when the run's time is up (work not started yet is left queued)."""
        left = self.seconds_left()
        return "max_seconds" if left is not None and left <= 0 else None

    async def sleep_within_budget(self, seconds: float) -> None:
        """Sleep, but never past the end of the run's time budget (``max_seconds``)."""
        left = self.seconds_left()
        await async_sleep(seconds if left is None else min(seconds, left))
