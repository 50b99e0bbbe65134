"""Fixtures of the storage tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from scholarcrawl.store.db import make_engine, upgrade


@pytest.fixture
def engine(migrated_database_url: str) -> Iterator[Engine]:
    """A migrated database (SQLite, then the real PostgreSQL), disposed after the test."""
    engine = make_engine(migrated_database_url)
    upgrade(engine)  # a no-op: the copy is at the newest revision
    yield engine
    engine.dispose()
