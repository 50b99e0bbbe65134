"""A throw-away PostgreSQL server on a loopback port, for the test suite and benchmarks.

Uses Debian's server binaries (package ``postgresql``; ``make test`` installs it). As root,
initdb refuses to run, so the cluster belongs to the ``postgres`` system user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are missing or the server would not start."""


def find_bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian package "
        "`postgresql` (`make test` does: apt-get install -y postgresql)"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """``start()`` a cluster in a temp dir, ``create_database()`` per test, ``stop()``."""

    def __init__(self, *, crash_safe: bool = False) -> None:
        # Speed over durability for the suite; ``crash_safe`` keeps every commit through a
        # :meth:`crash` (synchronous_commit on: an acknowledged commit is in the WAL).
        self.crash_safe = crash_safe
        self.bindir = find_bindir()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="scholarcrawl-pg-"))
        self.data = self.dir / "data"
        self.as_root = os.geteuid() == 0

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        return subprocess.run(
            [*prefix, *command], capture_output=True, text=True, check=False, timeout=60
        )

    def start(self) -> PostgresServer:
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        result = self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "--auth=trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-locale",
        )
        if result.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {result.stderr.strip()}")
        return self.restart()

    def restart(self) -> PostgresServer:
        """Start the server on its cluster (again, after :meth:`crash`); returns once it answers."""
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} "
            "-c fsync=off -c full_page_writes=off "
            f"-c synchronous_commit={'on' if self.crash_safe else 'off'} "
            "-c max_connections=200"
        )
        result = self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.dir / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        if result.returncode != 0:
            log = (self.dir / "server.log").read_text(errors="replace")[-2000:]
            raise PostgresUnavailable(f"pg_ctl start failed: {result.stderr.strip()}\n{log}")
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.admin_dsn(), connect_timeout=2):
                    break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        return self

    def crash(self) -> None:
        """Stop the server at once, as a crash or a lost host would (``-m immediate``: open
        connections are cut, nothing is shut down cleanly); its cluster stays for
        :meth:`restart`."""
        result = self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"
        )
        if result.returncode != 0:
            raise PostgresUnavailable(f"pg_ctl stop failed: {result.stderr.strip()}")

    def admin_dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, *, template: str | None = None) -> str:
        """A new database, empty or a copy of the database ``template``; returns its URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        self._create(name, template)
        return self.url(name)

    def copy_into(self, url: str, template: str) -> None:
        """Make the database of ``url`` (new, or nobody connected) a copy of ``template``."""
        name = make_url(url).database
        assert name, url
        with psycopg.connect(self.admin_dsn(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        self._create(name, template)

    def _create(self, name: str, template: str | None) -> None:
        # A template must have no connection open while it is copied: its creator disposes them.
        clause = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(self.admin_dsn(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"{clause}')

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)
