"""Alembic environment: runs migrations on the engine handed over by scholarcrawl.store.db."""

from __future__ import annotations

from alembic import context

from scholarcrawl.store.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # `alembic` run by hand: fall back to the configured URL
    from scholarcrawl.store.db import make_engine, resolve_database_url

    engine = make_engine(config.get_main_option("sqlalchemy.url") or resolve_database_url())

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
