"""Reading a crawl's log: the structured events scholarcrawl writes (``name key=value …``)."""

from __future__ import annotations

from scholarcrawl.events import parse_event


def events(log: str, name: str) -> list[dict[str, str]]:
    """The fields of every ``name`` event in a Scrapy log, in order."""
    found = []
    for line in log.splitlines():
        _, sep, message = line.partition("] ")
        if sep and message.split(":", 1)[-1].strip().startswith(name + " "):
            found.append(parse_event(message.split(": ", 1)[1])[1])
    return found
