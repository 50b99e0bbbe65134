"""A real scrapyd 1.6 on a loopback port, for the test suite.

Started from an empty temporary directory holding its own scrapyd.conf (written by
:mod:`scholarcrawl.localscrapyd`, as ``make scrapyd`` writes it), never from the project: scrapyd
reads the nearest scrapy.cfg. The project's egg is built once per session with
``scrapyd-deploy --build-egg`` and uploaded with ``addversion.json``. scrapyd and its jobs run on
:func:`~scholarcrawl.localscrapyd.runtime_python`, which has the dependencies but not the work
tree: jobs run the deployed egg, as on a production scrapyd.

    server = ScrapydServer(env={"SOME_VAR": "1"}).start()
    server.deploy()
    jobid = server.schedule("scholar", arguments={...}, settings={...})
    job = server.wait_for_job("scholar", jobid)    # JobResult: exit_code, log, stderr, failures
    server.stop()

Several can run at once, each on its own port and directory: :func:`start_deployed` starts one
more with the project deployed (a second node in tests/test_multinode.py).

Jobs inherit scrapyd's environment: ``env`` is laid over this process's environment, less
PYTHONPATH and every ``SCHOLARCRAWL_*``, ``SCRAPY_*`` and ``SCRAPYD_*`` variable (a developer's
database or credentials never leak into a test). Give a job its database as the setting
``SCHOLARCRAWL_DATABASE_URL`` (an environment variable of that name would win over it).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from scholarcrawl import localscrapyd
from scholarcrawl.scrapyd import DEFAULT_PROJECT, ScrapydAuth, ScrapydClient, ScrapydError
from tests.support.postgres import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
HERMETIC_PREFIXES = ("SCHOLARCRAWL_", "SCRAPY_", "SCRAPYD_")
# Lines of a job log that say it went wrong.
FAILURE_MARKERS = ("] ERROR:", "] CRITICAL:", "Traceback (most recent call last)")
# scrapyd's launcher: "Process finished: project='p' spider='s' job='j' pid=1 args=[...]",
# or "Process died: exitstatus=1 project=...". It keeps no exit status anywhere else.
_PROCESS_LINE = re.compile(
    r"Process (?:(?P<finished>finished):|died: exitstatus=(?P<status>-?\d+|None))"
    r" project='[^']*' spider='[^']*' job='(?P<job>[^']*)' pid=(?P<pid>\d+)"
)


class ScrapydUnavailable(RuntimeError):
    """scrapyd is not installed, would not start, or the egg would not build or deploy."""


@functools.cache
def project_egg() -> bytes:
    """The project's egg, built once per session from the work tree."""
    with tempfile.TemporaryDirectory(prefix="scholarcrawl-test-egg-") as scratch:
        try:
            path = localscrapyd.build_egg(REPO_ROOT, Path(scratch) / "scholarcrawl.egg")
        except localscrapyd.LocalScrapydError as exc:
            raise ScrapydUnavailable(str(exc)) from None
        return path.read_bytes()


@dataclass(frozen=True)
class JobResult:
    """How a scrapyd job ended, read from scrapyd's log and the job's own."""

    spider: str
    jobid: str
    exit_code: int | None  # None: killed by a signal
    log: str  # logs_dir/<project>/<spider>/<jobid>.log
    stderr: str  # what the job wrote to stderr (before its log file opened, tracebacks)
    failures: list[str] = field(default_factory=list)  # ERROR/CRITICAL/traceback lines
    pid: int | None = None  # the job's process, as scrapyd's launcher logged it

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.failures

    def explain(self) -> str:
        """Everything a failed assertion should show."""
        return (
            f"job {self.spider}/{self.jobid} exit={self.exit_code}\n"
            f"--- failures ---\n" + "\n".join(self.failures) + "\n"
            f"--- stderr ---\n{self.stderr[-3000:]}\n--- log (end) ---\n{self.log[-3000:]}"
        )


class ScrapydServer:
    """``start()`` scrapyd in a temp dir, ``deploy()``, schedule and read jobs, ``stop()``."""

    def __init__(
        self,
        *,
        env: Mapping[str, str] | None = None,
        project: str = DEFAULT_PROJECT,
        max_proc: int = 4,
        poll_interval: float = 0.5,
        auth: ScrapydAuth | None = None,
    ) -> None:
        self.project = project
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = Path(tempfile.mkdtemp(prefix="scholarcrawl-test-scrapyd-"))
        self.logs_dir = self.dir / "logs"
        self.log_path = self.dir / localscrapyd.LOG_NAME
        inherited = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(HERMETIC_PREFIXES)  # PYTHONPATH: start_process drops it
        }
        self.env = {**inherited, **(env or {})}
        self.max_proc = max_proc
        self.poll_interval = poll_interval
        self.client = ScrapydClient(self.url, auth=auth, timeout=30.0)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> ScrapydServer:
        localscrapyd.write_config(
            self.dir, port=self.port, max_proc=self.max_proc, poll_interval=self.poll_interval
        )
        try:
            python = localscrapyd.runtime_python(self.dir)
            self.process = localscrapyd.start_process(self.dir, env=self.env, python=python)
            localscrapyd.wait_until_ready(
                self.client, self.process, log=self.log_path, timeout=timeout
            )
        except localscrapyd.LocalScrapydError as exc:
            self.stop()
            raise ScrapydUnavailable(str(exc)) from None
        return self

    def deploy(self) -> str:
        """Upload the session's egg (built on first use) as a new version; returns it."""
        return localscrapyd.deploy(self.client, project_egg(), project=self.project)

    def schedule(
        self,
        spider: str,
        *,
        arguments: Mapping[str, str] | None = None,
        settings: Mapping[str, str] | None = None,
        jobid: str | None = None,
    ) -> str:
        """Schedule a job of the deployed project; returns its id (a new uuid by default)."""
        return self.client.schedule(
            self.project,
            spider,
            jobid=jobid or uuid.uuid4().hex,
            arguments=arguments or {},
            settings=settings or {},
        )

    def wait_for_job(
        self, spider: str, jobid: str, *, timeout: float = 120.0, interval: float = 0.2
    ) -> JobResult:
        """Poll ``status.json`` every ``interval`` seconds until the job has finished; then how
        it ended."""
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            state = self.client.job_status(self.project, jobid)
            if state == "finished":
                return self.job_result(spider, jobid)
            time.sleep(interval)
        raise AssertionError(
            f"job {spider}/{jobid} still {state or 'unknown to scrapyd'} after {timeout:g} s\n"
            f"--- job log ---\n{self.job_log(spider, jobid)[-3000:]}\n"
            f"--- scrapyd log ---\n{localscrapyd.log_tail(self.log_path)}"
        )

    def job_result(self, spider: str, jobid: str) -> JobResult:
        """A finished job's exit status (from scrapyd's log), stderr, log and failure lines."""
        exit_code: int | None = None
        pid = None
        deadline = time.monotonic() + 5.0  # the launcher's line may trail status.json a little
        while pid is None:
            for match in _PROCESS_LINE.finditer(self.scrapyd_log()):
                if match["job"] == jobid:
                    pid = match["pid"]
                    status = match["status"]
                    exit_code = (
                        0 if match["finished"] else (None if status == "None" else int(status))
                    )
            if pid is None:
                if time.monotonic() > deadline:
                    raise AssertionError(f"scrapyd's log never said how job {jobid} ended")
                time.sleep(0.1)
        marker = f"[Launcher,{pid}/stderr] "
        stderr = "\n".join(
            line.split(marker, 1)[1] for line in self.scrapyd_log().splitlines() if marker in line
        )
        log = self.job_log(spider, jobid)
        failures = self.failures(log)
        if exit_code != 0:
            failures += [line for line in stderr.splitlines() if line.strip()][-20:]
        return JobResult(spider, jobid, exit_code, log, stderr, failures, int(pid))

    def scrapyd_log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def job_log_path(self, spider: str, jobid: str) -> Path:
        return self.logs_dir / self.project / spider / f"{jobid}.log"

    def job_log(self, spider: str, jobid: str) -> str:
        """The job's Scrapy log (``logs_dir/<project>/<spider>/<jobid>.log``), or "" if none."""
        try:
            return self.job_log_path(spider, jobid).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    @staticmethod
    def failures(log: str) -> list[str]:
        """The lines of a job log that report an error, a critical failure or a traceback."""
        return [line for line in log.splitlines() if any(m in line for m in FAILURE_MARKERS)]

    def stop(self) -> None:
        """Stop the jobs still running, then the scrapyd this object started, and nothing else."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            self._stop_running_jobs()
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
        shutil.rmtree(self.dir, ignore_errors=True)

    def _stop_running_jobs(self, timeout: float = 10.0) -> None:
        # scrapyd does not stop its jobs when it stops: they would outlive the test session.
        try:
            running = self.client.list_jobs(self.project)["running"]
            for job in running:
                self.client.cancel(self.project, str(job["id"]))
        except ScrapydError:
            return
        pids = [int(job["pid"]) for job in running if job.get("pid")]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(localscrapyd.pid_alive(p) for p in pids):
            time.sleep(0.1)
        for pid in pids:
            if localscrapyd.pid_alive(pid) and localscrapyd.is_scrapyd(pid):  # not a reused pid
                os.kill(pid, signal.SIGKILL)


def start_deployed(
    *, env: Mapping[str, str] | None = None, max_proc: int = 4, timeout: float = 60.0
) -> ScrapydServer:
    """One more scrapyd, started and given the session's egg, as the session fixture's is.

    Raises :class:`ScrapydUnavailable` or :class:`ScrapydError` with why; the scrapyd it
    started is stopped then. The caller stops it otherwise.
    """
    server = ScrapydServer(env=env, max_proc=max_proc)
    try:
        server.start(timeout=timeout)
        server.deploy()
    except BaseException:
        server.stop()
        raise
    return server
