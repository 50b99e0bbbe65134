"""End to end: ``scrapy crawl pdfs`` against the replay server's mock Unpaywall, doi.org and
publisher pages, with the real Chromium for the page that builds its PDF link with JavaScript
(never a real host)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import sqlalchemy as sa

from scholarcrawl.browser import launch_options, missing_browser
from scholarcrawl.replay import oa
from scholarcrawl.replay.faults import Fault, parse_fault
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.server import ReplayServer
from scholarcrawl.store.db import make_engine, upgrade
from scholarcrawl.store.models import CrawlRun, PdfQueueEntry
from scholarcrawl.store.repository import Repository
from scholarcrawl.store.runs import RunStore
from tests.support.crawl import run_scrapy, start_scrapy
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.slow

EMAIL = "oa-team@example.org"
SCENARIO_DOIS = {scenario: f"10.5555/{scenario.replace('_', '-')}" for scenario in oa.SCENARIOS}
ARXIV_ID = "2403.01234"


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(CorpusSpec(seed=5, sizes=(1,)))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'pdfs.sqlite3'}"


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> str:
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()


@pytest.fixture
def replay(corpus: Corpus) -> Iterator[ReplayServer]:
    records = [
        oa.OaRecord(doi, scenario, title=f"A study of {scenario}", year=2021)
        for scenario, doi in SCENARIO_DOIS.items()
    ]
    with ReplayServer(
        corpus, apis=False, oa=oa.OaCatalogue(records, oversized_bytes=300_000)
    ) as server:
        yield server


def require_chromium() -> None:
    problem = missing_browser(launch_options({}))
    if problem is not None:  # `make test` installs it: never skip silently
        pytest.fail(f"the browser test needs Chromium: {problem} (apt-get install chromium)")


def queue_publications(url: str, identifiers: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Store one publication per (kind, value), queued; publication id by value."""
    engine = make_engine(url)
    upgrade(engine)
    repository = Repository(engine)
    RunStore(engine).create("scholar", {}, status="running", run_id="seed-run")
    ids = {}
    for n, (kind, value) in enumerate(identifiers):
        title = f"Publication {n} on open access number {n}"
        stored = repository.upsert_publication(
            {
                "scholar_id": "AAAAAAAAAAAJ",
                "title": title,
                "authors": "A Author",
                "venue": "Journal",
                "year": 2021,
                "citations": 1,
                "merged": False,
                "cluster_ids": [],
                "scholar_pub_key": f"k{n}",
                "position": n,
                "fingerprint": f"{n:032x}",
                "identifiers": [
                    {
                        "kind": kind,
                        "value": value,
                        "role": "self",
                        "source": "local",
                        "confidence": 1.0,
                        "evidence": {},
                    }
                ],
                "queue_pdf": True,
            },
            "seed-run",
        )
        ids[value] = stored.publication_id
    engine.dispose()
    return ids


def pdf_settings(server: ReplayServer, url: str, **extra: str) -> dict[str, str]:
    return {
        "SCHOLARCRAWL_DATABASE_URL": url,
        "UNPAYWALL_EMAIL": EMAIL,
        "UNPAYWALL_API_URL": server.unpaywall_api_url,
        "UNPAYWALL_MIN_INTERVAL_SECONDS": "0",
        "PDF_ARXIV_URL": server.base_url,
        "PDF_BROWSER_SETTLE_MS": "200",
        "LOG_LEVEL": "DEBUG",
        **extra,
    }


def queue_rows(url: str) -> dict[str, Any]:
    """pdf_queue rows by DOI (or arXiv id)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.select(PdfQueueEntry)).all()
    finally:
        engine.dispose()
    return {row.doi or row.arxiv_id: row for row in rows}


def last_run_stats(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                sa.select(CrawlRun.stats, CrawlRun.status)
                .where(CrawlRun.spider == "pdfs")
                .order_by(CrawlRun.started_at.desc())
            ).first()
    finally:
        engine.dispose()
    assert row is not None and row.status == "completed"
    return dict(row.stats)


def assert_stored(row: Any, store: Path) -> str:
    """The row of the PDF scenario is done with its PDF stored under ``store``; its digest."""
    body = oa.pdf_body(SCENARIO_DOIS[oa.PDF])
    digest = hashlib.sha256(body).hexdigest()
    assert (row.status, row.download_status, row.pdf_sha256, row.pdf_size) == (
        "done",
        "stored",
        digest,
        len(body),
    )
    assert (store / digest[:2] / f"{digest}.pdf").read_bytes() == body
    return digest


def test_every_path_to_a_pdf_and_every_outcome(replay: ReplayServer, database_url: str) -> None:
    require_chromium()
    wanted = [
        oa.PDF,
        oa.OTHER_PDF,
        oa.LANDING_META,
        oa.LANDING_LINK,
        oa.LANDING_ANCHOR,
        oa.LANDING_SCRIPT,
        oa.LANDING_NONE,
        oa.LANDING_404,
        oa.BLOCKED,
        oa.CLOSED,
        oa.UNKNOWN,
    ]
    queue_publications(
        database_url,
        [("doi", SCENARIO_DOIS[s]) for s in wanted] + [("arxiv", ARXIV_ID)],
    )
    result = run_scrapy(["crawl", "pdfs"], pdf_settings(replay, database_url), timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = queue_rows(database_url)
    base = replay.base_url

    def outcome(scenario: str) -> tuple[Any, ...]:
        row = rows[SCENARIO_DOIS[scenario]]
        return row.status, row.source, row.pdf_url

    pdf = f"{base}{oa.pdf_path(SCENARIO_DOIS[oa.PDF])}"
    assert outcome(oa.PDF) == ("done", "unpaywall", pdf)
    other = outcome(oa.OTHER_PDF)
    assert other[:2] == ("done", "unpaywall") and other[2].endswith(
        oa.pdf_path(SCENARIO_DOIS[oa.OTHER_PDF])
    )
    for scenario in (oa.LANDING_META, oa.LANDING_LINK, oa.LANDING_ANCHOR):
        expected = f"{base}{oa.pdf_path(SCENARIO_DOIS[scenario])}"
        assert outcome(scenario) == ("done", "landing", expected), scenario
        landing = base + oa.landing_path(SCENARIO_DOIS[scenario])
        assert rows[SCENARIO_DOIS[scenario]].landing_url == landing
    script = outcome(oa.LANDING_SCRIPT)
    assert script[:2] == ("done", "browser") and script[2].endswith(".pdf")
    assert outcome(oa.LANDING_NONE)[0] == "not-found"
    assert rows[SCENARIO_DOIS[oa.LANDING_NONE]].last_error == "landing page has no PDF link"
    assert outcome(oa.LANDING_404)[0] == "not-found"
    assert rows[SCENARIO_DOIS[oa.LANDING_404]].last_error == "landing: http_404"
    assert outcome(oa.CLOSED)[0] == "no-oa-location"
    assert rows[SCENARIO_DOIS[oa.CLOSED]].oa_status == "closed"
    assert outcome(oa.UNKNOWN)[0] == "not-found"
    assert "unpaywall" in rows[SCENARIO_DOIS[oa.UNKNOWN]].last_error
    blocked = rows[SCENARIO_DOIS[oa.BLOCKED]]
    assert blocked.status == "blocked" and blocked.next_attempt_at is not None
    arxiv = rows[ARXIV_ID]
    assert (arxiv.status, arxiv.source, arxiv.pdf_url) == (
        "done",
        "arxiv",
        f"{base}/pdf/{ARXIV_ID}",
    )
    assert all(row.attempts == 1 and row.claim_owner is None for row in rows.values())

    # one Unpaywall request per DOI, none for the arXiv id, with the e-mail
    unpaywall = [r for r in replay.requests if r.path.startswith(oa.UNPAYWALL_PATH)]
    assert sorted(r.path.split("?")[0] for r in unpaywall) == sorted(
        oa.UNPAYWALL_PATH + SCENARIO_DOIS[s] for s in wanted
    )
    assert all(r.path.endswith("?email=oa-team@example.org") for r in unpaywall)
    assert not any(ARXIV_ID in r.path for r in replay.requests)
    # only the page that needs scripts went to the browser
    stats = last_run_stats(database_url)
    assert stats["scholarcrawl/pdfs/browser/rendered"] == 1
    assert stats["scholarcrawl/pdfs/outcome/done"] == 7
    assert stats["scholarcrawl/unpaywall/request_completed"] == len(wanted)
    # a rerun finds nothing due (the blocked row waits for its retry)
    again = run_scrapy(["crawl", "pdfs"], pdf_settings(replay, database_url), timeout=120)
    assert again.returncode == 0
    assert "No PDF row is due now" in again.stderr


def test_retryable_rows_come_back_after_the_interval_and_others_do_not(
    replay: ReplayServer, sqlite_url: str
) -> None:
    queue_publications(
        sqlite_url, [("doi", SCENARIO_DOIS[oa.BLOCKED]), ("doi", SCENARIO_DOIS[oa.CLOSED])]
    )
    settings = pdf_settings(
        replay,
        sqlite_url,
        PDF_AUTO_RETRY_INTERVAL_SECONDS="1",
        PDF_AUTO_RETRY_MAX_ATTEMPTS="2",
        PDF_BROWSER_ENABLED="False",
    )
    assert run_scrapy(["crawl", "pdfs"], settings).returncode == 0
    time.sleep(1.2)
    assert run_scrapy(["crawl", "pdfs"], settings).returncode == 0
    rows = queue_rows(sqlite_url)
    blocked, closed = rows[SCENARIO_DOIS[oa.BLOCKED]], rows[SCENARIO_DOIS[oa.CLOSED]]
    assert (blocked.status, blocked.attempts, blocked.next_attempt_at) == ("blocked", 2, None)
    assert (closed.status, closed.attempts) == ("no-oa-location", 1)
    landing = oa.landing_path(SCENARIO_DOIS[oa.BLOCKED])
    assert sum(1 for r in replay.requests if r.path == landing) == 2


def test_downloads_keep_only_real_pdfs_under_the_limit(
    replay: ReplayServer, sqlite_url: str, tmp_path: Path
) -> None:
    dois = [SCENARIO_DOIS[s] for s in (oa.PDF, oa.NOT_PDF, oa.OVERSIZED)]
    queue_publications(sqlite_url, [("doi", doi) for doi in dois])
    store = tmp_path / "store"
    result = run_scrapy(
        ["crawl", "pdfs", "-a", "download=1"],
        pdf_settings(
            replay,
            sqlite_url,
            PDF_STORE=str(store),
            PDF_MAX_BYTES="100000",
            PDF_BROWSER_ENABLED="False",
        ),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = queue_rows(sqlite_url)
    digest = assert_stored(rows[SCENARIO_DOIS[oa.PDF]], store)
    assert rows[SCENARIO_DOIS[oa.NOT_PDF]].download_status == "not-pdf"
    assert rows[SCENARIO_DOIS[oa.OVERSIZED]].download_status == "too-large"
    assert rows[SCENARIO_DOIS[oa.OVERSIZED]].pdf_sha256 is None
    files = sorted(
        p.relative_to(tmp_path)
        for p in tmp_path.rglob("*")
        if p.is_file() and "sqlite3" not in p.name
    )
    assert files == [Path("store") / digest[:2] / f"{digest}.pdf"]


def test_a_downloading_run_downloads_what_earlier_runs_only_resolved(
    replay: ReplayServer, sqlite_url: str, tmp_path: Path
) -> None:
    dois = [SCENARIO_DOIS[s] for s in (oa.PDF, oa.NOT_PDF)]
    queue_publications(sqlite_url, [("doi", doi) for doi in dois])
    store = tmp_path / "store"
    settings = pdf_settings(replay, sqlite_url, PDF_STORE=str(store), PDF_BROWSER_ENABLED="False")
    first = run_scrapy(["crawl", "pdfs"], settings, cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    resolved = queue_rows(sqlite_url)
    assert [(resolved[d].status, resolved[d].download_status) for d in dois] == [
        ("done", None),
        ("done", None),
    ]
    assert not store.exists()
    asked = len(replay.requests)

    second = run_scrapy(["crawl", "pdfs", "-a", "download=1"], settings, cwd=tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    rows = queue_rows(sqlite_url)
    assert_stored(rows[dois[0]], store)
    bad = rows[dois[1]]
    assert (bad.status, bad.download_status, bad.pdf_sha256) == ("done", "not-pdf", None)
    # the resolution is kept as it was, and only the PDF URLs were asked for
    for doi in dois:
        assert (rows[doi].pdf_url, rows[doi].attempts) == (resolved[doi].pdf_url, 1)
    later = [r.path.split("?")[0] for r in replay.requests[asked:] if r.path != "/robots.txt"]
    assert sorted(later) == sorted(urlsplit(resolved[doi].pdf_url).path for doi in dois), later
    stats = last_run_stats(sqlite_url)
    assert stats["scholarcrawl/pdfs/download_only"] == 2
    assert "scholarcrawl/pdfs/outcome/done" not in stats
    # tried once: a further downloading run has nothing to do
    third = run_scrapy(["crawl", "pdfs", "-a", "download=1"], settings, cwd=tmp_path)
    assert third.returncode == 0
    assert "No PDF row is due now" in third.stderr


# PDF URLs, redirects and file names that try to leave PDF_STORE (OUTSIDE: tmp_path/outside)
CLIMBING = {
    "10.5555/../../../../escape": None,  # the DOI itself, in the publisher's PDF path
    "10.5555/escape.encoded": "/publisher/pdf/..%2F..%2F..%2F..%2Fescape-encoded.pdf",
    "10.5555/escape.dots": "/a/../../../../../escape-dots.pdf",
    "10.5555/escape.absolute": "//OUTSIDE/escape-absolute.pdf",
    "10.5555/escape.file": "/escape-redirect-to-file.pdf",  # 302 to file://OUTSIDE/local.pdf
    "10.5555/escape.name": "/escape-disposition.pdf",  # Content-Disposition: ../../escape-name.pdf
    "10.5555/escape.absname": "/escape-disposition-abs.pdf",  # ... OUTSIDE/escape-absname.pdf
}


def climbing_hook(server_url: list[str], outside: Path) -> Any:
    """Unpaywall answers naming the CLIMBING URLs, and the PDFs (or redirect) behind them."""

    def point(value: Any, target: str) -> Any:
        if isinstance(value, dict):
            return {
                key: target if key == "url_for_pdf" and item else point(item, target)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [point(item, target) for item in value]
        return value

    def hook(request: Any) -> Any:
        from scholarcrawl.replay.server import ReplayResponse

        if request.path.startswith("/v2/"):
            doi = unquote(request.path[len("/v2/") :]).lower()
            path = CLIMBING.get(doi)
            normal = request.route()
            if path is None or normal.status != 200:
                return normal
            target = server_url[0] + path.replace("OUTSIDE", str(outside).lstrip("/"))
            body = json.dumps(point(json.loads(normal.body), target)).encode()
            return ReplayResponse(200, body, normal.content_type, normal.headers)
        if "escape" not in request.path:
            return None
        if "redirect-to-file" in request.path:
            location = (outside / "local.pdf").as_uri()
            return ReplayResponse(302, b"", "text/html", (("Location", location),))
        name = "../../escape-name.pdf"
        if "disposition-abs" in request.path:
            name = str(outside / "escape-absname.pdf")
        disposition = ("Content-Disposition", f'attachment; filename="{name}"')
        body = oa.pdf_body(request.path)
        return ReplayResponse(200, body, "application/pdf", (disposition,))

    return hook


def test_pdf_urls_redirects_and_names_that_climb_out_cannot_write_outside_the_store(
    corpus: Corpus, sqlite_url: str, tmp_path: Path
) -> None:
    """Also hostile Unpaywall answers: a JSON bomb, a body over DOWNLOAD_MAXSIZE."""
    outside = tmp_path / "outside"
    outside.mkdir()
    local = oa.pdf_body("a local file the crawl must not read")
    (outside / "local.pdf").write_bytes(local)
    faults = [
        parse_fault("json_bomb:paths=/v2/10.5555/bomb"),  # 200 KB: under the limit below
        parse_fault("oversized:paths=/v2/10.5555/huge,size=300000"),
    ]
    dois = [*CLIMBING, "10.5555/bomb", "10.5555/huge"]
    records = [oa.OaRecord(doi, oa.PDF, title=f"Escape {doi}", year=2020) for doi in dois]
    base: list[str] = []
    hook = climbing_hook(base, outside)
    with ReplayServer(
        corpus, apis=False, oa=oa.OaCatalogue(records), faults=[*faults, hook]
    ) as server:
        base.append(server.base_url)
        queue_publications(sqlite_url, [("doi", doi) for doi in dois])
        work = tmp_path / "work"
        store = work / "a" / "store"
        store.parent.mkdir(parents=True)
        result = run_scrapy(
            ["crawl", "pdfs", "-a", "download=1"],
            pdf_settings(
                server,
                sqlite_url,
                PDF_STORE=str(store),
                PDF_BROWSER_ENABLED="False",
                DOWNLOAD_MAXSIZE="250000",
            ),
            cwd=store.parent,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = queue_rows(sqlite_url)
    assert {doi: rows[doi].status for doi in CLIMBING} == dict.fromkeys(CLIMBING, "done")
    # hostile Unpaywall answers: refused, classified, retried later like any unusable answer
    for doi, reason in (("10.5555/bomb", "malformed_json"), ("10.5555/huge", "response_too_large")):
        assert rows[doi].status == "http-error" and reason in rows[doi].last_error, doi
    assert all("escape" in rows[doi].pdf_url for doi in CLIMBING)  # the hostile URLs were used
    stored = {doi: row for doi, row in rows.items() if row.download_status == "stored"}
    # every real PDF was kept, by its digest, whatever its URL or the name the server gave
    assert set(stored) == set(CLIMBING) - {"10.5555/escape.file"}
    # a redirect to a file: URL is not followed: no local file is read into the store
    assert rows["10.5555/escape.file"].download_status != "stored"
    digests = {row.pdf_sha256 for row in stored.values()}
    assert hashlib.sha256(local).hexdigest() not in digests
    # every file the crawl wrote anywhere around it is inside the store, named by its digest
    written = [
        p
        for p in tmp_path.rglob("*")
        if p.is_file() and "sqlite3" not in p.name and p != outside / "local.pdf"
    ]
    assert sorted(p.relative_to(store).as_posix() for p in written) == sorted(
        f"{digest[:2]}/{digest}.pdf" for digest in digests
    )
    assert not list(Path("/tmp").glob("escape-*.pdf"))


def test_without_unpaywall_email_the_crawl_stops_before_any_request(
    replay: ReplayServer, sqlite_url: str
) -> None:
    queue_publications(sqlite_url, [("doi", SCENARIO_DOIS[oa.PDF])])
    settings = pdf_settings(replay, sqlite_url)
    settings["UNPAYWALL_EMAIL"] = ""
    result = run_scrapy(["crawl", "pdfs"], settings, env={"UNPAYWALL_EMAIL": ""})
    assert result.returncode == 2
    assert "UNPAYWALL_EMAIL is not set" in result.stderr
    assert replay.requests == []
    assert queue_rows(sqlite_url)[SCENARIO_DOIS[oa.PDF]].status == "pending"


def test_an_unpaywall_cooldown_defers_rows_without_counting_an_attempt(
    replay: ReplayServer, sqlite_url: str
) -> None:
    doi = SCENARIO_DOIS[oa.PDF]
    queue_publications(sqlite_url, [("doi", doi), ("arxiv", ARXIV_ID)])
    replay.faults.append(Fault("429", paths={oa.UNPAYWALL_PATH + doi}, retry_after=3600))
    result = run_scrapy(
        ["crawl", "pdfs"],
        pdf_settings(replay, sqlite_url, API_MAX_WAIT_SECONDS="5", PDF_BROWSER_ENABLED="False"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = queue_rows(sqlite_url)
    row = rows[doi]
    assert (row.status, row.attempts) == ("pending", 0)
    assert row.next_attempt_at is not None and "unpaywall" in row.last_error
    assert rows[ARXIV_ID].status == "done"  # no API needed: not held up
    assert "unpaywall.cooldown_activated" in result.stderr


def test_limit_and_max_seconds_leave_the_rest_pending(
    replay: ReplayServer, sqlite_url: str
) -> None:
    queue_publications(sqlite_url, [("arxiv", f"2401.{n:05d}") for n in range(6)])
    settings = pdf_settings(replay, sqlite_url, PDF_BROWSER_ENABLED="False")
    assert run_scrapy(["crawl", "pdfs", "-a", "limit=4"], settings).returncode == 0
    statuses = sorted(row.status for row in queue_rows(sqlite_url).values())
    assert statuses == ["done"] * 4 + ["pending"] * 2
    bad = run_scrapy(["crawl", "pdfs", "-a", "limit=0"], settings)
    assert bad.returncode == 2 and "limit must be at least 1" in bad.stderr


@pytest.mark.postgres
def test_two_processes_never_resolve_the_same_row(
    corpus: Corpus, postgres_url: str, tmp_path: Path
) -> None:
    dois = [f"10.5555/shared-{n:03d}" for n in range(30)]
    records = [oa.OaRecord(doi, oa.LANDING_META, title=f"Shared {doi}", year=2020) for doi in dois]
    with ReplayServer(corpus, apis=False, oa=oa.OaCatalogue(records)) as server:
        # slow landing pages keep both processes busy at once
        server.faults.append(Fault("slow", paths={oa.landing_path(d) for d in dois}, delay=0.1))
        queue_publications(postgres_url, [("doi", doi) for doi in dois])
        settings = pdf_settings(
            server, postgres_url, PDF_CONCURRENCY="2", PDF_BROWSER_ENABLED="False"
        )
        workers = [
            start_scrapy(["crawl", "pdfs"], settings, log=tmp_path / f"pdfs-{n}.log")
            for n in range(2)
        ]
        for worker in workers:
            assert worker.wait(timeout=180) == 0
        landings = [r.path for r in server.requests if r.path.startswith(oa.LANDING_PATH)]
    rows = queue_rows(postgres_url)
    assert {row.status for row in rows.values()} == {"done"}
    assert all(row.attempts == 1 for row in rows.values())
    assert sorted(landings) == sorted(oa.landing_path(d) for d in dois)  # each page once
    by_run = {row.run_id for row in rows.values()}
    assert len(by_run) == 2, "both processes should have resolved rows"


def test_without_a_browser_a_page_that_needs_one_waits_and_the_run_ends(
    replay: ReplayServer, sqlite_url: str
) -> None:
    doi = SCENARIO_DOIS[oa.LANDING_SCRIPT]
    queue_publications(sqlite_url, [("doi", doi), ("doi", SCENARIO_DOIS[oa.PDF])])
    result = run_scrapy(
        ["crawl", "pdfs"],
        pdf_settings(
            replay,
            sqlite_url,
            PLAYWRIGHT_LAUNCH_OPTIONS='{"executable_path": "/nonexistent/chromium"}',
            PDF_CONCURRENCY="1",  # one row at a time: a given-back row is due again at once
        ),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "No browser for landing pages that need scripts" in result.stderr
    rows = queue_rows(sqlite_url)
    waiting = rows[doi]
    assert (waiting.status, waiting.attempts) == ("pending", 0)
    assert waiting.last_error.startswith("browser_unavailable")
    assert rows[SCENARIO_DOIS[oa.PDF]].status == "done"
    # given back once, not claimed again and again by the same run
    landing = oa.landing_path(doi)
    assert sum(1 for r in replay.requests if r.path == landing) == 1
