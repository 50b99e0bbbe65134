"""Structured log events split back into exactly the fields they were given."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from scholarcrawl.events import format_event, log_event, parse_event


def test_fields_round_trip_with_spaces_quotes_and_empty_values() -> None:
    line = format_event(
        "scholar.request_blocked",
        reason="blocked_captcha",
        url="http://127.0.0.1:8000/citations?user=a&hl=en",
        egress="proxy-1 (http://10.0.0.1:3128)",
        note="it's 'quoted' = odd",
        empty="",
        missing=None,
    )
    event, fields = parse_event(line)
    assert event == "scholar.request_blocked"
    assert fields == {
        "reason": "blocked_captcha",
        "url": "http://127.0.0.1:8000/citations?user=a&hl=en",
        "egress": "proxy-1 (http://10.0.0.1:3128)",
        "note": "it's 'quoted' = odd",
        "empty": "",
        "missing": "",
    }


def test_datetimes_and_floats_are_compact() -> None:
    when = datetime(2026, 11, 23, 10, 0, 0, 123456, tzinfo=UTC)
    assert format_event("x", until=when, wait=30.0, ratio=0.25) == (
        "x until=2026-11-23T10:00:00+00:00 wait=30 ratio=0.25"
    )


def test_log_event_logs_the_line_and_carries_fields(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("scholarcrawl.test")
    with caplog.at_level(logging.INFO, logger="scholarcrawl.test"):
        log_event(logger, logging.WARNING, "scholar.cooldown_ended", egress="direct")
    [record] = caplog.records
    assert record.getMessage() == "scholar.cooldown_ended egress=direct"
    assert record.levelno == logging.WARNING
    assert record.__dict__["event"] == "scholar.cooldown_ended"
    assert record.__dict__["egress"] == "direct"
