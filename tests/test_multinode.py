"""Two scrapyd nodes sharing one PostgreSQL: every queued row is worked once, and a block on
one node stops the other's Scholar requests too.

Real components only: the suite's PostgreSQL (a fresh database per test), one replay server
(Scholar pages, mock Unpaywall) and two real scrapyd 1.6 on two loopback ports, standing for two
machines, each running the deployed egg. Jobs are scheduled as cron would, with
``scholarcrawl schedule --due`` and ``--pdfs`` against each node, all four at once.

The replay server's hooks are the witnesses. Each node sends one Scholar request at a time (one
egress, one lock) and, with ``PDF_CONCURRENCY=1``, resolves one PDF row at a time: two requests
held at the server together therefore come from two nodes, which is how the tests prove the
nodes worked at the same time, and how they time a block on one node against a request of the
other. Nothing here asserts on durations.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from scholarcrawl.replay import oa
from scholarcrawl.replay.faults import build_response
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.server import ReplayRequest, ReplayResponse, ReplayServer
from scholarcrawl.scrapyd import ScrapydError
from scholarcrawl.store.db import make_engine
from scholarcrawl.store.pdfqueue import PdfEntry, PdfQueue
from scholarcrawl.store.queue import ContinuationQueue, CooldownState, CooldownStore, QueueEntry
from scholarcrawl.store.repository import Repository
from scholarcrawl.store.runs import RunProfile, RunRecord, RunStore
from tests.support.crawl import FAST, REPO_ROOT
from tests.support.databases import migrated
from tests.support.postgres import PostgresServer
from tests.support.scrapyd import JobResult, ScrapydServer, ScrapydUnavailable, start_deployed

# real components (scrapyd, PostgreSQL), each failing with what to install when missing
pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PROFILES = 6  # due profiles, one page each
PER_JOB = 3  # -a limit=3 on each node: both nodes must work for every row to be done
DOIS = [f"10.5555/multinode-{n}" for n in range(6)]
EMAIL = "multinode@example.org"
HOLD_TIMEOUT = 20.0  # below DOWNLOAD_TIMEOUT (30 s): a stuck rendezvous fails, never hangs
COOLDOWN_SECONDS = 6.0

# What both nodes' scholar jobs get. No pacing (the nodes' order is what is tested), no
# identifiers and no PDF rows from crawled pages (the pdfs jobs work the seeded rows only).
SCHOLAR_SETTINGS = {
    **FAST,
    "AUTOTHROTTLE_ENABLED": "False",
    "IDENTIFIERS_ENABLED": "False",
    "PDF_QUEUE_ENABLED": "False",
    "SCHOLAR_COOLDOWN_MODE": "defer",
    "SCHOLAR_BLOCKED_COOLDOWN_SECONDS": str(COOLDOWN_SECONDS),
    "CONTINUATION_BASE_DELAY_SECONDS": "0.2",
    "CONTINUATION_MAX_DELAY_SECONDS": "0.8",
}


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(CorpusSpec(seed=8, sizes=(7, 12, 4, 9, 15, 6)))


@pytest.fixture(scope="module")
def nodes(scrapyd_server: ScrapydServer) -> Iterator[tuple[ScrapydServer, ScrapydServer]]:
    """The session's scrapyd and a second one, both with the project deployed."""
    try:
        second = start_deployed()
    except (ScrapydUnavailable, ScrapydError) as exc:
        pytest.fail(f"a second scrapyd is unavailable: {exc}", pytrace=False)
    yield scrapyd_server, second
    second.stop()


@pytest.fixture
def database(postgres_server: PostgresServer) -> str:
    """A fresh PostgreSQL database, migrated (as `scholarcrawl db upgrade` leaves it)."""
    return migrated(postgres_server.create_database())


# --- seeding ---------------------------------------------------------------------------------


def queue_profiles(url: str, scholar_ids: Sequence[str]) -> None:
    """Each profile queued at page 0 and due now, in this order (as a cooldown left them)."""
    engine = make_engine(url)
    try:
        queue = ContinuationQueue(engine)
        for scholar_id in scholar_ids:
            queue.defer(scholar_id, None, 0, "cooldown")
    finally:
        engine.dispose()


def queue_pdfs(url: str, dois: Sequence[str]) -> None:
    """One stored publication per DOI, its PDF row pending (as a crawl queues it)."""
    engine = make_engine(url)
    try:
        RunStore(engine).create("scholar", {}, status="running", run_id="seed-run")
        repository = Repository(engine)
        for n, doi in enumerate(dois):
            repository.upsert_publication(
                {
                    "scholar_id": "AAAAAAAAAAAJ",
                    "title": f"Sharing one database across nodes, part {n}",
                    "authors": "A Author",
                    "venue": "Journal",
                    "year": 2024,
                    "citations": 1,
                    "merged": False,
                    "cluster_ids": [],
                    "scholar_pub_key": f"k{n}",
                    "position": n,
                    "fingerprint": f"{n:032x}",
                    "identifiers": [
                        {
                            "kind": "doi",
                            "value": doi,
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
    finally:
        engine.dispose()


# --- the replay server's witnesses -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Arrival:
    """A Scholar page request as it reached the server, before it was answered."""

    seen: int  # the server's arrival sequence number
    wall: float
    scholar_id: str | None


class Rendezvous:
    """Holds the first two requests whose path starts with ``prefix`` until both are at the
    server at once (or ``HOLD_TIMEOUT`` passes: ``met`` stays False); the rest pass."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._barrier = threading.Barrier(2)
        self._lock = threading.Lock()
        self._entered = 0
        self.met = False

    def __call__(self, request: ReplayRequest) -> ReplayResponse | None:
        if not request.path.startswith(self.prefix):
            return None
        with self._lock:
            if self._entered == 2:
                return None
            self._entered += 1
        try:
            self._barrier.wait(HOLD_TIMEOUT)
            self.met = True
        except threading.BrokenBarrierError:
            pass
        return None


class BlockAgainstTheOtherNode:
    """Blocks ``blocked_id``'s page (the /sorry/ page with 429) while the other node has a page
    on the wire, and answers that page only once the cooldown is stored.

    Which node crawls ``blocked_id`` is known from the continuation queue (its row's claim
    owner). A page of the other node is held until the block is stored, so the other node's
    next request is decided after the cooldown exists: it must not be sent. Every Scholar
    arrival is logged, with how many had arrived when the block went out.
    """

    def __init__(self, database_url: str, blocked_id: str) -> None:
        self.database_url = database_url
        self.blocked_id = blocked_id
        self.arrivals: list[Arrival] = []
        self.arrived_before_block: int | None = None  # len(arrivals) when the block was sent
        self.partner_held = False  # a page of the other node was at the server then
        self.stored: CooldownState | None = None
        self._other_pages = 0  # pages of the other node being held now
        self._state = threading.Condition()
        self._engine = make_engine(database_url)

    def close(self) -> None:
        self._engine.dispose()

    def _owner(self, scholar_id: str | None) -> str | None:
        entry = ContinuationQueue(self._engine).get(scholar_id) if scholar_id else None
        return entry.claim_owner if entry is not None else None

    def _stored_cooldown(self) -> CooldownState | None:
        return CooldownStore(self._engine).get("direct")

    def __call__(self, request: ReplayRequest) -> ReplayResponse | None:
        if request.path != "/citations":
            return None
        with self._state:
            self.arrivals.append(Arrival(request.seen, time.time(), request.scholar_id))
        if self.arrived_before_block is not None:
            return None  # after the block: the assertions say whether this should exist
        if request.scholar_id == self.blocked_id:
            return self._block(request)
        if self._owner(request.scholar_id) == self._owner(self.blocked_id):
            return None  # the blocked node's own page before the block
        self._hold_until_stored()
        return None

    def _block(self, request: ReplayRequest) -> ReplayResponse:
        with self._state:
            self.partner_held = self._state.wait_for(lambda: self._other_pages > 0, HOLD_TIMEOUT)
            self.arrived_before_block = len(self.arrivals)
            self._state.notify_all()
        return build_response("sorry429", request)

    def _hold_until_stored(self) -> None:
        deadline = time.monotonic() + HOLD_TIMEOUT
        with self._state:
            self._other_pages += 1
            self._state.notify_all()
            self._state.wait_for(lambda: self.arrived_before_block is not None, HOLD_TIMEOUT)
        while self.stored is None and time.monotonic() < deadline:
            self.stored = self._stored_cooldown()
            time.sleep(0.02)
        with self._state:
            self._other_pages -= 1


# --- scheduling and reading ------------------------------------------------------------------


def scheduled_at_once(orders: Sequence[tuple[ScrapydServer, str, Sequence[str]]]) -> list[str]:
    """``scholarcrawl schedule`` for every (node, database, arguments) at the same time, as
    each node's cron would; the run ids, in order."""

    def command(node: ScrapydServer, url: str, arguments: Sequence[str]) -> list[str]:
        return [
            sys.executable,
            "-m",
            "scholarcrawl.cli",
            "schedule",
            *arguments,
            "--scrapyd",
            node.url,
            "--database",
            url,
            "--json",
        ]

    processes = [
        subprocess.Popen(
            command(node, url, arguments),
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for node, url, arguments in orders
    ]
    run_ids = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        answer = json.loads(out)
        assert answer["scheduled"] is True, out
        run_ids.append(str(answer["run_id"]))
    return run_ids


def settings_arguments(settings: Mapping[str, str]) -> list[str]:
    return [argument for name, value in settings.items() for argument in ("-s", f"{name}={value}")]


def due_command(server: ReplayServer, url: str, *arguments: str) -> list[str]:
    job_settings = {
        **SCHOLAR_SETTINGS,
        "SCHOLAR_BASE_URL": server.base_url,
        "SCHOLARCRAWL_DATABASE_URL": url,
    }
    return ["--due", *arguments, *settings_arguments(job_settings)]


def pdfs_command(server: ReplayServer, url: str, *arguments: str) -> list[str]:
    job_settings = {
        **FAST,
        "SCHOLARCRAWL_DATABASE_URL": url,
        "UNPAYWALL_EMAIL": EMAIL,
        "UNPAYWALL_API_URL": server.unpaywall_api_url,
        "UNPAYWALL_MIN_INTERVAL_SECONDS": "0",
        "PDF_ARXIV_URL": server.base_url,
        "PDF_CONCURRENCY": "1",  # one row at a time per node (see the module doc)
        "PDF_BROWSER_ENABLED": "False",
    }
    return ["--pdfs", *arguments, *settings_arguments(job_settings)]


def finished(node: ScrapydServer, spider: str, run_id: str) -> JobResult:
    job = node.wait_for_job(spider, run_id, timeout=120)
    assert job.ok, job.explain()
    return job


@dataclass
class Outcome:
    runs: dict[str, RunRecord]
    profiles: dict[str, list[RunProfile]]  # by run id
    queue: dict[str, QueueEntry]
    pdfs: dict[str, PdfEntry]  # by DOI


def outcome(url: str, run_ids: Sequence[str]) -> Outcome:
    engine = make_engine(url)
    try:
        runs = RunStore(engine)
        return Outcome(
            runs={run_id: runs.get(run_id) for run_id in run_ids},
            profiles={run_id: runs.scholars_of(run_id) for run_id in run_ids},
            queue={entry.scholar_id: entry for entry in ContinuationQueue(engine).entries()},
            pdfs={str(entry.doi): entry for entry in PdfQueue(engine).entries()},
        )
    finally:
        engine.dispose()


def ran_on(run: RunRecord, node: ScrapydServer, job: JobResult) -> None:
    """The run records the scrapyd it was scheduled on and the process that ran it there."""
    assert run.status == "completed", run.error
    assert run.scrapyd_url == node.url
    assert run.node == f"{socket.gethostname()[:40]}:{job.pid}"


def overlap(first: RunRecord, second: RunRecord) -> bool:
    assert first.started_at and first.finished_at and second.started_at and second.finished_at
    return first.started_at < second.finished_at and second.started_at < first.finished_at


# --- the tests -------------------------------------------------------------------------------


def test_two_nodes_work_every_queued_row_exactly_once(
    nodes: tuple[ScrapydServer, ScrapydServer], corpus: Corpus, database: str
) -> None:
    node_a, node_b = nodes
    ids = list(corpus.ids)
    assert len(ids) == PROFILES
    queue_profiles(database, ids)
    queue_pdfs(database, DOIS)
    pages, unpaywall = Rendezvous("/citations"), Rendezvous("/v2/")
    records = [oa.OaRecord(doi, oa.PDF, title=f"Paper {doi}", year=2024) for doi in DOIS]
    with ReplayServer(
        corpus, apis=False, oa=oa.OaCatalogue(records), faults=[pages, unpaywall]
    ) as server:
        limit = f"limit={PER_JOB}"
        scholar_a, scholar_b, pdfs_a, pdfs_b = scheduled_at_once(
            [
                (node_a, database, due_command(server, database, "-a", limit)),
                (node_b, database, due_command(server, database, "-a", limit)),
                (node_a, database, pdfs_command(server, database, "-a", limit)),
                (node_b, database, pdfs_command(server, database, "-a", limit)),
            ]
        )
        jobs = {
            scholar_a: finished(node_a, "scholar", scholar_a),
            scholar_b: finished(node_b, "scholar", scholar_b),
            pdfs_a: finished(node_a, "pdfs", pdfs_a),
            pdfs_b: finished(node_b, "pdfs", pdfs_b),
        }
        requests = server.requests
    result = outcome(database, list(jobs))

    # each run is a job of its own node, and the two nodes worked at the same time
    for run_id, node in ((scholar_a, node_a), (scholar_b, node_b)):
        ran_on(result.runs[run_id], node, jobs[run_id])
    for run_id, node in ((pdfs_a, node_a), (pdfs_b, node_b)):
        ran_on(result.runs[run_id], node, jobs[run_id])
    assert len({result.runs[run_id].node for run_id in jobs}) == 4  # four processes
    assert pages.met and unpaywall.met  # two pages, then two Unpaywall lookups, at once
    assert overlap(result.runs[scholar_a], result.runs[scholar_b])
    assert overlap(result.runs[pdfs_a], result.runs[pdfs_b])

    # every due profile: requested once across both nodes, by one run, and done
    asked = Counter(r.scholar_id for r in requests if r.path.startswith("/citations"))
    assert asked == dict.fromkeys(ids, 1)
    crawled = {run_id: scholars(result, run_id) for run_id in (scholar_a, scholar_b)}
    assert [len(crawled[scholar_a]), len(crawled[scholar_b])] == [PER_JOB, PER_JOB]
    assert crawled[scholar_a] | crawled[scholar_b] == set(ids)
    assert {p.status for run_id in crawled for p in result.profiles[run_id]} == {"complete"}
    assert {e.scholar_id: (e.status, e.run_id in crawled) for e in result.queue.values()} == {
        scholar_id: ("done", True) for scholar_id in ids
    }
    for run_id in crawled:
        assert result.runs[run_id].counters["pages"] == PER_JOB

    # every PDF row: one Unpaywall lookup per DOI across both nodes, resolved once
    looked_up = Counter(
        r.path.split("?", 1)[0].removeprefix("/v2/") for r in requests if r.path.startswith("/v2/")
    )
    assert looked_up == dict.fromkeys(DOIS, 1)
    assert sorted(result.pdfs) == sorted(DOIS)
    for entry in result.pdfs.values():
        assert (entry.status, entry.attempts, entry.source) == ("done", 1, "unpaywall")
        assert entry.claim_owner is None and entry.run_id in (pdfs_a, pdfs_b)
    per_run = Counter(entry.run_id for entry in result.pdfs.values())
    assert per_run == {pdfs_a: PER_JOB, pdfs_b: PER_JOB}


def test_a_block_on_one_node_stops_the_other_nodes_scholar_requests(
    nodes: tuple[ScrapydServer, ScrapydServer], corpus: Corpus, database: str
) -> None:
    node_a, node_b = nodes
    ids = list(corpus.ids)
    queue_profiles(database, ids)
    # claimed in queue order: one node takes ids[:3], the other ids[3:]; the blocked page is
    # neither of its node's ends, so each node has pages before or after it
    blocked_id = ids[1]
    witness = BlockAgainstTheOtherNode(database, blocked_id)
    try:
        with ReplayServer(corpus, apis=False, oa=False, faults=[witness]) as server:
            limit = f"limit={PER_JOB}"
            run_a, run_b = scheduled_at_once(
                [
                    (node_a, database, due_command(server, database, "-a", limit)),
                    (node_b, database, due_command(server, database, "-a", limit)),
                ]
            )
            jobs = {
                run_a: finished(node_a, "scholar", run_a),
                run_b: finished(node_b, "scholar", run_b),
            }
            during = outcome(database, [run_a, run_b])
            stored = witness.stored
            assert stored is not None, "the blocked node never stored its cooldown"

            # once the cooldown is over, `schedule --due` on one node finishes the rest
            sleep_until(stored.until + timedelta(seconds=1))
            [run_c] = scheduled_at_once([(node_b, database, due_command(server, database))])
            finished(node_b, "scholar", run_c)
            requests = server.requests
    finally:
        witness.close()
    after = outcome(database, [run_a, run_b, run_c])

    # the block came while the other node had a page on the wire
    assert witness.partner_held and witness.arrived_before_block is not None
    [blocked_run] = [r for r in (run_a, run_b) if blocked_id in scholars(during, r)]
    [other_run] = [r for r in (run_a, run_b) if r != blocked_run]
    assert (stored.egress, stored.reason, stored.run_id) == (
        "direct",
        "blocked_captcha",
        blocked_run,
    )

    # every Scholar request of the two nodes reached the server before the cooldown was stored
    before_block = witness.arrivals[: witness.arrived_before_block]
    after_block = witness.arrivals[witness.arrived_before_block :]
    assert all(a.wall < stored.activated_at.timestamp() for a in before_block)

    # the other node was never blocked itself: it stopped on the cooldown the blocked node stored
    other = during.runs[other_run]
    assert other.stats.get("scholarcrawl/scholar/request_blocked/blocked_captcha") is None
    assert other.stats["scholarcrawl/scholar/page/deferred/cooldown"] == PER_JOB - 1
    outcomes = {p.scholar_id: (p.status, p.reason) for p in during.profiles[other_run]}
    assert sorted(outcomes.values()) == [("complete", None)] + [("deferred", "cooldown")] * 2
    blocked = {p.scholar_id: (p.status, p.reason) for p in during.profiles[blocked_run]}
    assert blocked[blocked_id] == ("blocked", "blocked_captcha")
    assert all(job.ok for job in jobs.values())

    # nothing lost: the pages not sent waited in the queue until the cooldown's end ...
    waiting = {s: e for s, e in during.queue.items() if e.status != "done"}
    assert set(waiting) == {
        s for s, (status, _) in {**outcomes, **blocked}.items() if status != "complete"
    }
    for scholar_id, entry in waiting.items():
        reason, attempts = ("blocked_captcha", 1) if scholar_id == blocked_id else ("cooldown", 0)
        assert (entry.status, entry.reason, entry.attempts) == ("queued", reason, attempts)
        assert entry.next_attempt_at >= stored.until
    # ... no Scholar request reached the server from the block to the cooldown's end, from
    # either node: the next ones are the third run's, for exactly those pages, once each
    assert Counter(a.scholar_id for a in after_block) == dict.fromkeys(waiting, 1)
    assert all(a.wall >= stored.until.timestamp() for a in after_block)
    assert {e.status for e in after.queue.values()} == {"done"}
    assert scholars(after, run_c) == set(waiting)
    asked = Counter(r.scholar_id for r in requests if r.path.startswith("/citations"))
    assert asked == {s: 2 if s == blocked_id else 1 for s in ids}


def scholars(result: Outcome, run_id: str) -> set[str]:
    return {p.scholar_id for p in result.profiles[run_id]}


def sleep_until(moment: datetime) -> None:
    """Sleep until ``moment`` (past the cooldown's end: the queued rows are due only then)."""
    time.sleep(max(0.0, moment.timestamp() - datetime.now(UTC).timestamp()))
