"""The export's reads: full records, the scholar filter, pages and one snapshot, on SQLite and
on the real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event

from scholarcrawl.store.export import (
    ExportAuthorship,
    ExportDetails,
    Exporter,
    ExportIdentifier,
    ExportPdf,
    ExportProfile,
    ExportRecord,
)
from scholarcrawl.store.pdfqueue import DONE, PENDING, PdfOutcome, PdfQueue
from scholarcrawl.store.repository import Repository
from tests.store.test_identifiers_store import ident
from tests.store.test_repository import PROFILE, pub

A, B, C = "AAAAAAAAAAAJ", "BBBBBBBBBBBJ", "CCCCCCCCCCCJ"
SHA = "ab" + "0" * 62


def stored(repository: Repository, values: dict[str, Any], run: str) -> int:
    return repository.upsert_publication({**values, "queue_pdf": True}, run).publication_id


@pytest.fixture
def repo(engine: Engine) -> Repository:
    return Repository(engine)


@pytest.fixture
def library(engine: Engine) -> dict[str, int]:
    return build_library(engine)


def build_library(engine: Engine) -> dict[str, int]:
    """Three papers on two profiles: identifiers, clusters and a downloaded PDF on one."""
    repo = Repository(engine)
    run = repo.start_run("scholar", {})
    repo.upsert_scholar({**PROFILE, "scholar_id": A, "name": "Ada Author"}, run)
    repo.upsert_scholar({**PROFILE, "scholar_id": B, "name": "Bo Other"}, run)
    graphs = stored(
        repo,
        pub(
            A,
            "Graph kernels, revisited",
            authors="A Author, B Other, C Third, ...",
            venue="Journal of Graphs 12 (3), 45-67",
            citations=40,
            position=2,
            cluster_ids=["111", "222"],
            scholar_pub_key=f"{A}:graphs",
            identifiers=[
                ident("doi", "10.1/graphs"),
                ident("arxiv", "2101.00001", role="version", source="arxiv", confidence=0.9),
            ],
        ),
        run,
    )
    stored(
        repo,
        pub(
            B,
            "Graph kernels, revisited",
            authors="A Author, B Other, C Third, ...",
            venue="Journal of Graphs 12 (3), 45-67",
            citations=38,
            position=1,
            cluster_ids=["222"],
            scholar_pub_key=f"{B}:graphs",
        ),
        run,
    )
    plain = stored(repo, pub(A, "Données sans identifiant", position=1, citations=3), run)
    preprint = stored(
        repo,
        pub(
            B,
            "Sparse things",
            venue="arXiv preprint arXiv:2202.00002",
            position=2,
            identifiers=[ident("arxiv", "2202.00002", source="arxiv")],
        ),
        run,
    )
    queue = PdfQueue(engine)
    tasks = queue.claim_due("t", 60, limit=10)
    [task] = [task for task in tasks if task.publication_id == graphs]
    for other in tasks:
        if other is not task:
            assert queue.release(other.id, "t")
    outcome = PdfOutcome(
        DONE,
        pdf_url="https://oa.example/graphs.pdf",
        landing_url="https://publisher.example/graphs",
        source="unpaywall",
        oa_status="gold",
        download_status="stored",
        pdf_sha256=SHA,
        pdf_size=1234,
    )
    assert queue.settle(task.id, "t", outcome) is not None
    return {"graphs": graphs, "plain": plain, "preprint": preprint}


def test_a_record_holds_the_publication_its_profiles_identifiers_and_pdf(
    engine: Engine, library: dict[str, int]
) -> None:
    records = list(Exporter(engine).records())
    assert [record.id for record in records] == sorted(library.values())
    graphs = next(record for record in records if record.id == library["graphs"])
    assert isinstance(graphs, ExportRecord)
    assert (graphs.title, graphs.year, graphs.venue, graphs.authors) == (
        "Graph kernels, revisited",
        2020,
        "Journal of Graphs 12 (3), 45-67",
        "A Author, B Other, C Third, ...",
    )
    assert graphs.cluster_ids == ("111", "222")
    assert graphs.identifier_status == "resolved"
    assert graphs.scholars == (
        ExportAuthorship(A, "Ada Author", 40, 2, f"{A}:graphs"),
        ExportAuthorship(B, "Bo Other", 38, 1, f"{B}:graphs"),
    )
    assert graphs.identifiers == (
        ExportIdentifier("doi", "10.1/graphs", "self", "crossref", 0.95),
        ExportIdentifier("arxiv", "2101.00001", "version", "arxiv", 0.9),
    )
    assert (graphs.doi, graphs.arxiv_id) == ("10.1/graphs", "2101.00001")
    assert graphs.pdf is not None
    resolved_at = graphs.pdf.resolved_at
    assert resolved_at is not None and resolved_at.tzinfo is not None
    assert graphs.pdf == ExportPdf(
        status=DONE,
        pdf_url="https://oa.example/graphs.pdf",
        landing_url="https://publisher.example/graphs",
        source="unpaywall",
        oa_status="gold",
        download_status="stored",
        sha256=SHA,
        size=1234,
        resolved_at=resolved_at,
    )
    assert graphs.created_at.tzinfo is not None and graphs.updated_at >= graphs.created_at
    assert graphs.created_at <= datetime.now(UTC)

    plain = next(record for record in records if record.id == library["plain"])
    assert plain.title == "Données sans identifiant"
    assert (plain.identifiers, plain.pdf, plain.doi, plain.cluster_ids) == ((), None, None, ())
    assert [scholar.scholar_id for scholar in plain.scholars] == [A]

    preprint = next(record for record in records if record.id == library["preprint"])
    assert preprint.pdf is not None and preprint.pdf.status == PENDING
    assert (preprint.pdf.pdf_url, preprint.pdf.sha256) == (None, None)
    assert (preprint.doi, preprint.arxiv_id) == (None, "2202.00002")


def test_the_scholar_filter_keeps_that_profiles_papers_in_its_order(
    engine: Engine, library: dict[str, int]
) -> None:
    exporter = Exporter(engine)
    assert [record.id for record in exporter.records(A)] == [library["plain"], library["graphs"]]
    assert [record.id for record in exporter.records(B)] == [
        library["graphs"],
        library["preprint"],
    ]
    # the record is whole: the other profile that lists it is there too
    [graphs, _] = exporter.records(B)
    assert {scholar.scholar_id for scholar in graphs.scholars} == {A, B}
    assert exporter.has_scholar(A) and not exporter.has_scholar(C)
    assert list(exporter.records(C)) == []


def count_queries(engine: Engine) -> list[str]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return statements


def test_pages_cover_every_publication_once_with_a_few_queries_per_page(
    repo: Repository, engine: Engine
) -> None:
    run = repo.start_run("scholar", {})
    ids = [
        stored(
            repo,
            pub(A, f"Paper {i:02d}", position=i, identifiers=[ident("doi", f"10.9/{i}")]),
            run,
        )
        for i in range(11)
    ]
    statements = count_queries(engine)
    records = list(Exporter(engine, batch_size=4).records())
    assert [record.id for record in records] == ids
    assert all(record.doi is not None and record.pdf is not None for record in records)
    # three pages (4 + 4 + 3): four queries each, whatever the number of rows
    assert len(statements) == 3 * 4
    # an exact multiple of the page size ends with one empty page
    statements.clear()
    assert len(list(Exporter(engine, batch_size=11).records())) == 11
    assert len(statements) == 4 + 1


def test_scholar_pages_follow_positions_and_put_rows_without_one_last(
    repo: Repository, engine: Engine
) -> None:
    run = repo.start_run("scholar", {})
    positions = [5, None, 1, 3, None, 2, 4, 3]
    ids = [
        stored(repo, pub(A, f"Row {i}", position=position), run)
        for i, position in enumerate(positions)
    ]
    stored(repo, pub(B, "Somebody else's", position=1), run)
    expected = [
        ids[i]
        for i in sorted(
            range(len(ids)),
            key=lambda i: (positions[i] is None, positions[i] or 0, ids[i]),
        )
    ]
    for batch_size in (1, 2, 3, 500):
        got = [record.id for record in Exporter(engine, batch_size=batch_size).records(A)]
        assert got == expected, batch_size


def test_an_export_reads_one_snapshot_while_a_crawl_writes(
    repo: Repository, engine: Engine
) -> None:
    run = repo.start_run("scholar", {})
    first = [stored(repo, pub(A, f"Early {i}", position=i), run) for i in range(3)]
    records = Exporter(engine, batch_size=1).records()
    assert next(records).id == first[0]
    # a crawl stores a new paper and a new profile row for an exported one meanwhile
    stored(repo, pub(A, "Late arrival", position=9), run)
    stored(repo, pub(B, "Early 2", position=1), run)
    rest = list(records)
    assert [record.id for record in rest] == first[1:]
    assert [scholar.scholar_id for scholar in rest[-1].scholars] == [A]
    # the next export sees both
    again = list(Exporter(engine).records())
    assert len(again) == 4
    assert [scholar.scholar_id for scholar in again[2].scholars] == [A, B]


def test_a_batch_size_below_one_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        Exporter(engine, batch_size=0)


def test_a_record_holds_its_detail_page_once_asked_for(
    engine: Engine, library: dict[str, int]
) -> None:
    repo = Repository(engine)
    run = repo.start_run("scholar", {})
    change = repo.merge_details(
        {
            "scholar_id": A,
            "scholar_pub_key": f"{A}:graphs",
            "title": "Graph kernels, revisited",
            "authors": "Ann Author, Bo Other, Cy Third, Di Fourth",
            "publication_date": "2020/3/14",
            "journal": "Journal of Graphs",
            "volume": "12",
            "issue": "3",
            "pages": "45-67",
            "publisher": "Graph Press",
            "description": "We revisit graph kernels.",
            "citations": 41,
            "extra": {"Institution": "Graph University"},
            "link_url": "https://publisher.example/graphs",
            "fulltext_url": "https://oa.example/graphs.pdf",
            "fulltext_kind": "pdf",
        },
        run,
    )
    assert change.outcome == "merged"
    repo.mark_details_unavailable(A, pub(A, "Données sans identifiant")["scholar_pub_key"], "gone")
    records = {record.id: record for record in Exporter(engine).records()}
    graphs = records[library["graphs"]]
    assert graphs.authors == "Ann Author, Bo Other, Cy Third, Di Fourth"
    details = graphs.details
    assert details is not None and details.fetched_at is not None
    assert details.fetched_at.tzinfo is not None
    assert details == ExportDetails(
        status="fetched",
        fetched_at=details.fetched_at,
        publication_date="2020/3/14",
        journal="Journal of Graphs",
        conference=None,
        book=None,
        volume="12",
        issue="3",
        pages="45-67",
        publisher="Graph Press",
        description="We revisit graph kernels.",
        citations=41,
        fields={"Institution": "Graph University"},
        link_url="https://publisher.example/graphs",
        fulltext_url="https://oa.example/graphs.pdf",
        fulltext_kind="pdf",
    )
    plain = records[library["plain"]].details
    assert plain is not None and (plain.status, plain.fields) == (
        "unavailable",
        {"unavailable": "gone"},
    )
    assert records[library["preprint"]].details is None


def test_profiles_are_read_in_pages_with_their_full_coauthor_lists(
    engine: Engine, library: dict[str, int]
) -> None:
    repo = Repository(engine)
    run = repo.start_run("scholar", {})
    full = [{"scholar_id": B, "name": "Bo Other", "affiliation": None, "email_domain": "o.org"}]
    repo.store_full_coauthors(A, full, run)
    repo.store_full_coauthors(C, [], run)  # a profile known only by its co-author list
    profiles = list(Exporter(engine, batch_size=1).profiles())
    assert [profile.scholar_id for profile in profiles] == [A, B, C]
    ada, bo, cy = profiles
    assert isinstance(ada, ExportProfile)
    assert (ada.name, ada.interests, ada.cites_per_year) == (
        "Ada Author",
        ("Testing",),
        {"2020": 3, "2021": 0, "2022": 7},
    )
    assert ada.coauthors_full == tuple(full)
    assert ada.coauthors_full_at is not None and ada.coauthors_full_at.tzinfo is not None
    assert (bo.coauthors_full, bo.coauthors_full_at) == (None, None)
    assert (cy.name, cy.coauthors_full) == (None, ())
    assert [p.scholar_id for p in Exporter(engine).profiles(B)] == [B]
