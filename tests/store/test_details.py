"""Publication details and full co-author lists in the store (scholarcrawl/store/details.py),
on SQLite and the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from scholarcrawl.fingerprint import publication_fingerprint
from scholarcrawl.store.db import make_engine, upgrade
from scholarcrawl.store.details import (
    DetailTarget,
    author_line_truncated,
    takes_full_authors,
)
from scholarcrawl.store.models import (
    Authorship,
    CitationSnapshot,
    PdfQueueEntry,
    Publication,
    PublicationCluster,
    PublicationIdentifier,
    Scholar,
)
from scholarcrawl.store.repository import Repository

ADA = "AAAAAAAAAAAJ"
BOB = "BBBBBBBBBBBJ"


@pytest.fixture
def repo(database_url: str) -> Iterator[Repository]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield Repository(engine)
    engine.dispose()


def row(title: str, scholar_id: str = ADA, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "scholar_id": scholar_id,
        "title": title,
        "authors": "A Author, B Other, C Third, ...",
        "venue": "Journal of Tests 1 (2), 3-4",
        "year": 2020,
        "citations": 10,
        "merged": False,
        "cluster_ids": [],
        "scholar_pub_key": f"{scholar_id}:{title[:12]}",
        "position": 1,
        "identifiers": [],
        "identifier_status": "no_match",
        "identifier_error": None,
    }
    values.update(overrides)
    values["fingerprint"] = publication_fingerprint(
        values["title"], values["year"], values["authors"]
    )
    return values


FULL = "Ada Author, Bob Other, Carl Third, Dora Fourth, Emil Fifth"


def detail(stored: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "scholar_id": stored["scholar_id"],
        "scholar_pub_key": stored["scholar_pub_key"],
        "title": stored["title"],
        "authors": FULL,
        "author_list": FULL.split(", "),
        "venue": "Journal of Tests",
        "year": 2020,
        "publication_date": "2020/3/14",
        "journal": "Journal of Tests",
        "conference": "Conference on Tests",
        "book": "The Book of Tests",
        "volume": "12",
        "issue": "3",
        "pages": "45-67",
        "publisher": "Test Press",
        "description": "We test everything twice.",
        "citations": 42,
        "cluster_ids": [],
        "cites_per_year": {"2021": 40, "2022": 2},
        "link_url": "https://publisher.example/article/1",
        "fulltext_url": "https://publisher.example/article/1.pdf",
        "fulltext_kind": "pdf",
        "extra": {"Institution": "Test University"},
        "publication_id": None,
        "fingerprint": stored["fingerprint"],
        "identifiers": [],
        "identifier_status": None,
        "identifier_error": None,
        "queue_pdf": False,
        "item_type": "publication_detail",
    }
    values.update(overrides)
    return values


def doi(value: str, role: str = "self", confidence: float = 0.95) -> dict[str, Any]:
    return {
        "kind": "doi",
        "value": value,
        "role": role,
        "source": "crossref",
        "confidence": confidence,
        "evidence": {"total": confidence},
    }


def stored(repo: Repository, fingerprint: str) -> Publication:
    with repo.session() as session:
        publication = session.scalars(
            select(Publication).where(Publication.fingerprint == fingerprint)
        ).one()
        session.expunge(publication)
        return publication


def test_a_detail_page_fills_every_column_and_the_full_author_list(repo: Repository) -> None:
    run = repo.start_run("scholar", {})
    paper = row("Deep tests", cluster_ids=["111"])
    first = repo.upsert_publication(paper, run)
    before = stored(repo, paper["fingerprint"])

    change = repo.merge_details(detail(paper, cluster_ids=["111", "222"]), run)

    assert change.outcome == "merged" and change.publication_id == first.publication_id
    assert change.publication.updated and change.authors_replaced
    assert change.clusters_added == 1
    after = stored(repo, paper["fingerprint"])
    assert after.details_status == "fetched" and after.details_fetched_at is not None
    assert {
        column: getattr(after, column)
        for column in (
            "publication_date",
            "journal",
            "conference",
            "book",
            "volume",
            "issue",
            "pages",
            "publisher",
            "description",
            "detail_citations",
            "detail_fields",
            "link_url",
            "fulltext_url",
            "fulltext_kind",
            "authors",
        )
    } == {
        "publication_date": "2020/3/14",
        "journal": "Journal of Tests",
        "conference": "Conference on Tests",
        "book": "The Book of Tests",
        "volume": "12",
        "issue": "3",
        "pages": "45-67",
        "publisher": "Test Press",
        "description": "We test everything twice.",
        "detail_citations": 42,
        "detail_fields": {"Institution": "Test University"},
        "link_url": "https://publisher.example/article/1",
        "fulltext_url": "https://publisher.example/article/1.pdf",
        "fulltext_kind": "pdf",
        "authors": FULL,
    }
    # identity and the profile's own view are left alone
    assert (after.fingerprint, after.title, after.year, after.venue) == (
        before.fingerprint,
        before.title,
        before.year,
        before.venue,
    )
    assert after.cluster_ids == ["111", "222"]
    with repo.session() as session:
        authorship = session.scalars(select(Authorship)).one()
        assert (authorship.citations, authorship.position) == (10, 1)
        assert session.scalar(select(func.count()).select_from(CitationSnapshot)) == 1

    # the same page again changes nothing but when it was fetched
    again = repo.merge_details(detail(paper, cluster_ids=["111", "222"]), run)
    assert again.outcome == "merged" and not again.publication.changed
    assert stored(repo, paper["fingerprint"]).updated_at == after.updated_at


@pytest.mark.parametrize(
    ("line", "full", "replaced"),
    [
        ("A Author, B Other, C Third, ...", FULL, True),
        ("A Author, B Other, C Third…", FULL, True),
        (None, FULL, True),
        ("", FULL, True),
        ("A Author, B Other", FULL, True),  # the full list names more people
        ("A Author, B Other, C Third, D Fourth, E Fifth", FULL, False),  # as many: kept
        ("A Author, B Other, C Third, D Fourth, E Fifth, F Sixth", FULL, False),
        ("A Author, B Other, ...", None, False),  # the page shows no authors
    ],
)
def test_the_full_author_list_replaces_a_cut_empty_or_shorter_line_only(
    repo: Repository, line: str | None, full: str | None, replaced: bool
) -> None:
    assert takes_full_authors(line, full) is replaced
    run = repo.start_run("scholar", {})
    paper = row("A paper on lines", authors=line)
    repo.upsert_publication(paper, run)
    change = repo.merge_details(detail(paper, authors=full), run)
    assert change.authors_replaced is replaced
    assert stored(repo, paper["fingerprint"]).authors == (full if replaced else line)


def test_author_line_truncated_reads_both_ellipses() -> None:
    assert author_line_truncated("A B, C D, ...")
    assert author_line_truncated("A B, C D…  ")
    assert not author_line_truncated("A B, C D")
    assert not author_line_truncated(None)


def test_a_cluster_id_another_publication_holds_stays_there(repo: Repository) -> None:
    run = repo.start_run("scholar", {})
    mine = row("Deep tests", cluster_ids=["111"])
    other = row("Shallow tests", cluster_ids=["999"], position=2)
    repo.upsert_publication(mine, run)
    other_id = repo.upsert_publication(other, run).publication_id

    change = repo.merge_details(detail(mine, cluster_ids=["999", "333"]), run)

    assert change.clusters_added == 1  # 333 only
    assert stored(repo, mine["fingerprint"]).cluster_ids == ["111", "333"]
    theirs = stored(repo, other["fingerprint"])
    assert (theirs.id, theirs.cluster_ids) == (other_id, ["999"])
    with repo.session() as session:
        holders = dict(
            session.execute(
                select(PublicationCluster.cluster_id, PublicationCluster.publication_id)
            ).all()
        )
    assert holders["999"] == other_id
    assert repo.counts()["publications"] == 2  # nothing merged


def test_identifiers_follow_the_rows_rules_and_never_change_the_work(repo: Repository) -> None:
    run = repo.start_run("scholar", {})
    paper = row("Deep tests")
    other = row("Another work", position=2, identifiers=[doi("10.1/other")])
    repo.upsert_publication(paper, run)
    repo.upsert_publication(other, run)

    found = detail(
        paper,
        identifiers=[doi("10.1/deep"), doi("10.1/deep.preprint", role="version", confidence=0.9)],
        identifier_status="resolved",
        queue_pdf=True,
    )
    change = repo.merge_details(found, run)
    assert (change.identifiers_added, change.identifiers_refused) == (2, 0)
    assert change.pdf_queued
    publication = stored(repo, paper["fingerprint"])
    assert publication.identifier_status == "resolved"
    with repo.session() as session:
        queued = session.scalars(select(PdfQueueEntry)).one()
        assert (queued.publication_id, queued.doi, queued.status) == (
            publication.id,
            "10.1/deep",
            "pending",
        )

    # a weaker outcome never replaces "resolved"; a more confident finding updates one;
    # another own DOI would make it another work: refused
    later = detail(
        paper,
        identifiers=[doi("10.1/deep", confidence=1.0), doi("10.1/elsewhere")],
        identifier_status="no_match",
        identifier_error="nothing passed",
    )
    change = repo.merge_details(later, run)
    assert (change.identifiers_added, change.identifiers_refused) == (0, 1)
    publication = stored(repo, paper["fingerprint"])
    assert (publication.identifier_status, publication.identifier_error) == ("resolved", None)
    identifiers = {(i.kind, i.value): i for i in repo.identifiers_of(publication.id)}
    assert set(identifiers) == {("doi", "10.1/deep"), ("doi", "10.1/deep.preprint")}
    assert identifiers[("doi", "10.1/deep")].confidence == 1.0
    # the other paper is untouched
    theirs = stored(repo, other["fingerprint"])
    assert [i.value for i in repo.identifiers_of(theirs.id)] == ["10.1/other"]


def test_holding_its_own_doi_makes_an_unresolved_publication_resolved(repo: Repository) -> None:
    run = repo.start_run("scholar", {})
    paper = row("Deep tests", identifier_status="deferred")
    repo.upsert_publication(paper, run)
    repo.merge_details(detail(paper, identifiers=[doi("10.1/deep")], identifier_status=None), run)
    assert stored(repo, paper["fingerprint"]).identifier_status == "resolved"


def test_a_detail_page_without_a_stored_publication_is_missing(repo: Repository) -> None:
    run = repo.start_run("scholar", {})
    paper = row("Deep tests")
    other = row("Bob's paper", scholar_id=BOB)
    pub_id = repo.upsert_publication(paper, run).publication_id
    bobs = repo.upsert_publication(other, run).publication_id

    unknown = detail(paper, scholar_pub_key=f"{ADA}:unknownkey00")
    assert repo.merge_details(unknown, run).missing
    # the key moved (Scholar re-keyed the row): the publication asked for still holds an
    # authorship of this profile, so the page goes there
    moved = repo.merge_details({**unknown, "publication_id": pub_id}, run)
    assert moved.outcome == "merged" and moved.publication_id == pub_id
    # a publication this profile does not list is not a fallback
    assert repo.merge_details({**unknown, "publication_id": bobs}, run).missing
    # nor one that is gone
    with repo.session() as session:
        session.execute(delete(Publication).where(Publication.id == pub_id))
    assert repo.merge_details(detail(paper, publication_id=pub_id), run).missing
    assert repo.counts()["publications"] == 1


def test_an_unavailable_page_is_marked_and_never_undoes_a_fetched_one(repo: Repository) -> None:
    run = repo.start_run("scholar", {})
    gone = row("Gone paper")
    kept = row("Kept paper", position=2)
    repo.upsert_publication(gone, run)
    repo.upsert_publication(kept, run)

    marked = repo.mark_details_unavailable(ADA, gone["scholar_pub_key"], "http_404")
    assert marked.outcome == "marked" and marked.publication.updated
    publication = stored(repo, gone["fingerprint"])
    assert publication.details_status == "unavailable"
    assert publication.detail_fields == {"unavailable": "http_404"}
    assert publication.details_fetched_at is not None

    repo.merge_details(detail(kept), run)
    assert repo.mark_details_unavailable(ADA, kept["scholar_pub_key"], "http_404").outcome == (
        "unchanged"
    )
    assert stored(repo, kept["fingerprint"]).details_status == "fetched"
    assert repo.mark_details_unavailable(ADA, f"{ADA}:nothinghere0", "http_404").missing


@pytest.mark.parametrize("batch", [False, True], ids=["one_by_one", "batch"])
def test_a_profile_row_never_takes_back_the_full_author_list(repo: Repository, batch: bool) -> None:
    run = repo.start_run("scholar", {})
    paper = row("Deep tests")
    plain = row("Plain tests", position=2)
    repo.upsert_publications([paper, plain], run)
    repo.merge_details(detail(paper), run)

    again = repo.start_run("scholar", {})
    rows = [
        {**paper, "venue": "Journal of Tests 2 (1), 1-2", "citations": 11},
        {**plain, "authors": "A Author, B Other, C Third, D Fourth, ..."},
    ]
    if batch:
        changes = repo.upsert_publications(rows, again)
    else:
        changes = [repo.upsert_publication(values, again) for values in rows]
    assert [change.publication.updated for change in changes] == [True, True]
    fetched = stored(repo, paper["fingerprint"])
    assert (fetched.authors, fetched.venue) == (FULL, "Journal of Tests 2 (1), 1-2")
    # a publication without a detail page still takes the row's line
    assert stored(repo, plain["fingerprint"]).authors == "A Author, B Other, C Third, D Fourth, ..."


def _seed_pending(repo: Repository) -> dict[str, dict[str, Any]]:
    run = repo.start_run("scholar", {})
    rows = {
        "cut_unresolved": row("Cut and unresolved", position=3),
        "cut_resolved": row(
            "Cut but resolved",
            position=1,
            authors="A Author…",
            identifiers=[doi("10.1/cut")],
            identifier_status="resolved",
        ),
        "full_unresolved": row(
            "Full but unresolved", position=2, authors="A Author", identifier_status="deferred"
        ),
        "full_no_status": row(
            "Full without a status", position=7, authors="A Author", identifier_status=None
        ),
        "full_resolved": row(
            "Full and resolved",
            position=4,
            authors="A Author, B Other",
            identifiers=[doi("10.1/full")],
            identifier_status="resolved",
        ),
        "fetched": row("Already fetched", position=5),
        "unavailable": row("Unavailable", position=6),
        "no_key": row("Without a key", position=8, scholar_pub_key=None),
        "bobs": row("Bob's cut paper", scholar_id=BOB),
    }
    for values in rows.values():
        repo.upsert_publication(values, run)
    repo.merge_details(detail(rows["fetched"]), run)
    repo.mark_details_unavailable(ADA, rows["unavailable"]["scholar_pub_key"], "http_404")
    return rows


def test_pending_details_in_both_modes_in_the_profiles_order(repo: Repository) -> None:
    rows = _seed_pending(repo)
    missing = repo.details_pending(ADA, "missing")
    assert [target.title for target in missing] == [
        rows[name]["title"]
        for name in ("cut_resolved", "full_unresolved", "cut_unresolved", "full_no_status")
    ]
    everything = repo.details_pending(ADA, "all")
    assert [target.title for target in everything] == [
        rows[name]["title"]
        for name in (
            "cut_resolved",
            "full_unresolved",
            "cut_unresolved",
            "full_resolved",
            "full_no_status",
        )
    ]
    first = everything[0]
    assert first == DetailTarget(
        stored(repo, rows["cut_resolved"]["fingerprint"]).id,
        rows["cut_resolved"]["scholar_pub_key"],
        rows["cut_resolved"]["fingerprint"],
        rows["cut_resolved"]["title"],
        1,
    )
    assert [t.title for t in repo.details_pending(ADA, "all", limit=2)] == [
        rows["cut_resolved"]["title"],
        rows["full_unresolved"]["title"],
    ]
    assert repo.details_pending_count(ADA, "missing") == 4
    assert repo.details_pending_count(ADA, "all") == 5
    assert repo.details_pending_count("CCCCCCCCCCCJ", "all") == 0
    assert [t.title for t in repo.details_pending(BOB, "missing")] == [rows["bobs"]["title"]]


def test_pending_details_rows_without_a_position_come_last(repo: Repository) -> None:
    run = repo.start_run("scholar", {})
    repo.upsert_publication(row("No position", position=None), run)
    repo.upsert_publication(row("Second", position=2), run)
    assert [t.title for t in repo.details_pending(ADA, "all")] == ["Second", "No position"]


def test_an_unknown_pending_mode_is_refused(repo: Repository) -> None:
    with pytest.raises(ValueError, match="missing, all"):
        repo.details_pending(ADA, "some")


def test_full_coauthors_are_stored_on_the_profile_creating_a_bare_row(
    repo: Repository,
) -> None:
    run = repo.start_run("scholar", {})
    coauthors = [
        {
            "scholar_id": BOB,
            "name": "Bob Other",
            "affiliation": "Elsewhere",
            "email_domain": "elsewhere.org",
        },
        {"scholar_id": "CCCCCCCCCCCJ", "name": "Carl Third", "affiliation": None},
    ]
    assert repo.store_full_coauthors(ADA, coauthors, run).inserted
    with repo.session() as session:
        ada = session.get(Scholar, ADA)
        assert ada is not None
        assert ada.coauthors_full == coauthors and ada.coauthors_full_at is not None
        assert ada.coauthors == []  # what page one shows stays apart
        assert ada.last_run_id == run
    assert not repo.store_full_coauthors(ADA, coauthors, run).changed
    shorter = repo.store_full_coauthors(ADA, coauthors[:1], run)
    assert shorter.updated
    with repo.session() as session:
        ada = session.get(Scholar, ADA)
        assert ada is not None and ada.coauthors_full == coauthors[:1]


def test_a_merge_keeps_the_merged_papers_detail_page(repo: Repository) -> None:
    """Two rows of one paper stored apart (different years), one with its detail page; a DOI
    then shows they are one: the survivor keeps the page and its full author list."""
    run = repo.start_run("scholar", {})
    early = row("Deep tests", year=2019, position=1)
    late = row("Deep tests", year=2020, scholar_id=BOB)
    repo.upsert_publication(early, run)
    repo.upsert_publication(late, run)
    repo.merge_details(detail(late), run)
    # the survivor is the paper the DOI row finds first
    repo.upsert_publication({**early, "identifiers": [doi("10.1/deep")]}, run)
    change = repo.upsert_publication({**late, "identifiers": [doi("10.1/deep")]}, run)
    assert change.merged
    with repo.session() as session:
        (survivor,) = session.scalars(select(Publication)).all()
        assert survivor.fingerprint == early["fingerprint"]
        assert (survivor.details_status, survivor.journal, survivor.authors) == (
            "fetched",
            "Journal of Tests",
            FULL,
        )
        assert session.scalar(select(func.count()).select_from(PublicationIdentifier)) == 1
