"""A database as ``scholarcrawl db upgrade`` leaves it."""

from __future__ import annotations

from scholarcrawl.store.db import make_engine, upgrade


def migrated(url: str) -> str:
    """``url``, its schema brought to the latest revision."""
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return url
