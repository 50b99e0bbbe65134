"""Run ``scrapy crawl`` in a subprocess, as a user would (the reactor cannot restart in-process)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scholarcrawl.replay.server import ReplayServer

REPO_ROOT = Path(__file__).resolve().parents[2]

# A local replay needs no politeness: no delay, no throttle start delay. The machine APIs are
# off unless a test points them at its replay server (:func:`api_settings`): a test never
# reaches a real host.
FAST = {
    "SCHOLAR_DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_START_DELAY": "0",
    "DOWNLOAD_DELAY": "0",
    "LOG_LEVEL": "INFO",
    "ARXIV_ENABLED": "False",
    "CROSSREF_ENABLED": "False",
    "ARXIV_API_URL": "http://127.0.0.1:9/api/query",
    "CROSSREF_API_URL": "http://127.0.0.1:9",
    # the mock APIs answer at once: a batch waiting for rows behind them only slows the test
    "SCHOLARCRAWL_STORE_BATCH_WAIT_SECONDS": "0",
}


def api_settings(base_url: str, *, interval: float = 0.0) -> dict[str, str]:
    """Settings that resolve identifiers against the replay server's mock APIs at ``base_url``."""
    return {
        "ARXIV_ENABLED": "True",
        "CROSSREF_ENABLED": "True",
        "ARXIV_API_URL": f"{base_url}/api/query",
        "CROSSREF_API_URL": base_url,
        "ARXIV_MIN_INTERVAL_SECONDS": str(interval),
        "CROSSREF_MIN_INTERVAL_SECONDS": str(interval),
        "CROSSREF_PUBLIC_MIN_INTERVAL_SECONDS": str(interval),
    }


def scrapy_command(
    arguments: Sequence[str], settings: Mapping[str, str] | None = None
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of ``scrapy ARGUMENTS -s …`` for this project."""
    command = [sys.executable, "-m", "scrapy", *arguments]
    for key, value in {**FAST, **(settings or {})}.items():
        command += ["-s", f"{key}={value}"]
    environment = {
        **os.environ,
        "SCRAPY_SETTINGS_MODULE": "scholarcrawl.settings",
        "PYTHONPATH": str(REPO_ROOT),
    }
    environment.pop("SCHOLARCRAWL_DATABASE_URL", None)
    return command, environment


def crawl_scholar(
    server: ReplayServer,
    database_url: str,
    *arguments: str,
    spider: str = "scholar",
    **settings: str,
) -> str:
    """``scrapy crawl SPIDER -a ARGUMENT...`` against the replay ``server`` into
    ``database_url``, after clearing the server's request log; its log, once it succeeded."""
    server.reset_requests()
    command = ["crawl", spider]
    for argument in arguments:
        command += ["-a", argument]
    result = run_scrapy(
        command,
        {
            "SCHOLAR_BASE_URL": server.base_url,
            "SCHOLARCRAWL_DATABASE_URL": database_url,
            **settings,
        },
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stderr


def start_scrapy(
    arguments: Sequence[str], settings: Mapping[str, str] | None = None, *, log: Path
) -> subprocess.Popen[bytes]:
    """Start ``scrapy`` in the background (its output goes to ``log``), e.g. to kill it."""
    command, environment = scrapy_command(arguments, settings)
    with log.open("wb") as out:
        return subprocess.Popen(
            command, cwd=REPO_ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT
        )


def run_scrapy(
    arguments: Sequence[str],
    settings: Mapping[str, str] | None = None,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    command, environment = scrapy_command(arguments, settings)
    environment.update(env or {})
    return subprocess.run(
        command,
        cwd=cwd or REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_cli(
    *arguments: str, timeout: float = 120, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``scholarcrawl ARGUMENTS`` in a subprocess, as an operator or cron would run it (with
    ``env`` added to the environment)."""
    return subprocess.run(
        [sys.executable, "-m", "scholarcrawl.cli", *arguments],
        cwd=REPO_ROOT,
        env={**os.environ, **env} if env else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
