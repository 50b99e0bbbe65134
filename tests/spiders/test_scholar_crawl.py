"""End to end: ``scrapy crawl scholar`` against the replay server, into SQLite and PostgreSQL."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scholarcrawl.fingerprint import publication_fingerprint
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.server import ReplayServer
from scholarcrawl.store.db import make_engine
from scholarcrawl.store.repository import Repository
from tests.support.crawl import run_scrapy
from tests.support.dbdump import dump

pytestmark = pytest.mark.slow

# Three profiles: one of 250 publications (three pages), consecutive profiles share a paper.
SPEC = CorpusSpec(seed=11, sizes=(250, 40, 12), shared_per_pair=1)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(SPEC)


@pytest.fixture
def replay(corpus: Corpus) -> Iterator[ReplayServer]:
    with ReplayServer(corpus) as server:
        yield server


def crawl(
    server: ReplayServer, database_url: str, *extra: str, **settings: str
) -> tuple[int, str, list[dict[str, Any]]]:
    """Run the spider (all corpus profiles unless ``extra`` names ids); returns its items."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.jsonl"
        arguments = ["crawl", "scholar", "-O", str(out)]
        if not extra:
            arguments += ["-a", "ids=" + ",".join(server.corpus.ids)]
        arguments += list(extra)
        result = run_scrapy(
            arguments,
            {
                "SCHOLAR_BASE_URL": server.base_url,
                "SCHOLARCRAWL_DATABASE_URL": database_url,
                **settings,
            },
        )
        items: list[dict[str, Any]] = []
        if out.exists():
            items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return result.returncode, result.stderr, items


def citations_requests(server: ReplayServer) -> list[str]:
    return [record.path for record in server.requests if record.path.startswith("/citations")]


def test_full_crawl_stores_exact_rows_and_a_rerun_changes_nothing(
    replay: ReplayServer, corpus: Corpus, database_url: str
) -> None:
    status, log, items = crawl(replay, database_url, SCHOLAR_PAGINATION="all")
    assert status == 0, log[-3000:]

    # exactly max(1, ceil(n/100)) requests per profile, first pages before any deeper page
    paths = citations_requests(replay)
    assert len(paths) == 3 + 1 + 1, paths
    first_pages = [i for i, path in enumerate(paths) if "cstart=" not in path]
    deeper = [i for i, path in enumerate(paths) if "cstart=" in path]
    assert max(first_pages) < min(deeper)
    assert all(path.index("user=") < path.index("hl=") for path in paths)

    # items: one profile item per profile, every row with its fingerprint, exactly as generated
    profiles = {item["scholar_id"]: item for item in items if item["item_type"] == "profile"}
    assert set(profiles) == set(corpus.ids)
    for scholar_id in corpus.ids:
        truth = corpus.profile(scholar_id)
        assert truth is not None
        header = truth.header
        item = profiles[scholar_id]
        assert item["name"] == header.name
        assert item["citations_all"] == header.citations_all
        assert item["h_index_since"] == header.h_index_since
        assert item["cites_per_year"] == {str(y): c for y, c in header.cites_per_year.items()}
        assert [c["scholar_id"] for c in item["coauthors"]] == [
            c.scholar_id for c in header.coauthors
        ]
        rows = [
            item
            for item in items
            if item["item_type"] == "publication" and item["scholar_id"] == scholar_id
        ]
        assert [
            (r["title"], r["year"], r["citations"], r["cluster_ids"], r["position"]) for r in rows
        ] == [
            (p.title, p.year, p.citations, list(p.cluster_ids), p.position)
            for p in truth.publications
        ]
        assert all(
            r["fingerprint"] == publication_fingerprint(r["title"], r["year"], r["authors"])
            for r in rows
        )

    engine = make_engine(database_url)
    repository = Repository(engine)
    counts = repository.counts()
    assert counts["scholars"] == 3
    assert counts["publications"] == 250 + 40 + 12 - 2  # two shared papers
    assert counts["authorships"] == 250 + 40 + 12
    assert counts["citation_snapshots"] == 250 + 40 + 12
    big = next(s for s in repository.scholars() if s.scholar_id == corpus.ids[0])
    assert (big.crawl_status, big.pages_fetched, big.rows_seen) == ("complete", 3, 250)
    before = dump(engine)

    # a rerun fetches the same pages and changes nothing but the run's bookkeeping
    status, log, _ = crawl(replay, database_url, SCHOLAR_PAGINATION="all")
    assert status == 0, log[-3000:]
    assert len(citations_requests(replay)) == 2 * 5
    assert dump(engine) == before
    assert repository.counts()["crawl_runs"] == 2
    engine.dispose()


def test_robots_mode_fetches_first_pages_only_and_says_so(
    replay: ReplayServer, corpus: Corpus, database_url: str
) -> None:
    status, log, items = crawl(replay, database_url)
    assert status == 0, log[-3000:]
    paths = citations_requests(replay)
    assert len(paths) == 3
    assert not any("cstart=" in path for path in paths)
    assert sum(1 for item in items if item["item_type"] == "publication") == 100 + 40 + 12

    engine = make_engine(database_url)
    scholars = {s.scholar_id: s for s in Repository(engine).scholars()}
    engine.dispose()
    big = scholars[corpus.ids[0]]
    assert (big.crawl_status, big.crawl_reason) == ("robots_disallowed", "robots_disallowed")
    assert scholars[corpus.ids[1]].crawl_status == "complete"
    assert "robots.txt disallows" in log
    assert "SCHOLAR_PAGINATION=all" in log


def test_sortby_pubdate_orders_rows_by_year(replay: ReplayServer, tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    target = replay.corpus.ids[1]
    status, log, items = crawl(replay, database_url, "-a", f"ids={target}", "-a", "sortby=pubdate")
    assert status == 0, log[-3000:]
    assert all("sortby=pubdate" in path for path in citations_requests(replay))
    years = [item["year"] for item in items if item["item_type"] == "publication"]
    dated = [year for year in years if year is not None]
    assert dated == sorted(dated, reverse=True)


def test_invalid_ids_stop_before_any_request(replay: ReplayServer, tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    result = run_scrapy(
        ["crawl", "scholar", "-a", f"ids={replay.corpus.ids[0]},tooShort,bad id!xyzAB"],
        {"SCHOLAR_BASE_URL": replay.base_url, "SCHOLARCRAWL_DATABASE_URL": f"sqlite:///{database}"},
    )
    assert result.returncode == 2
    error_lines = [line for line in result.stderr.splitlines() if "invalid Scholar id" in line]
    assert len(error_lines) == 1
    assert "'tooShort'" in error_lines[0] and "'bad id!xyzAB'" in error_lines[0]
    assert replay.requests == []
    assert not database.exists()


def test_unreachable_database_stops_before_any_request(replay: ReplayServer) -> None:
    result = run_scrapy(
        ["crawl", "scholar", "-a", f"ids={replay.corpus.ids[0]}"],
        {
            "SCHOLAR_BASE_URL": replay.base_url,
            "SCHOLARCRAWL_DATABASE_URL": "postgresql+psycopg://crawler:hunter2@127.0.0.1:9/none",
        },
    )
    assert result.returncode == 1
    assert "cannot reach the database" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout
    assert replay.requests == []


def test_unknown_profile_is_recorded_as_unavailable_not_empty(
    replay: ReplayServer, tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    status, log, items = crawl(replay, database_url, "-a", "ids=AAAAAAAAAAAA")
    assert status == 0, log[-3000:]
    assert items == []
    # the redirect to sign-in was classified, never followed
    assert [r.path for r in replay.requests if "ServiceLogin" in r.path] == []
    engine = make_engine(database_url)
    [scholar] = Repository(engine).scholars()
    engine.dispose()
    assert (scholar.crawl_status, scholar.crawl_reason) == ("unavailable", "profile_unavailable")
    assert Repository(make_engine(database_url)).counts()["publications"] == 0
