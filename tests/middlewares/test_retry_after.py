"""Retry-After: delta seconds or an HTTP date; anything else is ignored."""

from __future__ import annotations

import pytest

from scholarcrawl.middlewares.cooldown import parse_retry_after

NOW = 1_795_000_000.0  # 2026-11-18T11:06:40Z


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        (b"", None),
        (b"120", 120.0),
        (" 7 ", 7.0),
        (b"soon", None),
        (b"-5", None),
        ("Wed, 18 Nov 2026 11:07:40 GMT", 60.0),
        ("Wed, 18 Nov 2026 11:00:00 GMT", 0.0),  # a date in the past: no wait
    ],
)
def test_parse_retry_after(value: str | bytes | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds
