"""A comparable dump of everything scholarcrawl stores about Scholar.

Surrogate keys (``id`` columns) depend on the order rows were inserted, which differs between
a crawl in one go and one finished over several runs; references to publications are
therefore dumped as the publication's fingerprint, and ``id`` columns are left out.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, inspect, text

# The run's own bookkeeping changes on every run by design; everything else must not.
BOOKKEEPING = {
    "scholars": {"last_crawled_at", "last_run_id"},
    "citation_snapshots": {"run_id", "observed_at"},
    # which of a shared paper's profiles was stored first: the order profiles were crawled in
    "publications": {"source_scholar_id"},
    # which run found an identifier, or merged two rows, is the run's own bookkeeping
    "publication_identifiers": {"run_id"},
    "publication_merges": {"run_id", "merged_at", "merged_publication_id"},
    # which run resolved a PDF row, and when
    "pdf_queue": {"run_id", "resolved_at"},
}
# When a row was written says how the crawl went, not what Scholar holds.
TIMESTAMPS = {"created_at", "updated_at"}
# Run state, not data about Scholar: what runs did and what is left to do.
SKIP_TABLES = {
    "crawl_runs",
    "run_scholars",
    "alembic_version",
    "continuation_queue",
    "cooldowns",
    "api_cache",
    "api_runtime_state",
    "api_inflight",
}


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Table -> sorted rows (as tuples of repr'd values), bookkeeping columns left out."""
    result: dict[str, list[tuple[Any, ...]]] = {}
    inspector = inspect(engine)
    with engine.connect() as connection:
        fingerprints: dict[Any, str] = {}
        if "publications" in inspector.get_table_names():
            fingerprints = dict(
                connection.execute(text("SELECT id, fingerprint FROM publications")).all()
            )
        for table in sorted(inspector.get_table_names()):
            if table in SKIP_TABLES:
                continue
            columns = [
                column["name"]
                for column in inspector.get_columns(table)
                if column["name"] not in BOOKKEEPING.get(table, set()) | TIMESTAMPS | {"id"}
            ]
            quoted = ", ".join(f'"{name}"' for name in columns)
            rows = connection.execute(text(f'SELECT {quoted} FROM "{table}"'))
            result[table] = sorted(
                tuple(
                    repr(
                        fingerprints.get(value, value)
                        if name in ("publication_id", "survivor_id")
                        else value
                    )
                    for name, value in zip(columns, row, strict=True)
                )
                for row in rows
            )
    return result


def every_value(engine: Engine) -> str:
    """Every row of every table, run state included, as one text to search (e.g. for a leak)."""
    with engine.connect() as connection:
        return "\n".join(
            f"{table}: {tuple(row)!r}"
            for table in sorted(inspect(engine).get_table_names())
            for row in connection.execute(text(f'SELECT * FROM "{table}"'))
        )


# What the store promises never to leave (all zero when it kept its word).
ORPHAN_QUERIES = {
    "publications without authorship": (
        "SELECT count(*) FROM publications p WHERE NOT EXISTS "
        "(SELECT 1 FROM authorships a WHERE a.publication_id = p.id)"
    ),
    "authorships without snapshot": (
        "SELECT count(*) FROM authorships a WHERE NOT EXISTS "
        "(SELECT 1 FROM citation_snapshots s WHERE s.publication_id = a.publication_id "
        "AND s.scholar_id = a.scholar_id)"
    ),
}


def orphans(engine: Engine) -> dict[str, int]:
    """A publication without an authorship, an authorship without its citation snapshot:
    how many of each."""
    with engine.connect() as connection:
        return {
            name: int(connection.execute(text(sql)).scalar_one())
            for name, sql in ORPHAN_QUERIES.items()
        }
