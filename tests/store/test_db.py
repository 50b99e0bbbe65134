"""SQLite connection set-up when another process holds the fresh database."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import OperationalError

from scholarcrawl.store import db


def _hold_write_lock(path: Path) -> sqlite3.Connection:
    """A rollback-journal database with another connection holding its write lock, the way
    a second process sees the file while the first one migrates it."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE other_process (x INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO other_process VALUES (1)")
    return holder


def test_switching_to_wal_waits_for_a_writer_that_sqlite_would_not_wait_for(
    tmp_path: Path,
) -> None:
    path = tmp_path / "fresh.sqlite3"
    holder = _hold_write_lock(path)
    # SQLite itself answers the journal-mode change at once, busy timeout or not
    bare = sqlite3.connect(path)
    bare.execute("PRAGMA busy_timeout=5000")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        bare.execute("PRAGMA journal_mode=WAL")
    bare.close()

    releaser = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    releaser.start()
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("SELECT x FROM other_process")).scalar() == 1
    finally:
        releaser.join()
        engine.dispose()
        holder.close()


def test_a_writer_that_never_lets_go_gives_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "_BUSY_TIMEOUT_SECONDS", 0.2)
    path = tmp_path / "held.sqlite3"
    holder = _hold_write_lock(path)
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        with pytest.raises(db.DatabaseError, match=r"cannot reach the database .*locked"):
            db.current_revision(engine)
    finally:
        engine.dispose()
        holder.close()


def test_an_error_other_than_a_lock_is_not_retried() -> None:
    class Cursor:
        calls = 0

        def execute(self, _sql: str) -> Cursor:
            Cursor.calls += 1
            raise sqlite3.OperationalError("disk I/O error")

    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        db._wal_mode(Cursor())
    assert Cursor.calls == 1


def test_migrations_in_a_zipped_package_are_extracted_and_migrate(tmp_path: Path) -> None:
    """Under scrapyd the package is a zipped egg: Alembic needs its scripts as files."""
    import zipfile

    from alembic.script import ScriptDirectory

    from scholarcrawl.store.db import MIGRATIONS_DIR, extract_migrations, head_revision

    archive = tmp_path / "project.egg"
    with zipfile.ZipFile(archive, "w") as egg:
        for path in MIGRATIONS_DIR.rglob("*"):
            if path.is_file():
                egg.write(path, f"scholarcrawl/store/migrations/{path.relative_to(MIGRATIONS_DIR)}")
    source = zipfile.Path(archive, "scholarcrawl/store/migrations/")

    target = extract_migrations(source, tmp_path / "extracted")

    assert ScriptDirectory(str(target)).get_current_head() == head_revision()
    assert not list(target.rglob("__pycache__"))
    assert {p.name for p in (target / "versions").glob("*.py")} == {
        p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py")
    }


def test_migrations_dir_is_the_package_directory_when_it_is_one() -> None:
    from scholarcrawl.store.db import MIGRATIONS_DIR, migrations_dir

    assert migrations_dir() == MIGRATIONS_DIR


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql+psycopg://ops:Hush-1234@db:notaport/x", "not a database URL: postgresql"),
        ("postgresql+psycopg://ops:Hush-1234@[::1/x", "not a database URL: postgresql"),
        ("postgres://ops:Hush-1234@db/x", "postgres://ops:***@db/x: unknown database driver"),
        ("nodb", "not a database URL: nodb"),
    ],
)
def test_a_url_that_is_no_database_url_is_one_clear_error_without_its_password(
    url: str, message: str
) -> None:
    for attempt in (db.make_engine, db.sqlite_file_missing):
        with pytest.raises(db.DatabaseError) as raised:
            attempt(url)
        assert message in str(raised.value) and "Hush-1234" not in str(raised.value)
        assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_the_urls_timeout_sets_the_busy_timeout_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    for query, milliseconds in (("", 30000), ("?timeout=0.25", 250)):
        engine = db.make_engine(f"sqlite:///{tmp_path / 'busy.sqlite3'}{query}")
        try:
            with engine.connect() as connection:
                busy = connection.execute(text("PRAGMA busy_timeout")).scalar_one()
        finally:
            engine.dispose()
        assert busy == milliseconds
    with pytest.raises(db.DatabaseError, match="timeout='soon' in the SQLite URL"):
        db.make_engine(f"sqlite:///{tmp_path / 'busy.sqlite3'}?timeout=soon")


class _ServerError(Exception):
    """A driver error as psycopg raises it, with the server's SQLSTATE."""

    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "lost"),
    [
        (None, True),  # refused or cut before the server said anything
        ("08006", True),  # connection failure
        ("57P01", True),  # the server is shutting down
        ("53100", True),  # disk full
        ("40P01", False),  # a deadlock fails one write, the database is there
        ("57014", False),  # a statement cancelled (statement_timeout)
    ],
)
def test_a_lost_postgresql_is_told_from_a_refused_statement(
    sqlstate: str | None, lost: bool
) -> None:
    assert db.database_lost(OperationalError("UPDATE ...", None, _ServerError(sqlstate))) is lost


def test_a_locked_sqlite_is_lost_and_a_missing_table_is_not(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    engine = db.make_engine(f"sqlite:///{path}?timeout=0")
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
        with pytest.raises(OperationalError) as missing, engine.connect() as connection:
            connection.execute(text("SELECT * FROM no_such_table"))
        assert not db.database_lost(missing.value)
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(OperationalError) as locked, engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (1)"))
        assert db.database_lost(locked.value)
    finally:
        holder.close()


def test_a_migration_that_fails_halfway_leaves_nothing_and_can_run_again(
    database_url: str,
) -> None:
    """The whole upgrade is one transaction, on SQLite too (where pysqlite would commit every
    CREATE on its own): a process that fails or is killed mid-migration leaves the database
    as it was, and the next run migrates it. The last migration is made to fail by a table
    in its way."""
    engine = db.make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE exclusions (in_the_way INTEGER)"))
        with pytest.raises(Exception, match="exclusions"):
            db.upgrade(engine)
        assert db.current_revision(engine) is None
        assert inspect(engine).get_table_names() == ["exclusions"]  # as it was before

        with engine.begin() as connection:
            connection.execute(text("DROP TABLE exclusions"))
        assert db.upgrade(engine) == (None, db.head_revision())
        assert "in_the_way" not in {c["name"] for c in inspect(engine).get_columns("exclusions")}
    finally:
        engine.dispose()


def test_an_error_summary_is_the_drivers_class_and_first_line_even_of_an_empty_message() -> None:
    class Driver(Exception):
        pass

    wrapped = OperationalError("SELECT 1", {}, Driver("no route to host\n[SQL: SELECT 1]"))
    assert db.error_summary(wrapped) == "Driver: no route to host"
    assert db.error_summary(OperationalError("SELECT 1", {}, Driver(""))) == "Driver"
    assert db.error_summary(ValueError("  \n")) == "ValueError"
