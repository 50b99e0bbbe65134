"""A local scrapyd for ``make scrapyd`` and the test suite, in a directory of its own.

scrapyd reads the nearest ``scrapy.cfg`` (and ``scrapyd.conf`` in its working directory), so it
is never started inside the project: it runs from an empty temporary directory holding its
``scrapyd.conf`` (bound to 127.0.0.1), its eggs, logs, items and queues, its pid and its log.
The project is deployed as an egg that ``scrapyd-deploy --build-egg`` builds from a copy of the
project (setup.py, pyproject.toml, the package), so a build leaves nothing in the work tree; the
egg carries the ``scrapy: settings = scholarcrawl.settings`` entry point and the migrations. Its
dependencies are those of the Python scrapyd runs on.

    python -m scholarcrawl.localscrapyd start [--port 6800]   # in the background; says how to stop
    python -m scholarcrawl.localscrapyd deploy [--url URL]    # build the egg again and upload it
    python -m scholarcrawl.localscrapyd stop [--port 6800]

Jobs inherit scrapyd's environment and working directory (the temporary directory):
``start`` points ``SCHOLARCRAWL_DATABASE_URL`` at the project's ``scholarcrawl.sqlite3`` when
the variable is not set. scrapyd enables HTTP Basic authentication itself when
``SCRAPYD_USERNAME`` and ``SCRAPYD_PASSWORD`` are set, the variables the client reads.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import signal
import site
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from scrapy.utils.conf import closest_scrapy_cfg

from scholarcrawl.scrapyd import (
    DEFAULT_PROJECT,
    ScrapydAuth,
    ScrapydAuthFailed,
    ScrapydClient,
    ScrapydError,
    ScrapydUnreachable,
)
from scholarcrawl.store.db import redact_url

PACKAGE = "scholarcrawl"
CONFIG_NAME = "scrapyd.conf"
PID_NAME = "scrapyd.pid"
LOG_NAME = "scrapyd.log"
DIR_PREFIX = "scholarcrawl-scrapyd-"
DEFAULT_PORT = 6800
# What setup.py needs besides the package: metadata, readme and licence files, scrapy.cfg.
PROJECT_FILES = ("setup.py", "pyproject.toml", "scrapy.cfg", "README.md", "LICENSE")


class LocalScrapydError(RuntimeError):
    """scrapyd or scrapyd-client is missing, or scrapyd would not start, build or deploy."""


def check_installed() -> None:
    """Fail with what to install when scrapyd or scrapyd-client is missing."""
    missing = [
        package
        for package, module in (("scrapyd", "scrapyd"), ("scrapyd-client", "scrapyd_client"))
        if importlib.util.find_spec(module) is None
    ]
    if missing:
        raise LocalScrapydError(
            f"{' and '.join(missing)} not installed for {sys.executable}: "
            "pip install -r requirements.txt (make venv does)"
        )


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def write_config(
    directory: Path,
    *,
    port: int,
    max_proc: int = 4,
    poll_interval: float = 0.5,
    jobs_to_keep: int = 100,
) -> Path:
    """``directory/scrapyd.conf``: 127.0.0.1, and every file scrapyd keeps inside ``directory``.

    ``poll_interval`` is how long a scheduled job may wait before it starts (scrapyd's default,
    5 s, slows every test); ``jobs_to_keep`` is how many logs per spider survive.
    """
    directory = directory.resolve()
    text = "\n".join(
        [
            "# Written by scholarcrawl.localscrapyd: a local scrapyd, in this directory only.",
            "[scrapyd]",
            "bind_address = 127.0.0.1",
            f"http_port = {port}",
            f"eggs_dir = {directory / 'eggs'}",
            f"logs_dir = {directory / 'logs'}",
            f"items_dir = {directory / 'items'}",
            f"dbs_dir = {directory / 'dbs'}",
            f"max_proc = {max_proc}",
            f"poll_interval = {poll_interval}",
            f"jobs_to_keep = {jobs_to_keep}",
            "",
        ]
    )
    path = directory / CONFIG_NAME
    path.write_text(text, encoding="utf-8")
    return path


def without_pythonpath(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` without PYTHONPATH, which would put the work tree before the deployed egg."""
    return {key: value for key, value in env.items() if key != "PYTHONPATH"}


def start_process(
    directory: Path,
    *,
    env: Mapping[str, str] | None = None,
    detach: bool = False,
    python: str | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``python -m scrapyd`` in ``directory`` (which holds its scrapyd.conf).

    Its output goes to ``directory/scrapyd.log`` and its pid to ``directory/scrapyd.pid``.
    ``detach`` puts it in a session of its own, so it outlives the caller (``make scrapyd``).
    ``python`` (default: this one) also runs the jobs: scrapyd starts them with its own.
    PYTHONPATH is never passed on (:func:`runtime_python`).
    """
    check_installed()
    if not (directory / CONFIG_NAME).is_file():
        raise LocalScrapydError(f"no {CONFIG_NAME} in {directory}: write_config() first")
    with open(directory / LOG_NAME, "ab") as log:
        process = subprocess.Popen(
            [python or sys.executable, "-m", "scrapyd"],
            cwd=directory,
            env=without_pythonpath(os.environ if env is None else env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=detach,
        )
    (directory / PID_NAME).write_text(f"{process.pid}\n", encoding="utf-8")
    return process


def runtime_python(directory: Path) -> str:
    """A Python for scrapyd and its jobs: this one's packages, and scholarcrawl from the egg only.

    scrapyd runs jobs with its own interpreter. In the project's virtualenv the editable
    install of scholarcrawl would win over the deployed egg, so a job would run the work tree,
    not what was deployed. This virtualenv (``directory/python``) sees the same site-packages
    through one .pth line, whose own .pth files (the editable install's finder among them) are
    not processed: scholarcrawl comes from the egg and the dependencies from the environment,
    as on a production scrapyd. Run it without PYTHONPATH.
    """
    runtime = directory / "python"
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(runtime)],
            check=True,
            capture_output=True,
            timeout=120,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise LocalScrapydError(f"cannot create scrapyd's virtualenv in {runtime}: {exc}") from None
    (site_dir,) = runtime.glob("lib/python*/site-packages")
    paths = [path for path in site.getsitepackages() if Path(path).is_dir()]
    (site_dir / "scholarcrawl-dependencies.pth").write_text("\n".join(paths) + "\n")
    python = str(runtime / "bin" / "python")
    probe = subprocess.run(
        [python, "-c", "import importlib.util as u; print(u.find_spec('scholarcrawl') is None)"],
        capture_output=True,
        text=True,
        cwd=directory,
        env=without_pythonpath(os.environ),
        timeout=60,
        check=False,
    )
    if probe.stdout.strip() != "True":
        raise LocalScrapydError(
            f"scholarcrawl is installed in {', '.join(paths)} (not as an editable install): "
            "jobs would run it instead of the deployed egg"
        )
    return python


def log_tail(path: Path, characters: int = 3000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-characters:]
    except OSError:
        return "(no log)"


def wait_until_ready(
    client: ScrapydClient,
    process: subprocess.Popen[bytes],
    *,
    log: Path,
    timeout: float = 60.0,
) -> float:
    """Poll ``daemonstatus.json`` until it answers; returns the seconds it took.

    Raises LocalScrapydError, with the end of scrapyd's log, if scrapyd exits or stays silent.
    """
    started = time.monotonic()
    while True:
        code = process.poll()
        if code is not None:
            raise LocalScrapydError(
                f"scrapyd exited with status {code} before answering:\n{log_tail(log)}"
            )
        try:
            client.daemon_status()
        except ScrapydUnreachable:
            pass
        except ScrapydAuthFailed:
            return time.monotonic() - started  # it answers; credentials are the caller's affair
        else:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise LocalScrapydError(
                f"scrapyd did not answer at {client.url} within {timeout:g} s:\n{log_tail(log)}"
            )
        time.sleep(0.1)


def find_project_dir() -> Path:
    """The directory of the nearest scrapy.cfg (from the working directory up)."""
    found = closest_scrapy_cfg()
    if not found:
        raise LocalScrapydError("no scrapy.cfg here or above: run this from the project")
    return Path(found).resolve().parent


def build_egg(project_dir: Path, destination: Path, *, timeout: float = 300.0) -> Path:
    """Build the project's egg with ``scrapyd-deploy --build-egg`` into ``destination``.

    It runs on a copy of the project in a temporary directory: ``setup.py bdist_egg`` writes
    build/ and *.egg-info beside setup.py, and scrapyd-deploy leaves its own temporary
    directory behind in ``--build-egg`` mode.
    """
    check_installed()
    project_dir = project_dir.resolve()
    destination = destination.resolve()
    with tempfile.TemporaryDirectory(prefix="scholarcrawl-egg-") as scratch:
        copy = Path(scratch) / "project"
        copy.mkdir()
        for name in PROJECT_FILES:
            if (project_dir / name).is_file():
                shutil.copy2(project_dir / name, copy / name)
        if not (copy / "setup.py").is_file():
            raise LocalScrapydError(f"no setup.py in {project_dir}: not the scholarcrawl project")
        shutil.copytree(
            project_dir / PACKAGE,
            copy / PACKAGE,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo"),
        )
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapyd_client.deploy",
                "--build-egg",
                str(destination),
                "--debug",  # setup.py's output, for the message when it fails
            ],
            cwd=copy,
            env={**os.environ, "TMPDIR": scratch},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0 or not destination.is_file():
            output = (result.stdout + result.stderr)[-3000:]
            raise LocalScrapydError(
                f"scrapyd-deploy --build-egg failed (status {result.returncode}):\n{output}"
            )
    return destination


def new_version() -> str:
    """scrapyd-deploy's default version (seconds since the epoch): scrapyd runs the highest."""
    return str(int(time.time()))


def deploy(
    client: ScrapydClient,
    egg: bytes,
    *,
    project: str = DEFAULT_PROJECT,
    version: str | None = None,
) -> str:
    """Upload the egg as a new version of ``project``; returns the version."""
    version = version or new_version()
    client.add_version(project, version, egg)
    return version


def build_and_deploy(
    client: ScrapydClient, project_dir: Path, *, project: str = DEFAULT_PROJECT
) -> tuple[str, list[str]]:
    """Build the egg and deploy it; returns the version and the spiders scrapyd lists."""
    with tempfile.TemporaryDirectory(prefix="scholarcrawl-egg-") as scratch:
        egg = build_egg(project_dir, Path(scratch) / f"{PACKAGE}.egg").read_bytes()
    version = deploy(client, egg, project=project)
    return version, client.list_spiders(project)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_scrapyd(pid: int) -> bool:
    """True when the process is a scrapyd (not another process that reused the pid)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return pid_alive(pid)  # no /proc: trust the pid file
    return any(b"scrapyd" in part for part in command)


def stop_pid(pid: int, *, timeout: float = 15.0) -> bool:
    """SIGTERM one scrapyd, then SIGKILL after ``timeout``; True if it was running."""
    if not pid_alive(pid) or not is_scrapyd(pid):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    return True


def started_directories(port: int) -> list[Path]:
    """Directories ``start`` made for that port whose scrapyd.pid is still there."""
    base = Path(tempfile.gettempdir())
    return sorted(
        path.parent for path in base.glob(f"{DIR_PREFIX}{port}-*/{PID_NAME}") if path.is_file()
    )


# --- the command line (make scrapyd, make scrapyd-stop) ----------------------------------------


def _start(port: int) -> int:
    check_installed()
    if port_in_use(port):
        print(
            f"something already listens on 127.0.0.1:{port} (a scrapyd started earlier? "
            f"make scrapyd-stop, or SCRAPYD_PORT=another port)",
            file=sys.stderr,
        )
        return 1
    project_dir = find_project_dir()
    directory = Path(tempfile.mkdtemp(prefix=f"{DIR_PREFIX}{port}-"))
    write_config(directory, port=port, max_proc=4, poll_interval=1.0)
    env = dict(os.environ)
    if not env.get("SCHOLARCRAWL_DATABASE_URL"):
        # jobs run in the temporary directory: keep them on the project's database
        env["SCHOLARCRAWL_DATABASE_URL"] = f"sqlite:///{project_dir / 'scholarcrawl.sqlite3'}"
    url = f"http://127.0.0.1:{port}"
    log = directory / LOG_NAME
    began = time.monotonic()
    try:
        python = runtime_python(directory)
    except LocalScrapydError:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    process = start_process(directory, env=env, detach=True, python=python)
    try:
        client = ScrapydClient(url, auth=ScrapydAuth.from_environment(env))
        ready = wait_until_ready(client, process, log=log)
        version, spiders = build_and_deploy(client, project_dir)
    except (LocalScrapydError, ScrapydError) as exc:
        stop_pid(process.pid)
        (directory / PID_NAME).unlink(missing_ok=True)
        print(f"make scrapyd failed: {exc}\n(scrapyd's directory: {directory})", file=sys.stderr)
        return 1
    print(
        f"scrapyd {url} (pid {process.pid}) answered in {ready:.1f} s; deployed "
        f"{DEFAULT_PROJECT} version {version} with spiders {', '.join(spiders)} "
        f"in {time.monotonic() - began:.1f} s in all\n"
        f"  directory: {directory} (scrapyd.conf, eggs, logs/{DEFAULT_PROJECT}/SPIDER/JOB.log)\n"
        f"  log:       {log}\n"
        f"  database:  jobs use SCHOLARCRAWL_DATABASE_URL={_shown_database(env)}\n"
        f"  schedule:  curl {url}/schedule.json -d project={DEFAULT_PROJECT} -d spider=scholar "
        "-d ids=ID\n"
        f"  redeploy:  scrapyd-deploy (port 6800), or python -m scholarcrawl.localscrapyd deploy "
        f"--url {url}\n"
        f"  stop:      kill {process.pid}   (or make scrapyd-stop SCRAPYD_PORT={port})"
    )
    return 0


def _shown_database(env: Mapping[str, str]) -> str:
    return redact_url(env["SCHOLARCRAWL_DATABASE_URL"])


def _deploy(url: str | None) -> int:
    environ = dict(os.environ)
    if url:
        environ["SCRAPYD_URL"] = url
    try:
        client = ScrapydClient.from_settings(None, environ=environ)
        version, spiders = build_and_deploy(client, find_project_dir())
    except (LocalScrapydError, ScrapydError) as exc:
        print(f"deploy failed: {exc}", file=sys.stderr)
        return 1
    print(f"deployed {DEFAULT_PROJECT} version {version} to {client.url}: {', '.join(spiders)}")
    return 0


def _stop(port: int) -> int:
    directories = started_directories(port)
    if not directories:
        print(f"no scrapyd started by make scrapyd on port {port}")
        return 0
    for directory in directories:
        pid_file = directory / PID_NAME
        try:
            pid = int(pid_file.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            continue
        if stop_pid(pid):
            print(f"stopped scrapyd pid {pid}; its logs stay in {directory}")
        pid_file.unlink(missing_ok=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scholarcrawl.localscrapyd", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start scrapyd in the background and deploy")
    start.add_argument("--port", type=int, default=DEFAULT_PORT)
    stop = commands.add_parser("stop", help="stop the scrapyd `start` started on that port")
    stop.add_argument("--port", type=int, default=DEFAULT_PORT)
    upload = commands.add_parser("deploy", help="build the egg and upload it")
    upload.add_argument("--url", help="scrapyd's URL (default: SCRAPYD_URL, else port 6800)")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            return _start(args.port)
        if args.command == "stop":
            return _stop(args.port)
        return _deploy(args.url)
    except LocalScrapydError as exc:
        print(str(exc), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
