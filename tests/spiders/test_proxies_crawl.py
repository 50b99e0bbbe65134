"""Egress rotation through real HTTP proxies on 127.0.0.1: a blocked proxy rests, the others
go on, and the proxy's credentials reach the proxy and nothing else."""

from __future__ import annotations

import base64
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.server import ReplayServer
from scholarcrawl.store.db import make_engine
from tests.spiders.test_blocks_crawl import FAST_FAULTS, events, ids_argument, queue_rows
from tests.support.crawl import run_scrapy

pytestmark = pytest.mark.slow

SECRET = "pr0xy-s3cret"


class Proxy(ThreadingHTTPServer):
    daemon_threads = True
    blocking: bool
    seen: list[str]
    auth: list[str | None]


class ProxyHandler(BaseHTTPRequestHandler):
    """A forward proxy for http:// URLs (absolute-URI requests), or a blocked one (403)."""

    server: Proxy

    def do_GET(self) -> None:
        self.server.seen.append(self.path)
        self.server.auth.append(self.headers.get("Proxy-Authorization"))
        if self.server.blocking:
            body = b"<html><title>403 Forbidden</title>We're sorry...</html>"
            self.send_response(403)
        else:
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            with opener.open(self.path, timeout=10) as upstream:
                body = upstream.read()
                self.send_response(upstream.status)
        self.send_header("Content-Type", "text/html; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def start_proxy(blocking: bool) -> Proxy:
    proxy = Proxy(("127.0.0.1", 0), ProxyHandler)
    proxy.blocking, proxy.seen, proxy.auth = blocking, [], []
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    return proxy


@pytest.fixture
def proxies() -> Iterator[tuple[Proxy, Proxy]]:
    blocked, healthy = start_proxy(blocking=True), start_proxy(blocking=False)
    yield blocked, healthy
    for proxy in (blocked, healthy):
        proxy.shutdown()
        proxy.server_close()


def test_a_blocked_proxy_rests_while_the_other_goes_on(
    proxies: tuple[Proxy, Proxy], tmp_path: Path
) -> None:
    blocked, healthy = proxies
    corpus = Corpus(CorpusSpec(seed=3, sizes=(120, 8, 5, 3), shared_per_pair=1))
    database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    proxy_file = tmp_path / "proxies.txt"
    proxy_file.write_text(
        f"http://lab:{SECRET}@127.0.0.1:{blocked.server_address[1]}\n"
        f"http://127.0.0.1:{healthy.server_address[1]}\n",
        encoding="utf-8",
    )
    with ReplayServer(corpus) as server:
        result = run_scrapy(
            ["crawl", "scholar", "-a", ids_argument(corpus.ids)],
            {
                **FAST_FAULTS,
                "SCHOLAR_BASE_URL": server.base_url,
                "SCHOLARCRAWL_DATABASE_URL": database_url,
                "SCHOLAR_PROXIES": str(proxy_file),
            },
        )
        log = result.stderr + result.stdout
        assert result.returncode == 0, log[-3000:]
        direct = [r for r in server.requests if r.path.startswith("/citations")]
    # robots.txt went through a proxy too: the machine itself never talks to Scholar
    assert len([p for p in blocked.seen + healthy.seen if p.endswith("/robots.txt")]) == 1
    # proxy-1 is tried once for a page, blocks, and rests; every other page goes through
    # proxy-2; the blocked profile waits in the queue
    [blocked_page] = [p for p in blocked.seen if "/citations" in p]
    stopped = blocked_page.split("user=")[1][:12]
    assert blocked.auth and set(blocked.auth) == {
        "Basic " + base64.b64encode(f"lab:{SECRET}".encode()).decode()
    }
    healthy_pages = [p for p in healthy.seen if "/citations" in p]
    # five pages in all (120 publications take two); the stopped profile's are not fetched
    assert len(healthy_pages) == len(direct) == 5 - (2 if stopped == corpus.ids[0] else 1)
    assert all(auth is None for auth in healthy.auth)
    [activated] = events(log, "scholar.cooldown_activated")
    assert activated["egress"] == f"proxy-127.0.0.1:{blocked.server_address[1]}"
    rows = queue_rows(database_url)
    waiting = [row for row in rows.values() if row.status == "queued"]
    assert [(row.scholar_id, row.reason) for row in waiting] == [(stopped, "blocked_http_403")]
    assert sum(row.status == "done" for row in rows.values()) == len(corpus.ids) - 1

    # the secret went to the proxy and nowhere else: not the log, not the database
    assert SECRET not in log
    engine = make_engine(database_url)
    with engine.connect() as connection:
        for table in ("crawl_runs", "continuation_queue", "cooldowns", "scholars"):
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                assert SECRET not in repr(tuple(row)), table
    engine.dispose()
