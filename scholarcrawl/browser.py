"""A real browser for landing pages that build their links with JavaScript: which one, and
whether it is there.

:class:`~scholarcrawl.browserhandler.BrowserDownloadHandler` sends requests with
``meta["playwright"]`` to Chromium through scrapy-playwright and every other request through
Scrapy's HTTP/1.1 handler with the counted retries of :mod:`scholarcrawl.downloader`.
scrapy-playwright starts its driver with the crawl and launches the browser on the first
request that needs it, so a run that renders nothing starts no browser. Only the ``pdfs``
spider installs it.

Settings: ``PDF_BROWSER_ENABLED``, ``PLAYWRIGHT_BROWSER_TYPE``, ``PLAYWRIGHT_LAUNCH_OPTIONS``
(``executable_path`` defaults to the system's Chromium when there is one; Playwright's own
downloaded browser is used when it is set to ``""``).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: Where Debian, Ubuntu and Fedora put Chromium, in order of preference.
SYSTEM_CHROMIUM = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def system_chromium() -> str | None:
    """The system's Chromium (or Chrome) executable, when one is installed."""
    for name in SYSTEM_CHROMIUM:
        found = shutil.which(name)
        if found:
            return found
    return None


def launch_options(configured: Mapping[str, Any] | None) -> dict[str, Any]:
    """``PLAYWRIGHT_LAUNCH_OPTIONS`` with ``executable_path`` filled in from the system's
    Chromium when absent; an empty ``executable_path`` means Playwright's own browser."""
    options = dict(configured or {})
    if "executable_path" not in options:
        found = system_chromium()
        if found:
            options["executable_path"] = found
    elif not options["executable_path"]:
        del options["executable_path"]
    options.setdefault("headless", True)
    return options


def missing_browser(options: Mapping[str, Any]) -> str | None:
    """Why no browser can start (for one clear message), or None."""
    path = options.get("executable_path")
    if path:
        return None if Path(path).exists() else f"no browser at {path}"
    if system_chromium() is None and not _playwright_browser_installed():
        return (
            "no Chromium found: install the system package (apt-get install chromium) or "
            "run `playwright install chromium`, or set PLAYWRIGHT_LAUNCH_OPTIONS "
            '{"executable_path": ...}'
        )
    return None


def _playwright_browser_installed() -> bool:
    cache = Path.home() / ".cache" / "ms-playwright"
    return any(cache.glob("chromium*")) if cache.is_dir() else False
