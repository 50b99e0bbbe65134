"""Database faults, end to end: a database unreachable at start, lost in the middle of a crawl,
migrated by two processes at once, and one profile crawled by two processes at once.

Real components only: ``scrapy crawl`` and ``scholarcrawl`` subprocesses, the replay server, SQLite
files and real PostgreSQL servers. The replay server's hooks pick the moments (a request held
until the test lets it go): nothing here waits for a duration or asserts on one.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from scholarcrawl.replay.faults import build_response
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.server import ReplayRequest, ReplayResponse, ReplayServer
from scholarcrawl.store.db import (
    _migration_lock,
    current_revision,
    head_revision,
    make_engine,
)
from scholarcrawl.store.models import Base
from scholarcrawl.store.queue import ContinuationQueue
from scholarcrawl.store.runs import RunStore
from tests.support.crawl import FAST, REPO_ROOT, run_scrapy, start_scrapy
from tests.support.databases import migrated
from tests.support.dbdump import dump
from tests.support.dbdump import orphans as store_orphans
from tests.support.postgres import PostgresServer, PostgresUnavailable
from tests.support.scrapyd import ScrapydServer

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


def test_a_scrapyd_job_on_an_unusable_database_exits_1_with_one_line_and_sends_nothing(
    scrapyd_server: ScrapydServer, replay: ReplayServer, tmp_path: Path
) -> None:
    url = _not_a_database(tmp_path, None)
    job = scrapyd_server.schedule(
        "scholar",
        arguments={"ids": replay.corpus.ids[0]},
        settings={**FAST, "SCHOLAR_BASE_URL": replay.base_url, "SCHOLARCRAWL_DATABASE_URL": url},
    )
    result = scrapyd_server.wait_for_job("scholar", job, timeout=WAIT_SECONDS)
    assert result.exit_code == 1, result.explain()
    [line] = [line for line in result.stderr.splitlines() if "database" in line]
    assert line.startswith("scholarcrawl: cannot use the database "), result.explain()
    assert "Traceback" not in result.stderr + result.log
    assert replay.requests == []


# --- shared by the crawls below --------------------------------------------------------------

Dump = dict[str, list[tuple[Any, ...]]]
WAIT_SECONDS = 60.0  # a condition not met by then fails the test; nothing waits this long


def settings_for(server: ReplayServer, url: str, **extra: str) -> dict[str, str]:
    """Every page of every profile (the first has three), into ``url``."""
    return {
        "SCHOLAR_BASE_URL": server.base_url,
        "SCHOLARCRAWL_DATABASE_URL": url,
        "SCHOLAR_PAGINATION": "all",
        **extra,
    }


def crawl_arguments(corpus: Corpus) -> list[str]:
    return ["crawl", "scholar", "-a", f"ids={','.join(corpus.ids)}"]


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds (a state to reach, not a duration to sleep)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.02)


def dump_of(url: str) -> Dump:
    engine = make_engine(url)
    try:
        return dump(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def clean_dumps() -> dict[str, Dump]:
    return {}


@pytest.fixture
def clean_dump(
    request: pytest.FixtureRequest,
    corpus: Corpus,
    clean_dumps: dict[str, Dump],
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str], Dump]:
    """The dump of one clean crawl of the corpus on ``backend`` (crawled once per module)."""

    def clean(backend: str) -> Dump:
        if backend not in clean_dumps:
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp('clean') / 'clean.sqlite3'}"
            else:
                server: PostgresServer = request.getfixturevalue("postgres_server")
                url = server.create_database()
            with ReplayServer(corpus) as server_:
                result = run_scrapy(crawl_arguments(corpus), settings_for(server_, url))
            assert result.returncode == 0, result.stderr[-3000:]
            clean_dumps[backend] = dump_of(url)
        return clean_dumps[backend]

    return clean


def backend_of(url: str) -> str:
    return make_url(url).get_backend_name()


def scholar_pages(server: ReplayServer) -> list[tuple[str | None, int]]:
    """(scholar id, cstart) of every profile page the server answered, in order."""
    return [
        (record.scholar_id, int(parse_qs(urlsplit(record.path).query).get("cstart", ["0"])[0]))
        for record in server.requests
        if urlsplit(record.path).path == "/citations"
    ]


def authorships_per_profile(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT scholar_id, count(*) FROM authorships GROUP BY scholar_id")
            )
            return {str(scholar_id): int(count) for scholar_id, count in rows}
    finally:
        engine.dispose()


def orphans(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        return store_orphans(engine)
    finally:
        engine.dispose()


# --- lost in the middle of a crawl -----------------------------------------------------------


class Outage:
    """A database that can be lost and brought back while a crawl uses it."""

    url: str

    def lose(self) -> None:
        raise NotImplementedError

    def restore(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class PostgresOutage(Outage):
    """A PostgreSQL server of its own, stopped with ``pg_ctl stop -m immediate`` (every
    connection cut, as when the host is lost) and started again on the same cluster."""

    def __init__(self) -> None:
        self.server = PostgresServer(crash_safe=True).start()
        self.url = migrated(self.server.create_database())

    def lose(self) -> None:
        self.server.crash()

    def restore(self) -> None:
        self.server.restart()

    def close(self) -> None:
        self.server.stop()


class SqliteOutage(Outage):
    """Another process's exclusive write lock on the file (``BEGIN EXCLUSIVE``, as a backup
    or a forgotten ``sqlite3`` shell takes it), held past the crawl's busy timeout: every
    write fails with "database is locked", until the lock goes. SQLite has no server to stop,
    and a file removed or replaced under open connections is not lost to them (they keep the
    old inode); a lock is what makes every process's writes fail, then succeed again. The
    busy timeout is the URL's ``timeout=`` (0.2 s here, 30 s by default)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "lost.sqlite3"
        self.url = migrated(f"sqlite:///{self.path}?timeout=0.2")
        self._holder: sqlite3.Connection | None = None

    def lose(self) -> None:
        holder = sqlite3.connect(
            self.path, timeout=10, isolation_level=None, check_same_thread=False
        )
        holder.execute("BEGIN EXCLUSIVE")
        self._holder = holder

    def restore(self) -> None:
        assert self._holder is not None
        self._holder.execute("ROLLBACK")
        self._holder.close()
        self._holder = None

    def close(self) -> None:
        if self._holder is not None:
            self.restore()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def outage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Outage]:
    if request.param == "sqlite":
        lost: Outage = SqliteOutage(tmp_path)
    else:
        try:
            lost = PostgresOutage()
        except PostgresUnavailable as exc:
            pytest.fail(str(exc), pytrace=False)
    yield lost
    lost.close()


def restore_once_the_end_is_retried(
    process: subprocess.Popen[bytes], log: Path, outage: Outage
) -> int:
    """The crawl's exit status, the database given back once the closing crawl is seen
    retrying its run's end on it (it must still be running then: it waits for the database)."""
    try:
        wait_for(
            lambda: (
                "the database is lost; trying again" in log.read_text(encoding="utf-8")
                or process.poll() is not None
            ),
            "the crawl waits for the database to write its end",
        )
        assert process.poll() is None, log.read_text(encoding="utf-8")[-3000:]
        outage.restore()
        return process.wait(timeout=WAIT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()


def test_a_database_lost_mid_crawl_fails_the_run_cleanly_and_a_rerun_finishes_it(
    corpus: Corpus, outage: Outage, tmp_path: Path, clean_dump: Callable[[str], Dump]
) -> None:
    first, second = corpus.ids
    lost = threading.Event()

    def lose_on_second_page(request: ReplayRequest) -> ReplayResponse | None:
        # the first profile's second page is asked for once its first page is stored: the
        # database goes before it is answered, so its rows find nobody to store them
        if request.scholar_id == first and request.param("cstart") == "100" and not lost.is_set():
            outage.lose()
            lost.set()
        return None

    log = tmp_path / "crawl.log"
    settings = {"CONTINUATION_LEASE_SECONDS": "1"}  # the dead run's claims lapse soon
    with ReplayServer(corpus, faults=[lose_on_second_page]) as replay:
        process = start_scrapy(
            crawl_arguments(corpus), settings_for(replay, outage.url, **settings), log=log
        )
        status = restore_once_the_end_is_retried(process, log, outage)
        pages = scholar_pages(replay)
    output = log.read_text(encoding="utf-8")

    # one clear error, no traceback, exit status 1, and nothing asked of Scholar after the loss
    assert status == 1, output[-3000:]
    assert "Traceback" not in output
    [lost_line] = [line for line in output.splitlines() if "database.lost" in line]
    assert "ERROR" in lost_line and "the crawl stops" in lost_line
    assert "Closing spider (database_lost)" in output
    # the three pages asked for before the loss, and none after (no third page of the first)
    assert sorted(pages) == sorted([(first, 0), (second, 0), (first, 100)])

    # the run's end was written as soon as the database came back
    engine = make_engine(outage.url)
    try:
        [run] = RunStore(engine).recent()
        assert run.status == "failed"
        assert run.error is not None and "the database was lost during the run" in run.error
        # a page is stored whole or not at all: the first one is, and its row moved past it
        entry = ContinuationQueue(engine).get(first)
        assert entry is not None and (entry.status, entry.cstart) == ("claimed", 100)
        rows = authorships_per_profile(outage.url)
        assert rows[first] == 100
        other = ContinuationQueue(engine).get(second)
        assert other is not None
        # the second profile's one page: stored whole or not at all, and done only if stored
        # (stored, its row may still be claimed: the loss can come between the two writes)
        assert rows.get(second, 0) in (0, 35)
        assert other.status != "done" or rows.get(second) == 35
        assert orphans(outage.url) == {
            "publications without authorship": 0,
            "authorships without snapshot": 0,
        }
        # the dead run's claims come back when their lease ends
        wait_for(
            lambda: {e.scholar_id for e in ContinuationQueue(engine).due()} >= {first},
            "the claims lapse",
        )
    finally:
        engine.dispose()

    with ReplayServer(corpus) as replay:
        rerun = run_scrapy(crawl_arguments(corpus), settings_for(replay, outage.url))
        pages = scholar_pages(replay)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    # the rerun asks only for what was not stored
    assert [page for page in pages if page[0] == first] == [(first, 100), (first, 200)]
    assert dump_of(outage.url) == clean_dump(backend_of(outage.url))


def test_a_database_lost_with_no_item_left_to_store_still_fails_the_crawl(
    outage: Outage, tmp_path: Path
) -> None:
    """Only the spider's own bookkeeping meets the loss (a CAPTCHA gives no item: the
    cooldown, the queue row and the profile's outcome are all there is to write): the crawl
    stops and fails all the same, instead of ending 0 with its run left `running`."""
    corpus = Corpus(CorpusSpec(seed=31, sizes=(5,)))
    [blocked] = corpus.ids

    def lose_then_block(request: ReplayRequest) -> ReplayResponse | None:
        if request.scholar_id != blocked:
            return None
        outage.lose()
        return build_response("sorry200", request)

    log = tmp_path / "crawl.log"
    with ReplayServer(corpus, faults=[lose_then_block]) as replay:
        process = start_scrapy(crawl_arguments(corpus), settings_for(replay, outage.url), log=log)
        status = restore_once_the_end_is_retried(process, log, outage)
    output = log.read_text(encoding="utf-8")
    assert status == 1, output[-3000:]
    assert "Traceback" not in output
    assert len([line for line in output.splitlines() if "database.lost" in line]) == 1
    assert "Closing spider (database_lost)" in output
    engine = make_engine(outage.url)
    try:
        [run] = RunStore(engine).recent()
        assert run.status == "failed"
        assert run.error is not None and "the database was lost during the run" in run.error
    finally:
        engine.dispose()


# --- two processes at once -------------------------------------------------------------------


def waiting_for_lock(url: str, engine: Engine) -> int:
    """How many processes wait for the migration lock the test holds."""
    if backend_of(url) == "postgresql":
        with engine.connect() as connection:
            query = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            return int(connection.execute(text(query)).scalar_one())
    database = make_url(url).database
    assert database
    inode = Path(database + ".migrate-lock").stat().st_ino
    with open("/proc/locks", encoding="ascii") as locks:
        # a blocked request is listed under the lock it waits for, after "->"
        return sum(1 for line in locks if "->" in line and f":{inode} " in line)


def test_two_upgrades_of_one_empty_database_at_once_migrate_it_once(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        # the test holds the migration lock until both processes wait for it: both saw an
        # empty database, so both set out to migrate it at the same moment
        with _migration_lock(engine):
            upgrades = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "scholarcrawl.cli",
                        "db",
                        "upgrade",
                        "--database",
                        database_url,
                    ],
                    cwd=REPO_ROOT,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for _ in range(2)
            ]
            try:
                wait_for(
                    lambda: waiting_for_lock(database_url, engine) == 2, "both wait for the lock"
                )
            except BaseException:
                for process in upgrades:
                    process.kill()
                raise
        results = [process.communicate(timeout=WAIT_SECONDS) for process in upgrades]
        assert [process.returncode for process in upgrades] == [0, 0], results
        for out, err in results:
            assert err == "" and f"-> {head_revision()}" in out
        assert current_revision(engine) == head_revision()
        # the schema is the one a single upgrade makes: every table of the models, once
        assert set(inspect(engine).get_table_names()) == set(Base.metadata.tables) | {
            "alembic_version"
        }
    finally:
        engine.dispose()


def test_two_crawls_of_the_same_profiles_at_once_one_skips_and_nothing_is_doubled(
    corpus: Corpus, migrated_database_url: str, tmp_path: Path, clean_dump: Callable[[str], Dump]
) -> None:
    url = migrated_database_url
    held = threading.Event()
    release = threading.Event()

    def hold_first_page(request: ReplayRequest) -> ReplayResponse | None:
        # the first crawl's first page waits at the server while the second crawl runs
        if request.path.startswith("/citations") and not held.is_set():
            held.set()
            release.wait(WAIT_SECONDS)
        return None

    with ReplayServer(corpus, faults=[hold_first_page]) as replay:
        # no AutoThrottle: the held page's latency would pace every later page
        quick = settings_for(replay, url, AUTOTHROTTLE_ENABLED="False")
        first = start_scrapy(crawl_arguments(corpus), quick, log=tmp_path / "first.log")
        try:
            wait_for(
                lambda: held.is_set() or first.poll() is not None, "the first crawl's first page"
            )
            assert held.is_set(), (tmp_path / "first.log").read_text(encoding="utf-8")[-3000:]
            second = run_scrapy(crawl_arguments(corpus), settings_for(replay, url))
            during = scholar_pages(replay)
        finally:
            release.set()
        status = first.wait(timeout=WAIT_SECONDS)
    first_log = (tmp_path / "first.log").read_text(encoding="utf-8")
    assert status == 0, first_log[-3000:]
    assert second.returncode == 0, second.stderr[-3000:]

    # the second crawl asked Scholar for nothing, and says why, once per profile
    assert during == []  # the first crawl's held page is logged once it is answered
    for scholar_id in corpus.ids:
        assert (
            f"Profile {scholar_id} is being crawled by another run (its queue row is claimed): "
            "skipped" in second.stderr
        )
    assert "Traceback" not in second.stderr + first_log

    engine = make_engine(url)
    try:
        runs = {run.status: run for run in RunStore(engine).recent()}
        assert set(runs) == {"completed"} and len(RunStore(engine).recent()) == 2
        skipped = [
            run
            for run in RunStore(engine).recent()
            if {p.status for p in RunStore(engine).scholars_of(run.id)} == {"claimed_elsewhere"}
        ]
        assert len(skipped) == 1  # the second run recorded why it left each profile alone
        assert {p.scholar_id for p in RunStore(engine).scholars_of(skipped[0].id)} == set(
            corpus.ids
        )
    finally:
        engine.dispose()
    # no row twice (the dump keeps duplicates) and nothing missing: as one clean crawl
    assert dump_of(url) == clean_dump(backend_of(url))
