"""Hostile input, end to end: a replay server that answers with attacks, real crawls, the store.

Each test crawls the replay server with a fault or hook that turns an answer hostile (external
entities, billion laughs, a JSON bomb, bodies over ``DOWNLOAD_MAXSIZE``, titles carrying
formulas, script tags, control characters and SQL), then reads what the crawl stored and
exported. The attack is refused and classified, the crawl finishes, and nothing is lost.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from scholarcrawl.export import CSV_COLUMNS, PROFILE_CSV_COLUMNS
from scholarcrawl.replay.faults import parse_fault
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.server import FaultHook, ReplayServer
from scholarcrawl.store.db import make_engine
from scholarcrawl.store.models import ApiCacheEntry, Publication, PublicationIdentifier, Scholar
from scholarcrawl.store.queue import ContinuationQueue
from tests.spiders.test_blocks_crawl import last_run_stats
from tests.support import hostile
from tests.support.crawl import api_settings, run_scrapy
from tests.support.dbdump import every_value
from tests.test_export import balanced
from tests.test_export import run as run_export

pytestmark = pytest.mark.slow

SPEC = CorpusSpec(seed=41, sizes=(9, 7), shared_per_pair=0)
# small limits, so that a "huge" answer costs the test nothing
MAXSIZE = 400_000


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(SPEC)


def crawl(
    corpus: Corpus,
    database_url: str,
    faults: list[FaultHook],
    *arguments: str,
    apis: bool = False,
    **settings: str,
) -> tuple[int, str]:
    """``scrapy crawl scholar`` of every profile against a replay server with ``faults``."""
    with ReplayServer(corpus, faults=faults) as server:
        result = run_scrapy(
            ["crawl", "scholar", "-a", "ids=" + ",".join(corpus.ids), *arguments],
            {
                "SCHOLAR_BASE_URL": server.base_url,
                "SCHOLARCRAWL_DATABASE_URL": database_url,
                "SCHOLARCRAWL_CONTACT_EMAIL": "ops@example.org",
                "DOWNLOAD_MAXSIZE": str(MAXSIZE),
                "DOWNLOAD_WARNSIZE": str(MAXSIZE // 2),
                "CONTINUATION_BASE_DELAY_SECONDS": "0.01",
                **(api_settings(server.base_url) if apis else {}),
                **settings,
            },
        )
    return result.returncode, result.stderr + result.stdout


def publications(database_url: str) -> list[Publication]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return [Publication(**row._mapping) for row in connection.execute(select(Publication))]
    finally:
        engine.dispose()


def identifiers(database_url: str) -> list[Any]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(select(PublicationIdentifier)))
    finally:
        engine.dispose()


# --- hostile answers: entities, bombs, bodies over DOWNLOAD_MAXSIZE ------------------------


def test_hostile_answers_are_refused_classified_and_nothing_is_lost(
    corpus: Corpus, database_url: str
) -> None:
    big, small = corpus.ids
    faults: list[FaultHook] = [
        parse_fault(f"oversized:ids={big},size={MAXSIZE * 2}"),  # a Scholar page
        parse_fault("xxe:paths=/api/query,times=3"),
        parse_fault("billion_laughs:paths=/api/query"),
        parse_fault("json_bomb:paths=/works,times=3"),
        parse_fault(f"oversized:paths=/works,size={MAXSIZE * 3}"),
    ]
    status, log = crawl(corpus, database_url, faults, apis=True)
    assert "response_too_large" in log, log[-3000:]
    stats = last_run_stats(database_url)
    assert stats["scholarcrawl/scholar/page/failed/response_too_large"] == 1
    assert stats["scholarcrawl/crossref/failure/response_too_large"] >= 1
    engine = make_engine(database_url)
    try:
        queued = {entry.scholar_id: entry for entry in ContinuationQueue(engine).entries()}
        with engine.connect() as connection:
            scholars = {row.scholar_id: row for row in connection.execute(select(Scholar))}
            assert connection.execute(select(ApiCacheEntry)).all() == []  # nothing hostile kept
        stored = every_value(engine)
    finally:
        engine.dispose()
    # the oversized page is never an empty profile: it waits in the queue, classified
    assert queued[big].reason == "response_too_large" and queued[big].status == "queued"
    assert queued[big].cstart == 0 and "max size" in (queued[big].last_error or "")
    assert small not in queued or queued[small].status == "done"
    assert scholars[big].crawl_status != "complete"
    pubs = publications(database_url)
    assert len(pubs) == SPEC.sizes[1]
    # a refused API answer is the row's recorded error (a later run asks again), never a
    # guess; a row resolves only from its own text (an arXiv venue line)
    asked = [p for p in pubs if p.identifier_status != "uninformative"]
    assert asked and {p.identifier_status for p in asked} <= {"error", "resolved"}
    assert {i.source for i in identifiers(database_url)} <= {"local"}
    errors = " ".join(p.identifier_error or "" for p in asked)
    for reason in ("forbidden_xml", "malformed_json", "response_too_large"):
        assert reason in errors, reason
    # the entity's file never reached the database or the log; nothing was expanded
    passwd = Path("/etc/passwd").read_text(encoding="utf-8").splitlines()[0]
    for text in (stored, log):
        assert passwd not in text and "lollollol" not in text
    # the page comes back to its normal size: the queued profile is crawled, nothing lost
    status, log = crawl(corpus, database_url, [], "-a", "resume=due")
    assert status == 0, log[-3000:]
    assert len(publications(database_url)) == sum(SPEC.sizes)


# --- hostile text: stored as text, exported safely -----------------------------------------


def export(database_url: str, target: Path, *options: str) -> str:
    assert run_export(*options, "--database", database_url, "--output", str(target)) == 0
    return target.read_text(encoding="utf-8")


def controls(text: str) -> list[str]:
    return [char for char in text if unicodedata.category(char) == "Cc"]


def test_hostile_titles_are_stored_as_text_and_exported_without_formulas(
    corpus: Corpus, database_url: str, tmp_path: Path
) -> None:
    status, log = crawl(corpus, database_url, [hostile.hostile_profile_page(corpus.ids[0])])
    assert status == 0, log[-3000:]
    by_title = {p.title: p for p in publications(database_url)}
    assert len(by_title) == sum(SPEC.sizes)
    for _, text in hostile.TITLES:
        assert text in by_title  # bound, never interpolated: the SQL title is verbatim
    markup = next(title for title in by_title if title.startswith("Markup"))
    assert "<" not in markup and ">" not in markup and "injected" in markup
    formula = by_title[hostile.TITLES[0][1]]
    assert (formula.authors, formula.venue) == (hostile.AUTHORS[0][1], hostile.VENUES[0][1])
    for pub in by_title.values():
        assert not controls(pub.title + (pub.authors or "") + (pub.venue or ""))

    rows = list(
        csv.DictReader(
            io.StringIO(export(database_url, tmp_path / "p.csv", "--format", "csv"), newline="")
        )
    )
    assert list(rows[0]) == list(CSV_COLUMNS)
    cells = {row["id"]: row for row in rows}
    for row in cells.values():
        stored = next(p for p in by_title.values() if str(p.id) == row["id"])
        for column, value in (
            ("title", stored.title),
            ("authors", stored.authors),
            ("venue", stored.venue),
        ):
            value = value or ""
            guarded = value.startswith(("=", "+", "-", "@"))
            assert row[column] == ("'" + value if guarded else value), column
        assert row["year"] == (
            "" if stored.year is None else str(stored.year)
        )  # numbers as they are
    profiles = list(
        csv.DictReader(
            io.StringIO(
                export(database_url, tmp_path / "s.csv", "--format", "csv", "--profiles"),
                newline="",
            )
        )
    )
    assert list(profiles[0]) == list(PROFILE_CSV_COLUMNS)
    names = {row["scholar_id"]: row["name"] for row in profiles}
    assert names[corpus.ids[0]] == "'" + hostile.NAME[1]
    assert not names[corpus.ids[1]].startswith("'")  # a plain name stays as it is
    assert all(row["citations_all"].isdigit() for row in profiles)

    lines = export(database_url, tmp_path / "p.jsonl", "--format", "jsonl").splitlines()
    assert {json.loads(line)["title"] for line in lines} == set(by_title)  # exactly the text
    bibtex = export(database_url, tmp_path / "p.bib", "--format", "bibtex")
    assert bibtex.count("\n@") + bibtex.startswith("@") == len(by_title)
    assert balanced(bibtex) and "<script>" not in bibtex and not controls(bibtex.replace("\n", ""))
