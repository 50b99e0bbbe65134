"""Identity by DOI / arXiv / cluster / fingerprint, merges, version links, the API rate clock
and cache: on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import itertools
import multiprocessing
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, select

from scholarcrawl.store.apistate import ApiCache, ApiClock
from scholarcrawl.store.db import current_revision, head_revision, make_engine, upgrade
from scholarcrawl.store.models import (
    Authorship,
    Base,
    CitationSnapshot,
    Publication,
    PublicationCluster,
    PublicationIdentifier,
)
from scholarcrawl.store.repository import Repository
from scholarcrawl.store.runs import RunStore
from tests.store.test_queue import Clock, alembic_config, at
from tests.store.test_repository import pub

A, B = "AAAAAAAAAAAJ", "BBBBBBBBBBBJ"
NEW_TABLES = (
    "publication_identifiers",
    "publication_merges",
    "api_cache",
    "api_runtime_state",
    "api_inflight",
)


@pytest.fixture
def repo(engine: Engine) -> Repository:
    repository = Repository(engine)
    for run_id in ("run-1", "run-2", "run-3", "run-4", "r"):  # the runs the tests name
        RunStore(engine).create("scholar", {}, status="running", run_id=run_id)
    return repository


def ident(
    kind: str, value: str, role: str = "self", source: str = "crossref", confidence: float = 0.95
) -> dict[str, Any]:
    return {
        "kind": kind,
        "value": value,
        "role": role,
        "source": source,
        "confidence": confidence,
        "evidence": {"title": confidence},
    }


def publications(engine: Engine) -> list[tuple[int, str]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                select(Publication.id, Publication.title).order_by(Publication.id)
            )
        ]  # type: ignore[misc]


# --- identity -------------------------------------------------------------------------------


def test_a_shared_doi_makes_two_differently_worded_rows_one_publication(
    repo: Repository, engine: Engine
) -> None:
    first = repo.upsert_publication(
        pub(
            A,
            "Deep residual learning for image recognition",
            identifiers=[ident("doi", "10.1109/cvpr.2016.90")],
        ),
        "run-1",
    )
    # another profile words it differently and dates it a year later: another fingerprint
    second = repo.upsert_publication(
        pub(
            B,
            "Deep Residual Learning for Image Recognition (CVPR)",
            year=2016,
            identifiers=[ident("doi", "10.1109/cvpr.2016.90")],
        ),
        "run-1",
    )
    assert second.publication_id == first.publication_id
    assert second.publication.updated is False or second.publication.inserted is False
    assert len(publications(engine)) == 1
    assert {row.scholar_id for row in _authorships(engine)} == {A, B}


def test_publications_stored_apart_are_merged_when_a_row_links_them(
    repo: Repository, engine: Engine
) -> None:
    # run 1: APIs off, two profiles list the paper with different years (two fingerprints)
    one = repo.upsert_publication(
        pub(A, "Graph kernels revisited", year=2019, cluster_ids=["111"]), "run-1"
    )
    two = repo.upsert_publication(
        pub(B, "Graph kernels revisited", year=2020, cluster_ids=["222"]), "run-1"
    )
    assert one.publication_id != two.publication_id
    # run 2: both rows resolve to the same DOI
    repo.upsert_publication(
        pub(
            A,
            "Graph kernels revisited",
            year=2019,
            cluster_ids=["111"],
            identifiers=[ident("doi", "10.1/gk")],
        ),
        "run-2",
    )
    result = repo.upsert_publication(
        pub(
            B,
            "Graph kernels revisited",
            year=2020,
            cluster_ids=["222"],
            citations=12,
            identifiers=[ident("doi", "10.1/gk")],
        ),
        "run-2",
    )
    assert result.publication_id == one.publication_id
    assert result.merged == (two.publication_id,)
    assert [pid for pid, _ in publications(engine)] == [one.publication_id]
    # authorships, citation history and clusters followed the survivor
    assert {(a.scholar_id, a.publication_id) for a in _authorships(engine)} == {
        (A, one.publication_id),
        (B, one.publication_id),
    }
    with engine.connect() as connection:
        snapshots = connection.execute(
            select(
                CitationSnapshot.publication_id,
                CitationSnapshot.scholar_id,
                CitationSnapshot.citations,
            )
        ).all()
        clusters = connection.execute(
            select(PublicationCluster.cluster_id, PublicationCluster.publication_id)
        ).all()
    assert {row[0] for row in snapshots} == {one.publication_id}
    assert (one.publication_id, B, 12) in [tuple(r) for r in snapshots]
    assert sorted(tuple(r) for r in clusters) == [
        ("111", one.publication_id),
        ("222", one.publication_id),
    ]
    # the merge is recorded, with its reason and what the merged row was
    merge = repo.merges()[0]
    assert merge.survivor_id == one.publication_id
    assert merge.merged_publication_id == two.publication_id
    assert merge.reason in ("shared_doi", "row_links_doi")
    assert merge.evidence["value"] == "10.1/gk"
    assert merge.evidence["merged_year"] == 2020
    # a later row with the merged fingerprint finds the survivor, even without identifiers
    again = repo.upsert_publication(pub(B, "Graph kernels revisited", year=2020), "run-3")
    assert again.publication_id == one.publication_id
    assert len(publications(engine)) == 1


def test_two_different_dois_are_never_merged(repo: Repository, engine: Engine) -> None:
    # an erratum has its own DOI; Scholar may put it under the same cluster
    paper = repo.upsert_publication(
        pub(
            A, "Quantum walks on graphs", cluster_ids=["77"], identifiers=[ident("doi", "10.1/qw")]
        ),
        "run-1",
    )
    erratum = repo.upsert_publication(
        pub(
            B,
            "Erratum: Quantum walks on graphs",
            cluster_ids=["78"],
            identifiers=[ident("doi", "10.1/qw-err")],
        ),
        "run-1",
    )
    assert paper.publication_id != erratum.publication_id
    # a row carrying the erratum's DOI but the paper's cluster goes to the erratum; no merge
    linked = repo.upsert_publication(
        pub(
            B,
            "Erratum: Quantum walks on graphs",
            cluster_ids=["77", "78"],
            identifiers=[ident("doi", "10.1/qw-err")],
        ),
        "run-2",
    )
    assert linked.publication_id == erratum.publication_id
    assert linked.merged == ()
    assert len(publications(engine)) == 2
    assert repo.merges() == []


def test_a_preprint_and_its_journal_version_are_linked_not_merged(
    repo: Repository, engine: Engine
) -> None:
    preprint = repo.upsert_publication(
        pub(
            A,
            "Sparse attention transformers",
            year=2019,
            venue="arXiv preprint arXiv:1904.10509",
            identifiers=[ident("arxiv", "1904.10509", source="local", confidence=1.0)],
        ),
        "run-1",
    )
    journal = repo.upsert_publication(
        pub(
            B,
            "Sparse attention transformers",
            year=2021,
            venue="Journal of ML 3",
            identifiers=[
                ident("doi", "10.5/jml.3"),
                ident("arxiv", "1904.10509", role="version", source="arxiv"),
            ],
        ),
        "run-1",
    )
    assert preprint.publication_id != journal.publication_id
    assert repo.versions_of(preprint.publication_id) == [
        (journal.publication_id, "arxiv", "1904.10509")
    ]
    assert repo.merges() == []


def test_identifiers_are_stored_once_and_upgraded_by_a_more_confident_finding(
    repo: Repository, engine: Engine
) -> None:
    row = pub(
        A,
        "Robust estimation",
        identifiers=[ident("doi", "10.9/re", confidence=0.85)],
        identifier_status="resolved",
    )
    first = repo.upsert_publication(row, "run-1")
    assert first.identifiers_added == 1
    again = repo.upsert_publication(row, "run-2")
    assert again.identifiers_added == 0
    better = dict(row, identifiers=[ident("doi", "10.9/re", source="local", confidence=1.0)])
    repo.upsert_publication(better, "run-3")
    stored = repo.identifiers_of(first.publication_id)
    assert [(i.kind, i.value, i.source, i.confidence) for i in stored] == [
        ("doi", "10.9/re", "local", 1.0)
    ]
    # a weaker outcome never replaces "resolved"
    repo.upsert_publication(dict(row, identifiers=[], identifier_status="deferred"), "run-4")
    known = repo.find_known([], [], row["fingerprint"])
    assert known is not None and known.identifier_status == "resolved"
    assert repo.identifier_counts()["status/resolved"] == 1


def test_find_known_follows_the_store_rules(repo: Repository) -> None:
    stored = repo.upsert_publication(
        pub(
            A,
            "Signal processing on graphs",
            cluster_ids=["5"],
            identifiers=[ident("doi", "10.2/spg")],
        ),
        "r",
    )
    by_doi = repo.find_known([ident("doi", "10.2/spg")], [], "0" * 32)
    by_cluster = repo.find_known([], ["5"], "0" * 32)
    assert by_doi is not None and by_cluster is not None
    assert by_doi.publication_id == by_cluster.publication_id == stored.publication_id
    assert [i.value for i in by_doi.identifiers] == ["10.2/spg"]
    assert repo.find_known([], ["6"], "0" * 32) is None


def _authorships(engine: Engine) -> list[Authorship]:
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        return list(session.scalars(select(Authorship)))


# --- rate clock and cache ---------------------------------------------------------------------


def in_three_processes(target: Callable[[str, int, Any], None], url: str, n: int) -> list[Any]:
    """Run ``target(url, n, queue)`` in three processes at once; everything they put, joined."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=target, args=(url, n, queue)) for _ in range(3)]
    for worker in workers:
        worker.start()
    results = [value for _ in workers for value in queue.get(timeout=90)]
    for worker in workers:
        worker.join(timeout=60)
    return results


def _hold_permits(url: str, n: int, out: Any) -> None:
    """Take and give back ``n`` permits of a limit of 2, reporting how many were held at once."""
    engine = make_engine(url)
    rate = ApiClock(engine)
    holder = f"worker-{multiprocessing.current_process().pid}"
    seen = []
    for _ in range(n):
        while (slot := rate.acquire("crossref", 2, holder, 60.0)) is None:
            time.sleep(0.005)
        seen.append(rate.in_flight("crossref"))
        time.sleep(0.01)
        rate.release("crossref", slot, holder)
    out.put(seen)
    engine.dispose()


def test_send_permits_are_limited_and_given_back(engine: Engine) -> None:
    clock = Clock()
    rate = ApiClock(engine, clock)
    first = rate.acquire("arxiv", 1, "a", 30.0)
    assert first == 0
    assert rate.acquire("arxiv", 1, "b", 30.0) is None  # one in flight
    assert rate.acquire("crossref", 1, "b", 30.0) == 0  # services have their own permits
    assert rate.in_flight("arxiv") == 1
    rate.release("arxiv", 0, "b")  # not b's permit: nothing changes
    assert rate.acquire("arxiv", 1, "b", 30.0) is None
    rate.release("arxiv", 0, "a")
    assert rate.in_flight("arxiv") == 0
    assert rate.acquire("arxiv", 1, "b", 30.0) == 0
    # a raised limit adds permits, a lowered one stops handing out the ones above it
    assert rate.acquire("arxiv", 3, "c", 30.0) == 1
    assert rate.acquire("arxiv", 3, "d", 30.0) == 2
    assert rate.acquire("arxiv", 3, "e", 30.0) is None
    rate.release("arxiv", 2, "d")
    assert rate.acquire("arxiv", 2, "e", 30.0) is None
    with pytest.raises(ValueError, match="limit"):
        rate.acquire("arxiv", 0, "f", 30.0)


def test_a_permit_held_by_a_dead_process_comes_back_when_its_lease_runs_out(
    engine: Engine,
) -> None:
    clock = Clock()
    rate = ApiClock(engine, clock)
    assert rate.acquire("arxiv", 1, "killed", 30.0) == 0
    clock.now = at(29)
    assert rate.acquire("arxiv", 1, "alive", 30.0) is None
    clock.now = at(30)
    assert rate.in_flight("arxiv") == 0
    assert rate.acquire("arxiv", 1, "alive", 30.0) == 0
    rate.release("arxiv", 0, "killed")  # the late release of the lost lease frees nothing
    assert rate.in_flight("arxiv") == 1
    # a renewed lease runs from the renewal; the holder of a lost lease cannot renew it
    clock.now = at(50)
    assert rate.renew("arxiv", 0, "alive", 30.0)
    assert not rate.renew("arxiv", 0, "killed", 30.0)
    clock.now = at(75)
    assert rate.acquire("arxiv", 1, "late", 30.0) is None
    clock.now = at(80)
    assert rate.acquire("arxiv", 1, "late", 30.0) == 0


def test_a_permit_whose_holder_is_known_dead_is_taken_at_once(engine: Engine) -> None:
    rate = ApiClock(engine, Clock())
    assert rate.acquire("crossref", 2, "host:1:a", 600.0) == 0
    assert rate.acquire("crossref", 2, "host:2:b", 600.0) == 1
    asked: list[str] = []

    def dead(holder: str) -> bool:
        asked.append(holder)
        return holder == "host:2:b"

    assert rate.acquire("crossref", 2, "host:3:c", 600.0, dead) == 1
    assert asked == ["host:1:a", "host:2:b"]
    assert rate.acquire("crossref", 2, "host:4:d", 600.0, dead) is None  # the living keep theirs


def test_processes_sharing_the_permits_never_hold_more_than_the_limit(
    database_url: str, engine: Engine
) -> None:
    seen = in_three_processes(_hold_permits, database_url, 10)
    assert len(seen) == 30
    assert max(seen) <= 2
    assert ApiClock(engine).in_flight("crossref") == 0


def test_the_rate_clock_spaces_reservations_and_honours_cooldowns(engine: Engine) -> None:
    clock = Clock()
    rate = ApiClock(engine, clock)
    first = rate.reserve("arxiv", 3.0)
    second = rate.reserve("arxiv", 3.0)
    other = rate.reserve("crossref", 0.34)
    assert first.send_at == at(0) and first.wait_seconds == 0
    assert second.send_at == at(3) and second.wait_seconds == 3
    assert other.send_at == at(0)  # services have their own clocks
    rate.activate_cooldown("arxiv", at(60), "http_429")
    rate.activate_cooldown("arxiv", at(30), "http_429")  # an earlier end never shortens it
    assert rate.cooldown_remaining("arxiv") == 60
    during = rate.reserve("arxiv", 3.0)
    assert during.send_at == at(60) and during.cooldown_remaining_seconds == 60
    clock.now = at(100)
    assert rate.cooldown_remaining("arxiv") == 0
    assert rate.reserve("arxiv", 3.0).send_at == at(100)


def _reserve_many(url: str, n: int, out: Any) -> None:
    engine = make_engine(url)
    rate = ApiClock(engine)
    out.put([rate.reserve("crossref", 0.5).send_at.timestamp() for _ in range(n)])
    engine.dispose()


def test_processes_sharing_the_clock_never_get_send_times_closer_than_the_interval(
    database_url: str, engine: Engine
) -> None:
    times = sorted(in_three_processes(_reserve_many, database_url, 8))
    assert len(times) == 24
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.5 - 1e-6


def test_the_cache_keeps_answers_until_they_expire(engine: Engine) -> None:
    clock = Clock()
    cache = ApiCache(engine, clock)
    assert cache.get("crossref", "f" * 64) is None
    cache.put(
        "crossref",
        "f" * 64,
        "http://x/works?q=1",
        200,
        "application/json",
        b"{}",
        timedelta(days=183),
    )
    hit = cache.get("crossref", "f" * 64)
    assert hit is not None and hit.body == b"{}" and hit.status == 200
    cache.put(
        "crossref",
        "f" * 64,
        "http://x/works?q=1",
        404,
        "text/plain",
        b"Resource not found.",
        timedelta(days=1),
    )
    replaced = cache.get("crossref", "f" * 64)
    assert replaced is not None and replaced.status == 404
    clock.now = at(2 * 86400)
    assert cache.get("crossref", "f" * 64) is None
    assert cache.purge_expired() == 1


# --- migration ---------------------------------------------------------------------------------


def test_migration_0003_adds_the_tables_and_downgrades(database_url: str) -> None:
    engine = make_engine(database_url)
    config = alembic_config(engine)
    command.upgrade(config, "0002")
    command.upgrade(config, "0003")
    assert current_revision(engine) == "0003"
    inspector = sa.inspect(engine)
    assert set(NEW_TABLES) <= set(inspector.get_table_names())
    assert {"identifier_status", "identifier_error"} <= {
        c["name"] for c in inspector.get_columns("publications")
    }
    command.downgrade(config, "0002")
    inspector = sa.inspect(engine)
    assert not set(NEW_TABLES) & set(inspector.get_table_names())
    assert "identifier_status" not in {c["name"] for c in inspector.get_columns("publications")}
    engine.dispose()


def test_the_models_match_migration_0003(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    assert diffs == []
    with engine.connect() as connection:
        assert connection.execute(select(PublicationIdentifier)).all() == []


def _migrate(url: str, out: Any) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        out.put(current_revision(engine))
    except Exception as exc:  # reported to the test
        out.put(repr(exc))
    finally:
        engine.dispose()


def test_processes_starting_at_once_on_a_fresh_database_migrate_it_once(
    database_url: str,
) -> None:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_migrate, args=(database_url, queue)) for _ in range(3)]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert results == [head_revision()] * 3


def test_rows_of_other_tables_referring_to_a_merged_publication_follow_the_survivor(
    repo: Repository, engine: Engine
) -> None:
    # a work queue keyed by publication, as the PDF queue will be
    queue = sa.Table(
        "test_work_queue",
        Base.metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("publication_id", sa.ForeignKey("publications.id", ondelete="CASCADE")),
    )
    try:
        queue.create(engine)
        one = repo.upsert_publication(pub(A, "Tensor sketches", year=2019), "run-1")
        two = repo.upsert_publication(pub(B, "Tensor sketches", year=2020), "run-1")
        with engine.begin() as connection:
            connection.execute(queue.insert().values(publication_id=two.publication_id))
        repo.upsert_publication(
            pub(A, "Tensor sketches", year=2019, identifiers=[ident("doi", "10.3/ts")]), "run-2"
        )
        merged = repo.upsert_publication(
            pub(B, "Tensor sketches", year=2020, identifiers=[ident("doi", "10.3/ts")]), "run-2"
        )
        assert merged.merged == (two.publication_id,)
        with engine.connect() as connection:
            assert connection.execute(sa.select(queue.c.publication_id)).scalars().all() == [
                one.publication_id
            ]
    finally:
        queue.drop(engine)
        Base.metadata.remove(queue)


def test_a_refused_reservation_leaves_the_clock_where_it_was(engine: Engine) -> None:
    clock = Clock()
    rate = ApiClock(engine, clock)
    rate.reserve("arxiv", 3.0)
    rate.activate_cooldown("arxiv", at(120), "http_429")
    for _ in range(50):  # rows that give up must not push the clock ahead
        refused = rate.reserve("arxiv", 3.0, max_wait_seconds=60)
        assert not refused.granted and refused.wait_seconds == 120
    clock.now = at(121)
    granted = rate.reserve("arxiv", 3.0, max_wait_seconds=60)
    assert granted.granted and granted.send_at == at(121)


def test_a_row_with_another_doi_never_joins_the_paper_its_cluster_leads_to(
    repo: Repository, engine: Engine
) -> None:
    paper = repo.upsert_publication(
        pub(
            A,
            "Quantum walks on graphs",
            cluster_ids=["111"],
            identifiers=[ident("doi", "10.1/paper")],
        ),
        "run-1",
    )
    erratum = repo.upsert_publication(
        pub(
            B,
            "Quantum walks on graphs",
            cluster_ids=["111"],
            identifiers=[ident("doi", "10.1/erratum")],
        ),
        "run-1",
    )
    assert erratum.publication_id != paper.publication_id
    assert [i.value for i in repo.identifiers_of(paper.publication_id)] == ["10.1/paper"]
    assert [i.value for i in repo.identifiers_of(erratum.publication_id)] == ["10.1/erratum"]
    with engine.connect() as connection:
        rows = connection.execute(
            select(Publication.id, Publication.fingerprint, Publication.cluster_ids)
        ).all()
        clusters = connection.execute(
            select(PublicationCluster.cluster_id, PublicationCluster.publication_id)
        ).all()
    # same title, year and first author: the second work gets a key of its own
    assert len({fingerprint for _, fingerprint, _ in rows}) == 2
    assert [tuple(c) for c in clusters] == [("111", paper.publication_id)]
    assert {pid: ids for pid, _, ids in rows}[erratum.publication_id] == []
    # and it is found again by its DOI
    again = repo.upsert_publication(
        pub(
            B,
            "Quantum walks on graphs",
            cluster_ids=["111"],
            identifiers=[ident("doi", "10.1/erratum")],
        ),
        "run-2",
    )
    assert again.publication_id == erratum.publication_id


def test_a_preprint_and_its_journal_paper_are_never_merged_by_a_linking_row(
    repo: Repository, engine: Engine
) -> None:
    preprint = repo.upsert_publication(
        pub(
            A,
            "Sparse attention",
            year=2019,
            cluster_ids=["5"],
            identifiers=[ident("arxiv", "1904.10509"), ident("doi", "10.5/jml", role="version")],
        ),
        "run-1",
    )
    journal = repo.upsert_publication(
        pub(B, "Sparse attention", year=2020, identifiers=[ident("doi", "10.5/jml")]), "run-1"
    )
    assert journal.publication_id != preprint.publication_id
    # a row whose cluster leads to the preprint and whose fingerprint leads to the journal
    linking = repo.upsert_publication(
        pub(B, "Sparse attention", year=2020, cluster_ids=["5"]), "run-2"
    )
    assert linking.merged == ()
    assert repo.merges() == []
    assert len(publications(engine)) == 2
    roles = {(i.kind, i.value, i.role) for i in repo.identifiers_of(preprint.publication_id)}
    assert ("doi", "10.5/jml", "version") in roles
    assert {(i.value, i.role) for i in repo.identifiers_of(journal.publication_id)} == {
        ("10.5/jml", "self")
    }


def test_a_merge_keeps_the_self_role_and_the_resolved_status(
    repo: Repository, engine: Engine
) -> None:
    one = repo.upsert_publication(
        pub(A, "Tensor sketches", year=2019, cluster_ids=["7"], identifier_status="no_match"),
        "run-1",
    )
    two = repo.upsert_publication(
        pub(
            B,
            "Tensor sketches",
            year=2020,
            identifiers=[ident("doi", "10.3/ts")],
            identifier_status="resolved",
        ),
        "run-1",
    )
    # a deferred row: its cluster leads to one, its fingerprint (2020) to two
    result = repo.upsert_publication(
        pub(B, "Tensor sketches", year=2020, cluster_ids=["7"], identifier_status="deferred"),
        "run-2",
    )
    assert result.publication_id == one.publication_id
    assert result.merged == (two.publication_id,)
    known = repo.find_known([], ["7"], "0" * 32)
    assert known is not None and known.identifier_status == "resolved"
    assert [(i.value, i.role) for i in known.identifiers] == [("10.3/ts", "self")]
    assert repo.merges()[0].merged_at.tzinfo is not None
