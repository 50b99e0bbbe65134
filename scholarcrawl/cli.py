"""The ``scholarcrawl`` command: database, replay server, import, demo, summary.

    scholarcrawl db upgrade            create or migrate the database
    scholarcrawl db current            show the schema revision
    scholarcrawl replay --port 8000    serve generated Scholar-like profiles on 127.0.0.1, with
                                       mock arXiv and Crossref APIs (prints ARXIV_API_URL=...
                                       and CROSSREF_API_URL=... to point scholarcrawl at them)
    scholarcrawl import FILE...        ingest saved profile pages
    scholarcrawl demo                  replay server + crawl of three profiles into SQLite
    scholarcrawl summary [--json]      what the database holds
    scholarcrawl queue list [--json]   the continuation queue (unfinished profiles)
    scholarcrawl status [--json]       active cooldowns and queue counts by status

The database is ``SCHOLARCRAWL_DATABASE_URL`` (environment), else the project's setting
(default: ``scholarcrawl.sqlite3`` in the working directory); ``--database`` overrides both.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scholarcrawl.store.db import (
    DatabaseError,
    current_revision,
    head_revision,
    make_engine,
    redact_url,
    resolve_database_url,
    upgrade,
)
from scholarcrawl.store.pdfqueue import PdfQueue
from scholarcrawl.store.repository import Repository

SETTINGS_MODULE = "scholarcrawl.settings"


def _project_settings() -> Any:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", SETTINGS_MODULE)
    from scrapy.utils.project import get_project_settings

    return get_project_settings()


def _database_url(args: argparse.Namespace) -> str:
    if getattr(args, "database", None):
        return str(args.database)
    return resolve_database_url(_project_settings())


def cmd_db(args: argparse.Namespace) -> int:
    url = _database_url(args)
    engine = make_engine(url)
    try:
        if args.db_command == "upgrade":
            before, after = upgrade(engine)
            if before == after:
                print(f"{redact_url(url)}: schema already at {after}")
            else:
                print(f"{redact_url(url)}: schema migrated {before or 'empty'} -> {after}")
        else:
            current = current_revision(engine)
            state = "up to date" if current == head_revision() else f"head is {head_revision()}"
            print(f"{redact_url(url)}: revision {current or 'none'} ({state})")
    finally:
        engine.dispose()
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from scholarcrawl.replay.faults import parse_fault
    from scholarcrawl.replay.generator import DEMO_SPEC, CorpusSpec
    from scholarcrawl.replay.server import ReplayServer, serve

    try:
        faults = [parse_fault(spec) for spec in args.fault]
    except ValueError as exc:
        print(f"scholarcrawl replay: {exc}", file=sys.stderr)
        return 2
    if args.profiles is not None:
        spec = CorpusSpec.uniform(args.profiles, args.publications, seed=args.seed)
    else:
        spec = DEMO_SPEC

    def announce_apis(server: ReplayServer) -> None:
        # settings-style lines, to pass on as -s ARXIV_API_URL=... -s CROSSREF_API_URL=...
        print(f"ARXIV_API_URL={server.arxiv_api_url}", flush=True)
        print(f"CROSSREF_API_URL={server.crossref_api_url}", flush=True)
        print(f"UNPAYWALL_API_URL={server.unpaywall_api_url}", flush=True)
        server.warm_apis()  # build the catalogue now, not on the first API request

    serve(spec, host=args.host, port=args.port, faults=faults, on_listening=announce_apis)
    return 0


def _run_scrapy(arguments: Sequence[str], env: dict[str, str] | None = None) -> int:
    command = [sys.executable, "-m", "scrapy", *arguments]
    environment = {**os.environ, "SCRAPY_SETTINGS_MODULE": SETTINGS_MODULE, **(env or {})}
    return subprocess.call(command, env=environment)


def cmd_import(args: argparse.Namespace) -> int:
    paths = [Path(path).expanduser().resolve() for path in args.files]
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        print(f"scholarcrawl import: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    arguments = ["crawl", "import_pages", "-a", "files=" + ",".join(str(p) for p in paths)]
    if args.database:
        arguments += ["-s", f"SCHOLARCRAWL_DATABASE_URL={args.database}"]
    for setting in args.set:
        if "=" not in setting:
            print(f"scholarcrawl import: -s {setting!r} is not NAME=VALUE", file=sys.stderr)
            return 2
        arguments += ["-s", setting]
    return _run_scrapy(arguments)


def cmd_summary(args: argparse.Namespace) -> int:
    url = _database_url(args)
    repository = Repository(make_engine(url))
    try:
        counts = repository.counts()
        scholars = [
            {
                "scholar_id": row.scholar_id,
                "name": row.name,
                "crawl_status": row.crawl_status,
                "crawl_reason": row.crawl_reason,
                "pages_fetched": row.pages_fetched,
                "rows_seen": row.rows_seen,
            }
            for row in repository.scholars()
        ]
        identifiers = repository.identifier_counts()
    finally:
        repository.engine.dispose()
    if args.json:
        print(
            json.dumps(
                {
                    "database": redact_url(url),
                    "counts": counts,
                    "identifiers": identifiers,
                    "scholars": scholars,
                }
            )
        )
        return 0
    print(f"database: {redact_url(url)}")
    for name, count in counts.items():
        print(f"  {name:<20} {count}")
    if identifiers:
        listed = ", ".join(f"{key} {count}" for key, count in sorted(identifiers.items()))
        print(f"  identifiers: {listed}")
    for scholar in scholars:
        print(
            f"  {scholar['scholar_id']}  {scholar['name'] or '?':<30} "
            f"{scholar['crawl_status'] or '-':<18} pages {scholar['pages_fetched'] or 0:>3}  "
            f"rows {scholar['rows_seen'] or 0:>4}"
            + (f"  ({scholar['crawl_reason']})" if scholar["crawl_reason"] else "")
        )
    return 0


def _read_engine(args: argparse.Namespace) -> Any:
    """An engine on a database at the current schema, or a DatabaseError saying what to do."""
    url = _database_url(args)
    engine = make_engine(url)
    current = current_revision(engine)
    if current != head_revision():
        engine.dispose()
        raise DatabaseError(
            f"{redact_url(url)} is at schema {current or 'none (empty database)'}, "
            f"not {head_revision()}: run `scholarcrawl db upgrade`"
        )
    return engine


def _entry_json(entry: Any) -> dict[str, Any]:
    return {
        "scholar_id": entry.scholar_id,
        "cstart": entry.cstart,
        "status": entry.status,
        "reason": entry.reason,
        "attempts": entry.attempts,
        "next_attempt_at": entry.next_attempt_at.isoformat(),
        "claim_owner": entry.claim_owner,
        "lease_expires_at": entry.lease_expires_at.isoformat() if entry.lease_expires_at else None,
        "last_error": entry.last_error,
        "run_id": entry.run_id,
    }


def cmd_queue(args: argparse.Namespace) -> int:
    from scholarcrawl.store.queue import ContinuationQueue

    engine = _read_engine(args)
    try:
        entries = ContinuationQueue(engine).entries(status=args.status)
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps([_entry_json(entry) for entry in entries]))
        return 0
    if not entries:
        print(
            "the continuation queue is empty" + (f" (status {args.status})" if args.status else "")
        )
        return 0
    header = ("scholar id", "status", "cstart", "attempts", "next attempt (UTC)")
    print("{:<13} {:<10} {:>6} {:>8}  {:<25} reason".format(*header))
    for entry in entries:
        print(
            f"{entry.scholar_id:<13} {entry.status:<10} {entry.cstart:>6} {entry.attempts:>8}  "
            f"{entry.next_attempt_at.isoformat(timespec='seconds'):<25} {entry.reason}"
            + (
                f"  ({entry.last_error})"
                if entry.last_error and entry.status == "abandoned"
                else ""
            )
        )
    return 0


def cmd_merges(args: argparse.Namespace) -> int:
    repository = Repository(_read_engine(args))
    try:
        merges = repository.merges(limit=args.limit)
    finally:
        repository.engine.dispose()
    rows: list[dict[str, Any]] = [
        {
            "survivor_id": merge.survivor_id,
            "survivor_title": merge.survivor_title,
            "merged_publication_id": merge.merged_publication_id,
            "merged_fingerprint": merge.merged_fingerprint,
            "merged_title": merge.merged_title,
            "reason": merge.reason,
            "evidence": merge.evidence,
            "run_id": merge.run_id,
            "merged_at": merge.merged_at.isoformat(),
        }
        for merge in merges
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    if not rows:
        print("no publications have been merged")
        return 0
    for row in rows:
        evidence = row["evidence"]
        print(
            f"#{row['merged_publication_id']} -> #{row['survivor_id']}  {row['reason']}"
            f" {evidence.get('kind', '')} {evidence.get('value', '')}".rstrip()
        )
        print(f"    kept:   {row['survivor_title']}")
        print(
            f"    merged: {row['merged_title']} ({evidence.get('merged_year') or 'no year'}; "
            f"{evidence.get('merged_authors') or 'no authors'})"
        )
    return 0


def _listed(counts: dict[str, int]) -> str:
    """``status count, …`` in status order (empty when there is nothing)."""
    return ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))


def cmd_status(args: argparse.Namespace) -> int:
    from scholarcrawl.store.apistate import ApiClock
    from scholarcrawl.store.queue import ContinuationQueue, CooldownStore

    engine = _read_engine(args)
    try:
        cooldowns = CooldownStore(engine).active()
        queue = ContinuationQueue(engine)
        counts = queue.counts()
        due = len(queue.due())  # what `-a resume=due` would claim now
        apis = ApiClock(engine).states()
        pdf_queue = PdfQueue(engine)
        pdf_counts = pdf_queue.counts()
        pdf_due = pdf_queue.due_count()
        downloads = pdf_queue.download_counts()
        undownloaded = pdf_queue.undownloaded_count()
    finally:
        engine.dispose()
    now = datetime.now(UTC)
    api_cooldowns = [
        state for state in apis if state.cooldown_until is not None and state.cooldown_until > now
    ]
    if args.json:
        print(
            json.dumps(
                {
                    "database": redact_url(_database_url(args)),
                    "cooldowns": [
                        {
                            "egress": state.egress,
                            "reason": state.reason,
                            "until": state.until.isoformat(),
                            "activated_at": state.activated_at.isoformat(),
                            "run_id": state.run_id,
                        }
                        for state in cooldowns.values()
                    ],
                    "queue": counts,
                    "due": due,
                    "pdf_queue": pdf_counts,
                    "pdf_due": pdf_due,
                    "pdf_downloads": downloads,
                    "pdf_undownloaded": undownloaded,
                    "api_cooldowns": [
                        {
                            "service": state.service,
                            "until": state.cooldown_until.isoformat(),
                            "reason": state.cooldown_reason,
                        }
                        for state in api_cooldowns
                        if state.cooldown_until is not None
                    ],
                }
            )
        )
        return 0
    print(f"database: {redact_url(_database_url(args))}")
    if cooldowns:
        for state in cooldowns.values():
            print(
                f"  cooldown: {state.egress} until {state.until.isoformat(timespec='seconds')} "
                f"({state.reason})"
            )
    else:
        print("  cooldowns: none (Scholar requests may go out)")
    for api in api_cooldowns:
        until = api.cooldown_until.isoformat(timespec="seconds") if api.cooldown_until else "?"
        print(f"  API cooldown: {api.service} until {until} ({api.cooldown_reason})")
    print(f"  continuation queue: {_listed(counts) or 'empty'}; due now: {due}")
    print(f"  PDF queue: {_listed(pdf_counts) or 'empty'}; due now: {pdf_due}")
    if downloads:
        print(f"  PDF downloads: {_listed(downloads)}")
    if undownloaded:
        print(
            f"  PDFs resolved and not downloaded: {undownloaded} "
            "(`scrapy crawl pdfs -a download=1` fetches them)"
        )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from scholarcrawl.replay.generator import DEMO_IDS, DEMO_SPEC, Corpus
    from scholarcrawl.replay.server import ReplayServer

    database = Path(args.database_file).resolve()
    url = f"sqlite:///{database}"
    with ReplayServer(Corpus(DEMO_SPEC)) as server:
        server.warm_apis()
        arguments = [
            "crawl",
            "scholar",
            "-a",
            "ids=" + ",".join(DEMO_IDS),
            "-s",
            f"SCHOLAR_BASE_URL={server.base_url}",
            "-s",
            "SCHOLAR_PAGINATION=all",
            "-s",
            f"SCHOLARCRAWL_DATABASE_URL={url}",
            # a local replay needs no politeness delay
            "-s",
            "SCHOLAR_DOWNLOAD_DELAY=0.1",
            "-s",
            "AUTOTHROTTLE_START_DELAY=0.1",
            # identifiers from the replay's mock arXiv and Crossref, with no rate to respect
            "-s",
            f"ARXIV_API_URL={server.arxiv_api_url}",
            "-s",
            f"CROSSREF_API_URL={server.crossref_api_url}",
            "-s",
            "ARXIV_MIN_INTERVAL_SECONDS=0",
            "-s",
            "CROSSREF_MIN_INTERVAL_SECONDS=0",
            "-s",
            "SCHOLARCRAWL_CONTACT_EMAIL=demo@example.org",
            "-s",
            "LOG_LEVEL=INFO",
        ]
        print("demo: replay server on", server.base_url, flush=True)
        print("demo: scrapy " + shlex.join(arguments), flush=True)
        status = _run_scrapy(arguments)
        pages = server.request_count("/citations")
        api_requests = server.request_count("/api/query") + server.request_count("/works")
        if status != 0:
            print(f"demo: the crawl failed (exit status {status})", file=sys.stderr)
            return status
        # then the open-access PDFs of what was found, from the mock Unpaywall and publishers
        from scholarcrawl.browser import launch_options, missing_browser

        no_browser = missing_browser(launch_options({}))
        if no_browser:
            print(f"demo: {no_browser}; pages that need a browser stay pending", flush=True)
        pdf_arguments = [
            "crawl",
            "pdfs",
            "-s",
            f"SCHOLARCRAWL_DATABASE_URL={url}",
            "-s",
            f"UNPAYWALL_API_URL={server.unpaywall_api_url}",
            "-s",
            "UNPAYWALL_EMAIL=demo@example.org",
            "-s",
            "UNPAYWALL_MIN_INTERVAL_SECONDS=0",
            "-s",
            f"PDF_ARXIV_URL={server.base_url}",
            "-s",
            f"PDF_BROWSER_ENABLED={no_browser is None}",
            "-s",
            "PDF_CONCURRENCY=8",
            "-s",
            "DOWNLOAD_DELAY=0",
            "-s",
            "AUTOTHROTTLE_START_DELAY=0",
            "-s",
            "AUTOTHROTTLE_ENABLED=False",
            "-s",
            "LOG_LEVEL=INFO",
        ]
        print("demo: scrapy " + shlex.join(pdf_arguments), flush=True)
        status = _run_scrapy(pdf_arguments)
        oa_requests = server.request_count("/v2/")
        if status != 0:
            print(f"demo: the PDF crawl failed (exit status {status})", file=sys.stderr)
            return status
    repository = Repository(make_engine(url))
    try:
        counts = repository.counts()
        scholars = repository.scholars()
        identifiers = repository.identifier_counts()
        pdf_counts = PdfQueue(repository.engine).counts()
    finally:
        repository.engine.dispose()
    print()
    print("demo summary")
    print(f"  profiles:      {counts['scholars']}")
    for row in scholars:
        print(
            f"    {row.scholar_id}  {row.name}: {row.rows_seen} publications, "
            f"{row.pages_fetched} page{'' if row.pages_fetched == 1 else 's'}, {row.crawl_status}"
        )
    print(f"  publications:  {counts['publications']} (authorships {counts['authorships']})")
    resolved = identifiers.get("status/resolved", 0)
    dois = sum(count for key, count in identifiers.items() if key.startswith("doi/"))
    arxiv_ids = sum(count for key, count in identifiers.items() if key.startswith("arxiv/"))
    print(
        f"  identifiers:   {resolved} publications resolved ({dois} DOIs, {arxiv_ids} arXiv ids; "
        f"{api_requests} API requests to the mock arXiv and Crossref)"
    )
    listed = _listed(pdf_counts) or "empty"
    print(f"  PDF queue:     {listed} ({oa_requests} requests to the mock Unpaywall)")
    print(f"  pages fetched: {pages}")
    print(f"  database:      {database}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scholarcrawl", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="create, migrate or inspect the database schema")
    db.add_argument("db_command", choices=("upgrade", "current"))
    db.add_argument("--database", help="SQLAlchemy URL (default: SCHOLARCRAWL_DATABASE_URL)")
    db.set_defaults(func=cmd_db)

    replay = sub.add_parser(
        "replay",
        help="serve generated Scholar-like profiles and mock arXiv/Crossref APIs on 127.0.0.1",
        description="Serve generated Scholar-like profiles on 127.0.0.1, with mock arXiv "
        "(/api/query), Crossref (/works) and Unpaywall (/v2/) APIs over the same papers, and "
        "publisher landing pages and PDFs. Prints the server's URL, the faults, then "
        "ARXIV_API_URL=..., CROSSREF_API_URL=... and UNPAYWALL_API_URL=... for scholarcrawl.",
    )
    replay.add_argument("--host", default="127.0.0.1")
    replay.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    replay.add_argument("--seed", type=int, default=2026)
    replay.add_argument(
        "--profiles", type=int, help="serve N generated profiles instead of the demo's three"
    )
    replay.add_argument("--publications", type=int, default=120, help="per generated profile")
    replay.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="inject a fault, e.g. 429:retry_after=30,after=5,times=2 or reset:p=0.1,seed=7 "
        "(repeatable; grammar in scholarcrawl/replay/faults.py)",
    )
    replay.set_defaults(func=cmd_replay)

    importer = sub.add_parser("import", help="ingest saved Scholar profile pages")
    importer.add_argument("files", nargs="+", metavar="FILE")
    importer.add_argument("--database", help="SQLAlchemy URL (default: SCHOLARCRAWL_DATABASE_URL)")
    importer.add_argument(
        "-s",
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Scrapy setting for the import (repeatable), e.g. -s IDENTIFIERS_ENABLED=False",
    )
    importer.set_defaults(func=cmd_import)

    demo = sub.add_parser("demo", help="crawl three replayed profiles into SQLite")
    demo.add_argument("--database-file", default="demo.sqlite3")
    demo.set_defaults(func=cmd_demo)

    summary = sub.add_parser("summary", help="what the database holds")
    summary.add_argument("--database", help="SQLAlchemy URL (default: SCHOLARCRAWL_DATABASE_URL)")
    summary.add_argument("--json", action="store_true")
    summary.set_defaults(func=cmd_summary)

    queue = sub.add_parser("queue", help="the continuation queue")
    queue.add_argument("queue_command", choices=("list",))
    queue.add_argument("--status", choices=("queued", "claimed", "done", "abandoned"))
    queue.add_argument("--database", help="SQLAlchemy URL (default: SCHOLARCRAWL_DATABASE_URL)")
    queue.add_argument("--json", action="store_true")
    queue.set_defaults(func=cmd_queue)

    merges = sub.add_parser("merges", help="publications merged into others, and why")
    merges.add_argument("--limit", type=int, default=None, help="the newest N only")
    merges.add_argument("--database", help="SQLAlchemy URL (default: SCHOLARCRAWL_DATABASE_URL)")
    merges.add_argument("--json", action="store_true")
    merges.set_defaults(func=cmd_merges)

    status = sub.add_parser(
        "status", help="active cooldowns, continuation queue and PDF queue counts"
    )
    status.add_argument("--database", help="SQLAlchemy URL (default: SCHOLARCRAWL_DATABASE_URL)")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except DatabaseError as exc:
        print(f"scholarcrawl: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
