"""Database faults, end to end: a database unreachable at start, lost in the middle of a crawl,
migrated by two processes at once, and one profile crawled by two processes at once.

Real components only: ``scrapy crawl`` and ``scholarcrawl`` subprocesses, the replay server, SQLite
files and real PostgreSQL servers. The replay server's hooks pick the moments (a request held
until the test lets it go): nothing here waits for a duration or asserts on one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.server import ReplayServer
from tests.support.crawl import run_scrapy
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.slow

PASSWORD = "hunter2-secret"


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(CorpusSpec(seed=29, sizes=(230, 35), shared_per_pair=1))


@pytest.fixture
def replay(corpus: Corpus) -> Iterator[ReplayServer]:
    with ReplayServer(corpus) as server:
        yield server


# --- unreachable at start --------------------------------------------------------------------


def _not_a_database(tmp_path: Path, _: PostgresServer | None) -> str:
    path = tmp_path / "notes.sqlite3"
    path.write_text("a text file where the database should be\n", encoding="utf-8")
    return f"sqlite:///{path}"


def _directory_is_a_file(tmp_path: Path, _: PostgresServer | None) -> str:
    (tmp_path / "data").write_text("", encoding="utf-8")
    return f"sqlite:///{tmp_path / 'data' / 'db' / 'scholarcrawl.sqlite3'}"


def _closed_port(_: Path, __: PostgresServer | None) -> str:
    return f"postgresql+psycopg://crawler:{PASSWORD}@127.0.0.1:9/scholar"


def _no_such_database(_: Path, server: PostgresServer | None) -> str:
    assert server is not None
    return f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{server.port}/no_such_database"


UNREACHABLE: dict[str, tuple[Callable[[Path, PostgresServer | None], str], str]] = {
    "sqlite-not-a-database": (_not_a_database, "cannot use the database"),
    "sqlite-directory-is-a-file": (_directory_is_a_file, "cannot create the directory"),
    "postgresql-closed-port": (_closed_port, "cannot reach the database"),
    "postgresql-no-such-database": (_no_such_database, "cannot reach the database"),
}


@pytest.mark.parametrize(
    ("spider", "case"),
    [
        ("scholar", "sqlite-not-a-database"),
        ("scholar", "sqlite-directory-is-a-file"),
        pytest.param("scholar", "postgresql-no-such-database", marks=pytest.mark.postgres),
        ("pdfs", "sqlite-directory-is-a-file"),
        pytest.param("pdfs", "postgresql-closed-port", marks=pytest.mark.postgres),
    ],
)
def test_an_unusable_database_at_start_is_one_line_and_nothing_is_sent(
    request: pytest.FixtureRequest, replay: ReplayServer, tmp_path: Path, spider: str, case: str
) -> None:
    make_url, message = UNREACHABLE[case]
    server = request.getfixturevalue("postgres_server") if "postgresql" in case else None
    url = make_url(tmp_path, server)
    arguments = ["crawl", spider]
    if spider == "scholar":
        arguments += ["-a", f"ids={','.join(replay.corpus.ids)}"]
    result = run_scrapy(
        arguments,
        {
            "SCHOLARCRAWL_DATABASE_URL": url,
            "SCHOLAR_BASE_URL": replay.base_url,
            "UNPAYWALL_EMAIL": "faults@example.org",
            "UNPAYWALL_API_URL": replay.unpaywall_api_url,
        },
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    [line] = [line for line in result.stderr.splitlines() if "database" in line]
    assert line.startswith(f"scholarcrawl: {message} "), line
    assert "Traceback" not in output
    assert PASSWORD not in output
    assert replay.requests == []  # neither Scholar nor Unpaywall heard of it
    if case == "sqlite-not-a-database":  # the file is left as it was
        assert (tmp_path / "notes.sqlite3").read_text(encoding="utf-8").startswith("a text file")
