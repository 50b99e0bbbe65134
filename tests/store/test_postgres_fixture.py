from __future__ import annotations

import psycopg
import pytest

from tests.support.postgres import PostgresServer


@pytest.mark.postgres
def test_the_suite_starts_a_real_postgresql(postgres_server: PostgresServer) -> None:
    with psycopg.connect(postgres_server.admin_dsn()) as connection:
        version = connection.execute("SHOW server_version").fetchone()
    assert version is not None and int(version[0].split(".")[0]) >= 13
