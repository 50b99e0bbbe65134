"""A page stored at once gives what its rows stored one by one give (scholarcrawl/store/batch.py).

Random pages are drawn from small pools of titles, cluster ids, DOIs and arXiv ids, so that
rows share keys, lead to several stored papers (merges), conflict (an erratum's DOI, a
preprint), change their citations and gain identifiers across runs; some papers get their
detail page (a full author list that later rows must not take back). The same rows are stored
one by one into one database and page by page into another; the two databases and the
changes reported must be the same.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from scholarcrawl.fingerprint import publication_fingerprint
from scholarcrawl.store import batch
from scholarcrawl.store.db import make_engine, upgrade
from scholarcrawl.store.repository import PublicationChange, Repository
from tests.support.dbdump import dump
from tests.support.postgres import PostgresServer

SCHOLARS = ["AAAAAAAAAAAJ", "BBBBBBBBBBBJ", "CCCCCCCCCCCJ", "DDDDDDDDDDDJ"]
TITLES = [
    "Deep learning for tests",
    "Attention is all you need",
    "Attention is not all you need",
    "A study of caching",
    "Graph neural networks at scale",
    "On the storage of citations",
    "Learning to rank papers",
    "Errata: A study of caching",
]


@pytest.fixture
def twin_engines(
    request: pytest.FixtureRequest,
    migrated_database_url: str,
    migrated_copy: Callable[[str], str],
    tmp_path: Path,
) -> Iterator[tuple[Engine, Engine]]:
    """Two fresh migrated databases of the same kind (SQLite files, or PostgreSQL databases)."""
    if migrated_database_url.startswith("sqlite"):
        other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        other = server.url(f"t_{uuid.uuid4().hex[:12]}")
    engines = (make_engine(migrated_database_url), make_engine(migrated_copy(other)))
    for engine in engines:
        upgrade(engine)  # a no-op: both are at the newest revision
    yield engines
    for engine in engines:
        engine.dispose()


def _identifier(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(["doi", "doi", "arxiv", "pmid"])
    value = {
        "doi": f"10.1000/t{rng.randrange(6)}",
        "arxiv": f"2101.0000{rng.randrange(5)}",
        "pmid": str(1000 + rng.randrange(4)),
    }[kind]
    return {
        "kind": kind,
        "value": value,
        "role": rng.choice(["self", "self", "self", "version"]),
        "source": rng.choice(["local", "crossref", "arxiv"]),
        "confidence": rng.choice([0.7, 0.9, 0.95, 1.0]),
        "evidence": {"score": rng.random()},
    }


def _row(rng: random.Random, scholar_id: str, position: int) -> dict[str, Any]:
    title = rng.choice(TITLES)
    year = rng.choice([2019, 2020, 2020, None])
    authors = rng.choice(
        ["A Author, B Other", "B Other, A Author", "A Author", "A Author, B Other, ..."]
    )
    identifiers = [_identifier(rng) for _ in range(rng.choice([0, 0, 1, 1, 2]))]
    row: dict[str, Any] = {
        "item_type": "publication",
        "scholar_id": scholar_id,
        "title": title,
        "authors": authors,
        "venue": rng.choice(["Journal of Tests", "Proc. Tests", None]),
        "year": year,
        "citations": rng.randrange(0, 4),
        "merged": rng.random() < 0.1,
        "cluster_ids": [str(rng.randrange(12)) for _ in range(rng.choice([0, 1, 1, 2]))],
        "scholar_pub_key": f"{scholar_id}:{rng.randrange(30)}",
        "position": position,
        "identifiers": identifiers,
        "identifier_status": rng.choice([None, "resolved", "no_match", "error"]),
        "identifier_error": rng.choice([None, "timeout"]),
        "queue_pdf": rng.random() < 0.8,
    }
    row["fingerprint"] = publication_fingerprint(title, year, authors)
    return row


def _pages(rng: random.Random, *, fresh: bool) -> list[list[dict[str, Any]]]:
    """Pages of one run; ``fresh`` pages draw from many titles so that most rows are new."""
    pages = []
    for _ in range(rng.randrange(2, 6)):
        scholar_id = rng.choice(SCHOLARS)
        size = rng.choice([1, 2, 3, 5, 8])
        rows = []
        for position in range(1, size + 1):
            row = _row(rng, scholar_id, position)
            if fresh:  # a title of its own: a page with no shared key
                row["title"] = f"{row['title']} {rng.randrange(10**9)}"
                row["fingerprint"] = publication_fingerprint(
                    row["title"], row["year"], row["authors"]
                )
                row["cluster_ids"] = [f"c{rng.randrange(10**9)}" for _ in row["cluster_ids"]]
                for ident in row["identifiers"]:
                    ident["value"] = f"{ident['value']}.{rng.randrange(10**9)}"
            rows.append(row)
        if not fresh and not pages:  # a paper listed twice on one page: rows that depend
            rows.append({**rows[0], "scholar_pub_key": "twice", "position": size + 1})
        pages.append(rows)
    return pages


def _rerun(rng: random.Random, pages: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    """Earlier pages seen again, changed as Scholar and the resolver change them."""
    again = []
    for page in pages:
        rows = []
        for row in page:
            row = {**row, "identifiers": list(row["identifiers"])}
            change = rng.choice(["citations", "identifier", "cluster", "status", "venue", "none"])
            if change == "citations":
                row["citations"] += rng.randrange(1, 3)
            elif change == "identifier":
                ident = _identifier(rng)
                ident["value"] = f"{ident['value']}.{rng.randrange(10**9)}"
                row["identifiers"].append(ident)
            elif change == "cluster":
                row["cluster_ids"] = [*row["cluster_ids"], f"c{rng.randrange(10**9)}"]
            elif change == "status":
                row["identifier_status"] = rng.choice(["resolved", "no_match", "deferred"])
            elif change == "venue":
                row["venue"] = "Another Venue"
            rows.append(row)
        again.append(rows)
    return again


FULL_LISTS = ["A Author, B Other, C Third, D Fourth", "Ann Author", "B Other, A Author, C Third"]
FETCHED_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _details(rng: random.Random, pages: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Detail pages of some rows of a run: full author lists (longer than a cut line, or not),
    cluster ids and identifiers of their own."""
    found = []
    for page in pages:
        for row in page:
            if rng.random() < 0.35:
                found.append(
                    {
                        "scholar_id": row["scholar_id"],
                        "scholar_pub_key": row["scholar_pub_key"],
                        "title": row["title"],
                        "authors": rng.choice(FULL_LISTS),
                        "journal": rng.choice(["Journal of Tests", None]),
                        "citations": rng.randrange(0, 9),
                        "extra": {},
                        "cluster_ids": [str(rng.randrange(12)) for _ in range(rng.choice([0, 1]))],
                        "identifiers": [_identifier(rng) for _ in range(rng.choice([0, 1]))],
                        "identifier_status": rng.choice([None, "resolved", "no_match"]),
                        "queue_pdf": rng.random() < 0.5,
                    }
                )
    return found


def _fetch_details(
    repositories: tuple[Repository, Repository], details: list[dict[str, Any]], run_ids: list[str]
) -> None:
    """The same detail pages into both databases, fetched at the same (dumped) time."""
    for values in details:
        changes = [
            repo.merge_details(values, run_id)
            for repo, run_id in zip(repositories, run_ids, strict=True)
        ]
        assert changes[0] == changes[1]
    for repo in repositories:
        with repo.engine.begin() as connection:
            connection.execute(
                text(
                    "UPDATE publications SET details_fetched_at = :at "
                    "WHERE details_fetched_at IS NOT NULL"
                ),
                {"at": FETCHED_AT},
            )


def _outline(change: PublicationChange) -> tuple[Any, ...]:
    return (
        change.publication_id,
        change.merged,
        change.publication,
        change.authorship,
        change.snapshot_added,
        change.identifiers_added,
        change.pdf_queued,
    )


@pytest.mark.parametrize("seed", range(6))
def test_pages_stored_at_once_equal_rows_stored_one_by_one(
    twin_engines: tuple[Engine, Engine], seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    one_by_one, by_page = Repository(twin_engines[0]), Repository(twin_engines[1])
    taken = {"batch": 0, "fallback": 0}
    store_rows = batch.store_rows

    def counting(*args: Any, **kwargs: Any) -> Any:
        result = store_rows(*args, **kwargs)
        taken["fallback" if result is None else "batch"] += 1
        return result

    monkeypatch.setattr(batch, "store_rows", counting)
    previous: list[list[dict[str, Any]]] = []
    for run in range(6):
        run_ids = [repo.start_run("scholar", {"run": run}) for repo in (one_by_one, by_page)]
        # new papers, the same pages seen again (changed), pages sharing keys
        pages = [_pages(rng, fresh=True), _rerun(rng, previous), _pages(rng, fresh=False)][run % 3]
        previous = pages if run % 3 == 0 else previous
        for page in pages:
            expected = [one_by_one.upsert_publication(row, run_ids[0]) for row in page]
            got = by_page.upsert_publications(page, run_ids[1])
            assert [_outline(change) for change in got] == [_outline(change) for change in expected]
        assert dump(by_page.engine) == dump(one_by_one.engine)
        # some papers get their detail page: later rows must not take back its author list
        _fetch_details((one_by_one, by_page), _details(rng, pages), run_ids)
        assert dump(by_page.engine) == dump(one_by_one.engine)
    with one_by_one.session() as session:
        fetched = session.scalar(
            text("SELECT count(*) FROM publications WHERE details_status = 'fetched'")
        )
    assert fetched  # the rule was exercised
    # both ways were taken: set-wise pages, and pages whose rows depend on each other
    assert taken["batch"] > 0 and taken["fallback"] > 0, taken


def test_a_rerun_page_updates_citations_and_history_in_place(
    twin_engines: tuple[Engine, Engine],
) -> None:
    repo = Repository(twin_engines[0])
    rng = random.Random(99)
    page = _pages(rng, fresh=True)[0]
    first = repo.start_run("scholar", {})
    assert all(change.publication.inserted for change in repo.upsert_publications(page, first))
    again = repo.start_run("scholar", {})
    for row in page:
        row["citations"] += 5
    changes = repo.upsert_publications(page, again)
    assert [change.authorship.updated for change in changes] == [True] * len(page)
    assert all(change.snapshot_added for change in changes)
    assert not any(change.publication.changed for change in changes)
    # the same run seeing the page twice keeps one history row per paper, with the last count
    for row in page:
        row["citations"] += 1
    changes = repo.upsert_publications(page, again)
    assert not any(change.snapshot_added for change in changes)
    history = dump(repo.engine)["citation_snapshots"]
    assert len(history) == 2 * len(page)


def test_a_failed_page_stores_nothing(twin_engines: tuple[Engine, Engine]) -> None:
    repo = Repository(twin_engines[0])
    page = _pages(random.Random(7), fresh=True)[0]
    page[-1] = {**page[-1], "citations": None}  # NOT NULL: the last insert fails
    run_id = repo.start_run("scholar", {})
    with pytest.raises(Exception, match=r"(?i)null"):
        repo.upsert_publications(page, run_id)
    assert repo.counts()["publications"] == 0


def test_a_row_changed_by_another_writer_meanwhile_is_read_again(
    twin_engines: tuple[Engine, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch's UPDATE finds a row gone (another process merged or deleted it between the
    batch's reads and its writes): StaleDataError, and the page is read and written again."""
    repo = Repository(twin_engines[0])
    page = _pages(random.Random(5), fresh=True)[0]
    repo.upsert_publications(page, repo.start_run("scholar", {}))
    for row in page:
        row["citations"] += 3
    load = batch._Existing.load
    raised: list[str] = []

    def load_then_lose_a_row(session: Any, found: Any, rows: Any) -> Any:
        existing = load(session, found, rows)
        if not raised:  # the first attempt: an authorship vanishes after it was read
            session.execute(
                text("DELETE FROM authorships WHERE id = :id"),
                {"id": min(row["id"] for row in existing.authorships.values())},
            )
            raised.append("deleted")
        return existing

    monkeypatch.setattr(batch._Existing, "load", staticmethod(load_then_lose_a_row))
    changes = repo.upsert_publications(page, repo.start_run("scholar", {}))
    assert raised == ["deleted"]
    assert [change.authorship.updated for change in changes] == [True] * len(page)
    with repo.engine.connect() as connection:
        stored = dict(
            connection.execute(text("SELECT scholar_pub_key, citations FROM authorships")).all()
        )
    assert stored == {row["scholar_pub_key"]: row["citations"] for row in page}
