"""What growing costs: storage per item as the database fills, and a crawl's memory as it grows.

``python -m bench.scale [--output bench/results.json] [--sizes 10000,300000]
[--crawl-sizes 30000,300000] [--batch-profiles 20] [--repeat 3] [--memory-repeat 1]
[--backends sqlite,postgresql]``

(a) Storage cost per item with N publications already stored (each of ``--sizes``), on SQLite
and PostgreSQL. The database is pre-filled through the storage layer
(``Repository.upsert_publications``, a page of 100 rows per call, as the store pipeline
writes) with the rows of a generated corpus turned into items as the spider does
(``publication_item_from`` + ``publication_fingerprint``); each repetition then works on a fresh
copy of it and times, in page-sized batches of 100:

* NEW: ``--batch-profiles`` profiles x 300 rows of another corpus (never stored);
* KNOWN: the same number of already-stored rows again, each with one more citation (a rerun).

Figures: microseconds per item at each size, and the ratio largest/smallest size (target
<= 1.2 for each). PostgreSQL is ANALYZEd after the pre-fill, as autovacuum would have done.

(b) Peak memory (``ru_maxrss`` from ``os.wait4``) of full crawls, identifiers off, into SQLite,
of each of ``--crawl-sizes`` publications (profiles of 300); ratio largest/smallest (target
<= 1.3). ``--memory-repeat`` crawls per size (default 1: a peak RSS does not depend on the
machine's load, and the largest crawl takes minutes). The replay server for these runs is a
thread of this process, without its mock APIs.
"""

from __future__ import annotations

import argparse
import copy
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter

from bench.common import (
    DEFAULT_OUTPUT,
    DEFAULT_REPEAT,
    LocalReplay,
    all_met,
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
from scholarcrawl.fingerprint import publication_fingerprint
from scholarcrawl.items import profile_item_from, publication_item_from
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.store.db import ensure_schema, make_engine
from scholarcrawl.store.repository import PublicationChange, Repository

SECTION = "scale"
PER_PROFILE = 300
PAGE = 100
TARGET_STORE = 1.2
TARGET_MEMORY = 1.3
BACKENDS = ("sqlite", "postgresql")

Rows = list[dict[str, Any]]


# --------------------------------------------------------------------------- items


def publication_values(scholar_id: str, row: Any) -> dict[str, Any]:
    """A row as the store pipeline hands it over (identifiers off): the item's fields with
    its fingerprint set."""
    item = publication_item_from(scholar_id, row)
    item.fingerprint = publication_fingerprint(item.title, item.year, item.authors)
    return ItemAdapter(item).asdict()


def pages_of(corpus: Corpus, limit: int | None = None) -> Iterator[tuple[str, Rows]]:
    """(scholar id, a page of up to 100 rows) of the corpus, in order, ``limit`` rows at most."""
    left = limit
    for scholar_id in corpus.ids:
        profile = corpus.profile(scholar_id)
        assert profile is not None
        rows = profile.publications
        for start in range(0, len(rows), PAGE):
            page = rows[start : start + PAGE]
            if left is not None:
                page = page[:left]
                left -= len(page)
            if page:
                yield scholar_id, [publication_values(scholar_id, row) for row in page]
            if left is not None and left <= 0:
                return


def store_pages(repository: Repository, pages: Sequence[Rows], run_id: str) -> None:
    for rows in pages:
        upsert(repository, rows, run_id)


def upsert(repository: Repository, rows: Rows, run_id: str) -> list[PublicationChange]:
    """A page of rows through ``upsert_publications``, or row by row where it is missing."""
    batch: Callable[[Rows, str], list[PublicationChange]] | None = getattr(
        repository, "upsert_publications", None
    )
    if batch is not None:
        return batch(rows, run_id)
    return [repository.upsert_publication(row, run_id) for row in rows]


def storage_call() -> str:
    return (
        "Repository.upsert_publications (a page per call)"
        if hasattr(Repository, "upsert_publications")
        else "Repository.upsert_publication per row (upsert_publications is missing)"
    )


# --------------------------------------------------------------------------- databases


class Store:
    """Pre-filled databases and fresh copies of them, for one backend."""

    def __init__(self, backend: str, workdir: Path, postgres: Any) -> None:
        self.backend = backend
        self.workdir = workdir
        self.postgres = postgres
        self._count = 0

    def _name(self, stem: str) -> str:
        self._count += 1
        return f"{stem}_{self._count}"

    def new(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.workdir / (self._name('fill') + '.sqlite3')}"
        url: str = self.postgres.create_database()
        return url

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.postgres.admin_dsn(), autocommit=True) as connection:
            connection.execute(sql)

    def copy(self, url: str) -> str:
        """A copy of the database at ``url`` (nobody may be connected to it)."""
        if self.backend == "sqlite":
            source = Path(url.removeprefix("sqlite:///"))
            target = self.workdir / (self._name("copy") + ".sqlite3")
            for suffix in ("", "-wal"):
                if Path(f"{source}{suffix}").exists():
                    shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
            return f"sqlite:///{target}"
        name = self._name("copy")
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{url.rsplit("/", 1)[1]}"')
        return url.rsplit("/", 1)[0] + "/" + name

    def drop(self, url: str) -> None:
        if self.backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        else:
            self._admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')

    def analyze(self, url: str) -> None:
        if self.backend == "postgresql":
            import psycopg

            dsn = self.postgres.admin_dsn(url.rsplit("/", 1)[1])
            with psycopg.connect(dsn, autocommit=True) as connection:
                connection.execute("ANALYZE")


def prefill(store: Store, corpus: Corpus, sizes: Sequence[int]) -> tuple[dict[int, str], float]:
    """Snapshots of one database filled to each size (publication rows stored); fill seconds."""
    started = time.perf_counter()
    largest = max(sizes)
    url = store.new()
    snapshots: dict[int, str] = {}
    stored = 0
    engine = make_engine(url)
    ensure_schema(engine, auto_migrate=True)
    repository = Repository(engine)
    run_id = repository.start_run("scholar", {"bench": "scale prefill"})
    seen_profiles: set[str] = set()
    for scholar_id, rows in pages_of(corpus, largest):
        if scholar_id not in seen_profiles:
            seen_profiles.add(scholar_id)
            profile = corpus.profile(scholar_id)
            assert profile is not None
            header = ItemAdapter(profile_item_from(scholar_id, profile.header)).asdict()
            repository.upsert_scholar(header, run_id)
        upsert(repository, rows, run_id)
        stored += len(rows)
        if stored in sizes:
            engine.dispose()
            store.analyze(url)
            snapshots[stored] = store.copy(url)
            print(
                f"  {store.backend}: {stored} rows stored ({time.perf_counter() - started:.0f} s)"
            )
            engine = make_engine(url)
            repository = Repository(engine)
    engine.dispose()
    store.drop(url)
    return snapshots, time.perf_counter() - started


def measure_batches(
    store: Store,
    snapshot: str,
    new: Sequence[Rows],
    known: Sequence[Rows],
    warmup: Sequence[Rows],
) -> dict[str, float]:
    """µs per item storing ``new`` then ``known`` pages into a fresh copy of ``snapshot``
    (after storing the ``warmup`` pages twice: once new, once known)."""
    # fresh copies: whatever the store does to the rows it is given
    new, known, warmup = copy.deepcopy(new), copy.deepcopy(known), copy.deepcopy(warmup)
    url = store.copy(snapshot)
    engine = make_engine(url)
    try:
        repository = Repository(engine)
        run_id = repository.start_run("scholar", {"bench": "scale"})
        # imports, connections and compiled statements of both paths, outside the timings
        store_pages(repository, warmup, run_id)
        for rows in warmup:
            for values in rows:
                values["citations"] += 1
        store_pages(repository, warmup, run_id)
        result = {}
        for name, pages in (("new", new), ("known", known)):
            items = sum(len(rows) for rows in pages)
            started = time.perf_counter()
            store_pages(repository, pages, run_id)
            result[name] = (time.perf_counter() - started) / items * 1e6
        counts = repository.counts()
    finally:
        engine.dispose()
        store.drop(url)
    result["publications_after"] = counts["publications"]
    return result


def storage(
    sizes: Sequence[int], batch_profiles: int, repeat: int, backends: Sequence[str], seed: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    workdir = Path(tempfile.mkdtemp(prefix="scholarcrawl-bench-scale-"))
    postgres = None
    results: dict[str, Any] = {}
    figures: list[dict[str, Any]] = []
    # NEW rows: another corpus; KNOWN rows: the first profiles of the pre-fill, stored at
    # every size, each with one more citation than stored
    other = Corpus(CorpusSpec.uniform(batch_profiles, PER_PROFILE, seed=seed + 1))
    new = [rows for _, rows in pages_of(other)]
    warmup = [next(pages_of(Corpus(CorpusSpec.uniform(1, PAGE, seed=seed + 2))))[1]]
    prefilled = Corpus(CorpusSpec.uniform(-(-max(sizes) // PER_PROFILE), PER_PROFILE, seed=seed))
    known_limit = min(batch_profiles * PER_PROFILE, min(sizes))
    known = [rows for _, rows in pages_of(prefilled, known_limit)]
    for rows in known:
        for values in rows:
            values["citations"] += 1
    try:
        if "postgresql" in backends:
            from tests.support.postgres import PostgresServer

            postgres = PostgresServer().start()
        for backend in backends:
            store = Store(backend, workdir, postgres)
            print(f"scale: pre-filling {backend} to {', '.join(map(str, sizes))} rows", flush=True)
            snapshots, fill_seconds = prefill(store, prefilled, sizes)
            per_size: dict[str, Any] = {}
            runs: dict[int, list[dict[str, float]]] = {size: [] for size in sizes}
            for _ in range(repeat):  # sizes interleaved, so that a busy moment hits each
                for size in sizes:
                    runs[size].append(measure_batches(store, snapshots[size], new, known, warmup))
            for size in sizes:
                store.drop(snapshots[size])
                per_size[str(size)] = {
                    "new_us_per_item": round(median(r["new"] for r in runs[size]), 1),
                    "known_us_per_item": round(median(r["known"] for r in runs[size]), 1),
                    "runs": runs[size],
                }
                print(
                    f"  {backend} at {size}: new {per_size[str(size)]['new_us_per_item']} "
                    f"µs/item, known {per_size[str(size)]['known_us_per_item']} µs/item",
                    flush=True,
                )
            small, large = str(min(sizes)), str(max(sizes))
            ratios = {
                kind: ratio(
                    per_size[large][f"{kind}_us_per_item"], per_size[small][f"{kind}_us_per_item"]
                )
                for kind in ("new", "known")
            }
            results[backend] = {
                "sizes": per_size,
                "ratios": ratios,
                "prefill_seconds": round(fill_seconds, 1),
            }
            for kind in ("new", "known"):
                for label in (small, large):
                    figures.append(
                        figure(
                            f"{backend} store {kind} at {label}",
                            per_size[label][f"{kind}_us_per_item"],
                            "µs/item",
                        )
                    )
                figures.append(
                    figure(
                        f"{backend} store {kind}: {large}/{small}",
                        _round(ratios[kind]),
                        "x",
                        at_most=TARGET_STORE,
                    )
                )
    finally:
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return results, figures


def memory(
    crawl_sizes: Sequence[int], repeat: int, seed: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    workdir = Path(tempfile.mkdtemp(prefix="scholarcrawl-bench-memory-"))
    results: dict[str, Any] = {}
    try:
        for size in crawl_sizes:
            profiles = -(-size // PER_PROFILE)
            runs = []
            with LocalReplay(
                CorpusSpec.uniform(profiles, PER_PROFILE, seed=seed), apis=False
            ) as replay:
                ids_file = write_lines(workdir / "ids.txt", replay.server.corpus.ids)
                for rep in range(repeat):
                    database = workdir / f"crawl-{size}-{rep}.sqlite3"
                    replay.reset()
                    command, env = scholar_crawl(
                        replay, ids_file, f"sqlite:///{database}", identifiers=False
                    )
                    measured = run_measured(command, env, log=workdir / "crawl.log")
                    measured.check(f"the {size}-publication crawl")
                    pages = len(citations_paths(replay.requests()))
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{database}{suffix}").unlink(missing_ok=True)
                    runs.append(
                        {
                            "wall_seconds": round(measured.wall_seconds, 2),
                            "max_rss_bytes": measured.max_rss_bytes,
                            "pages": pages,
                        }
                    )
                    print(
                        f"  crawl of {profiles * PER_PROFILE} rows: "
                        f"{measured.wall_seconds:.1f} s, peak RSS "
                        f"{measured.max_rss_bytes / 2**20:.0f} MB",
                        flush=True,
                    )
            wall = median(r["wall_seconds"] for r in runs)
            results[str(size)] = {
                "profiles": profiles,
                "publications": profiles * PER_PROFILE,
                "max_rss_mb": round(median(r["max_rss_bytes"] for r in runs) / 2**20, 1),
                "wall_seconds": round(wall, 2),
                "items_per_second": round(profiles * (PER_PROFILE + 1) / wall, 1),
                "runs": runs,
            }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    small, large = str(min(crawl_sizes)), str(max(crawl_sizes))
    value = ratio(results[large]["max_rss_mb"], results[small]["max_rss_mb"])
    figures = [
        figure(f"crawl peak RSS at {size}", results[str(size)]["max_rss_mb"], "MB")
        for size in crawl_sizes
    ]
    figures.append(
        figure(f"crawl peak RSS {large}/{small}", _round(value), "x", at_most=TARGET_MEMORY)
    )
    return {"crawls": results, "ratio": value}, figures


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def run(
    sizes: Sequence[int],
    crawl_sizes: Sequence[int],
    batch_profiles: int,
    repeat: int,
    backends: Sequence[str],
    seed: int = 2026,
    memory_repeat: int = 1,
) -> dict[str, Any]:
    started = time.perf_counter()
    stored, store_figures = storage(sizes, batch_profiles, repeat, backends, seed)
    print("scale: peak memory of crawls", flush=True)
    crawled, memory_figures = memory(crawl_sizes, memory_repeat, seed)
    figures = store_figures + memory_figures
    return {
        "generated_at": now_utc(),
        "definitions": {
            "new_us_per_item": "microseconds per row storing rows never stored, a page of 100 "
            "per call, into a copy of the pre-filled database",
            "known_us_per_item": "the same for already-stored rows, each with one more citation",
            "size": "publication rows stored through the storage layer before timing",
            "max_rss_mb": "peak resident memory of the crawl process (os.wait4 ru_maxrss), "
            "identifiers off, SQLite",
        },
        "parameters": {
            "sizes": list(sizes),
            "crawl_sizes": list(crawl_sizes),
            "batch_profiles": batch_profiles,
            "rows_per_profile": PER_PROFILE,
            "batch_rows": PAGE,
            "repeat": repeat,
            "memory_repeat": memory_repeat,
            "seed": seed,
            "backends": list(backends),
            "storage_call": storage_call(),
        },
        "storage": stored,
        "memory": crawled,
        "targets": {
            "storage": f"µs/item at the largest size <= {TARGET_STORE} x at the smallest",
            "memory": f"peak RSS of the largest crawl <= {TARGET_MEMORY} x the smallest's",
        },
        "figures": figures,
        "all_met": all_met(figures),
        "elapsed_seconds": round(time.perf_counter() - started, 1),
        "environment": environment(),
    }


def _sizes(text: str) -> list[int]:
    sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    if len(sizes) < 2 or sizes[0] < PAGE or any(size % PAGE for size in sizes):
        raise argparse.ArgumentTypeError(f"give two or more multiples of {PAGE}, e.g. 10000,300000")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--sizes", type=_sizes, default=[10_000, 300_000], help="rows stored before timing"
    )
    parser.add_argument(
        "--crawl-sizes",
        type=_sizes,
        default=[30_000, 300_000],
        help="publications crawled for the memory figures (profiles of 300)",
    )
    parser.add_argument("--batch-profiles", type=int, default=20, help="profiles of 300 timed")
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, help="of the timings")
    parser.add_argument(
        "--memory-repeat",
        type=int,
        default=1,
        help="crawls per size for the memory figures (peak RSS does not depend on the "
        "machine's load; the 300,000-row crawl takes minutes)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not backends or set(backends) - set(BACKENDS):
        parser.error(f"--backends takes {', '.join(BACKENDS)}")
    print(f"scale: storing through {storage_call()}", flush=True)
    section = run(
        args.sizes,
        args.crawl_sizes,
        args.batch_profiles,
        args.repeat,
        backends,
        args.seed,
        args.memory_repeat,
    )
    print(format_figures(section["figures"]))
    merge_into(args.output, section, SECTION)
    print(f"wrote the '{SECTION}' section of {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
