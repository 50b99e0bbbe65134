"""Exclusions: what excluding records, what it deletes, and the crawls' matcher, on SQLite and
on the real PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from scholarcrawl.fingerprint import publication_fingerprint
from scholarcrawl.store.exclusions import (
    PUBLICATION,
    SCHOLAR,
    ExclusionStore,
    PublicationMatcher,
    PublicationNotFound,
)
from scholarcrawl.store.models import Base, Exclusion, PdfQueueEntry, Publication
from scholarcrawl.store.pdfqueue import DONE, PdfOutcome, PdfQueue
from scholarcrawl.store.repository import Repository
from tests.store.test_identifiers_store import A, B, ident
from tests.store.test_identifiers_store import repo as repo  # the fixture
from tests.store.test_repository import pub

C = "CCCCCCCCCCCJ"


def referring() -> list[tuple[sa.Table, sa.Column[Any]]]:
    """Every (table, column) with a foreign key to publications, from the models."""
    return [
        (table, column)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if any(fk.column.table.name == "publications" for fk in column.foreign_keys)
    ]


def rows_of(engine: Engine, publication_id: int) -> dict[str, int]:
    """Rows referring to ``publication_id``, by table (tables without any left out)."""
    out: dict[str, int] = {}
    with engine.connect() as connection:
        for table, column in referring():
            count = connection.scalar(
                sa.select(sa.func.count()).select_from(table).where(column == publication_id)
            )
            if count:
                out[table.name] = out.get(table.name, 0) + int(count)
    return out


def orphans(engine: Engine) -> dict[str, int]:
    """Rows referring to a publication that does not exist, by table."""
    out: dict[str, int] = {}
    with engine.connect() as connection:
        for table, column in referring():
            count = connection.scalar(
                sa.select(sa.func.count())
                .select_from(table)
                .where(column.not_in(sa.select(Publication.id)))
            )
            if count:
                out[table.name] = int(count)
    return out


def merged_paper(repo: Repository) -> dict[str, Any]:
    """A paper two profiles list under different years, merged by a shared DOI, with clusters,
    an arXiv id, a version link, citation history and a PDF queue row; and an unrelated paper.
    """
    title = "Graph kernels revisited"
    first = pub(A, title, year=2019, cluster_ids=["111"], scholar_pub_key="A-gk")
    second = pub(B, title, year=2020, cluster_ids=["222"], scholar_pub_key="B-gk")
    one = repo.upsert_publication(first, "run-1")
    two = repo.upsert_publication(second, "run-1")
    assert one.publication_id != two.publication_id
    identifiers = [
        ident("doi", "10.1/gk"),
        ident("arxiv", "1901.00001", source="local"),
        ident("doi", "10.1/gk-journal", role="version"),  # another version: not its identity
    ]
    repo.upsert_publication({**first, "identifiers": identifiers, "queue_pdf": True}, "run-2")
    merged = repo.upsert_publication(
        {**second, "citations": 12, "identifiers": [ident("doi", "10.1/gk")]}, "run-2"
    )
    assert merged.merged == (two.publication_id,)
    other = repo.upsert_publication(
        pub(
            A,
            "An unrelated paper on sparse matrices",
            cluster_ids=["333"],
            scholar_pub_key="A-other",
            identifiers=[ident("doi", "10.1/other")],
            queue_pdf=True,
        ),
        "run-1",
    )
    return {
        "id": one.publication_id,
        "fingerprint": first["fingerprint"],
        "merged_fingerprint": second["fingerprint"],
        "other_id": other.publication_id,
        "other_fingerprint": publication_fingerprint(
            "An unrelated paper on sparse matrices", 2020, "A Author, B Other"
        ),
    }


def test_every_foreign_key_to_publications_cascades(engine: Engine) -> None:
    inspector = sa.inspect(engine)
    found = []
    for table in inspector.get_table_names():
        for fk in inspector.get_foreign_keys(table):
            if fk["referred_table"] == "publications":
                found.append(table)
                assert (fk.get("options") or {}).get("ondelete", "").upper() == "CASCADE", table
    assert sorted(found) == sorted(table.name for table, _ in referring())
    if engine.dialect.name == "sqlite":  # the cascades act only with the pragma on
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_the_database_cascades_a_deleted_publication_to_every_row(
    repo: Repository, engine: Engine
) -> None:
    paper = merged_paper(repo)
    before = rows_of(engine, paper["id"])
    assert set(before) == {
        "authorships",
        "citation_snapshots",
        "publication_clusters",
        "publication_identifiers",
        "publication_merges",
        "pdf_queue",
    }
    with engine.begin() as connection:  # not through the store: the database alone
        connection.execute(sa.delete(Publication).where(Publication.id == paper["id"]))
    assert rows_of(engine, paper["id"]) == {}
    assert orphans(engine) == {}


def test_excluding_a_publication_records_every_key_and_deletes_it_with_its_rows(
    repo: Repository, engine: Engine
) -> None:
    paper = merged_paper(repo)
    store = ExclusionStore(engine)
    expected_deleted = {**rows_of(engine, paper["id"]), "publications": 1}
    other_rows = rows_of(engine, paper["other_id"])

    record = store.add_publication(paper["id"], reason="retracted")

    assert (record.kind, record.value, record.reason) == (
        PUBLICATION,
        paper["fingerprint"],
        "retracted",
    )
    assert record.title == "Graph kernels revisited"
    assert record.cluster_ids == ("111", "222")
    assert sorted(record.pub_keys) == [(A, "A-gk"), (B, "B-gk")]
    assert record.own_identifiers == (("arxiv", "1901.00001"), ("doi", "10.1/gk"))
    assert record.merged_fingerprints == (paper["merged_fingerprint"],)
    assert record.existed is False
    assert dict(record.deleted) == expected_deleted
    assert expected_deleted["authorships"] == 2 and expected_deleted["pdf_queue"] == 1
    # gone from the store and the queues, nothing left behind, the other paper untouched
    assert rows_of(engine, paper["id"]) == {}
    assert orphans(engine) == {}
    with engine.connect() as connection:
        ids = set(connection.scalars(sa.select(Publication.id)))
        pdf_rows = set(connection.scalars(sa.select(PdfQueueEntry.publication_id)))
    assert ids == {paper["other_id"]} and pdf_rows == {paper["other_id"]}
    assert rows_of(engine, paper["other_id"]) == other_rows
    assert store.get(PUBLICATION, paper["fingerprint"]) == record.__class__(
        **{**_fields(record), "deleted": {}}
    )


def _fields(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}


def test_every_key_of_an_excluded_publication_is_matched_later(
    repo: Repository, engine: Engine
) -> None:
    paper = merged_paper(repo)
    store = ExclusionStore(engine)
    store.add_publication(paper["id"])
    store.add_scholar(C, "asked to be left out")
    matcher = store.publication_matcher()

    assert matcher.match(paper["fingerprint"]) == "fingerprint"
    assert matcher.match(paper["merged_fingerprint"]) == "fingerprint"
    assert matcher.match("f" * 32, ["999", "111"]) == "cluster_id"
    assert matcher.match("f" * 32, ["222"]) == "cluster_id"
    assert matcher.match("f" * 32, [], A, "A-gk") == "pub_key"
    assert matcher.match("f" * 32, [], B, "B-gk") == "pub_key"
    assert matcher.match("f" * 32, [], None, None, [("doi", "10.1/gk")]) == "doi"
    assert matcher.match("f" * 32, [], None, None, [("arxiv", "1901.00001")]) == "arxiv"
    found = matcher.find("f" * 32, ["222"])
    assert found is not None
    assert (found.fingerprint, found.title) == (paper["fingerprint"], "Graph kernels revisited")
    # what is not the excluded paper's own is no key of it
    assert matcher.match(paper["other_fingerprint"], ["333"], A, "A-other") is None
    assert matcher.match("f" * 32, [], A, "B-gk") is None  # B's key on another profile
    assert matcher.match("f" * 32, [], None, None, [("doi", "10.1/gk-journal")]) is None
    assert matcher.match("f" * 32, [], None, None, [("arxiv", "10.1/gk")]) is None
    assert matcher.match(None) is None
    assert matcher.scholars == {C} and matcher.excludes_scholar(C)
    assert not matcher.excludes_scholar(A) and not matcher.excludes_scholar(None)
    assert matcher.publication_count == 1
    assert PublicationMatcher().match(paper["fingerprint"], ["111"], A, "A-gk") is None


def test_a_publication_stored_again_is_excluded_again_with_its_new_keys(
    repo: Repository, engine: Engine
) -> None:
    paper = merged_paper(repo)
    store = ExclusionStore(engine)
    store.add_publication(paper["id"], reason="duplicate")
    # a crawl that had not seen the exclusion yet stores it again, under a new cluster id
    again = repo.upsert_publication(
        pub(A, "Graph kernels revisited", year=2019, cluster_ids=["444"], scholar_pub_key="A-gk"),
        "run-3",
    )
    record = store.add_publication(again.publication_id)
    assert record.existed is True
    assert record.reason == "duplicate"  # no new reason given: the old one stays
    assert record.cluster_ids == ("111", "222", "444")
    assert record.merged_fingerprints == (paper["merged_fingerprint"],)
    assert record.deleted["publications"] == 1
    assert [entry.id for entry in store.entries()] == [record.id]
    assert orphans(engine) == {}


def test_an_unknown_publication_is_a_clear_error_and_changes_nothing(engine: Engine) -> None:
    store = ExclusionStore(engine)
    with pytest.raises(PublicationNotFound, match="no publication 4242"):
        store.add_publication(4242, "typo")
    assert store.entries() == []


def test_scholars_are_excluded_once_and_read_back(engine: Engine) -> None:
    store = ExclusionStore(engine)
    first = store.add_scholar(A, "left the lab")
    assert (first.kind, first.value, first.reason, first.existed) == (
        SCHOLAR,
        A,
        "left the lab",
        False,
    )
    again = store.add_scholar(A, "asked to be removed")
    assert (again.id, again.reason, again.existed) == (first.id, "asked to be removed", True)
    kept = store.add_scholar(A)  # no reason: the stored one stays
    assert (kept.reason, kept.existed) == ("asked to be removed", True)
    store.add_scholar(B)
    assert store.excluded_scholars() == {A, B}
    assert store.excluded_scholars([B, C]) == {B}
    assert store.excluded_scholars([]) == set()
    many = [f"{n:011d}J" for n in range(1200)] + [A]  # more than one IN (...) list
    assert store.excluded_scholars(many) == {A}
    assert store.counts() == {SCHOLAR: 2}
    assert [entry.value for entry in store.entries(SCHOLAR)] == [A, B]
    assert store.entries(PUBLICATION) == []
    with pytest.raises(ValueError, match="unknown exclusion kind 'paper'"):
        store.entries("paper")


def test_exclusions_are_removed_by_value_merged_fingerprint_or_id(
    repo: Repository, engine: Engine
) -> None:
    paper = merged_paper(repo)
    store = ExclusionStore(engine)
    scholar = store.add_scholar(A)
    store.add_publication(paper["id"])
    removed = store.remove(SCHOLAR, A)
    assert removed is not None and removed.id == scholar.id
    assert store.remove(SCHOLAR, A) is None
    assert store.excluded_scholars() == set()
    # a fingerprint merged into the excluded paper names its exclusion too
    by_alias = store.remove(PUBLICATION, paper["merged_fingerprint"])
    assert by_alias is not None and by_alias.value == paper["fingerprint"]
    assert store.publication_matcher().match(paper["fingerprint"]) is None
    again = store.add_scholar(B)
    assert store.remove_id(again.id) == again.__class__(**{**_fields(again), "existed": False})
    assert store.remove_id(again.id) is None
    assert store.entries() == []


def test_a_claimed_pdf_row_whose_publication_is_excluded_settles_to_nothing(
    repo: Repository, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    paper = merged_paper(repo)
    queue = PdfQueue(engine)
    [task] = [t for t in queue.claim_due("pdfs-1", 60, limit=5) if t.publication_id == paper["id"]]
    ExclusionStore(engine).add_publication(paper["id"])
    caplog.set_level("INFO")
    outcome = PdfOutcome(DONE, pdf_url="https://h/x.pdf", source="landing")
    assert queue.settle(task.id, "pdfs-1", outcome) is None
    assert queue.release(task.id, "pdfs-1") is False
    assert queue.extend_leases("pdfs-1", 60) == 1  # the other paper's row, still held
    assert queue.release_all("pdfs-1") == 1
    assert queue.get(paper["id"]) is None
    assert "pdf.row_gone" in caplog.text and "pdf.claim_lost" not in caplog.text


def test_exclusions_of_an_unknown_kind_are_left_out_of_the_matcher(engine: Engine) -> None:
    store = ExclusionStore(engine)
    store.add_scholar(A)
    with engine.begin() as connection:  # a kind a later version might add
        connection.execute(
            sa.insert(Exclusion).values(
                kind="venue",
                value="Predatory Journal",
                cluster_ids=[],
                pub_keys=[],
                identifiers=[],
                created_at=sa.func.now(),
            )
        )
    matcher = store.publication_matcher()
    assert matcher.scholars == {A} and matcher.publication_count == 0
    assert matcher.match("Predatory Journal") is None
