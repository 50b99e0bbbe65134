"""A comparable dump of everything scholarcrawl stores about Scholar."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, inspect, text

# The run's own bookkeeping changes on every run by design; everything else must not.
BOOKKEEPING = {
    "scholars": {"last_crawled_at", "last_run_id"},
    "citation_snapshots": {"run_id", "observed_at"},
}
SKIP_TABLES = {"crawl_runs", "alembic_version"}


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Table -> sorted rows (as tuples of repr'd values), bookkeeping columns left out."""
    result: dict[str, list[tuple[Any, ...]]] = {}
    inspector = inspect(engine)
    with engine.connect() as connection:
        for table in sorted(inspector.get_table_names()):
            if table in SKIP_TABLES:
                continue
            columns = [
                column["name"]
                for column in inspector.get_columns(table)
                if column["name"] not in BOOKKEEPING.get(table, set())
            ]
            quoted = ", ".join(f'"{name}"' for name in columns)
            rows = connection.execute(text(f'SELECT {quoted} FROM "{table}"'))
            result[table] = sorted(tuple(repr(value) for value in row) for row in rows)
    return result
