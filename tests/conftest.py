"""Shared fixtures: databases (SQLite and a real PostgreSQL), replay servers, ../shared."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from scholarcrawl.scrapyd import ScrapydError
from tests.support.postgres import PostgresServer, PostgresUnavailable
from tests.support.scrapyd import ScrapydServer, ScrapydUnavailable

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL on a loopback port, started once for the session.

    A missing server fails the tests that need it, with what to install: CI never skips it.
    """
    try:
        server = PostgresServer().start()
    except PostgresUnavailable as exc:
        if os.environ.get("SCHOLARCRAWL_ALLOW_NO_POSTGRES") == "1" and not os.environ.get("CI"):
            pytest.skip(f"PostgreSQL not available (SCHOLARCRAWL_ALLOW_NO_POSTGRES=1): {exc}")
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL: a SQLite file, then a new database on the real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'scholarcrawl.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()


@pytest.fixture(scope="session")
def scrapyd_server() -> Iterator[ScrapydServer]:
    """A real scrapyd on a loopback port with the project deployed, started once for the session.

    Jobs get their database as the setting SCHOLARCRAWL_DATABASE_URL. A scrapyd that cannot
    start or deploy fails the tests that need it, with why: it is never skipped.
    """
    server = ScrapydServer()
    try:
        server.start()
        server.deploy()
    except (ScrapydUnavailable, ScrapydError) as exc:
        server.stop()
        pytest.fail(f"scrapyd is unavailable: {exc}", pytrace=False)
    yield server
    server.stop()
