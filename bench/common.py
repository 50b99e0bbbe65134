"""What every benchmark shares: the results file, the machine, replay servers and measured runs.

* :func:`merge_into` writes one top-level section of ``bench/results.json`` and keeps the
  others; :func:`environment` describes the machine the figures were measured on.
* :func:`median` of repeated runs; :func:`figure` is one row of the report (a value, its
  target and whether the target is met).
* :class:`ReplayProcess` serves a uniform replay corpus from a separate process
  (``scholarcrawl replay``), :class:`LocalReplay` any :class:`CorpusSpec` from a thread of this
  one; both read and reset the server's request log over HTTP (``/_replay/...``).
* :func:`run_measured` runs a command (a crawl) and measures its wall time and peak RSS with
  ``os.wait4``; :func:`scholar_crawl` and :func:`bare_crawl` build the two crawls compared.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from scholarcrawl import settings as project_settings
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.server import FaultHook, ReplayServer
from tests.support.crawl import scrapy_command

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results.json"
DEFAULT_REPEAT = 3
BARE_SPIDER = Path(__file__).resolve().parent / "barespider.py"

#: The crawl every crawl benchmark runs: a local replay needs no politeness (no delay, no
#: throttle, no robots.txt), and Scholar's slot gets 8 connections out of 16.
CRAWL_SETTINGS: dict[str, str] = {
    "SCHOLAR_PAGINATION": "all",
    "ROBOTSTXT_OBEY": "False",
    "SCHOLAR_DOWNLOAD_DELAY": "0",
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "SCHOLAR_CONCURRENCY": "8",
    "CONCURRENT_REQUESTS": "16",
    "LOG_LEVEL": "WARNING",
    # the project's default, which the tests' fast settings (scrapy_command) turn off
    "SCHOLARCRAWL_STORE_BATCH_WAIT_SECONDS": str(
        project_settings.SCHOLARCRAWL_STORE_BATCH_WAIT_SECONDS
    ),
}
SCHOLAR_CONCURRENCY = 8
API_IN_FLIGHT = 8  # the mock APIs answer at once: no reason to keep one request in flight
CONTACT_EMAIL = "bench@example.org"  # Crossref's polite pool, as a configured crawl uses


# --------------------------------------------------------------------------- results


def median(values: Iterable[float]) -> float:
    """The median of repeated measurements (the mean of the middle two for an even count)."""
    items = list(values)
    if not items:
        raise ValueError("median of no measurements")
    return float(statistics.median(items))


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, None when either is missing or the denominator is 0."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def figure(
    name: str,
    value: float | None,
    unit: str,
    *,
    at_most: float | None = None,
    at_least: float | None = None,
    equals: float | None = None,
) -> dict[str, Any]:
    """One figure of a section: its value and, when it has one, its target and ``met``."""
    target: str | None = None
    met: bool | None = None
    if at_most is not None:
        target, met = f"<= {at_most:g}", value is not None and value <= at_most
    elif at_least is not None:
        target, met = f">= {at_least:g}", value is not None and value >= at_least
    elif equals is not None:
        target, met = f"= {equals:g}", value is not None and abs(value - equals) < 1e-9
    return {"name": name, "value": value, "unit": unit, "target": target, "met": met}


def format_figures(figures: Iterable[Mapping[str, Any]]) -> str:
    """The figures of a section, a line each, with their targets."""
    lines = []
    for f in figures:
        met = "" if f["met"] is None else ("  met" if f["met"] else "  NOT met")
        target = f"  (target {f['target']})" if f["target"] else ""
        value = "-" if f["value"] is None else f"{f['value']:g}"
        lines.append(f"  {f['name']}: {value} {f['unit']}{target}{met}")
    return "\n".join(lines)


def all_met(figures: Iterable[Mapping[str, Any]]) -> bool:
    """Whether every figure with a target meets it."""
    return all(f["met"] for f in figures if f.get("met") is not None)


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def merge_into(path: Path, section: dict[str, Any], name: str) -> None:
    """Write ``section`` under ``name``, keeping the file's other top-level keys."""
    data: dict[str, Any] = {}
    if path.exists():
        try:
            existing = json.loads(path.read_text(encoding="utf-8") or "{}")
        except json.JSONDecodeError as exc:
            raise SystemExit(f"{path} is not valid JSON ({exc}); not overwriting it") from None
        if not isinstance(existing, dict):
            raise SystemExit(f"{path} does not hold a JSON object; not overwriting it")
        data = existing
    data[name] = section
    path.parent.mkdir(parents=True, exist_ok=True)
    # written beside the target and renamed: a reader never sees half a file
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    os.replace(handle.name, path)


# --------------------------------------------------------------------------- the machine


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _memory_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _postgres_version() -> str | None:
    from tests.support.postgres import PostgresUnavailable, find_bindir

    try:
        binary = find_bindir() / "postgres"
        result = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (PostgresUnavailable, OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


def _git(*arguments: str) -> str:
    return subprocess.run(
        ["git", *arguments], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=True
    ).stdout.strip()


def _git_commit() -> str | None:
    try:
        head = _git("rev-parse", "--short", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}{' (modified)' if dirty else ''}"


def environment() -> dict[str, Any]:
    """Where the figures were measured: machine, interpreter, databases, library versions."""
    uname = platform.uname()
    usable: int | None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count()
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "processor": platform.processor() or uname.machine,
        "cpu_model": _cpu_model(),
        "system": f"{uname.system} {uname.release}",
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "memory_bytes": _memory_bytes(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres_version(),
        "scrapy": _version("scrapy"),
        "twisted": _version("twisted"),
        "sqlalchemy": _version("sqlalchemy"),
        "psycopg": _version("psycopg"),
        "lxml": _version("lxml"),
        "parsel": _version("parsel"),
        "rapidfuzz": _version("rapidfuzz"),
        "commit": _git_commit(),
    }


# --------------------------------------------------------------------------- replay servers


def _http(url: str, method: str = "GET", timeout: float = 300) -> bytes:
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        body: bytes = answer.read()
        return body


class Replay:
    """A replay server's base URL, request log and the checks every benchmark needs."""

    base_url: str

    def requests(self) -> list[dict[str, Any]]:
        """The request log (``GET /_replay/requests``): method, path, status, scholar_id."""
        records: list[dict[str, Any]] = json.loads(_http(f"{self.base_url}/_replay/requests"))
        return records

    def reset(self) -> None:
        """Clear the request log (``POST /_replay/reset``)."""
        _http(f"{self.base_url}/_replay/reset", "POST")

    def warm_apis(self) -> None:
        """Build the mock APIs' catalogue now: the first API request waits for it, and it must
        not be built in the middle of a timed crawl."""
        _http(f"{self.base_url}/works?query.bibliographic=warm&rows=1")
        self.reset()

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ReplayProcess(Replay):
    """``scholarcrawl replay --profiles N --publications M --port 0`` in a process of its own."""

    def __init__(self, profiles: int, publications: int, seed: int = 2026) -> None:
        self.spec = CorpusSpec.uniform(profiles, publications, seed=seed)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "scholarcrawl.cli",
                "replay",
                "--profiles",
                str(profiles),
                "--publications",
                str(publications),
                "--seed",
                str(seed),
                "--port",
                "0",
            ],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        url = None
        for line in self.process.stdout:  # "replay: serving N profiles on http://HOST:PORT"
            if line.startswith("replay: serving"):
                url = line.rsplit(" ", 1)[-1].strip()
            if line.startswith("UNPAYWALL_API_URL="):  # the last line it prints once listening
                break
        if url is None:
            self.stop()
            raise RuntimeError("scholarcrawl replay did not say where it listens")
        self.base_url = url
        # anything it prints later is drained, so that it never blocks on a full pipe
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class LocalReplay(Replay):
    """A :class:`ReplayServer` over any :class:`CorpusSpec`, in a thread of this process (for
    corpora the command line cannot describe, where no timing is taken)."""

    def __init__(
        self, spec: CorpusSpec, *, apis: bool = True, faults: Sequence[FaultHook] = ()
    ) -> None:
        self.spec = spec
        corpus = Corpus(spec)
        self.server = (
            ReplayServer(corpus, faults=faults)
            if apis
            else ReplayServer(corpus, faults=faults, apis=False, oa=False)
        ).start()
        self.base_url = self.server.base_url

    def stop(self) -> None:
        self.server.stop()


def citations_paths(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """The Scholar page requests of a request log."""
    return [r["path"] for r in records if r["path"].startswith("/citations")]


def api_counts(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Requests per mock API in a request log: arXiv ``/api/query``, Crossref ``/works``."""
    counts = {"arxiv": 0, "crossref": 0}
    for r in records:
        if r["path"].startswith("/api/query"):
            counts["arxiv"] += 1
        elif r["path"].startswith("/works"):
            counts["crossref"] += 1
    return counts


# --------------------------------------------------------------------------- measured runs


@dataclass(frozen=True, slots=True)
class Measured:
    """A finished process: exit status, wall seconds and peak resident memory."""

    returncode: int
    wall_seconds: float
    max_rss_bytes: int
    log: Path

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def check(self, what: str) -> Measured:
        """Self, or SystemExit naming ``what`` with the end of its log."""
        if self.returncode != 0:
            raise SystemExit(f"{what} failed (exit status {self.returncode}):\n{self.tail()}")
        return self


def run_measured(
    command: Sequence[str],
    env: Mapping[str, str],
    *,
    log: Path,
    cwd: Path = REPO_ROOT,
    timeout: float = 3600,
) -> Measured:
    """Run ``command`` to its end: wall time from start to exit and ``ru_maxrss`` of the
    process (its largest child's, if it had any), both from ``os.wait4``."""
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command), cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT
        )
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            _pid, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    # Linux reports ru_maxrss in KiB
    return Measured(process.returncode, wall, usage.ru_maxrss * 1024, log)


def write_lines(path: Path, lines: Iterable[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def api_settings(base_url: str) -> dict[str, str]:
    """Identifier resolution against the replay's mock APIs, unpaced (see tests/support)."""
    from tests.support.crawl import api_settings as paced

    return {
        **paced(base_url, interval=0.0),
        "ARXIV_MAX_IN_FLIGHT": str(API_IN_FLIGHT),
        "CROSSREF_MAX_IN_FLIGHT": str(API_IN_FLIGHT),
        "CROSSREF_PUBLIC_MAX_IN_FLIGHT": str(API_IN_FLIGHT),
        "SCHOLARCRAWL_CONTACT_EMAIL": CONTACT_EMAIL,
    }


def scholar_crawl(
    replay: Replay,
    ids_file: Path,
    database_url: str,
    *,
    identifiers: bool,
    arguments: Sequence[str] = (),
    settings: Mapping[str, str] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """``scrapy crawl scholar -a ids_file=F`` through the whole pipeline: command and env."""
    chosen = {
        **CRAWL_SETTINGS,
        "SCHOLAR_BASE_URL": replay.base_url,
        "SCHOLARCRAWL_DATABASE_URL": database_url,
        "IDENTIFIERS_ENABLED": str(identifiers),
        **(api_settings(replay.base_url) if identifiers else {}),
        **(settings or {}),
    }
    command, env = scrapy_command(
        ["crawl", "scholar", "-a", f"ids_file={ids_file}", *arguments], chosen
    )
    env.pop("SCHOLARCRAWL_CONTACT_EMAIL", None)  # the setting above, not the caller's
    return command, env


def bare_crawl(urls_file: Path) -> tuple[list[str], dict[str, str]]:
    """The floor: a Scrapy spider without this project (bench/barespider.py) that downloads
    ``urls_file`` with the same concurrency and parses nothing. Run from a directory without
    ``scrapy.cfg``, so that no project setting applies."""
    slots = {
        slot: {"concurrency": SCHOLAR_CONCURRENCY if slot == "scholar" else API_IN_FLIGHT}
        for slot in ("scholar", "api-arxiv", "api-crossref")
    }
    settings = {
        "ROBOTSTXT_OBEY": "False",
        "DOWNLOAD_DELAY": "0",
        "AUTOTHROTTLE_ENABLED": "False",
        "CONCURRENT_REQUESTS": CRAWL_SETTINGS["CONCURRENT_REQUESTS"],
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": "False",
        "COOKIES_ENABLED": "False",
        "DOWNLOAD_SLOTS": json.dumps(slots),
    }
    command = [sys.executable, "-m", "scrapy", "runspider", str(BARE_SPIDER)]
    command += ["-a", f"urls_file={urls_file}"]
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    return command, env


def bare_cwd() -> Path:
    """A directory without scrapy.cfg above it, for :func:`bare_crawl`."""
    path = Path(tempfile.gettempdir()) / "scholarcrawl-bench-bare"
    path.mkdir(exist_ok=True)
    return path
