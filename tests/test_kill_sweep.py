"""``kill -9`` at random moments, then reruns: the database ends as a clean run leaves it.

Three kinds of process are killed, each at twenty random moments over SQLite and PostgreSQL:
``scrapy crawl scholar`` (a paginated corpus, and one resolving arXiv and Crossref
identifiers), ``scrapy crawl pdfs -a download=1``, and scholar jobs scheduled on a real scrapyd.
A moment is drawn over the clean run's own course: a delay into start-up, a number of requests
answered by the replay server plus up to one request's share of time (mid-page, mid-resolution,
mid-transaction), or a delay after the last request (during close). After the kill the
project's own reruns finish the work (``resume=due`` once the dead run's leases run out, a
named rerun if it died before planning, ``pdfs`` until no row is due, rescheduled jobs, and
what ``runs reap --scrapyd`` does for a job that died queued), and every trial asserts: the dump
equals the clean run's, every queue row is finished, every publication has its authorship, the
PDF store holds the clean run's files and nothing else, and the run rows the kill left
``running`` or ``queued`` end ``failed``.

Moments come from ``KILL_SWEEP_SEED`` (random per session unless set); a failure names the
seed, the trial and its kill point, and ``KILL_SWEEP_SEED=<seed>`` replays the sweep. Crawls
run in processes forked from a :class:`~tests.support.zygote.Zygote` (real processes, killed
by a real SIGKILL, without a second of imports each); scrapyd's jobs are scrapyd's own. Trials
run in a few lanes at once, each with its own replay server, so that one trial's waits for
leases to run out overlap another's crawl.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.project import get_project_settings
from sqlalchemy.engine import make_url

from scholarcrawl import localscrapyd
from scholarcrawl.replay import oa
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.server import ReplayServer
from scholarcrawl.schedule import JobRequest, check_job, schedule_run, settle_queued
from scholarcrawl.store.db import ensure_schema, make_engine, schema_is_current
from scholarcrawl.store.pdfqueue import PdfQueue
from scholarcrawl.store.queue import ContinuationQueue
from scholarcrawl.store.runs import RunRecord, RunStore
from tests.spiders.test_pdfs_crawl import queue_publications
from tests.support.crawl import FAST, api_settings, run_scrapy
from tests.support.dbdump import dump
from tests.support.dbdump import orphans as store_orphans
from tests.support.postgres import PostgresServer
from tests.support.scrapyd import JobResult, ScrapydServer
from tests.support.zygote import Zygote

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("KILL_SWEEP_SEED") or random.SystemRandom().randrange(10**9))
EMAIL = "ops@example.org"
# Leases, heartbeats and staleness of about a second: a dead run's work comes back soon.
KILL_SETTINGS = {
    "SCHOLAR_PAGINATION": "all",
    "SCHOLARCRAWL_CONTACT_EMAIL": EMAIL,
    "CONTINUATION_LEASE_SECONDS": "1",
    "PDF_LEASE_SECONDS": "1",
    "RUNS_HEARTBEAT_SECONDS": "0.15",
    "RUNS_STALE_AFTER_SECONDS": "0.6",
}
CORPORA = {
    # two pages of two profiles: kills between and inside pages
    "pages": CorpusSpec(seed=33, sizes=(120, 9, 101, 4), shared_per_pair=2),
    # every publication resolved against arXiv and Crossref: kills amid API requests
    "apis": CorpusSpec(seed=31, sizes=(20, 9, 4), shared_per_pair=1),
}
# PDF rows of every outcome a run reaches without a browser, each three times over.
PDF_SCENARIOS = (
    oa.PDF,
    oa.OTHER_PDF,
    oa.LANDING_META,
    oa.LANDING_LINK,
    oa.LANDING_ANCHOR,
    oa.LANDING_NONE,
    oa.LANDING_404,
    oa.NOT_PDF,
    oa.CLOSED,
    oa.UNKNOWN,
)
PDF_RECORDS = [
    oa.OaRecord(f"10.5555/kill-{scenario.replace('_', '-')}-{n}", scenario, title=f"On {n}")
    for scenario in PDF_SCENARIOS
    for n in range(3)
]
PDF_ARXIV_IDS = ["2403.01234", "2403.05678"]
TRIALS = 5  # per test: four tests of each kind make twenty kills of it
LANES = 3  # trials of a test in flight at once
SCRAPYD_TRIALS = 10  # per backend
SCRAPYD_LANES = 3  # the session's scrapyd runs four jobs at once
# A job's start-up on scrapyd (its runner imports everything from the egg): kills land in it.
SCRAPYD_STARTUP_SECONDS = 2.0
# Draws of a kill point that found the process already ended, before the trial gives up.
MAX_DRAWS = 4
MIGRATING = threading.Lock()  # Alembic's context is global to the process: one at a time

Dump = dict[str, list[tuple[Any, ...]]]


@dataclass(frozen=True)
class Course:
    """How a clean run went: seconds to its first request, its requests, seconds from the
    first to the last, and from the last to its exit."""

    startup: float
    requests: int
    middle: float
    close: float


@dataclass(frozen=True)
class KillPoint:
    """Kill after the replay server has answered ``requests`` requests and ``delay`` more s."""

    requests: int
    delay: float

    @classmethod
    def draw(cls, rng: random.Random, course: Course) -> KillPoint:
        """Start-up, close, or between two requests (as likely as each other request)."""
        phase = rng.random()
        if phase < 0.15:
            return cls(0, round(rng.uniform(0, course.startup), 3))
        if phase < 0.3:
            return cls(course.requests, round(rng.uniform(0, course.close), 3))
        share = course.middle / max(1, course.requests - 1)
        return cls(rng.randrange(1, course.requests), round(rng.uniform(0, share), 3))


@dataclass
class Trial:
    """One kill; ``label`` and the seed say how to replay it."""

    label: str
    point: KillPoint

    def message(self, what: str) -> str:
        return f"{what} [KILL_SWEEP_SEED={SEED} {self.label} kill at {self.point}]"


def rng_for(*parts: object) -> random.Random:
    return random.Random("/".join(map(str, (SEED, *parts))))


def in_lanes(count: int, lanes: int, run: Callable[[int, Sequence[int]], None]) -> None:
    """Trials ``0 .. count-1`` in ``lanes`` threads: ``run(lane, trials)`` runs a lane's."""
    with ThreadPoolExecutor(lanes) as pool:
        futures = [
            pool.submit(run, lane, range(lane, count, lanes)) for lane in range(min(lanes, count))
        ]
        for future in futures:
            future.result()


# --- databases and what they hold -----------------------------------------------------------


def new_database(
    backend: str, work: Path, postgres: PostgresServer | None, template: str | None = None
) -> str:
    """A new database, empty or a copy of ``template`` (a SQLite file, a PostgreSQL name)."""
    if backend == "sqlite":
        path = work / "scholarcrawl.sqlite3"
        if template is not None:
            shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    assert postgres is not None
    return str(postgres.create_database(template=template))


def normalised_dump(url: str, base_url: str) -> Dump:
    """The dump with the replay server's address (in stored URLs) written as ``REPLAY``."""
    engine = make_engine(url)
    try:
        tables = dump(engine)
    finally:
        engine.dispose()
    return {
        table: [tuple(value.replace(base_url, "REPLAY") for value in row) for row in rows]
        for table, rows in tables.items()
    }


def differences(expected: Dump, actual: Dump) -> str:
    lines = []
    for table in sorted(set(expected) | set(actual)):
        if expected.get(table) != actual.get(table):
            want, got = set(expected.get(table, [])), set(actual.get(table, []))
            lines.append(f"{table}: only clean {sorted(want - got)[:3]}")
            lines.append(f"  only after the kill {sorted(got - want)[:3]}")
    return "\n".join(lines)


def store_files(store: Path) -> dict[str, bytes]:
    """Every file under a PDF store (partial files too), by path."""
    if not store.exists():
        return {}
    return {str(p.relative_to(store)): p.read_bytes() for p in store.rglob("*") if p.is_file()}


@dataclass
class State:
    """What is left to do in a database, and when the dead run's hold on it runs out."""

    pending: int  # queue rows queued or claimed; PDF rows due or claimed
    planned: bool  # the continuation queue has any row (a scholar run planned its profiles)
    running: list[RunRecord]
    free_at: datetime  # leases run out and running rows stale: a rerun takes everything over

    @property
    def done(self) -> bool:
        return self.planned and self.pending == 0 and not self.running


def state(url: str, spider: str) -> State:
    if not schema_is_current(url):  # killed before or while it migrated: nothing was written
        return State(1, False, [], datetime.now(UTC))
    engine = make_engine(url)
    try:
        runs = RunStore(engine).recent(status="running", limit=None)
        now = datetime.now(UTC)
        stale = float(KILL_SETTINGS["RUNS_STALE_AFTER_SECONDS"])
        free_at = [now] + [
            (run.heartbeat_at or run.started_at or now)
            + timedelta(seconds=max(stale, run.stale_after_seconds or 0))
            for run in runs
        ]
        if spider == "scholar":
            entries = ContinuationQueue(engine).entries()
            unfinished = [e for e in entries if e.status in ("queued", "claimed")]
            free_at += [e.lease_expires_at or e.next_attempt_at for e in unfinished]
            return State(len(unfinished), bool(entries), runs, max(free_at))
        queue = PdfQueue(engine)
        claims = [e.claim_until for e in queue.entries() if e.claim_until is not None]
        pending = queue.due_count(download=True) + len(claims)
        return State(pending, True, runs, max(free_at + claims))
    finally:
        engine.dispose()


def wait_until_free(url: str, spider: str) -> State:
    current = state(url, spider)
    time.sleep(max(0.0, (current.free_at - datetime.now(UTC)).total_seconds()) + 0.05)
    return state(url, spider)


def unended_runs(url: str) -> list[str]:
    """The run rows still ``running`` or ``queued``: after a kill, each must end ``failed``."""
    if not schema_is_current(url):  # killed before it migrated: it has no row
        return []
    engine = make_engine(url)
    try:
        return [run.id for run in RunStore(engine).recent(status=("running", "queued"), limit=None)]
    finally:
        engine.dispose()


def assert_finished(url: str, spider: str, killed: Sequence[str], trial: Trial) -> None:
    """Every queue row finished, every publication with its authorship, and the runs the kill
    left ``running`` or ``queued`` marked ``failed``, none left unended."""
    engine = make_engine(url)
    try:
        orphans = store_orphans(engine)["publications without authorship"]
        runs = {run.id: run for run in RunStore(engine).recent(limit=None)}
        if spider == "scholar":
            statuses = {entry.status for entry in ContinuationQueue(engine).entries()}
            assert statuses == {"done"}, trial.message(f"continuation rows {statuses}")
        else:
            queue = PdfQueue(engine)
            assert queue.due_count(download=True) == 0, trial.message("PDF rows still due")
            assert queue.undownloaded_count() == 0, trial.message("resolved PDFs not downloaded")
            assert not [e for e in queue.entries() if e.claim_owner], trial.message("PDF claims")
    finally:
        engine.dispose()
    assert orphans == 0, trial.message(f"{orphans} publications without an authorship")
    assert unended_runs(url) == [], trial.message("runs never ended")
    for run_id in killed:
        assert runs[run_id].status == "failed", trial.message(f"killed run {runs[run_id]}")


# --- crawls in processes forked from the zygote ---------------------------------------------


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    with Zygote() as server:
        yield server


@dataclass
class Sweep:
    """A kind of crawl: its replay server, command, settings and clean reference."""

    spider: str
    serve: Callable[[], ReplayServer]  # a replay server of the kind's corpus, not started
    arguments: list[str]
    settings: Callable[[ReplayServer], dict[str, str]]
    template: Callable[[str], None] | None  # fills a database as the run expects it
    reference: Dump | None = None
    copy_of: str | None = None  # the template database every run starts from, if any
    files: dict[str, bytes] | None = None
    course: Course | None = None

    def start(self, zygote: Zygote, server: ReplayServer, url: str, work: Path, name: str) -> int:
        settings = {**self.settings(server), "SCHOLARCRAWL_DATABASE_URL": url}
        if self.spider == "pdfs":
            settings["PDF_STORE"] = str(work / "store")
        return zygote.start(
            ["crawl", self.spider, *self.arguments], settings, log=work / f"{name}.log"
        )

    def clean(self, zygote: Zygote, url: str, work: Path) -> None:
        """The clean run: its dump, its PDF files, and its course."""
        with self.serve() as server:
            started = time.monotonic()
            pid = self.start(zygote, server, url, work, "clean")
            while not server.requests and zygote.poll(pid) is None:
                time.sleep(0.002)
            first = time.monotonic()
            assert zygote.wait(pid) == 0, (work / "clean.log").read_text()[-3000:]
            ended = time.monotonic()
            times = [record.monotonic for record in server.requests]
            self.course = Course(
                first - started, len(times), times[-1] - times[0], ended - max(times)
            )
            self.reference = normalised_dump(url, server.base_url)
        self.files = store_files(work / "store")
        assert self.reference["publications"], "the clean run stored nothing"

    def rerun(
        self,
        zygote: Zygote,
        server: ReplayServer,
        url: str,
        work: Path,
        n: int,
        trial: Trial,
        planned: bool,
    ) -> None:
        arguments = self.arguments
        if self.spider == "scholar" and planned:
            arguments = ["-a", "resume=due"]
        settings = {**self.settings(server), "SCHOLARCRAWL_DATABASE_URL": url}
        if self.spider == "pdfs":
            settings["PDF_STORE"] = str(work / "store")
        log = work / f"rerun-{n}.log"
        status, output = zygote.run(["crawl", self.spider, *arguments], settings, log=log)
        assert status == 0, trial.message(output[-3000:])

    def trial(
        self, zygote: Zygote, server: ReplayServer, url: str, work: Path, trial: Trial
    ) -> bool:
        """Kill a run at the trial's point, then rerun until nothing is left; False when the
        run ended before the point (nothing was killed)."""
        pid = self.start(zygote, server, url, work, "killed")
        deadline = time.monotonic() + 120
        while len(server.requests) < trial.point.requests and zygote.poll(pid) is None:
            assert time.monotonic() < deadline, trial.message("the run never reached its point")
            time.sleep(0.002)
        time.sleep(trial.point.delay)
        os.kill(pid, signal.SIGKILL)  # no close, no release, nothing flushed
        status = zygote.wait(pid)
        if status == 0:
            return False
        assert status == -signal.SIGKILL, trial.message(
            f"exit {status}\n{(work / 'killed.log').read_text(errors='replace')[-3000:]}"
        )
        killed = unended_runs(url)
        for n in range(1, 11):
            current = wait_until_free(url, self.spider)
            if current.done:
                break
            self.rerun(zygote, server, url, work, n, trial, current.planned)
        else:
            raise AssertionError(
                trial.message(f"unfinished after 10 reruns: {state(url, self.spider)}")
            )
        actual = normalised_dump(url, server.base_url)
        assert self.reference is not None
        assert actual == self.reference, trial.message(differences(self.reference, actual))
        assert_finished(url, self.spider, killed, trial)
        files = store_files(work / "store")
        assert files == self.files, trial.message(
            f"PDF store: {sorted(set(files) ^ set(self.files or {}))} differ"
        )
        return True


def queue_pdfs(url: str) -> None:
    """The publications of the PDF rows, stored by a (finished) scholar run."""
    rows = [("doi", record.doi) for record in PDF_RECORDS]
    queue_publications(url, rows + [("arxiv", arxiv_id) for arxiv_id in PDF_ARXIV_IDS])
    engine = make_engine(url)
    try:
        RunStore(engine).finish("seed-run", "completed")
    finally:
        engine.dispose()


def scholar_settings(kind: str) -> Callable[[ReplayServer], dict[str, str]]:
    def settings(server: ReplayServer) -> dict[str, str]:
        apis = api_settings(server.base_url) if kind == "apis" else {}
        return {**KILL_SETTINGS, "SCHOLAR_BASE_URL": server.base_url, **apis}

    return settings


def pdf_settings(server: ReplayServer) -> dict[str, str]:
    return {
        **KILL_SETTINGS,
        "UNPAYWALL_EMAIL": EMAIL,
        "UNPAYWALL_API_URL": server.unpaywall_api_url,
        "UNPAYWALL_MIN_INTERVAL_SECONDS": "0",
        "PDF_ARXIV_URL": server.base_url,
        "PDF_BROWSER_ENABLED": "False",
    }


def serve_scholar(kind: str) -> Callable[[], ReplayServer]:
    corpus = Corpus(CORPORA[kind])

    def serve() -> ReplayServer:
        server = ReplayServer(corpus)
        if kind == "apis":
            server.warm_apis()
        return server

    return serve


def serve_pdfs() -> ReplayServer:
    corpus = Corpus(CorpusSpec(seed=5, sizes=(1,)))
    return ReplayServer(corpus, apis=False, oa=oa.OaCatalogue(PDF_RECORDS))


def postgres_for(backend: str, request: pytest.FixtureRequest) -> PostgresServer | None:
    return request.getfixturevalue("postgres_server") if backend == "postgresql" else None


@pytest.fixture(scope="module")
def sweeps(
    zygote: Zygote, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Callable[[str, str], Sweep]:
    """The sweep of a kind on a backend, its clean run made once per module (and worker)."""
    made: dict[tuple[str, str], Sweep] = {}

    def get(kind: str, backend: str) -> Sweep:
        if (kind, backend) not in made:
            if kind == "pdfs":
                sweep = Sweep("pdfs", serve_pdfs, ["-a", "download=1"], pdf_settings, queue_pdfs)
            else:
                corpus = Corpus(CORPORA[kind])
                ids = ["-a", "ids=" + ",".join(corpus.ids)]
                sweep = Sweep("scholar", serve_scholar(kind), ids, scholar_settings(kind), None)
            work = tmp_path_factory.mktemp(f"clean-{kind}-{backend}")
            postgres = postgres_for(backend, request)
            if sweep.template is not None:  # made once, copied for the clean run and each trial
                (work / "template").mkdir()
                url = new_database(backend, work / "template", postgres)
                sweep.template(url)
                sweep.copy_of = make_url(url).database  # the SQLite file, the PostgreSQL name
            sweep.clean(zygote, new_database(backend, work, postgres, sweep.copy_of), work)
            made[kind, backend] = sweep
        return made[kind, backend]

    return get


def run_sweep(
    zygote: Zygote,
    sweep: Sweep,
    backend: str,
    label: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    postgres = postgres_for(backend, request)
    course = sweep.course
    assert course is not None

    def lane(number: int, trials: Sequence[int]) -> None:
        with sweep.serve() as server:
            for n in trials:
                rng = rng_for(label, n)
                for draw in range(MAX_DRAWS):
                    trial = Trial(f"{label}#{n}.{draw}", KillPoint.draw(rng, course))
                    work = tmp_path / f"trial-{n}-{draw}"
                    work.mkdir()
                    url = new_database(backend, work, postgres, sweep.copy_of)
                    server.reset_requests()
                    if sweep.trial(zygote, server, url, work, trial):
                        break
                else:
                    raise AssertionError(trial.message(f"ended before {MAX_DRAWS} points"))

    in_lanes(TRIALS, LANES, lane)


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["pages", "apis"])
def test_a_crawl_killed_at_random_moments_then_resumed_equals_a_clean_crawl(
    kind: str,
    backend: str,
    sweeps: Callable[[str, str], Sweep],
    zygote: Zygote,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """Five kills of ``scrapy crawl scholar`` per corpus and backend, twenty in all."""
    label = f"scholar-{kind}-{backend}"
    run_sweep(zygote, sweeps(kind, backend), backend, label, tmp_path, request)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("half", [0, 1])
def test_pdfs_killed_at_random_moments_then_rerun_equal_a_clean_run(
    half: int,
    backend: str,
    sweeps: Callable[[str, str], Sweep],
    zygote: Zygote,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """Five kills of ``scrapy crawl pdfs -a download=1`` per half and backend, twenty in all."""
    label = f"pdfs-{half}-{backend}"
    run_sweep(zygote, sweeps("pdfs", backend), backend, label, tmp_path, request)


# --- scholar jobs on a real scrapyd ------------------------------------------------------------


@dataclass
class ScrapydSweep:
    """Scholar jobs on scrapyd, scheduled as ``scholarcrawl schedule`` schedules them."""

    scrapyd: ScrapydServer
    project_settings: Any
    clean: Sweep
    backend: str
    postgres: PostgresServer | None
    migrated: str  # a migrated database to copy (as `migrated_database_url` copies it)
    tmp_path: Path

    def schedule(self, url: str, server: ReplayServer, arguments: dict[str, str]) -> str:
        """A queued run, then its job (``schedule_run``, as the CLI does); the run id."""
        settings = {**FAST, **self.clean.settings(server), "SCHOLARCRAWL_DATABASE_URL": url}
        job = JobRequest("scholar", arguments, settings)
        engine = make_engine(url)
        try:
            with MIGRATING:  # as the CLI does (the trial's database is a migrated copy)
                ensure_schema(engine, auto_migrate=True)
            validated = check_job(job, self.project_settings)
            scheduled = schedule_run(
                engine, self.scrapyd.client, self.scrapyd.project, job, validated
            )
        finally:
            engine.dispose()
        return scheduled.run_id

    def pid(self, run_id: str, trial: Trial) -> int | None:
        """The job's process once scrapyd runs it (from listjobs.json); None if it ended."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            jobs = self.scrapyd.client.list_jobs(self.scrapyd.project)
            for job in jobs["running"]:
                if job["id"] == run_id and job.get("pid"):
                    return int(job["pid"])
            if any(job["id"] == run_id for job in jobs["finished"]):
                return None
            time.sleep(0.02)
        raise AssertionError(trial.message(f"job {run_id} never ran"))

    def wait(self, run_id: str) -> JobResult:
        """How the job ended, once scrapyd says it finished (exit code None: killed)."""
        return self.scrapyd.wait_for_job("scholar", run_id, interval=0.05)

    def kill(self, server: ReplayServer, url: str, trial: Trial, ids: dict[str, str]) -> bool:
        run_id = self.schedule(url, server, ids)
        pid = self.pid(run_id, trial)
        if pid is None:
            return False
        while len(server.requests) < trial.point.requests and localscrapyd.pid_alive(pid):
            time.sleep(0.002)
        time.sleep(trial.point.delay)
        if self.scrapyd.client.job_status(self.scrapyd.project, run_id) == "running":
            os.kill(pid, signal.SIGKILL)  # the job's own process, as listjobs.json names it
        return self.wait(run_id).exit_code is None

    def lane(self, number: int, trials: Sequence[int]) -> None:
        course = self.clean.course
        assert course is not None and self.clean.reference is not None
        with self.clean.serve() as server:
            ids = {"ids": ",".join(server.corpus.ids)}
            for n in trials:
                rng = rng_for("scrapyd", self.backend, n)
                for draw in range(MAX_DRAWS):
                    point = KillPoint.draw(rng, course)
                    if point.requests == 0:  # the runner's start-up is longer than a fork's
                        point = KillPoint(0, round(rng.uniform(0, SCRAPYD_STARTUP_SECONDS), 3))
                    trial = Trial(f"scrapyd-{self.backend}#{n}.{draw}", point)
                    work = self.tmp_path / f"trial-{n}-{draw}"
                    work.mkdir()
                    url = new_database(self.backend, work, self.postgres, self.migrated)
                    server.reset_requests()
                    if self.kill(server, url, trial, ids):
                        break
                else:
                    raise AssertionError(trial.message(f"ended before {MAX_DRAWS} points"))
                killed = unended_runs(url)
                for _ in range(10):  # reschedule until nothing is left
                    current = wait_until_free(url, "scholar")
                    if current.done:
                        break
                    again = {"resume": "due"} if current.planned else ids
                    rerun = self.schedule(url, server, again)
                    job = self.wait(rerun)
                    assert job.exit_code == 0, trial.message(job.explain())
                engine = make_engine(url)
                try:  # `scholarcrawl runs reap --scrapyd`: a job that died with its run queued
                    settle_queued(
                        engine, self.scrapyd.client, self.scrapyd.project, min_age_seconds=0
                    )
                finally:
                    engine.dispose()
                actual = normalised_dump(url, server.base_url)
                reference = self.clean.reference
                assert actual == reference, trial.message(differences(reference, actual))
                assert_finished(url, "scholar", killed, trial)


@pytest.mark.parametrize("backend", BACKENDS)
def test_scrapyd_jobs_killed_at_random_moments_then_rescheduled_equal_a_clean_crawl(
    backend: str,
    sweeps: Callable[[str, str], Sweep],
    scrapyd_server: ScrapydServer,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ten kills of scholar jobs on scrapyd per backend: each pre-created run the kill left
    ``queued`` or ``running`` ends ``failed``, and rescheduled jobs finish the work."""
    monkeypatch.setenv("SCRAPY_SETTINGS_MODULE", "scholarcrawl.settings")
    postgres = postgres_for(backend, request)
    sweep = ScrapydSweep(
        scrapyd_server,
        get_project_settings(),
        sweeps("pages", backend),
        backend,
        postgres,
        str(request.getfixturevalue("postgres_template" if postgres else "sqlite_template")),
        tmp_path,
    )
    in_lanes(SCRAPYD_TRIALS, SCRAPYD_LANES, sweep.lane)


def test_a_crawl_forked_by_the_zygote_runs_as_python_m_scrapy_runs_it(
    zygote: Zygote, tmp_path: Path
) -> None:
    """The sweeps' crawls are the real thing: a forked child reads its own arguments,
    settings and environment, installs the reactor itself, logs to its own file, and exits
    as ``python -m scrapy`` does, for a good run and a refused one."""
    ids = "-a", "ids=" + ",".join(Corpus(CORPORA["apis"]).ids)
    cases = {
        "dry": ["crawl", "scholar", *ids, "-a", "dry_run=1"],
        "refused": ["crawl", "scholar", "-a", "ids=not-an-id"],
    }
    settings = {"SCHOLAR_BASE_URL": "http://127.0.0.1:9", "LOG_LEVEL": "DEBUG"}

    def kept(log: str) -> list[str]:
        """The lines that say what the run did, without times and addresses; the child
        writes stdout and stderr to one log, so in no particular order."""
        words = ("Using reactor", "dry run", "would request", "error:", "Traceback")
        lines = [line.split("] ", 1)[-1] for line in log.splitlines()]
        return sorted(line for line in lines if any(word in line for word in words))

    for name, arguments in cases.items():
        status, log = zygote.run(arguments, settings, log=tmp_path / f"{name}.log")
        fresh = run_scrapy(arguments, settings)
        assert status == fresh.returncode, (log[-2000:], fresh.stderr[-2000:])
        assert kept(log) == kept(fresh.stdout + fresh.stderr) != [], log[-2000:]
    assert "AsyncioSelectorReactor" in (tmp_path / "dry.log").read_text()
