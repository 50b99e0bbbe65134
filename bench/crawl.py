"""The whole crawl against a bare Scrapy spider downloading the same URLs (bench/README.md).

``python -m bench.crawl [--output bench/results.json] [--profiles 200] [--publications 300]
[--resolution-profiles 5] [--repeat 3] [--backends sqlite,postgresql]``

A replay server in a process of its own (``scholarcrawl replay``) serves a uniform corpus.
``scrapy crawl scholar -a ids_file=F`` runs the whole pipeline into a fresh SQLite file and a
fresh database on a throw-away PostgreSQL (a new database every repetition), with no delay,
no throttle and Scholar's slot at 8 connections. The floor is ``bench/barespider.py``: Scrapy
without this project, the same concurrency, downloading the same URLs and parsing nothing.

* identifiers off (``IDENTIFIERS_ENABLED=False``), on ``--profiles``: full wall time <= 1.5 x
  the bare spider downloading the same Scholar pages;
* identifiers on (mock arXiv and Crossref on the replay server, no pacing, 8 in flight), on the
  first ``--resolution-profiles`` profiles: the full run also downloads the API answers, so its
  floor is the bare spider downloading the same Scholar pages PLUS the API URLs that run asked
  for (read from the replay's request log): full <= 2 x that floor. The ratio to the bare
  spider downloading the Scholar pages alone is reported beside it.

Wall seconds are the crawl process's, start to exit (``os.wait4``), with its peak RSS.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import (
    API_IN_FLIGHT,
    CRAWL_SETTINGS,
    DEFAULT_OUTPUT,
    DEFAULT_REPEAT,
    Measured,
    ReplayProcess,
    all_met,
    api_counts,
    bare_crawl,
    bare_cwd,
    citations_paths,
    environment,
    figure,
    format_figures,
    median,
    merge_into,
    now_utc,
    ratio,
    run_measured,
    scholar_crawl,
    write_lines,
)
from scholarcrawl.replay.generator import profile_ids
from scholarcrawl.scholar.urls import profile_url
from scholarcrawl.store.db import make_engine
from scholarcrawl.store.repository import Repository

SECTION = "crawl"
TARGET_OFF = 1.5
TARGET_ON = 2.0
BACKENDS = ("sqlite", "postgresql")
PAGE_SIZE = 100


def pages_of(base_url: str, ids: Sequence[str], publications: int) -> list[str]:
    """The page URLs the spider requests: max(1, ceil(n/100)) per profile."""
    return [
        profile_url(base_url, scholar_id, cstart=cstart, pagesize=PAGE_SIZE)
        for scholar_id in ids
        for cstart in range(0, max(publications, 1), PAGE_SIZE)
    ]


class Databases:
    """A fresh database per run: a SQLite file in a temp dir, or a new PostgreSQL database."""

    def __init__(self, backends: Sequence[str], workdir: Path) -> None:
        self.workdir = workdir
        self.postgres: Any = None
        self._count = 0
        if "postgresql" in backends:
            from tests.support.postgres import PostgresServer

            self.postgres = PostgresServer().start()

    def fresh(self, backend: str) -> str:
        self._count += 1
        if backend == "sqlite":
            return f"sqlite:///{self.workdir / f'crawl-{self._count}.sqlite3'}"
        assert self.postgres is not None
        url: str = self.postgres.create_database()
        return url

    def drop(self, url: str) -> None:
        """Free the disk a finished run's database took."""
        if url.startswith("sqlite:///"):
            for suffix in ("", "-wal", "-shm"):
                Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        elif self.postgres is not None:
            import psycopg

            name = url.rsplit("/", 1)[1]
            with psycopg.connect(self.postgres.admin_dsn(), autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def version(self) -> str | None:
        if self.postgres is None:
            return None
        import psycopg

        with psycopg.connect(self.postgres.admin_dsn()) as connection:
            row = connection.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else None

    def stop(self) -> None:
        if self.postgres is not None:
            self.postgres.stop()


def _record(measured: Measured, pages: int, items: int, api: dict[str, int]) -> dict[str, Any]:
    return {
        "wall_seconds": round(measured.wall_seconds, 3),
        "max_rss_bytes": measured.max_rss_bytes,
        "pages": pages,
        "items": items,
        "api_requests": api,
    }


def _summary(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    wall = median(r["wall_seconds"] for r in runs)
    pages = runs[0]["pages"]
    items = runs[0]["items"]
    return {
        "wall_seconds": round(wall, 3),
        "pages": pages,
        "items": items,
        "pages_per_second": round(pages / wall, 2),
        "items_per_second": round(items / wall, 1) if items else 0.0,
        "max_rss_mb": round(median(r["max_rss_bytes"] for r in runs) / 2**20, 1),
        "api_requests": runs[0]["api_requests"],
        "repetitions": len(runs),
    }


class CrawlBench:
    def __init__(self, replay: ReplayProcess, databases: Databases, workdir: Path) -> None:
        self.replay = replay
        self.databases = databases
        self.workdir = workdir
        self.runs: dict[str, list[dict[str, Any]]] = {}

    def add(self, name: str, record: dict[str, Any]) -> None:
        self.runs.setdefault(name, []).append(record)
        print(
            f"  {name}: {record['wall_seconds']:.1f} s, {record['pages']} pages, "
            f"{record['items']} items, API {record['api_requests']}, "
            f"peak RSS {record['max_rss_bytes'] / 2**20:.0f} MB",
            flush=True,
        )

    def _log(self, name: str) -> Path:
        return self.workdir / (name.replace("/", "-") + ".log")

    def bare(self, name: str, urls: Sequence[str], pages: int) -> None:
        urls_file = write_lines(self.workdir / "urls.txt", urls)
        self.replay.reset()
        command, env = bare_crawl(urls_file)
        measured = run_measured(command, env, log=self._log(name), cwd=bare_cwd())
        measured.check(f"the bare spider ({name})")
        served = len(self.replay.requests())
        if served != len(urls):
            raise SystemExit(f"{name}: the bare spider sent {served} requests of {len(urls)}")
        self.add(name, _record(measured, pages, 0, api_counts_of(urls)))

    def full(
        self, name: str, backend: str, ids_file: Path, identifiers: bool, pages: Sequence[str]
    ) -> list[str]:
        """One full crawl on a fresh database; returns every URL it asked the replay for."""
        url = self.databases.fresh(backend)
        self.replay.reset()
        command, env = scholar_crawl(self.replay, ids_file, url, identifiers=identifiers)
        measured = run_measured(command, env, log=self._log(name))
        measured.check(f"the crawl ({name})")
        log = self.replay.requests()
        asked = [self.replay.base_url + r["path"] for r in log]
        scholar = [self.replay.base_url + p for p in citations_paths(log)]
        if sorted(scholar) != sorted(pages):
            raise SystemExit(
                f"{name}: the crawl asked for {len(scholar)} Scholar pages, not the "
                f"{len(pages)} expected"
            )
        engine = make_engine(url)
        try:
            counts = Repository(engine).counts()
        finally:
            engine.dispose()
        self.databases.drop(url)
        items = counts["authorships"] + counts["scholars"]
        self.add(name, _record(measured, len(pages), items, api_counts(log)))
        return asked


def api_counts_of(urls: Sequence[str]) -> dict[str, int]:
    return api_counts({"path": "/" + url.split("/", 3)[3]} for url in urls)


def run(
    profiles: int,
    publications: int,
    resolution_profiles: int,
    repeat: int,
    backends: Sequence[str],
    seed: int = 2026,
) -> dict[str, Any]:
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="scholarcrawl-bench-crawl-"))
    databases = Databases(backends, workdir)
    try:
        with ReplayProcess(profiles, publications, seed) as replay:
            replay.warm_apis()  # built before any timing, never during one
            ids = profile_ids(replay.spec)
            resolution_ids = ids[:resolution_profiles]
            ids_file = write_lines(workdir / "ids.txt", ids)
            resolution_ids_file = write_lines(workdir / "resolution-ids.txt", resolution_ids)
            pages = pages_of(replay.base_url, ids, publications)
            resolution_pages = pages_of(replay.base_url, resolution_ids, publications)
            bench = CrawlBench(replay, databases, workdir)
            if resolution_profiles:
                # the mock APIs build their search indexes lazily, query by query: an untimed
                # crawl builds them, so that no timed run pays for them and the bare runs,
                # which follow a full run, do not alone get them for free
                print("crawl: warm-up (identifiers on, not recorded)", flush=True)
                bench.full("warm-up", backends[0], resolution_ids_file, True, resolution_pages)
                del bench.runs["warm-up"]
            for rep in range(1, repeat + 1):
                print(f"crawl: repetition {rep} of {repeat}", flush=True)
                bench.bare("bare/pages", pages, len(pages))
                for backend in backends:
                    bench.full(f"{backend}/identifiers_off", backend, ids_file, False, pages)
                if resolution_profiles:
                    bench.bare("bare/resolution_pages", resolution_pages, len(resolution_pages))
                    for backend in backends:
                        asked = bench.full(
                            f"{backend}/identifiers_on",
                            backend,
                            resolution_ids_file,
                            True,
                            resolution_pages,
                        )
                        bench.bare(f"bare/pages_and_api/{backend}", asked, len(resolution_pages))
        postgres_version = databases.version()
    finally:
        databases.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    results = {name: _summary(runs) for name, runs in bench.runs.items()}
    ratios: dict[str, dict[str, Any]] = {}
    figures: list[dict[str, Any]] = []
    for backend in backends:
        off = results[f"{backend}/identifiers_off"]
        bare = results["bare/pages"]
        value = ratio(off["wall_seconds"], bare["wall_seconds"])
        ratios[f"{backend}/identifiers_off"] = {"full_over_bare_pages": value}
        figures += [
            figure(f"{backend} identifiers off: pages/s", off["pages_per_second"], "pages/s"),
            figure(f"{backend} identifiers off: items/s", off["items_per_second"], "items/s"),
            figure(
                f"{backend} identifiers off: full / bare", _round(value), "x", at_most=TARGET_OFF
            ),
        ]
        if resolution_profiles:
            on = results[f"{backend}/identifiers_on"]
            with_api = results[f"bare/pages_and_api/{backend}"]
            pages_only = results["bare/resolution_pages"]
            target_value = ratio(on["wall_seconds"], with_api["wall_seconds"])
            ratios[f"{backend}/identifiers_on"] = {
                "full_over_bare_pages_and_api": target_value,
                "full_over_bare_pages_only": ratio(on["wall_seconds"], pages_only["wall_seconds"]),
            }
            figures += [
                figure(f"{backend} identifiers on: items/s", on["items_per_second"], "items/s"),
                figure(
                    f"{backend} identifiers on: full / bare (pages + API)",
                    _round(target_value),
                    "x",
                    at_most=TARGET_ON,
                ),
                figure(
                    f"{backend} identifiers on: full / bare (pages only)",
                    _round(ratios[f"{backend}/identifiers_on"]["full_over_bare_pages_only"]),
                    "x",
                ),
            ]
    figures.append(
        figure("bare spider: pages/s", results["bare/pages"]["pages_per_second"], "pages/s")
    )
    return {
        "generated_at": now_utc(),
        "definitions": {
            "full": "scrapy crawl scholar -a ids_file=F, whole pipeline, fresh database per run",
            "bare/pages": "bench/barespider.py (Scrapy without this project, parse yields "
            "nothing) downloading the same Scholar page URLs with the same concurrency",
            "bare/pages_and_api/<backend>": "the bare spider downloading every URL the "
            "identifiers-on crawl asked the replay for (Scholar pages and arXiv/Crossref API "
            "requests, from the request log): the floor of the identifiers-on target",
            "bare/resolution_pages": "the bare spider downloading the identifiers-on crawl's "
            "Scholar pages alone",
            "wall_seconds": "the crawl process's wall time, start to exit (median of runs)",
            "pages_per_second": "Scholar pages / wall seconds",
            "items_per_second": "(publication rows + profiles stored) / wall seconds",
            "max_rss_mb": "peak resident memory of the crawl process (os.wait4 ru_maxrss)",
        },
        "parameters": {
            "profiles": profiles,
            "publications": publications,
            "pages": len(pages),
            "resolution_profiles": resolution_profiles,
            "resolution_pages": len(resolution_pages),
            "repeat": repeat,
            "seed": seed,
            "backends": list(backends),
            "settings": CRAWL_SETTINGS,
            "api_in_flight": API_IN_FLIGHT,
            "postgresql_server": postgres_version,
        },
        "runs": bench.runs,
        "results": results,
        "ratios": ratios,
        "targets": {
            "identifiers_off": f"full <= {TARGET_OFF} x bare/pages",
            "identifiers_on": f"full <= {TARGET_ON} x bare/pages_and_api",
        },
        "figures": figures,
        "all_met": all_met(figures),
        "elapsed_seconds": round(time.perf_counter() - started, 1),
        "environment": environment(),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.crawl", description=__doc__)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--profiles", type=int, default=200)
    parser.add_argument("--publications", type=int, default=300)
    parser.add_argument(
        "--resolution-profiles",
        type=int,
        default=5,
        help="profiles of the identifiers-on runs (the first of the corpus; 0: none)",
    )
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--backends",
        default=",".join(BACKENDS),
        help="comma-separated: sqlite, postgresql (default both)",
    )
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not backends or set(backends) - set(BACKENDS):
        parser.error(f"--backends takes {', '.join(BACKENDS)}")
    if not 0 <= args.resolution_profiles <= args.profiles:
        parser.error("--resolution-profiles must be between 0 and --profiles")
    section = run(
        args.profiles,
        args.publications,
        args.resolution_profiles,
        args.repeat,
        backends,
        args.seed,
    )
    print(format_figures(section["figures"]))
    merge_into(args.output, section, SECTION)
    print(f"wrote the '{SECTION}' section of {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
