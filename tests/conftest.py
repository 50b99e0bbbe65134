"""Shared fixtures: databases (SQLite and a real PostgreSQL), replay servers, ../shared."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from scholarcrawl.scrapyd import ScrapydError
from tests.support.databases import migrated
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
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest revision, once for the session (or xdist worker)."""
    path = tmp_path_factory.mktemp("template") / "migrated.sqlite3"
    # disposed once migrated: its last connection closes the WAL, the file alone is the database
    migrated(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    """The name of a PostgreSQL database migrated to the newest revision, once per session."""
    # disposed once migrated: CREATE DATABASE ... TEMPLATE needs nobody connected to it
    url = migrated(postgres_server.create_database())
    name = make_url(url).database
    assert name
    return name


@pytest.fixture
def migrated_copy(request: pytest.FixtureRequest) -> Callable[[str], str]:
    """Makes the fresh database at a URL a copy of one migrated once per session; returns it.

    For tests that need the schema but do not test migrating: the copy is what ``upgrade()``
    makes of an empty database, in milliseconds instead of Alembic's tenth of a second.
    """

    def copy(url: str) -> str:
        if url.startswith("sqlite"):
            path = Path(make_url(url).database or "")
            assert not path.exists(), f"{path} is not a fresh database"
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        else:
            server: PostgresServer = request.getfixturevalue("postgres_server")
            server.copy_into(url, request.getfixturevalue("postgres_template"))
        return url

    return copy


@pytest.fixture
def migrated_database_url(database_url: str, migrated_copy: Callable[[str], str]) -> str:
    """``database_url`` already migrated to the newest revision (see :func:`migrated_copy`)."""
    return migrated_copy(database_url)


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
