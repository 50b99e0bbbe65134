"""Alembic environment: runs migrations on the engine handed over by scholarcrawl.store.db."""

from __future__ import annotations

from typing import Any

from alembic import context

from scholarcrawl.store.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # `alembic` run by hand: fall back to the configured URL
    from scholarcrawl.store.db import make_engine, resolve_database_url

    engine = make_engine(config.get_main_option("sqlalchemy.url") or resolve_database_url())

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    driver: Any = connection.connection.driver_connection
    isolation = driver.isolation_level if sqlite else None
    if sqlite:
        # Batch migrations copy a table and drop the old one; with foreign keys on, SQLite
        # refuses to drop a table other rows point at (citation_snapshots -> crawl_runs). The
        # pragma only takes effect outside a transaction, so it is set before the migration.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        # pysqlite opens a transaction only before INSERT, UPDATE and DELETE: every CREATE,
        # DROP and ALTER would be committed on its own, and a process killed mid-migration
        # would leave half a schema (a table copy, a revision behind its tables) that no
        # later upgrade could take over. The whole upgrade is one transaction of ours.
        driver.isolation_level = None
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        if sqlite:
            connection.rollback()  # nothing left when committed; all of it when not
            driver.isolation_level = isolation  # the pooled connection as pysqlite made it
    if sqlite:
        problems = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()
        if problems:
            raise RuntimeError(f"the migration left rows with broken references: {problems[:5]}")
