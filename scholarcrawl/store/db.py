"""Engine set-up, database URL resolution and schema migrations (Alembic).

The database URL comes from the ``SCHOLARCRAWL_DATABASE_URL`` environment variable when set,
else from the setting of the same name (default: a SQLite file in the working directory).
Passwords never reach a log: use :func:`redact_url` whenever a URL is shown.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

DEFAULT_DATABASE_URL = "sqlite:///scholarcrawl.sqlite3"
ENV_VAR = "SCHOLARCRAWL_DATABASE_URL"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class DatabaseError(RuntimeError):
    """The database cannot be used: unreachable, or its schema does not match the code."""


def resolve_database_url(settings: Mapping[str, Any] | None = None) -> str:
    """The URL to use: environment variable, then setting, then the SQLite default."""
    env = os.environ.get(ENV_VAR)
    if env:
        return env
    if settings is not None:
        value = settings.get(ENV_VAR)
        if value:
            return str(value)
    return DEFAULT_DATABASE_URL


def redact_url(url: str) -> str:
    """The URL with its password masked, for logs and messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown by scheme only
        return url.split(":", 1)[0] + ":…"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets a reader (the CLI) look while a crawl writes; busy_timeout makes a second
    # writer wait instead of failing at once.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (SQLite gets WAL and foreign keys; PostgreSQL pre-pings)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, poolclass=NullPool if not database else None)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=2)


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # The engine is handed over directly: no URL (and so no password) goes into the config.
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The newest migration this code knows."""
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's migration revision (None for an empty database)."""
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except OperationalError as exc:
        raise DatabaseError(
            f"cannot reach the database {redact_url(engine.url.render_as_string())}: "
            f"{exc.orig.__class__.__name__}: {str(exc.orig).strip().splitlines()[0]}"
        ) from None


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Create or migrate the schema to the newest revision; returns (before, after)."""
    before = current_revision(engine)
    command.upgrade(_alembic_config(engine), "head")
    return before, head_revision()


def ensure_schema(engine: Engine, *, auto_migrate: bool) -> None:
    """Make sure the schema is current before a crawl, or refuse with a clear message."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    known = {rev.revision for rev in script.walk_revisions()}
    if current is not None and current not in known:
        raise DatabaseError(
            f"the database schema is at revision {current}, which this version of scholarcrawl "
            "does not know (a newer version migrated it): upgrade scholarcrawl"
        )
    if not auto_migrate:
        raise DatabaseError(
            f"the database schema is at revision {current or 'none (empty database)'} and this "
            f"version needs {head}: run `scholarcrawl db upgrade` "
            "(or set SCHOLARCRAWL_AUTO_MIGRATE=True)"
        )
    upgrade(engine)
