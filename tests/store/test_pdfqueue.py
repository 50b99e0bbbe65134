"""The open-access PDF queue: queueing with the store, claims, leases, outcomes, retries,
merges and concurrent claimers, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from scholarcrawl.store.db import make_engine
from scholarcrawl.store.models import PdfQueueEntry, PublicationIdentifier
from scholarcrawl.store.pdfqueue import (
    BLOCKED,
    CLAIMED,
    DONE,
    HTTP_ERROR,
    NO_OA_LOCATION,
    NOT_FOUND,
    PENDING,
    PdfOutcome,
    PdfQueue,
    RetryPolicy,
)
from scholarcrawl.store.repository import Repository
from scholarcrawl.store.runs import RunStore
from tests.store.test_identifiers_store import A, B, ident, in_three_processes
from tests.store.test_identifiers_store import repo as repo  # the fixture
from tests.store.test_queue import Clock, at
from tests.store.test_repository import pub


def queued(values: dict[str, Any]) -> dict[str, Any]:
    return {**values, "queue_pdf": True}


def rows(engine: Engine) -> list[tuple[int, str | None, str | None, str]]:
    with engine.connect() as connection:
        return [
            (row.publication_id, row.doi, row.arxiv_id, row.status)
            for row in connection.execute(sa.select(PdfQueueEntry).order_by(PdfQueueEntry.id))
        ]


def test_a_stored_publication_with_a_doi_or_arxiv_id_is_queued_once(
    repo: Repository, engine: Engine
) -> None:
    with_doi = repo.upsert_publication(
        queued(pub(A, "Sparse tensors", identifiers=[ident("doi", "10.1/st")])), "run-1"
    )
    with_arxiv = repo.upsert_publication(
        queued(pub(A, "Dense tensors", identifiers=[ident("arxiv", "2101.00001", source="local")])),
        "run-1",
    )
    without = repo.upsert_publication(queued(pub(A, "No identifier at all")), "run-1")
    not_asked = repo.upsert_publication(
        pub(A, "Queue switched off", identifiers=[ident("doi", "10.1/off")]), "run-1"
    )
    assert with_doi.pdf_queued and with_arxiv.pdf_queued
    assert not without.pdf_queued and not not_asked.pdf_queued
    again = repo.upsert_publication(
        queued(pub(A, "Sparse tensors", identifiers=[ident("doi", "10.1/st")])), "run-2"
    )
    assert not again.pdf_queued
    assert rows(engine) == [
        (with_doi.publication_id, "10.1/st", None, PENDING),
        (with_arxiv.publication_id, None, "2101.00001", PENDING),
    ]


def test_a_journal_row_keeps_its_doi_and_its_preprint_as_arxiv_id(
    repo: Repository, engine: Engine
) -> None:
    stored = repo.upsert_publication(
        queued(
            pub(
                A,
                "Graph kernels",
                identifiers=[
                    ident("doi", "10.2/gk"),
                    ident("arxiv", "1901.00002", role="version", confidence=0.9),
                ],
            )
        ),
        "run-1",
    )
    assert rows(engine) == [(stored.publication_id, "10.2/gk", "1901.00002", PENDING)]


def test_claims_never_overlap_and_outcomes_need_the_claim(engine: Engine) -> None:
    clock = Clock()
    queue = PdfQueue(engine, clock=clock)
    ids = _queue_rows(engine, 5)
    first = queue.claim_due("one", 60, limit=3)
    second = queue.claim_due("two", 60, limit=10)
    assert [t.publication_id for t in first] == ids[:3]
    assert [t.publication_id for t in second] == ids[3:]
    assert queue.claim_due("three", 60, limit=10) == []
    # the wrong owner cannot settle; the holder can
    assert queue.settle(first[0].id, "two", PdfOutcome(NOT_FOUND, error="x")) is None
    done = queue.settle(
        first[0].id,
        "one",
        PdfOutcome(DONE, pdf_url="https://h/p.pdf", landing_url="https://h/l", source="landing"),
        run_id="run-9",
    )
    assert done is not None and done.status == DONE and done.attempts == 1
    assert done.pdf_url == "https://h/p.pdf" and done.source == "landing"
    assert done.claim_owner is None and done.resolved_at == at(0)
    assert queue.counts() == {CLAIMED: 4, DONE: 1}


def test_an_expired_lease_lets_another_process_take_the_row(engine: Engine) -> None:
    clock = Clock()
    queue = PdfQueue(engine, clock=clock)
    _queue_rows(engine, 1)
    (task,) = queue.claim_due("dead", 30, limit=1)
    clock.now = at(20)
    assert queue.extend_leases("dead", 30) == 1  # heartbeat: now until 50
    clock.now = at(49)
    assert queue.claim_due("alive", 30, limit=1) == []
    clock.now = at(51)
    (taken,) = queue.claim_due("alive", 30, limit=1)
    assert taken.id == task.id
    # the dead process's late outcome is refused: the row is resolved once
    assert queue.settle(task.id, "dead", PdfOutcome(NOT_FOUND)) is None
    assert queue.settle(task.id, "alive", PdfOutcome(NO_OA_LOCATION)) is not None


def test_retryable_outcomes_come_back_with_doubling_delays_until_attempts_are_spent(
    engine: Engine,
) -> None:
    clock = Clock()
    queue = PdfQueue(engine, RetryPolicy(interval_seconds=100, max_attempts=3), clock=clock)
    _queue_rows(engine, 1)
    expected_delays = [100, 200]
    for attempt, delay in enumerate(expected_delays, start=1):
        (task,) = queue.claim_due("w", 60, limit=1)
        entry = queue.settle(task.id, "w", PdfOutcome(HTTP_ERROR, error="landing: http_503"))
        assert entry is not None and entry.attempts == attempt
        assert entry.next_attempt_at == clock.now + timedelta(seconds=delay)
        clock.now += timedelta(seconds=delay - 1)
        assert queue.claim_due("w", 60, limit=1) == []
        clock.now += timedelta(seconds=1)
    (task,) = queue.claim_due("w", 60, limit=1)
    last = queue.settle(task.id, "w", PdfOutcome(BLOCKED, error="landing: http_403"))
    assert last is not None and last.attempts == 3 and last.next_attempt_at is None
    clock.now += timedelta(days=365)
    assert queue.claim_due("w", 60, limit=1) == []
    assert queue.entries(BLOCKED)[0].last_error == "landing: http_403"


def test_rows_a_run_gave_back_can_be_left_out_of_its_claims(engine: Engine) -> None:
    queue = PdfQueue(engine, clock=Clock())
    _queue_rows(engine, 3)
    first, second, _ = queue.claim_due("w", 60, limit=3)
    assert queue.release(first.id, "w") and queue.release(second.id, "w")
    assert queue.claim_due("w", 60, limit=3, exclude={first.id}) == [second]
    assert queue.claim_due("w", 60, limit=3, exclude={first.id}) == []
    assert [task.id for task in queue.claim_due("v", 60, limit=3)] == [first.id]


def test_with_auto_retry_off_a_failure_is_final(engine: Engine) -> None:
    clock = Clock()
    queue = PdfQueue(engine, RetryPolicy(enabled=False), clock=clock)
    _queue_rows(engine, 1)
    (task,) = queue.claim_due("w", 60, limit=1)
    entry = queue.settle(task.id, "w", PdfOutcome(HTTP_ERROR))
    assert entry is not None and entry.next_attempt_at is None
    clock.now = at(10**6)
    assert queue.claim_due("w", 60, limit=1) == []


def test_a_released_row_is_pending_again_without_an_attempt(engine: Engine) -> None:
    clock = Clock()
    queue = PdfQueue(engine, clock=clock)
    _queue_rows(engine, 2)
    one, two = queue.claim_due("w", 60, limit=2)
    assert queue.release(one.id, "w", error="unpaywall_cooldown", not_before=at(300))
    assert queue.release_all("w") == 1
    assert queue.claim_due("x", 60, limit=5) == [two]  # `one` waits for the cooldown
    assert queue.settle(two.id, "x", PdfOutcome(NO_OA_LOCATION)) is not None
    clock.now = at(300)
    (again,) = queue.claim_due("x", 60, limit=5)
    assert again.id == one.id and again.attempts == 0


def _resolved(queue: PdfQueue, engine: Engine, n: int, *, downloaded: int = 0) -> list[int]:
    """``n`` done rows, the first ``downloaded`` of them with their PDF stored; their ids."""
    _queue_rows(engine, n)
    tasks = queue.claim_due("resolver", 60, limit=n)
    for k, task in enumerate(tasks):
        outcome = PdfOutcome(
            DONE,
            pdf_url=f"https://h/{k}.pdf",
            landing_url=f"https://h/{k}",
            source="landing",
            download_status="stored" if k < downloaded else None,
            pdf_sha256=f"{k:064x}" if k < downloaded else None,
            pdf_size=100 if k < downloaded else None,
        )
        assert queue.settle(task.id, "resolver", outcome) is not None
    return [task.id for task in tasks]


def test_a_downloading_run_claims_resolved_rows_never_downloaded_and_they_stay_done(
    engine: Engine,
) -> None:
    clock = Clock()
    queue = PdfQueue(engine, clock=clock)
    ids = _resolved(queue, engine, 3, downloaded=1)
    extra = _queue_rows(engine, 1, first=3)  # still to resolve: it comes first
    assert queue.claim_due("plain", 60, limit=10) != []  # without download: only `extra`
    queue.release_all("plain")
    assert queue.due_count() == 1 and queue.due_count(download=True) == 3
    assert queue.undownloaded_count() == 2
    tasks = queue.claim_due("dl", 60, limit=10, download=True)
    assert [task.download_only for task in tasks] == [False, True, True]
    assert tasks[0].publication_id == extra[0]
    assert [(task.id, task.pdf_url, task.source) for task in tasks[1:]] == [
        (ids[1], "https://h/1.pdf", "landing"),
        (ids[2], "https://h/2.pdf", "landing"),
    ]
    assert queue.counts() == {CLAIMED: 1, DONE: 3}  # held for the download, still done
    assert queue.claim_due("other", 60, limit=10, download=True) == []
    stored = queue.settle(
        ids[1],
        "dl",
        PdfOutcome(
            DONE,
            pdf_url="https://h/1.pdf",
            source="landing",
            download_status="stored",
            pdf_sha256="ab" * 32,
            pdf_size=1234,
        ),
        run_id="run-7",
    )
    assert stored is not None and stored.status == DONE and stored.attempts == 1
    assert (stored.download_status, stored.pdf_sha256, stored.pdf_size) == (
        "stored",
        "ab" * 32,
        1234,
    )
    assert stored.claim_owner is None and stored.run_id == "run-7"
    assert stored.landing_url == "https://h/1"  # the resolution is untouched
    # a download outcome is all a download claim takes
    with pytest.raises(ValueError, match="only its download"):
        queue.settle(ids[2], "dl", PdfOutcome(NOT_FOUND))
    assert queue.release(ids[2], "dl", error="budget")
    (entry,) = [e for e in queue.entries(DONE) if e.id == ids[2]]
    assert (entry.status, entry.claim_owner, entry.download_status) == (DONE, None, None)
    assert entry.last_error is None
    assert [t.id for t in queue.claim_due("again", 60, limit=10, download=True)] == [ids[2]]
    assert queue.release_all("again") == 1
    assert queue.counts() == {CLAIMED: 1, DONE: 3}


def test_a_download_claim_of_a_killed_run_comes_back_when_its_lease_runs_out(
    engine: Engine,
) -> None:
    clock = Clock()
    queue = PdfQueue(engine, clock=clock)
    (row_id,) = _resolved(queue, engine, 1)
    (task,) = queue.claim_due("dead", 30, limit=1, download=True)
    clock.now = at(20)
    assert queue.extend_leases("dead", 30) == 1
    clock.now = at(49)
    assert queue.claim_due("alive", 30, limit=1, download=True) == []
    clock.now = at(51)
    (taken,) = queue.claim_due("alive", 30, limit=1, download=True)
    assert taken.id == task.id == row_id and taken.download_only
    late = PdfOutcome(DONE, pdf_url="https://h/0.pdf", source="landing", download_status="not-pdf")
    assert queue.settle(row_id, "dead", late) is None
    assert queue.settle(row_id, "alive", late) is not None
    assert queue.claim_due("alive", 30, limit=1, download=True) == []  # tried: not again


def test_new_identifiers_re_aim_an_unresolved_row_but_never_a_done_one(
    repo: Repository, engine: Engine
) -> None:
    queue = PdfQueue(engine)
    first = repo.upsert_publication(
        queued(pub(A, "Message passing", identifiers=[ident("arxiv", "2002.00003")])), "run-1"
    )
    (task,) = queue.claim_due("w", 60, limit=1)
    queue.settle(task.id, "w", PdfOutcome(NOT_FOUND, error="x"))
    repo.upsert_publication(
        queued(pub(A, "Message passing", identifiers=[ident("doi", "10.5/mp")])), "run-2"
    )
    entry = queue.get(first.publication_id)
    assert entry is not None
    assert (entry.doi, entry.arxiv_id, entry.status, entry.attempts) == (
        "10.5/mp",
        "2002.00003",
        PENDING,
        0,
    )
    (task,) = queue.claim_due("w", 60, limit=1)
    queue.settle(task.id, "w", PdfOutcome(DONE, pdf_url="https://h/x.pdf", source="unpaywall"))
    with engine.begin() as connection:  # a more confident DOI arrives later
        connection.execute(
            sa.update(PublicationIdentifier)
            .where(PublicationIdentifier.value == "10.5/mp")
            .values(confidence=0.5)
        )
    repo.upsert_publication(
        queued(pub(A, "Message passing", identifiers=[ident("doi", "10.5/other")])), "run-3"
    )
    entry = queue.get(first.publication_id)
    assert entry is not None and entry.status == DONE and entry.doi == "10.5/mp"


def test_a_merge_keeps_one_row_and_a_found_pdf_wins(repo: Repository, engine: Engine) -> None:
    queue = PdfQueue(engine)
    one = repo.upsert_publication(
        queued(pub(A, "Spectral methods", year=2019, identifiers=[ident("arxiv", "1903.1")])),
        "run-1",
    )
    two = repo.upsert_publication(
        queued(pub(B, "Spectral methods", year=2020, identifiers=[ident("doi", "10.9/sm")])),
        "run-1",
    )
    tasks = {t.publication_id: t for t in queue.claim_due("w", 60, limit=5)}
    queue.settle(
        tasks[two.publication_id].id,
        "w",
        PdfOutcome(DONE, pdf_url="https://h/sm.pdf", source="unpaywall"),
    )
    queue.settle(tasks[one.publication_id].id, "w", PdfOutcome(NOT_FOUND))
    merged = repo.upsert_publication(
        queued(
            pub(
                A,
                "Spectral methods",
                year=2019,
                identifiers=[ident("arxiv", "1903.1"), ident("doi", "10.9/sm")],
            )
        ),
        "run-2",
    )
    assert len(merged.merged) == 1
    assert {merged.publication_id, *merged.merged} == {one.publication_id, two.publication_id}
    # a found PDF is kept as it is (identifiers are re-aimed only on unresolved rows)
    assert rows(engine) == [(merged.publication_id, "10.9/sm", None, DONE)]
    entry = queue.get(merged.publication_id)
    assert entry is not None and entry.pdf_url == "https://h/sm.pdf"


def test_backfill_queues_publications_stored_without_the_queue(
    repo: Repository, engine: Engine
) -> None:
    for n in range(7):
        repo.upsert_publication(
            pub(A, f"Old paper number {n}", identifiers=[ident("doi", f"10.7/{n}")]), "run-1"
        )
    repo.upsert_publication(pub(A, "Old paper without ids"), "run-1")
    queue = PdfQueue(engine)
    assert queue.backfill(batch=3) == 7
    assert queue.backfill() == 0
    assert queue.counts() == {PENDING: 7}


def test_outcomes_outside_the_vocabulary_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown outcome"):
        PdfOutcome("maybe")
    with pytest.raises(ValueError, match="pdf_url and a source"):
        PdfOutcome(DONE, pdf_url="https://h/x.pdf", source="guess")
    with pytest.raises(ValueError, match="PDF_AUTO_RETRY_MAX_ATTEMPTS"):
        RetryPolicy(max_attempts=0)


def _claim_all(url: str, n: int, out: Any) -> None:
    """Claim rows two at a time until none is left, settling each; report the ids."""
    engine = make_engine(url)
    queue = PdfQueue(engine)
    owner = f"worker-{multiprocessing.current_process().pid}"
    mine: list[int] = []
    while tasks := queue.claim_due(owner, 60, limit=2):
        for task in tasks:
            if queue.settle(task.id, owner, PdfOutcome(NOT_FOUND)) is not None:
                mine.append(task.id)
    out.put(mine)
    engine.dispose()


def test_three_processes_claim_every_row_exactly_once(engine: Engine, database_url: str) -> None:
    _queue_rows(engine, 60)
    settled = in_three_processes(_claim_all, database_url, 0)
    assert sorted(settled) == sorted(set(settled))
    assert len(settled) == 60
    assert PdfQueue(engine).counts() == {NOT_FOUND: 60}


def _queue_rows(engine: Engine, n: int, first: int = 0) -> list[int]:
    """``n`` publications with a DOI each (numbered from ``first``), queued; their ids."""
    repository = Repository(engine)
    ids = []
    if first == 0:
        RunStore(engine).create("scholar", {}, status="running", run_id="run-q")
    for i in range(first, first + n):
        stored = repository.upsert_publication(
            queued(pub(A, f"Queued paper {i:03d}", identifiers=[ident("doi", f"10.4/{i}")])),
            "run-q",
        )
        ids.append(stored.publication_id)
    return ids
