"""The storage layer on SQLite and on the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from scholarcrawl.fingerprint import publication_fingerprint
from scholarcrawl.store.db import (
    DatabaseError,
    current_revision,
    ensure_schema,
    head_revision,
    make_engine,
    upgrade,
)
from scholarcrawl.store.models import CitationSnapshot, Publication, PublicationCluster
from scholarcrawl.store.repository import Repository


@pytest.fixture
def repo(migrated_database_url: str) -> Iterator[Repository]:
    engine = make_engine(migrated_database_url)
    repository = Repository(engine)
    yield repository
    engine.dispose()


def pub(scholar_id: str, title: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "scholar_id": scholar_id,
        "title": title,
        "authors": "A Author, B Other",
        "venue": "Journal of Tests 1 (2), 3-4",
        "year": 2020,
        "citations": 10,
        "merged": False,
        "cluster_ids": [],
        "scholar_pub_key": f"{scholar_id}:{title[:12]}",
        "position": 1,
    }
    values.update(overrides)
    values["fingerprint"] = publication_fingerprint(
        values["title"], values["year"], values["authors"]
    )
    return values


PROFILE = {
    "scholar_id": "AAAAAAAAAAAJ",
    "name": "Ada Author",
    "affiliation": "Test University",
    "email_domain": "test.edu",
    "homepage": None,
    "interests": ["Testing"],
    "photo_url": None,
    "citations_all": 10,
    "citations_since": 5,
    "h_index_all": 1,
    "h_index_since": 1,
    "i10_all": 1,
    "i10_since": 0,
    "since_year": 2021,
    "cites_per_year": {"2020": 3, "2021": 0, "2022": 7},
    "coauthors": [],
}


def test_upgrade_twice_is_a_no_op(database_url: str) -> None:
    engine = make_engine(database_url)
    assert current_revision(engine) is None
    assert upgrade(engine) == (None, head_revision())
    assert upgrade(engine) == (head_revision(), head_revision())
    engine.dispose()


def test_a_crawl_refuses_an_unmigrated_database_when_auto_migrate_is_off(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    with pytest.raises(DatabaseError, match="scholarcrawl db upgrade"):
        ensure_schema(engine, auto_migrate=False)
    ensure_schema(engine, auto_migrate=True)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_unreachable_database_is_one_clear_error_without_password() -> None:
    engine = make_engine("postgresql+psycopg://user:s3cret@127.0.0.1:9/none")
    with pytest.raises(DatabaseError) as info:
        current_revision(engine)
    assert "cannot reach the database" in str(info.value)
    assert "s3cret" not in str(info.value)


def test_scholar_upsert_is_idempotent(repo: Repository) -> None:
    run = repo.start_run("scholar", {})
    assert repo.upsert_scholar(PROFILE, run).inserted
    assert not repo.upsert_scholar(PROFILE, run).changed
    changed = {**PROFILE, "citations_all": 11}
    assert repo.upsert_scholar(changed, run).updated
    [row] = repo.scholars()
    assert row.citations_all == 11
    assert row.cites_per_year == {"2020": 3, "2021": 0, "2022": 7}


def test_publication_upsert_is_idempotent_and_keeps_history(repo: Repository) -> None:
    run1 = repo.start_run("scholar", {})
    repo.upsert_scholar(PROFILE, run1)
    first = repo.upsert_publication(pub("AAAAAAAAAAAJ", "A paper"), run1)
    assert first.publication.inserted and first.authorship.inserted and first.snapshot_added

    run2 = repo.start_run("scholar", {})
    again = repo.upsert_publication(pub("AAAAAAAAAAAJ", "A paper"), run2)
    assert not again.publication.changed
    assert not again.authorship.changed
    assert not again.snapshot_added

    run3 = repo.start_run("scholar", {})
    more = repo.upsert_publication(pub("AAAAAAAAAAAJ", "A paper", citations=12), run3)
    assert more.authorship.updated and more.snapshot_added
    with repo.session() as session:
        history = session.scalars(
            select(CitationSnapshot.citations).order_by(CitationSnapshot.id)
        ).all()
    assert history == [10, 12]


def test_a_shared_paper_is_one_publication_with_two_authorships(repo: Repository) -> None:
    run = repo.start_run("scholar", {})
    a = repo.upsert_publication(pub("AAAAAAAAAAAJ", "Shared work"), run)
    b = repo.upsert_publication(
        pub("BBBBBBBBBBBJ", "Shared work", venue="J. Tests", citations=11), run
    )
    assert a.publication_id == b.publication_id
    assert b.authorship.inserted and not b.publication.inserted
    # the first profile's wording of the venue stays: no flip-flop between profiles
    assert not b.publication.updated
    counts = repo.counts()
    assert counts["publications"] == 1
    assert counts["authorships"] == 2
    assert counts["scholars"] == 2


def test_cluster_ids_link_rows_whose_fingerprints_differ(repo: Repository) -> None:
    run = repo.start_run("scholar", {})
    a = repo.upsert_publication(
        pub("AAAAAAAAAAAJ", "Merged thing", cluster_ids=["111", "222"], merged=True), run
    )
    b = repo.upsert_publication(
        pub("BBBBBBBBBBBJ", "Merged thing (extended)", year=2021, cluster_ids=["222"]), run
    )
    c = repo.upsert_publication(
        pub("CCCCCCCCCCCJ", "Merged thing", cluster_ids=["333", "111"]), run
    )
    assert a.publication_id == b.publication_id == c.publication_id
    with repo.session() as session:
        clusters = set(session.scalars(select(PublicationCluster.cluster_id)))
        publication = session.scalars(select(Publication)).one()
    assert clusters == {"111", "222", "333"}
    assert publication.cluster_ids == ["111", "222", "333"]


def test_same_title_in_another_year_is_another_publication(repo: Repository) -> None:
    run = repo.start_run("scholar", {})
    a = repo.upsert_publication(pub("AAAAAAAAAAAJ", "Annual report"), run)
    b = repo.upsert_publication(pub("AAAAAAAAAAAJ", "Annual report", year=2021), run)
    assert a.publication_id != b.publication_id


def test_profile_outcome_for_an_unknown_profile(repo: Repository) -> None:
    run = repo.start_run("scholar", {})
    change = repo.record_profile_outcome(
        "ZZZZZZZZZZZJ",
        status="unavailable",
        reason="profile_unavailable",
        pages_fetched=0,
        rows_seen=0,
        run_id=run,
    )
    assert change.inserted
    [row] = repo.scholars()
    assert (row.crawl_status, row.crawl_reason) == ("unavailable", "profile_unavailable")
