"""Stats keys are paths: ``scholarcrawl/<component>/<event>[/<reason>]``."""

from __future__ import annotations

PREFIX = "scholarcrawl"


def stat_key(component: str, event: str) -> str:
    """The stats key for ``event`` of ``component`` (``event`` may hold slashes)."""
    return f"{PREFIX}/{component}/{event}"
