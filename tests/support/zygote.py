"""A fork server for ``scrapy`` processes: real crawl processes without the import cost.

A fresh ``python -m scrapy crawl`` spends most of a small test crawl importing Scrapy, Twisted,
SQLAlchemy and scholarcrawl. The kill sweeps start a hundred crawls, so one server process per
test worker imports all of that once and forks a child per crawl. A child is a real process
(``kill -9`` kills it, as it would kill a crawl started by cron) that then does what
``python -m scrapy ARGUMENTS`` does: its own argv, environment, working directory and log file,
and ``scrapy.cmdline.execute``. What it must not inherit, the server never holds before a fork:
no reactor (Twisted's is installed by the crawl, in the child), no thread, no logging handler,
no database connection, and not ``scholarcrawl.settings`` (re-read by each child, under its own
environment). The server checks the first three before every fork and refuses otherwise.

    with Zygote() as zygote:
        child = zygote.start(["crawl", "scholar", "-a", "ids=..."], settings, log=path)
        os.kill(child, signal.SIGKILL)
        assert zygote.wait(child) == -signal.SIGKILL   # as Popen.returncode says it

The protocol is one JSON object a line on the server's stdin and stdout.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import logging
import os
import pkgutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.support.crawl import REPO_ROOT, scrapy_command

# Modules a crawl imports late (dialects, Alembic, Scrapy's default components): loaded once.
PRELOAD = (
    "scrapy.cmdline",
    "scrapy.commands.crawl",
    "scrapy.core.engine",
    "scrapy.core.downloader.handlers.http11",
    "sqlalchemy.dialects.sqlite.pysqlite",
    "sqlalchemy.dialects.postgresql.psycopg",
    "psycopg",
    "alembic.command",
    "alembic.runtime.migration",
    "twisted.internet.asyncioreactor",
)
# Not preloaded: read by each child under its own environment (it is a settings module).
PER_CHILD = ("scholarcrawl.settings",)
POLL_SECONDS = 0.01


class Zygote:
    """The client: starts the server, forks crawls through it, and stops it."""

    def __init__(self) -> None:
        environment = {
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "SCRAPY_SETTINGS_MODULE": "scholarcrawl.settings",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.zygote"],
            cwd=REPO_ROOT,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._lock = threading.Lock()  # one question and its answer at a time
        self._ask({"op": "ready"})

    def _ask(self, request: Mapping[str, Any]) -> dict[str, Any]:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        with self._lock:
            stdin.write(json.dumps(request) + "\n")
            stdin.flush()
            line = stdout.readline()
        if not line:
            raise RuntimeError(f"the zygote died (exit {self.process.wait(timeout=10)})")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"the zygote refused {request['op']}: {answer['error']}")
        return answer

    def start(
        self,
        arguments: Sequence[str],
        settings: Mapping[str, str] | None = None,
        *,
        log: Path,
        cwd: Path = REPO_ROOT,
    ) -> int:
        """Fork ``scrapy ARGUMENTS -s …`` (as :func:`~tests.support.crawl.start_scrapy` runs
        it), its output to ``log``; its pid."""
        command, environment = scrapy_command(arguments, settings)
        request = {
            "op": "start",
            "arguments": command[3:],  # less `python -m scrapy`
            "env": environment,
            "cwd": str(cwd),
            "log": str(log),
        }
        return int(self._ask(request)["pid"])

    def poll(self, pid: int) -> int | None:
        """The child's exit status as ``Popen.returncode`` gives it, or None while it runs."""
        status: int | None = self._ask({"op": "poll", "pid": pid})["status"]
        return status

    def wait(self, pid: int, timeout: float = 120.0) -> int:
        deadline = time.monotonic() + timeout
        while (status := self.poll(pid)) is None:
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                raise AssertionError(f"crawl {pid} still running after {timeout:g} s: killed")
            time.sleep(POLL_SECONDS)
        return status

    def run(
        self,
        arguments: Sequence[str],
        settings: Mapping[str, str] | None = None,
        *,
        log: Path,
        timeout: float = 120.0,
    ) -> tuple[int, str]:
        """Run a crawl to its end: its exit status and its log."""
        status = self.wait(self.start(arguments, settings, log=log), timeout)
        return status, log.read_text(encoding="utf-8", errors="replace")

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()  # the server ends at end of input
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)

    def __enter__(self) -> Zygote:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


# --- the server ---------------------------------------------------------------------------------


def preload() -> None:
    """Import what every crawl imports, without installing a reactor or starting a thread."""
    import scrapy.settings.default_settings as defaults

    for name in PRELOAD:
        importlib.import_module(name)
    components = [
        *defaults.DOWNLOADER_MIDDLEWARES_BASE,
        *defaults.SPIDER_MIDDLEWARES_BASE,
        *defaults.EXTENSIONS_BASE,
        *defaults.DOWNLOAD_HANDLERS_BASE.values(),
    ]
    for path in components:
        importlib.import_module(path.rsplit(".", 1)[0])
    import scholarcrawl

    for module in pkgutil.walk_packages(scholarcrawl.__path__, "scholarcrawl."):
        # the replay servers and the browser handler are no part of these crawls
        if ".replay" not in module.name and not module.name.endswith("browserhandler"):
            importlib.import_module(module.name)
    for name in PER_CHILD:
        sys.modules.pop(name, None)


def fork_hazards() -> list[str]:
    """What a forked child must not inherit; empty when forking is safe."""
    hazards = []
    if "twisted.internet.reactor" in sys.modules:
        hazards.append("a reactor is installed")
    if threading.active_count() != 1:
        hazards.append(f"{threading.active_count()} threads run")
    if logging.getLogger().handlers:
        hazards.append("the root logger has handlers")
    return hazards


def child(request: Mapping[str, Any]) -> None:
    """In the forked child: become ``python -m scrapy ARGUMENTS`` and never return."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        out = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(null)
        os.close(out)
        import scrapy
        from scrapy.cmdline import execute

        # argv[0] as `python -m scrapy` sets it (argparse names it in its messages)
        sys.argv = [str(Path(scrapy.__file__).with_name("__main__.py")), *request["arguments"]]
        execute(list(sys.argv))
        code = 0
    except SystemExit as exc:  # as the interpreter ends on it
        if isinstance(exc.code, int) or exc.code is None:
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        # what the interpreter does on its way out (logging's flush among them), then out
        # without returning into the server's loop
        with contextlib.suppress(BaseException):
            atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)


def returncode(status: int) -> int:
    """A ``waitpid`` status as ``Popen.returncode``: the exit code, or minus the signal."""
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def serve() -> None:
    preload()
    children: dict[int, int | None] = {}
    for line in sys.stdin:
        request = json.loads(line)
        answer: dict[str, Any]
        if request["op"] == "ready":
            hazards = fork_hazards()
            answer = {"error": "; ".join(hazards)} if hazards else {"pid": os.getpid()}
        elif request["op"] == "start":
            hazards = fork_hazards()
            if hazards:
                answer = {"error": "; ".join(hazards)}
            else:
                pid = os.fork()
                if pid == 0:
                    child(request)
                children[pid] = None
                answer = {"pid": pid}
        elif request["op"] == "poll":
            pid = int(request["pid"])
            if pid not in children:
                answer = {"error": f"{pid} is not a child of this zygote"}
            else:
                if children[pid] is None:
                    done, status = os.waitpid(pid, os.WNOHANG)
                    if done:
                        children[pid] = returncode(status)
                answer = {"status": children[pid]}
        else:
            answer = {"error": f"unknown op {request['op']!r}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    for pid, ended in children.items():  # nothing outlives the server
        if ended is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


if __name__ == "__main__":
    serve()
