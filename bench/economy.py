"""Requests spent: Scholar pages per profile, API requests per publication, requests per rerun.

``python -m bench.economy [--output bench/results.json] [--api-profiles 20]
[--api-publications 100] [--refresh-profiles 100] [--refresh-publications 300]``

Counts, not timings: every figure is read off the replay server's request log, so one run of
each crawl is enough (they are deterministic). Every crawl is ``scrapy crawl scholar`` with the
benchmarks' settings (``SCHOLAR_PAGINATION=all``, no delay) into a fresh SQLite file, against
a replay server in a thread of this process.

(a) Scholar requests per profile for profiles of 0, 1, 99, 100, 101, 250, 300 and 301
    publications: must be max(1, ceil(n/100)).
(b) With identifier resolution on (mock arXiv and Crossref, no pacing), arXiv (``/api/query``)
    and Crossref (``/works``) requests per unique publication stored: at most 1 each; then the
    same crawl again on the same database: no API request at all.
(c) One crawl of ``--refresh-profiles`` x ``--refresh-publications``, then a rerun of each mode
    on a copy of its database: ``-a refresh=full`` (every page again: 3 per 300-row profile),
    ``-a refresh=new`` (newest first, stops at the first page already known: 1) and
    ``-a skip_unchanged=1`` (stops after page one when the profile is unchanged: 1).
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import (
    DEFAULT_OUTPUT,
    LocalReplay,
    all_met,
    api_counts,
    citations_paths,
    environment,
    figure,
    format_figures,
    merge_into,
    now_utc,
    run_measured,
    scholar_crawl,
    write_lines,
)
from scholarcrawl.replay.generator import CorpusSpec
from scholarcrawl.store.db import make_engine
from scholarcrawl.store.repository import Repository

SECTION = "economy"
PAGE = 100
PAGINATION_SIZES = (0, 1, 99, 100, 101, 250, 300, 301)
REFRESH_MODES: dict[str, tuple[list[str], int | None]] = {
    # mode: spider arguments, expected requests per profile (None: pages of the profile)
    "refresh=full": (["-a", "refresh=full"], None),
    "refresh=new": (["-a", "refresh=new"], 1),
    "skip_unchanged=1": (["-a", "skip_unchanged=1"], 1),
}


def expected_pages(n: int) -> int:
    return max(1, math.ceil(n / PAGE))


class Crawls:
    """Crawls of one replay server into SQLite files of one temp dir."""

    def __init__(self, replay: LocalReplay, workdir: Path) -> None:
        self.replay = replay
        self.workdir = workdir
        self.ids_file = write_lines(workdir / "ids.txt", replay.server.corpus.ids)

    def crawl(
        self, database: Path, *, identifiers: bool, arguments: Sequence[str] = ()
    ) -> tuple[list[dict[str, Any]], str | None]:
        """The request log of one crawl, and why it failed (None when it did not)."""
        self.replay.reset()
        command, env = scholar_crawl(
            self.replay,
            self.ids_file,
            f"sqlite:///{database}",
            identifiers=identifiers,
            arguments=arguments,
        )
        measured = run_measured(command, env, log=self.workdir / "crawl.log")
        error = None
        if measured.returncode != 0:
            error = f"exit status {measured.returncode}: " + measured.tail(1500).strip()
        return self.replay.requests(), error

    def counts(self, database: Path) -> dict[str, int]:
        engine = make_engine(f"sqlite:///{database}")
        try:
            return Repository(engine).counts()
        finally:
            engine.dispose()


def per_profile(records: Sequence[dict[str, Any]]) -> Counter[str]:
    """Scholar page requests per scholar id."""
    return Counter(r["scholar_id"] for r in records if r["path"].startswith("/citations"))


def pagination(workdir: Path, seed: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    spec = CorpusSpec(seed=seed, sizes=PAGINATION_SIZES)
    with LocalReplay(spec, apis=False) as replay:
        crawls = Crawls(replay, workdir)
        log, error = crawls.crawl(workdir / "pagination.sqlite3", identifiers=False)
        ids = list(replay.server.corpus.ids)
    if error:
        raise SystemExit(f"economy (a): the crawl failed: {error}")
    counts = per_profile(log)
    rows = [
        {
            "publications": n,
            "requests": counts[scholar_id],
            "expected": expected_pages(n),
        }
        for scholar_id, n in zip(ids, PAGINATION_SIZES, strict=True)
    ]
    figures = [
        figure(
            f"Scholar requests, profile of {r['publications']}",
            r["requests"],
            "requests",
            equals=r["expected"],
        )
        for r in rows
    ]
    return {"profiles": rows, "requests": sum(counts.values())}, figures


def api_economy(
    workdir: Path, profiles: int, publications: int, seed: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    database = workdir / "api.sqlite3"
    with LocalReplay(CorpusSpec.uniform(profiles, publications, seed=seed)) as replay:
        replay.warm_apis()
        crawls = Crawls(replay, workdir)
        first, error = crawls.crawl(database, identifiers=True)
        if error:
            raise SystemExit(f"economy (b): the crawl failed: {error}")
        stored = crawls.counts(database)
        again, error = crawls.crawl(database, identifiers=True)
        if error:
            raise SystemExit(f"economy (b): the rerun failed: {error}")
    unique = stored["publications"]
    asked = api_counts(first)
    rerun = api_counts(again)
    per_publication = {service: n / unique if unique else None for service, n in asked.items()}
    figures = [
        figure(f"{service} requests per unique publication", _round(value), "requests", at_most=1.0)
        for service, value in per_publication.items()
    ]
    figures.append(figure("API requests on the rerun", sum(rerun.values()), "requests", equals=0))
    return {
        "profiles": profiles,
        "publications_per_profile": publications,
        "rows": stored["authorships"],
        "unique_publications": unique,
        "api_requests": asked,
        "api_requests_per_unique_publication": per_publication,
        "rerun_api_requests": rerun,
        "rerun_scholar_requests": len(citations_paths(again)),
    }, figures


def refresh_economy(
    workdir: Path, profiles: int, publications: int, seed: int
) -> tuple[dict[str, Any], list[dict[str, Any]], bool]:
    database = workdir / "refresh.sqlite3"
    pages = expected_pages(publications)
    results: dict[str, Any] = {}
    figures: list[dict[str, Any]] = []
    failed = False
    with LocalReplay(CorpusSpec.uniform(profiles, publications, seed=seed), apis=False) as replay:
        crawls = Crawls(replay, workdir)
        first, error = crawls.crawl(database, identifiers=False)
        if error:
            raise SystemExit(f"economy (c): the first crawl failed: {error}")
        results["first crawl"] = {
            "requests": len(citations_paths(first)),
            "requests_per_profile": len(citations_paths(first)) / profiles,
            "expected_per_profile": pages,
        }
        figures.append(
            figure(
                "first crawl: requests per profile",
                results["first crawl"]["requests_per_profile"],
                "requests",
                equals=pages,
            )
        )
        for mode, (arguments, expected) in REFRESH_MODES.items():
            copy = workdir / f"rerun-{len(results)}.sqlite3"
            shutil.copyfile(database, copy)
            log, error = crawls.crawl(copy, identifiers=False, arguments=arguments)
            want = pages if expected is None else expected
            value = None if error else len(citations_paths(log)) / profiles
            results[mode] = {
                "arguments": arguments,
                "requests": None if error else len(citations_paths(log)),
                "requests_per_profile": value,
                "expected_per_profile": want,
                "error": error,
            }
            if error:
                failed = True
                print(f"  rerun {mode} FAILED ({error.splitlines()[0]}):\n{error}", flush=True)
            figures.append(
                figure(f"rerun {mode}: requests per profile", value, "requests", equals=want)
            )
            copy.unlink(missing_ok=True)
    return (
        {"profiles": profiles, "publications_per_profile": publications, "modes": results},
        figures,
        failed,
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def run(
    api_profiles: int,
    api_publications: int,
    refresh_profiles: int,
    refresh_publications: int,
    seed: int = 2026,
) -> dict[str, Any]:
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="scholarcrawl-bench-economy-"))
    try:
        print("economy: (a) Scholar requests per profile", flush=True)
        paged, paged_figures = pagination(workdir, seed)
        print("economy: (b) API requests per publication, then a rerun", flush=True)
        apis, api_figures = api_economy(workdir, api_profiles, api_publications, seed)
        print("economy: (c) requests per profile of each rerun mode", flush=True)
        refresh, refresh_figures, failed = refresh_economy(
            workdir, refresh_profiles, refresh_publications, seed
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    figures = paged_figures + api_figures + refresh_figures
    return {
        "generated_at": now_utc(),
        "definitions": {
            "requests": "requests the replay server logged (GET /_replay/requests)",
            "Scholar requests": "/citations requests; expected max(1, ceil(n/100)) per profile",
            "API requests per unique publication": "arXiv /api/query or Crossref /works "
            "requests / publications stored (shared papers count once)",
            "refresh modes": "reruns on a copy of the first crawl's database, Scholar unchanged",
        },
        "parameters": {
            "pagination_sizes": list(PAGINATION_SIZES),
            "api_profiles": api_profiles,
            "api_publications": api_publications,
            "refresh_profiles": refresh_profiles,
            "refresh_publications": refresh_publications,
            "seed": seed,
        },
        "pagination": paged,
        "apis": apis,
        "refresh": refresh,
        "refresh_failed": failed,
        "figures": figures,
        "all_met": all_met(figures),
        "elapsed_seconds": round(time.perf_counter() - started, 1),
        "environment": environment(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.economy", description=__doc__)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--api-profiles", type=int, default=20)
    parser.add_argument("--api-publications", type=int, default=100)
    parser.add_argument("--refresh-profiles", type=int, default=100)
    parser.add_argument("--refresh-publications", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    section = run(
        args.api_profiles,
        args.api_publications,
        args.refresh_profiles,
        args.refresh_publications,
        args.seed,
    )
    print(format_figures(section["figures"]))
    merge_into(args.output, section, SECTION)
    print(f"wrote the '{SECTION}' section of {args.output}")
    return 1 if section["refresh_failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
