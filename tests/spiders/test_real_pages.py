"""Conformance end to end: real archived Scholar pages (../shared) served on 127.0.0.1.

``scrapy crawl scholar`` against a server that serves real pages yields exactly what was read
off them by hand (../shared/expected.json), and ``scholarcrawl import`` reads the same pages
from disk. Skipped only when ../shared is not beside the repository.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from scholarcrawl.store.db import make_engine
from scholarcrawl.store.repository import Repository
from tests.conftest import REPO_ROOT, SHARED
from tests.support.crawl import run_scrapy

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not SHARED.exists(), reason="../shared is not beside the repository"),
]

PROFILES = SHARED / "scholar-pages" / "profiles"

# Rows that Scholar itself lists twice on one profile (same cluster id), read off the pages:
# cIn8pGEAAAAJ shows "Analytical characterization of cache replacement policy impact…" as
# rows 25 (merged) and 26, both in cluster 2601213043388861095. They are one publication.
REPEATED_ROWS = {"cIn8pGEAAAAJ": 1}


def expected() -> dict[str, dict[str, Any]]:
    data = json.loads((SHARED / "expected.json").read_text(encoding="utf-8"))
    return {
        Path(key).name: value
        for key, value in data.items()
        if key.startswith("scholar-pages/profiles/")
    }


class RealPages(ThreadingHTTPServer):
    pages: dict[str, Path]
    log: list[str]


class Handler(BaseHTTPRequestHandler):
    server: RealPages

    def do_GET(self) -> None:
        self.server.log.append(self.path)
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        user = (query.get("user") or [""])[0]
        if parts.path == "/citations" and user in self.server.pages and "cstart" not in query:
            body = self.server.pages[user].read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")  # the page's meta charset decides
        else:
            body = b"not archived"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def real_server() -> Iterator[RealPages]:
    server = RealPages(("127.0.0.1", 0), Handler)
    server.pages = {value["user_id"]: PROFILES / name for name, value in expected().items()}
    server.log = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_crawl_of_real_pages_yields_exact_items(real_server: RealPages, tmp_path: Path) -> None:
    truth = expected()
    ids = ",".join(value["user_id"] for value in truth.values())
    out = tmp_path / "out.jsonl"
    result = run_scrapy(
        ["crawl", "scholar", "-a", f"ids={ids}", "-O", str(out)],
        {
            "SCHOLAR_BASE_URL": f"http://127.0.0.1:{real_server.server_address[1]}",
            "SCHOLAR_PAGINATION": "all",
            "ROBOTSTXT_OBEY": "False",
            "SCHOLARCRAWL_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        },
    )
    assert result.returncode == 0, result.stderr[-3000:]
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    for name, facts in truth.items():
        user = facts["user_id"]
        [profile] = [i for i in items if i["item_type"] == "profile" and i["scholar_id"] == user]
        assert profile["name"] == facts["name"], name
        assert profile["affiliation"] == facts["affiliation"], name
        rows = [i for i in items if i["item_type"] == "publication" and i["scholar_id"] == user]
        assert len(rows) == facts["rows"], name
        for row, fact in ((rows[0], facts["first"]), (rows[-1], facts["last"])):
            assert row["title"] == fact["title"], name
            assert row["citations"] == (fact["cites"] or 0), name
            assert row["year"] == fact["year"], name
        assert [r["position"] for r in rows] == list(range(1, len(rows) + 1)), name
        # every page is followed: a profile whose "Show more" is enabled (or, in 2014 markup,
        # that has a "Next >" link) asks for the next window of 100 rows
        has_more = facts["more_enabled"] or facts.get("has_next_page_link", False)
        next_page = [p for p in real_server.log if f"user={user}" in p and "cstart=" in p]
        assert next_page == (
            [f"/citations?user={user}&hl=en&pagesize=100&cstart=100"] if has_more else []
        ), name


def test_import_of_saved_pages(tmp_path: Path) -> None:
    truth = expected()
    database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scholarcrawl.cli",
            "import",
            "--database",
            database_url,
            # saved pages carry no identifiers to test here; no request may reach a real API
            "-s",
            "ARXIV_ENABLED=False",
            "-s",
            "CROSSREF_ENABLED=False",
            *(str(PROFILES / name) for name in truth),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    engine = make_engine(database_url)
    repository = Repository(engine)
    scholars = {row.scholar_id: row for row in repository.scholars()}
    for facts in truth.values():
        user = facts["user_id"]
        assert scholars[user].name == facts["name"]
        rows = repository.publications_of(user)
        assert len(rows) == facts["rows"] - REPEATED_ROWS.get(user, 0), user
        assert rows[0][0].title == facts["first"]["title"], user
    engine.dispose()
