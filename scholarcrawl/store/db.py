"""Engine set-up, database URL resolution and schema migrations (Alembic).

The database URL comes from the ``SCHOLARCRAWL_DATABASE_URL`` environment variable when set,
else from the setting of the same name (default: a SQLite file in the working directory).
Passwords never reach a log: use :func:`redact_url` whenever a URL is shown.
"""

from __future__ import annotations

import atexit
import fcntl
import functools
import importlib.resources
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.pool import NullPool

DEFAULT_DATABASE_URL = "sqlite:///scholarcrawl.sqlite3"
ENV_VAR = "SCHOLARCRAWL_DATABASE_URL"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")  # in a source tree or an installed wheel
_LOCK_KEY = 0x5C401A  # PostgreSQL advisory lock of scholarcrawl's migrations


class DatabaseError(RuntimeError):
    """The database cannot be used: unreachable, or its schema does not match the code."""


class DatabaseLost(DatabaseError):
    """The database stopped answering in the middle of a run (down, cut off, or locked by
    another process beyond the busy timeout): nothing more can be recorded."""


# Errors of a database out of reach, as opposed to one statement refused. PostgreSQL: SQLSTATE
# classes 08 (connection), 57P (shut down, starting up) and 53 (disk full, no connection
# left); a client-side failure (refused, cut) has no SQLSTATE. A deadlock (40P01) or a
# cancelled statement (57014) fails one write only. SQLite: the file cannot be locked, opened,
# read or written.
_LOST_SQLSTATES = ("08", "57P", "53")
_LOST_SQLITE_ERRORS = (
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_CANTOPEN",
    "SQLITE_IOERR",
    "SQLITE_FULL",
    "SQLITE_READONLY",
)


def error_summary(exc: BaseException) -> str:
    """The driver's error behind ``exc`` in one line: its class and its message's first line
    (the rest of a driver's message repeats the statement and its parameters)."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return orig.__class__.__name__ + (f": {lines[0]}" if lines else "")


def database_lost(exc: BaseException) -> bool:
    """True when ``exc`` says the database cannot be reached any more, rather than that one
    statement was refused: the connection failed or was cut (PostgreSQL down, a network
    failure), or SQLite could not lock, open or write its file."""
    if isinstance(exc, DatabaseLost):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError):
        return False
    orig = exc.orig
    if isinstance(orig, sqlite3.Error):
        return str(getattr(orig, "sqlite_errorname", "")).startswith(_LOST_SQLITE_ERRORS)
    sqlstate = getattr(orig, "sqlstate", None)
    return sqlstate is None or str(sqlstate).startswith(_LOST_SQLSTATES)


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


def sqlite_file_missing(url: str) -> bool:
    """True for a SQLite file that does not exist yet (connecting would create it)."""
    parsed = parse_database_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return False
    return parsed.database != ":memory:" and not Path(parsed.database).expanduser().exists()


_BUSY_TIMEOUT_SECONDS = 30.0


def _wal_mode(cursor: Any, busy_seconds: float = _BUSY_TIMEOUT_SECONDS) -> None:
    """Switch the database to WAL, waiting for other processes.

    SQLite does not call the busy handler for the journal-mode change: two processes opening
    a fresh file together can get "database is locked" at once, whatever ``busy_timeout``
    says. So an already-WAL database is left alone, and the change is retried until the busy
    timeout runs out.
    """
    deadline = time.monotonic() + busy_seconds
    delay = 0.01
    while True:
        try:
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def _sqlite_pragmas(busy_seconds: float, dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # busy_timeout first: a second writer waits instead of failing at once. WAL lets a
    # reader (the CLI) look while a crawl writes.
    cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
    _wal_mode(cursor, busy_seconds)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def parse_database_url(url: str) -> URL:
    """``url`` parsed, its driver loaded; :class:`DatabaseError` (never the password) if not.

    SQLAlchemy's own errors here are tracebacks about a port or a plugin: the operator gets
    one line instead, with the URL redacted.
    """
    try:
        parsed = make_url(url)
        parsed.get_dialect()
    except NoSuchModuleError:
        raise DatabaseError(
            f"{redact_url(url)}: unknown database driver {url.split(':', 1)[0]!r} "
            "(use sqlite:///FILE or postgresql+psycopg://USER:PASSWORD@HOST:PORT/NAME)"
        ) from None
    except (ArgumentError, ValueError):  # the message may quote the URL: left out
        raise DatabaseError(
            f"not a database URL: {redact_url(url)} "
            "(use sqlite:///FILE or postgresql+psycopg://USER:PASSWORD@HOST:PORT/NAME)"
        ) from None
    return parsed


def sqlite_busy_seconds(url: URL) -> float:
    """How long a SQLite connection waits for another process's lock: the URL's own
    ``?timeout=SECONDS`` (the sqlite3 driver's argument) when given, else 30 s."""
    value = url.query.get("timeout")
    if value is None:
        return _BUSY_TIMEOUT_SECONDS
    try:
        seconds = float(value if isinstance(value, str) else value[0])
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise DatabaseError(f"timeout={value!r} in the SQLite URL must be seconds (>= 0)")
    return seconds


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (SQLite gets WAL and foreign keys; PostgreSQL pre-pings).

    Raises :class:`DatabaseError` for a URL that is not a database URL.
    """
    parsed = parse_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        busy_seconds = sqlite_busy_seconds(parsed)
        database = parsed.database
        if database and database != ":memory:":
            directory = Path(database).expanduser().parent
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(
                    f"cannot create the directory {directory} of the database "
                    f"{redact_url(url)}: {exc.strerror or exc.__class__.__name__}"
                ) from None
        engine = create_engine(url, poolclass=NullPool if not database else None)
        event.listen(engine, "connect", functools.partial(_sqlite_pragmas, busy_seconds))
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=2)


_extracted: Path | None = None


def extract_migrations(source: Traversable, target: Path) -> Path:
    """Copy the Alembic scripts under ``source`` to ``target`` (a new directory)."""
    target.mkdir(parents=True)
    for entry in source.iterdir():
        if entry.is_dir():
            if entry.name != "__pycache__":
                extract_migrations(entry, target / entry.name)
        elif entry.name.endswith((".py", ".mako", ".ini")):
            (target / entry.name).write_bytes(entry.read_bytes())
    return target


def migrations_dir() -> Path:
    """The Alembic scripts as files, which Alembic needs.

    Under scrapyd the package runs from a zipped egg, where the scripts are no files: they are
    then copied once per process to a temporary directory that goes when the process ends.
    """
    global _extracted
    if MIGRATIONS_DIR.is_dir():
        return MIGRATIONS_DIR
    if _extracted is None:
        root = Path(tempfile.mkdtemp(prefix="scholarcrawl-migrations-"))
        atexit.register(shutil.rmtree, root, True)
        source = importlib.resources.files("scholarcrawl.store").joinpath("migrations")
        _extracted = extract_migrations(source, root / "migrations")
    return _extracted


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    # The engine is handed over directly: no URL (and so no password) goes into the config.
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The newest migration this code knows."""
    script = ScriptDirectory(str(migrations_dir()))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's migration revision (None for an empty database)."""
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except DBAPIError as exc:
        # unreachable (OperationalError), or something that is no database of ours (a SQLite
        # file of something else is a DatabaseError): one line either way, never a traceback
        verb = "reach" if isinstance(exc, OperationalError) else "use"
        raise DatabaseError(
            f"cannot {verb} the database {redact_url(engine.url.render_as_string())}: "
            f"{error_summary(exc)}"
        ) from None


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """One migrating process at a time (two crawls starting on a fresh database).

    PostgreSQL: a session advisory lock; SQLite: an exclusive lock on a file beside the
    database (an in-memory database has nobody to race with).
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK_KEY})
                connection.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    lock_path = Path(database).expanduser().with_name(Path(database).name + ".migrate-lock")
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Create or migrate the schema to the newest revision; returns (before, after).

    Safe when several processes start at once: they migrate one after the other, and the
    later ones find nothing left to do.
    """
    before = current_revision(engine)
    head = head_revision()
    if before == head:
        return before, head
    with _migration_lock(engine):
        if current_revision(engine) != head:
            command.upgrade(_alembic_config(engine), "head")
    return before, head


def ensure_schema(engine: Engine, *, auto_migrate: bool) -> None:
    """Make sure the schema is current before a crawl, or refuse with a clear message."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    script = ScriptDirectory(str(migrations_dir()))
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


def schema_is_current(url: str) -> bool:
    """A database exists at ``url`` with the current schema (checked without creating it)."""
    try:
        if sqlite_file_missing(url):
            return False
        engine = make_engine(url)
    except DatabaseError:  # not a database URL
        return False
    try:
        return current_revision(engine) == head_revision()
    except DatabaseError:
        return False
    finally:
        engine.dispose()
