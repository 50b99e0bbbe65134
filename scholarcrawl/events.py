"""Structured log events: ``<event> key=value …`` lines, one per thing that happened.

Event names are a closed vocabulary (``scholar.request_blocked``, ``scholar.cooldown_activated``,
``scholar.cooldown_ended``, ``continuation.enqueued``, ``continuation.claimed``,
``continuation.abandoned``, …). Values are quoted when they hold spaces, so a line splits back
into its fields with :func:`shlex.split`. Never pass a secret as a field.
"""

from __future__ import annotations

import logging
import shlex
from datetime import datetime
from typing import Any


def _value(value: Any) -> str:
    if isinstance(value, datetime):
        value = value.isoformat(timespec="seconds")
    elif isinstance(value, float):
        value = f"{value:.3f}".rstrip("0").rstrip(".")
    text = "" if value is None else str(value)
    return shlex.quote(text) if text == "" or any(c in text for c in " \t\"'=") else text


def format_event(event: str, **fields: Any) -> str:
    """``event key=value …`` with fields in the order given."""
    return " ".join([event, *(f"{key}={_value(value)}" for key, value in fields.items())])


def parse_event(line: str) -> tuple[str, dict[str, str]]:
    """The inverse of :func:`format_event` (for tests and log readers)."""
    event, *pairs = shlex.split(line)
    return event, dict(pair.split("=", 1) for pair in pairs)


def log_event(logger: logging.Logger, level: int, event: str, **fields: Any) -> None:
    """Log one event; ``extra`` carries the same fields for structured handlers."""
    logger.log(level, "%s", format_event(event, **fields), extra={"event": event, **fields})
