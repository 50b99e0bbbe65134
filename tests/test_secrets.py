"""Secrets never leave where they belong: real crawls and scrapyd jobs, then a grep of everything.

A database password (a real PostgreSQL role's), proxy credentials and scrapyd credentials are
given the way the README says, runs go through their failure paths (a proxy that refuses, the
database lost mid-run, a database that refuses at start, scrapyd down), and every log, output,
file, stats dump and text column the runs wrote is searched for each secret, raw, URL-encoded
and base64-encoded.
"""

from __future__ import annotations

import base64
import contextlib
import io
import itertools
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from sqlalchemy.engine import make_url

from scholarcrawl import cli
from scholarcrawl.replay.faults import parse_fault
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.server import ReplayServer
from scholarcrawl.scrapyd import ScrapydAuth
from scholarcrawl.store.db import make_engine
from tests.spiders.test_blocks_crawl import FAST_FAULTS
from tests.spiders.test_proxies_crawl import start_proxy
from tests.support.crawl import FAST, REPO_ROOT, run_cli, run_scrapy, scrapy_command
from tests.support.dbdump import every_value
from tests.support.postgres import PostgresServer, free_port
from tests.support.scrapyd import ScrapydServer

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

# distinctive, and with characters a URL must encode
DB_PASSWORD = "Db/s3cr3t@Qx7v"
PROXY_PASSWORD = "Px:s3cr3t#Kw4z"
SCRAPYD_PASSWORD = "Sd-s3cr3t-Jm8n"
ROLE = "crawler"


def forms(user: str, password: str) -> list[str]:
    """Every way a password may show: raw, URL-encoded, and in a Basic header."""
    basic = base64.b64encode(f"{user}:{password}".encode()).decode()
    return [password, quote(password, safe=""), basic]


SECRETS = [
    *forms(ROLE, DB_PASSWORD),
    *forms("lab", PROXY_PASSWORD),
    *forms("ops", SCRAPYD_PASSWORD),
]


def assert_no_secret(where: str, text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a secret ({secret[:4]}…) leaks into {where}"


def files_under(*folders: Path) -> Iterator[tuple[Path, str]]:
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                yield path, path.read_bytes().decode("utf-8", errors="replace")


@pytest.fixture
def secret_database(postgres_server: PostgresServer) -> Iterator[str]:
    """A new database owned by a role with a password; its URL holds the password."""
    name = f"s_{time.monotonic_ns()}"
    with psycopg.connect(postgres_server.admin_dsn(), autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ROLE,))
        if exists.fetchone() is None:
            connection.execute(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{DB_PASSWORD}'")
        connection.execute(f'CREATE DATABASE "{name}" OWNER {ROLE}')
    url = make_url(postgres_server.url(name)).set(username=ROLE, password=DB_PASSWORD)
    yield url.render_as_string(hide_password=False)


def set_connections(server: PostgresServer, url: str, allowed: bool) -> None:
    """Let the database take connections, or refuse them and end the ones it has."""
    name = make_url(url).database
    with psycopg.connect(server.admin_dsn(), autocommit=True) as connection:
        connection.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        if not allowed:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )


def cli_output(*argv: str) -> str:
    """What ``scholarcrawl ARGV`` prints, run in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        cli.main(argv)
    return out.getvalue() + err.getvalue()


def test_a_crawl_through_proxies_that_loses_its_database_shows_no_secret(
    postgres_server: PostgresServer, secret_database: str, tmp_path: Path
) -> None:
    corpus = Corpus(CorpusSpec(seed=8, sizes=(12, 9, 6), shared_per_pair=1))
    last = corpus.ids[-1]
    healthy = start_proxy(blocking=False)
    refusing = free_port()  # nothing listens: the proxy refuses every connection
    user = quote(PROXY_PASSWORD, safe="")
    out = tmp_path / "out"  # everything the run writes; its inputs stay outside
    out.mkdir()
    (tmp_path / "proxies.txt").write_text(
        f"http://lab:{user}@127.0.0.1:{refusing}\nhttp://lab:{user}@127.0.0.1:{healthy.server_address[1]}\n",
        encoding="utf-8",
    )
    log = out / "crawl.log"
    # the last profile's page is slow: the database is lost while the crawl waits for it
    slow = parse_fault(f"slow:ids={last},delay=2")
    with ReplayServer(corpus, faults=[slow]) as server:
        command, environment = scrapy_command(
            ["crawl", "scholar", "-a", "ids=" + ",".join(corpus.ids)],
            {
                **FAST_FAULTS,
                "SCHOLAR_BASE_URL": server.base_url,
                "SCHOLAR_PROXIES": str(tmp_path / "proxies.txt"),
                "SCHOLAR_NETWORK_COOLDOWN_SECONDS": "60",
                "LOG_LEVEL": "DEBUG",
                "LOG_FILE": str(log),
            },
        )
        environment["SCHOLARCRAWL_DATABASE_URL"] = secret_database  # as the README says
        with (out / "stdout.txt").open("wb") as output:
            crawl = subprocess.Popen(
                command, cwd=REPO_ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT
            )
            try:
                deadline = time.monotonic() + 60
                while not slow.matched:  # the page is asked for, and not answered yet
                    assert crawl.poll() is None and time.monotonic() < deadline
                    time.sleep(0.05)
                set_connections(postgres_server, secret_database, allowed=False)
                # the crawl stops at the loss and retries its run's end: let the database back,
                # so that the error the run records is grepped too
                while "database.lost" not in log.read_text(encoding="utf-8", errors="replace"):
                    assert crawl.poll() is None and time.monotonic() < deadline
                    time.sleep(0.05)
                set_connections(postgres_server, secret_database, allowed=True)
                crawl.wait(timeout=90)
            finally:
                if crawl.poll() is None:
                    crawl.kill()
                set_connections(postgres_server, secret_database, allowed=True)
    healthy.shutdown()
    healthy.server_close()
    # the credentials did reach the proxy, and only the proxy
    assert set(healthy.auth) == {"Basic " + forms("lab", PROXY_PASSWORD)[2]}
    text = log.read_text(encoding="utf-8", errors="replace")
    # the failure paths were taken: the refusing proxy, the lost database (exceptions logged)
    assert "DownloadConnectionRefusedError" in text, text[-3000:]
    # (the driver's error depends on the moment: OperationalError "closed the connection" or
    # "not accepting connections", AdminShutdown "terminating connection")
    assert "database.lost" in text and "was lost during the run (" in text, text[-3000:]
    assert crawl.returncode == 1, text[-3000:]  # a lost database fails the crawl

    # the database refuses at start, or its URL is broken: one clear line, no password
    down = make_url(secret_database).set(port=free_port()).render_as_string(hide_password=False)
    broken = secret_database.replace(f":{make_url(secret_database).port}/", ":port/")
    for url in (down, broken):
        refused = run_scrapy(
            ["crawl", "scholar", "-a", "ids=" + last], {"SCHOLARCRAWL_DATABASE_URL": url}
        )
        assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
        assert_no_secret("a refused start", refused.stdout + refused.stderr)

    # what operators read afterwards
    shown = "".join(
        cli_output(*command, "--database", secret_database)
        for command in (("status",), ("runs", "list"), ("queue", "list"), ("summary",))
    )
    assert_no_secret("the CLI", shown)

    for path, content in files_under(out):
        assert_no_secret(str(path.relative_to(out)), content)
    engine = make_engine(secret_database)
    try:
        stored = every_value(engine)
    finally:
        engine.dispose()
    assert "the database was lost during the run" in stored  # the run's error, recorded
    assert_no_secret("the database", stored)


def test_a_scrapyd_job_with_credentials_everywhere_shows_no_secret(secret_database: str) -> None:
    corpus = Corpus(CorpusSpec(seed=9, sizes=(8, 5), shared_per_pair=1))
    auth = ScrapydAuth("ops", SCRAPYD_PASSWORD)
    secrets_env = {
        "SCRAPYD_USERNAME": auth.username,
        "SCRAPYD_PASSWORD": auth.password,
        "SCHOLARCRAWL_DATABASE_URL": secret_database,
    }
    scrapyd = ScrapydServer(env=secrets_env, auth=auth)
    outputs: list[tuple[str, str]] = []
    with ReplayServer(corpus) as server:
        try:
            scrapyd.start()
            scrapyd.deploy()
            scheduled = run_cli(
                "schedule",
                "--ids",
                ",".join(corpus.ids),
                "--scrapyd",
                scrapyd.url,
                "--json",
                *itertools.chain.from_iterable(
                    ("-s", f"{key}={value}")
                    for key, value in {**FAST, "SCHOLAR_BASE_URL": server.base_url}.items()
                ),
                env=secrets_env,
            )
            assert scheduled.returncode == 0, scheduled.stderr
            run_id = json.loads(scheduled.stdout)["run_id"]
            job = scrapyd.wait_for_job("scholar", run_id, timeout=120)
            assert job.ok, job.explain()
            outputs.append(("schedule", scheduled.stdout + scheduled.stderr))
            outputs += [(str(path), content) for path, content in files_under(scrapyd.dir)]
        finally:
            scrapyd.stop()
    # scrapyd down: the client says so, without the credentials it would have sent
    down = run_cli(
        "schedule",
        "--ids",
        corpus.ids[0],
        "--scrapyd",
        f"http://127.0.0.1:{free_port()}",
        env=secrets_env,
    )
    assert down.returncode != 0 and "scrapyd" in down.stderr
    outputs.append(("schedule with scrapyd down", down.stdout + down.stderr))
    # the job's log names its database, redacted: the grep below reads what was written
    assert any(
        where.endswith(f"{run_id}.log") and f"{ROLE}:***@" in text for where, text in outputs
    )
    for where, text in outputs:
        assert_no_secret(where, text)
    engine = make_engine(secret_database)
    try:
        stored = every_value(engine)
    finally:
        engine.dispose()
    assert run_id in stored
    assert_no_secret("the database", stored)
