"""A long soak: thousands of profiles crawled round after round against a faulty replay.

``python -m bench.soak [--minutes 30] [--profiles 2000] [--seed 9] [--fault-probability 0.03]
[--backend sqlite|postgresql] [--output bench/results.json] [--workdir DIR]`` (``make soak``)

What it does:

1. Serves a generated corpus of ``--profiles`` profiles (sizes drawn at random, median about
   10 publications, some over 100, a few empty) from a replay server in a thread of this
   process, with a seeded :class:`~scholarcrawl.replay.faults.RandomFaults` hook answering each
   Scholar request with a random fault (every transient kind: 429, CAPTCHA pages, /sorry/
   redirects, 403, 500, 503, connection resets, truncated pages, inline CAPTCHAs) with
   ``--fault-probability``. The mock arXiv and Crossref answer without faults: identifier
   resolution runs on every row, so the whole pipeline is soaked.
2. Rounds until ``--minutes`` have passed (a round that has started is finished): one
   ``scrapy crawl scholar -a ids_file=F`` over every profile (the first round ingests, later
   ones recrawl), then ``-a resume=due`` runs until the continuation queue holds nothing
   queued or claimed. Cooldowns are short and the cooldown mode is ``wait``, so a block pauses
   the crawl instead of ending it.
3. A clean crawl of the same corpus without faults into another database, and a comparison
   of the two databases, table by table (``tests/support/dbdump.py``: bookkeeping columns
   and run state left out; citation snapshots, one per run by design, are checked apart):
   **rows lost** are rows of the clean database the soaked one lacks, **duplicate rows** rows
   it holds that the clean one does not (or holds more times). Both must be 0.

Figures (section ``soak`` of the output): pages served, faults injected, cooldowns and blocks
(the runs' own counters), runs, rows lost, duplicate rows, publications without an
authorship, queue rows not done, and memory: the resident set (``VmRSS``) of each round's main
crawl ``--warmup`` seconds after it started and just before it ended, and its peak
(``ru_maxrss``). The target for memory is the end of the last round's crawl at most 1.3 times
the start of the first's.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from bench.common import (
    CRAWL_SETTINGS,
    DEFAULT_OUTPUT,
    REPO_ROOT,
    LocalReplay,
    Replay,
    all_met,
    api_settings,
    citations_paths,
    environment,
    figure,
    format_figures,
    merge_into,
    now_utc,
    write_lines,
)
from scholarcrawl.replay.faults import RANDOM_KINDS, RandomFaults
from scholarcrawl.replay.generator import CorpusSpec, profile_ids
from scholarcrawl.replay.server import ReplayRequest, ReplayResponse
from scholarcrawl.store.db import make_engine
from scholarcrawl.store.queue import ContinuationQueue
from scholarcrawl.store.runs import RunStore
from tests.support.crawl import scrapy_command
from tests.support.databases import seconds_until_due
from tests.support.dbdump import dump, orphans

# every transient fault; not signin_redirect, which says that the profile does not exist
SOAK_KINDS = tuple(kind for kind in RANDOM_KINDS if kind != "signin_redirect")
# Short pauses, so that a 30-minute soak sees many of them; `wait` keeps a crawl going
# through a cooldown instead of deferring everything to the next run.
SOAK_SETTINGS: dict[str, str] = {
    "SCHOLAR_COOLDOWN_MODE": "wait",
    "SCHOLAR_BLOCKED_COOLDOWN_SECONDS": "2",
    "SCHOLAR_NETWORK_COOLDOWN_SECONDS": "2",
    "SCHOLAR_RATE_LIMIT_RETRIES": "1",
    "SCHOLAR_RATE_LIMIT_BACKOFF_SECONDS": "0.5",
    "SCHOLAR_RETRY_BACKOFF_SECONDS": "0.2",
    "CONTINUATION_BASE_DELAY_SECONDS": "1",
    "CONTINUATION_MAX_DELAY_SECONDS": "5",
    "CONTINUATION_LEASE_SECONDS": "120",
    # `wait` sleeps through cooldowns: a shorter download timeout than that is never needed
    "DOWNLOAD_TIMEOUT": "20",
}
MEMORY_TARGET = 1.3
DRAIN_RUNS = 60
BACKENDS = ("sqlite", "postgresql")


def soak_spec(profiles: int, seed: int) -> CorpusSpec:
    """``profiles`` profiles with random sizes: median about 10, some over 100, a few empty."""
    rng = random.Random(f"soak:{seed}")
    sizes = tuple(min(320, int(rng.lognormvariate(2.3, 1.0))) for _ in range(profiles))
    return CorpusSpec(seed=seed, sizes=sizes, shared_per_pair=1)


# --------------------------------------------------------------------------- processes


@dataclass(slots=True)
class Process:
    """A finished crawl: exit status, wall seconds, resident set after warm-up and at its end."""

    returncode: int
    wall_seconds: float
    rss_start_bytes: int | None
    rss_end_bytes: int | None
    max_rss_bytes: int
    log: Path


def _rss(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def run_sampled(
    command: Sequence[str],
    env: Mapping[str, str],
    log: Path,
    *,
    warmup: float,
    interval: float = 1.0,
    timeout: float = 7200,
) -> Process:
    """Run ``command`` to its end, sampling its resident set every ``interval`` seconds."""
    with log.open("wb") as out:
        started = time.monotonic()
        process = subprocess.Popen(
            list(command), cwd=REPO_ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT
        )
        first: int | None = None
        last: int | None = None
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            elapsed = time.monotonic() - started
            if elapsed > timeout:
                process.kill()
            sample = _rss(process.pid)
            if sample is not None:
                last = sample
                if first is None and elapsed >= warmup:
                    first = sample
            time.sleep(interval)
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return Process(
        process.returncode,
        time.monotonic() - started,
        first,
        last,
        usage.ru_maxrss * 1024,
        log,
    )


# --------------------------------------------------------------------------- databases


class Database:
    """An empty database for one crawl: a SQLite file, or a database of a throw-away server."""

    def __init__(self, backend: str, workdir: Path, postgres: Any) -> None:
        self.backend = backend
        self.workdir = workdir
        self.postgres = postgres

    def create(self, name: str) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.workdir / (name + '.sqlite3')}"
        url: str = self.postgres.create_database()
        return url


def drain(
    crawl: Callable[[Sequence[str], str], Process], engine: Engine, label: str
) -> list[Process]:
    """``resume=due`` runs until nothing is queued or claimed (each waits for the first due)."""
    runs: list[Process] = []
    for attempt in range(DRAIN_RUNS):
        wait = seconds_until_due(ContinuationQueue(engine).entries())
        if wait is None:
            return runs
        time.sleep(wait + 0.1)
        runs.append(crawl(["-a", "resume=due"], f"{label}-due{attempt + 1}"))
    left = [e for e in ContinuationQueue(engine).entries() if e.status in ("queued", "claimed")]
    raise SystemExit(f"{label}: the queue still holds {len(left)} rows")


# --------------------------------------------------------------------------- comparison


@dataclass(slots=True)
class Comparison:
    """Rows of the clean database missing from the soaked one, and rows it has in excess."""

    lost: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    @property
    def rows_lost(self) -> int:
        return sum(self.lost.values())

    @property
    def duplicate_rows(self) -> int:
        return sum(self.duplicates.values())


# one snapshot per (publication, profile, run) by design: compared apart (soak_invariants)
PER_RUN_TABLES = frozenset({"citation_snapshots"})


def compare(clean: Engine, soaked: Engine) -> Comparison:
    """Table by table, as multisets of dumped rows (``tests/support/dbdump.py``)."""
    expected = dump(clean)
    actual = dump(soaked)
    result = Comparison()
    for table in sorted(set(expected) | set(actual)):
        if table in PER_RUN_TABLES:
            continue
        want = Counter(expected.get(table, []))
        have = Counter(actual.get(table, []))
        lost = want - have
        extra = have - want
        if lost:
            result.lost[table] = sum(lost.values())
            result.examples += [f"lost from {table}: {row}" for row in list(lost)[:3]]
        if extra:
            result.duplicates[table] = sum(extra.values())
            result.examples += [f"extra in {table}: {row}" for row in list(extra)[:3]]
    return result


def soak_invariants(engine: Engine) -> dict[str, int]:
    """What must be 0 whatever the comparison says."""
    found = {name.replace(" ", "_"): count for name, count in orphans(engine).items()}
    with engine.connect() as connection:
        found["duplicate_profile_keys"] = int(
            connection.execute(
                text(
                    "SELECT count(*) FROM (SELECT scholar_id, scholar_pub_key FROM authorships "
                    "WHERE scholar_pub_key IS NOT NULL "
                    "GROUP BY scholar_id, scholar_pub_key HAVING count(*) > 1) d"
                )
            ).scalar_one()
        )
    not_done = [row for row in ContinuationQueue(engine).entries() if row.status != "done"]
    found["queue_rows_not_done"] = len(not_done)
    return found


# --------------------------------------------------------------------------- the soak


def run_soak(
    *,
    minutes: float,
    profiles: int,
    seed: int,
    fault_probability: float,
    backend: str,
    workdir: Path,
    warmup: float = 20.0,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The soak's results and figures."""
    spec = soak_spec(profiles, seed)
    ids_file = write_lines(workdir / "ids.txt", profile_ids(spec))
    postgres = None
    if backend == "postgresql":
        from tests.support.postgres import PostgresServer

        postgres = PostgresServer().start()
    try:
        databases = Database(backend, workdir, postgres)
        soaked_url = databases.create("soaked")
        hook = RandomFaults(seed, fault_probability, SOAK_KINDS)
        started = time.monotonic()
        rounds: list[dict[str, Any]] = []
        switch = FaultSwitch(hook)
        # one server for both crawls: the evidence of an identifier names the API's URL
        with LocalReplay(spec, faults=[switch]) as replay:
            replay.warm_apis()

            def crawl(arguments: Sequence[str], label: str) -> Process:
                command, env = soak_command(replay, soaked_url, arguments)
                measured = run_sampled(command, env, workdir / f"{label}.log", warmup=warmup)
                if measured.returncode != 0:
                    raise SystemExit(
                        f"{label} failed (exit status {measured.returncode}): see {measured.log}"
                    )
                return measured

            engine = make_engine(soaked_url)
            try:
                while not rounds or time.monotonic() - started < minutes * 60:
                    label = f"round{len(rounds) + 1}"
                    print(f"soak: {label} crawls {profiles} profiles", flush=True)
                    main = crawl(["-a", f"ids_file={ids_file}"], label)
                    resumed = drain(crawl, engine, label)
                    rounds.append(
                        {
                            "crawl_seconds": round(main.wall_seconds, 1),
                            "resume_runs": len(resumed),
                            "rss_start_bytes": main.rss_start_bytes,
                            "rss_end_bytes": main.rss_end_bytes,
                            "max_rss_bytes": max(
                                [main.max_rss_bytes, *(r.max_rss_bytes for r in resumed)]
                            ),
                            "faults_so_far": hook.fired,
                        }
                    )
                soak_seconds = time.monotonic() - started
                served = replay.requests()
            finally:
                engine.dispose()
            print("soak: the clean crawl of the same corpus, without faults", flush=True)
            switch.on = False
            clean_url = databases.create("clean")
            command, env = soak_command(replay, clean_url, ["-a", f"ids_file={ids_file}"])
            clean = run_sampled(command, env, workdir / "clean.log", warmup=warmup)
            if clean.returncode != 0:
                raise SystemExit(f"the clean crawl failed: see {clean.log}")
        clean_engine, soaked_engine = make_engine(clean_url), make_engine(soaked_url)
        try:
            comparison = compare(clean_engine, soaked_engine)
            invariants = soak_invariants(soaked_engine)
            runs = RunStore(soaked_engine).recent(limit=None)
            publications = _count(soaked_engine, "publications")
            authorships = _count(soaked_engine, "authorships")
        finally:
            clean_engine.dispose()
            soaked_engine.dispose()
    finally:
        if postgres is not None:
            postgres.stop()
    counters = Counter[str]()
    for run in runs:
        counters.update({key: int(value) for key, value in run.counters.items()})
    statuses = Counter(run.status for run in runs)
    rss_start = rounds[0]["rss_start_bytes"]
    rss_end = rounds[-1]["rss_end_bytes"]
    growth = rss_end / rss_start if rss_start and rss_end else None
    pages = len(citations_paths(served))
    faults = Counter(kind for kind, _ in hook.injected)
    results: dict[str, Any] = {
        "soak_seconds": round(soak_seconds, 1),
        "rounds": rounds,
        "profiles": profiles,
        "publication_rows": sum(spec.sizes),
        "pages_served": pages,
        "faults_injected": hook.fired,
        "faults_by_kind": dict(sorted(faults.items())),
        "runs": len(runs),
        "run_statuses": dict(sorted(statuses.items())),
        "run_counters": dict(sorted(counters.items())),
        "publications": publications,
        "authorships": authorships,
        "rows_lost": comparison.rows_lost,
        "lost_by_table": comparison.lost,
        "duplicate_rows": comparison.duplicate_rows,
        "duplicates_by_table": comparison.duplicates,
        "examples": comparison.examples[:20],
        "invariants": invariants,
        "clean_crawl_seconds": round(clean.wall_seconds, 1),
        "memory": {
            "rss_start_bytes": rss_start,
            "rss_end_bytes": rss_end,
            "growth": None if growth is None else round(growth, 3),
            "max_rss_bytes": max(r["max_rss_bytes"] for r in rounds),
        },
    }
    figures = [
        figure("pages served", pages, "pages"),
        figure("faults injected", hook.fired, "faults"),
        figure("cooldowns", counters["cooldowns"], "cooldowns"),
        figure("rows lost", comparison.rows_lost, "rows", equals=0),
        figure("duplicate rows", comparison.duplicate_rows, "rows", equals=0),
        figure("broken invariants", sum(invariants.values()), "rows", equals=0),
        figure("memory at start", _mib(rss_start), "MiB"),
        figure("memory at end", _mib(rss_end), "MiB"),
        figure(
            "memory end / start",
            None if growth is None else round(growth, 3),
            "x",
            at_most=MEMORY_TARGET,
        ),
    ]
    return results, figures


class FaultSwitch:
    """A fault hook that can be switched off, for the clean crawl on the same server."""

    def __init__(self, hook: RandomFaults) -> None:
        self.hook = hook
        self.on = True

    def __call__(self, request: ReplayRequest) -> ReplayResponse | None:
        return self.hook(request) if self.on else None


def soak_command(
    replay: Replay, database_url: str, arguments: Sequence[str]
) -> tuple[list[str], dict[str, str]]:
    """``scrapy crawl scholar ARGUMENTS`` through the whole pipeline, with the soak's settings."""
    settings = {
        **CRAWL_SETTINGS,
        "LOG_LEVEL": "INFO",
        "SCHOLAR_BASE_URL": replay.base_url,
        "SCHOLARCRAWL_DATABASE_URL": database_url,
        **api_settings(replay.base_url),
        **SOAK_SETTINGS,
    }
    command, env = scrapy_command(["crawl", "scholar", *arguments], settings)
    env.pop("SCHOLARCRAWL_CONTACT_EMAIL", None)  # the setting above, not the caller's
    return command, env


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _mib(value: int | None) -> float | None:
    return None if value is None else round(value / 2**20, 1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--profiles", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--fault-probability", type=float, default=0.03)
    parser.add_argument("--backend", choices=BACKENDS, default="sqlite")
    parser.add_argument("--warmup", type=float, default=20.0, help="seconds before memory at start")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--workdir", type=Path, help="keep databases and logs here")
    args = parser.parse_args(argv)
    if args.profiles < 1 or args.minutes < 0 or not 0 <= args.fault_probability < 1:
        parser.error("--profiles >= 1, --minutes >= 0 and 0 <= --fault-probability < 1")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="scholarcrawl-soak-"))
    workdir.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    results, figures = run_soak(
        minutes=args.minutes,
        profiles=args.profiles,
        seed=args.seed,
        fault_probability=args.fault_probability,
        backend=args.backend,
        workdir=workdir,
        warmup=args.warmup,
    )
    section = {
        "generated_at": now_utc(),
        "definitions": {
            "rows lost": "rows of a clean crawl's database (same corpus, no faults) missing from "
            "the soaked one, every table but per-run citation snapshots",
            "duplicate rows": "rows the soaked database holds that the clean one does not, or "
            "holds more times",
            "memory": "VmRSS of a round's main crawl after the warm-up and before it ends",
        },
        "parameters": {
            "minutes": args.minutes,
            "profiles": args.profiles,
            "seed": args.seed,
            "fault_probability": args.fault_probability,
            "fault_kinds": list(SOAK_KINDS),
            "backend": args.backend,
            "settings": SOAK_SETTINGS,
        },
        "results": results,
        "figures": figures,
        "all_met": all_met(figures),
        "elapsed_seconds": round(time.monotonic() - began, 1),
        "environment": environment(),
    }
    merge_into(args.output, section, "soak")
    print(format_figures(figures))
    print(f"soak: {results['soak_seconds']} s, {len(results['rounds'])} rounds; logs in {workdir}")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all_met(figures) else 1


if __name__ == "__main__":
    sys.exit(main())
