"""The ``scholarcrawl`` command: database, runs, scheduling, status, export, replay, demo.

    scholarcrawl db upgrade            create or migrate the database
    scholarcrawl db current            show the schema revision
    scholarcrawl replay --port 8000    serve generated Scholar-like profiles on 127.0.0.1, with
                                       mock arXiv, Crossref and Unpaywall APIs and publisher
                                       pages (prints ARXIV_API_URL=..., CROSSREF_API_URL=... and
                                       UNPAYWALL_API_URL=... to point scholarcrawl at them)
    scholarcrawl import FILE... [-s NAME=VALUE]   ingest saved profile pages
    scholarcrawl demo                  replay server, crawl of three profiles into SQLite, then
                                       their open-access PDFs
    scholarcrawl summary [--json]      what the database holds
    scholarcrawl queue list [--json]   the continuation queue (unfinished profiles)
    scholarcrawl merges [--json]       publications merged into others, and why
    scholarcrawl status [--json]       cooldowns, continuation and PDF queues, running runs'
                                       progress, last runs
    scholarcrawl runs list|show ID|for-scholar ID|reap [--scrapyd]|cancel ID [--json]
                                       the runs (crawl_runs); reap --scrapyd also fails queued
                                       runs whose scrapyd job will never start; cancel ID
                                       cancels the run's scrapyd job
    scholarcrawl schedule --ids IDS | --ids-file FILE | --due | --pdfs [-a NAME=VALUE]
                          [-s NAME=VALUE] [--scrapyd URL]
                                       a queued run, then its scrapyd job (docs/runs.md)
    scholarcrawl export --format jsonl|csv|bibtex [--scholar ID]   full publication records
    scholarcrawl exclude add SCHOLAR_ID | --publication ID [--reason TEXT]
                                       never request a profile again, or delete a publication
                                       and never store it again
    scholarcrawl exclude list [--kind scholar|publication] [--json]
    scholarcrawl exclude remove SCHOLAR_ID | --publication FINGERPRINT | --id N

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

from scholarcrawl.export import add_export_command
from scholarcrawl.store.db import (
    DatabaseError,
    current_revision,
    ensure_schema,
    head_revision,
    make_engine,
    redact_url,
    resolve_database_url,
    sqlite_file_missing,
    upgrade,
)
from scholarcrawl.store.pdfqueue import PdfQueue
from scholarcrawl.store.queue import STATUSES as QUEUE_STATUSES
from scholarcrawl.store.repository import Repository
from scholarcrawl.store.runs import STATUSES as RUN_STATUSES

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
    try:
        _pairs("-s", args.set)
    except ValueError as exc:
        print(f"scholarcrawl import: {exc}", file=sys.stderr)
        return 2
    for setting in args.set:
        arguments += ["-s", setting]
    return _run_scrapy(arguments)


def cmd_summary(args: argparse.Namespace) -> int:
    url = _database_url(args)
    repository = Repository(_read_engine(args))
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
    if sqlite_file_missing(url):  # connecting would create an empty file
        raise DatabaseError(
            f"there is no database at {redact_url(url)}: a crawl creates it, or run "
            "`scholarcrawl db upgrade`"
        )
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
        "stage": entry.stage,
        "cstart": entry.cstart,
        "details": entry.work.details,
        "coauthors": entry.work.coauthors,
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
    header = ("scholar id", "status", "stage", "cstart", "attempts", "next attempt (UTC)")
    print("{:<13} {:<10} {:<9} {:>6} {:>8}  {:<25} reason".format(*header))
    for entry in entries:
        print(
            f"{entry.scholar_id:<13} {entry.status:<10} {entry.stage:<9} {entry.cstart:>6} "
            f"{entry.attempts:>8}  "
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
    from scholarcrawl.store.runs import FINISHED, QUEUED, RUNNING, RunStore

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
        runs = RunStore(engine)
        run_counts = runs.counts()
        running = runs.recent(status=(RUNNING, QUEUED), limit=None)
        last_runs = runs.recent(status=FINISHED, limit=args.runs)
    finally:
        engine.dispose()
    now = datetime.now(UTC)
    stale_after = _stale_seconds(args)
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
                    "runs": run_counts,
                    "running_runs": [
                        {**run.as_json(), "stale": run.is_stale(stale_after, now)}
                        for run in running
                    ],
                    "last_runs": [run.as_json() for run in last_runs],
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
    print(f"  runs: {_listed(run_counts) or 'none yet'}")
    for run in running:
        line = f"    {_run_line(run, now)}"
        if run.is_stale(stale_after, now):
            line += "  STALE: killed? `scholarcrawl runs reap` marks it failed"
        print(line)
    if last_runs:
        print(f"  last {len(last_runs)} finished runs:")
        for run in last_runs:
            print(f"    {_run_line(run, now)}")
    return 0


def _age(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "-"
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


def _progress_text(progress: dict[str, Any]) -> str:
    """``pages 12 of 30 known, profiles 2 of 5`` (or the pdfs spider's rows)."""
    parts = []
    if "pages_known" in progress:
        parts.append(f"pages {progress.get('pages_done', 0)} of {progress['pages_known']} known")
    if "profiles" in progress:
        parts.append(f"profiles {progress.get('profiles_done', 0)} of {progress['profiles']}")
    if "rows_claimed" in progress:
        parts.append(f"PDF rows {progress.get('rows_done', 0)} of {progress['rows_claimed']}")
    return ", ".join(parts)


def _counters_text(counters: dict[str, Any]) -> str:
    return ", ".join(f"{name} {value}" for name, value in counters.items() if value)


def _run_line(run: Any, now: datetime) -> str:
    when = run.started_at or run.created_at
    line = (
        f"{run.id}  {run.spider:<12} {run.status:<10} "
        f"{when.isoformat(timespec='seconds')}  {_counters_text(run.counters) or '-'}"
    )
    if run.status == "running":
        progress = _progress_text(run.progress)
        line += f"  [{progress + '; ' if progress else ''}heartbeat {_age(run.heartbeat_at, now)}]"
    if run.error and run.status != "completed":
        line += f"  ({run.error})"
    return line


def _stale_seconds(args: argparse.Namespace) -> float:
    if getattr(args, "stale_after", None) is not None:
        return float(args.stale_after)
    return float(_project_settings().getfloat("RUNS_STALE_AFTER_SECONDS", 300.0))


def cmd_runs(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from scholarcrawl.scrapyd import ScrapydError
    from scholarcrawl.store.runs import RunNotFound, RunStore

    engine = _read_engine(args)
    runs = RunStore(engine)
    now = datetime.now(UTC)
    try:
        if args.runs_command == "list":
            records = runs.recent(status=args.status, spider=args.spider, limit=args.limit)
            if args.json:
                print(json.dumps([run.as_json() for run in records]))
            elif not records:
                print("no runs" + (f" with status {args.status}" if args.status else ""))
            else:
                for run in records:
                    print(_run_line(run, now))
            return 0
        if args.runs_command == "show":
            run = runs.get(args.run_id)
            profiles = runs.scholars_of(run.id)
            if args.json:
                print(json.dumps({**run.as_json(), "scholars": [p.as_json() for p in profiles]}))
                return 0
            _print_run(run, profiles, now)
            return 0
        if args.runs_command == "for-scholar":
            from scholarcrawl.scholar.urls import checked_scholar_id

            try:
                scholar_id = checked_scholar_id(args.scholar_id)
            except ValueError as exc:
                print(f"scholarcrawl runs for-scholar: {exc}", file=sys.stderr)
                return 2
            touched = runs.for_scholar(scholar_id, limit=args.limit)
            if args.json:
                print(json.dumps([entry.as_json() for entry in touched]))
            elif not touched:
                print(f"no run has touched {scholar_id}")
            else:
                for entry in touched:
                    when = (
                        entry.started_at.isoformat(timespec="seconds") if entry.started_at else "-"
                    )
                    print(
                        f"{entry.run_id}  {entry.spider:<8} run {entry.run_status:<10} {when}  "
                        + _profile_text(scholar_id, entry.scholar_status, entry)
                    )
            return 0
        if args.runs_command == "cancel":
            from scholarcrawl.schedule import cancel_run

            with _scrapyd_client(args) as client:
                cancelled, message = cancel_run(engine, client, _scrapyd_project(args), args.run_id)
            print(message, file=sys.stdout if cancelled else sys.stderr)
            return 0 if cancelled else 1
        # reap
        stale = _stale_seconds(args)
        reaped = runs.reap(timedelta(seconds=stale))
        if not args.json:  # before scrapyd is asked: what is done is said even if it is down
            if not reaped:
                print(f"no running run has a heartbeat older than {stale:g} s")
            for run in reaped:
                print(f"{run.id}  {run.spider}: marked failed ({run.error})")
        settled: list[tuple[str, str]] = []
        if args.scrapyd is not None:
            from scholarcrawl.schedule import settle_queued

            try:
                with _scrapyd_client(args) as client:
                    settled = settle_queued(engine, client, _scrapyd_project(args))
            except ScrapydError:
                if args.json:
                    print(json.dumps([run.as_json() for run in reaped]))
                raise
        if args.json:
            print(
                json.dumps(
                    [run.as_json() for run in reaped]
                    + [runs.get(run_id).as_json() for run_id, _ in settled]
                )
            )
            return 0
        if args.scrapyd is not None and not settled:
            print("no queued run waits for a job that scrapyd has finished or forgotten")
        for run_id, why in settled:
            print(f"{run_id}  queued run marked failed: {why}")
        return 0
    except RunNotFound as exc:
        print(f"scholarcrawl runs {args.runs_command}: {exc.args[0]}", file=sys.stderr)
        return 1
    except ScrapydError as exc:
        print(f"scholarcrawl runs {args.runs_command}: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()


def _scrapyd_client(args: argparse.Namespace) -> Any:
    """The client of ``--scrapyd URL`` (an empty URL: ``SCRAPYD_URL``, then the setting)."""
    from scholarcrawl.scrapyd import ScrapydAuth, ScrapydClient, scrapyd_url

    url = args.scrapyd or scrapyd_url(_project_settings())
    return ScrapydClient(url, auth=ScrapydAuth.from_environment(), timeout=args.timeout)


def _scrapyd_project(args: argparse.Namespace) -> str:
    from scholarcrawl.scrapyd import DEFAULT_PROJECT

    return str(args.project or _project_settings().get("SCRAPYD_PROJECT") or DEFAULT_PROJECT)


def _print_run(run: Any, profiles: Sequence[Any], now: datetime) -> None:
    def moment(value: datetime | None) -> str:
        return value.isoformat(timespec="seconds") if value else "-"

    print(f"run {run.id}")
    print(f"  spider:     {run.spider}")
    print(f"  status:     {run.status}" + (f" ({run.error})" if run.error else ""))
    print(f"  arguments:  {json.dumps(run.arguments)}")
    if run.scrapyd_job_id:
        print(f"  scrapyd job: {run.scrapyd_job_id}")
    if run.node:
        print(f"  node:       {run.node}")
    print(f"  created:    {moment(run.created_at)}")
    print(f"  started:    {moment(run.started_at)}")
    print(f"  heartbeat:  {moment(run.heartbeat_at)} ({_age(run.heartbeat_at, now)})")
    print(f"  finished:   {moment(run.finished_at)}")
    print(f"  counters:   {_counters_text(run.counters) or 'none yet'}")
    if run.progress:
        print(f"  progress:   {_progress_text(run.progress)}")
    for entry in profiles:
        print("  " + _profile_text(entry.scholar_id, entry.status, entry))


def _profile_text(scholar_id: str, status: str, entry: Any) -> str:
    """``ID: status (reason), N pages, M rows``: one profile's outcome in one run."""
    reason = f" ({entry.reason})" if entry.reason else ""
    return f"{scholar_id}: {status}{reason}, {entry.pages_fetched} pages, {entry.rows_seen} rows"


def _pairs(option: str, values: Sequence[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"{option} {value!r} is not NAME=VALUE")
        pairs[name.strip()] = rest
    return pairs


def cmd_schedule(args: argparse.Namespace) -> int:
    from scholarcrawl.schedule import JobRequest, ScheduleFailed, check_job, schedule_run, work_due
    from scholarcrawl.scrapyd import RESERVED_ARGUMENTS, ScrapydError

    settings = _project_settings()
    try:
        arguments = _pairs("-a", args.argument)
        extra_settings = _pairs("-s", args.set)
        given = sorted(set(arguments) & {*RESERVED_ARGUMENTS, "ids", "ids_file", "resume"})
        if given:
            raise ValueError(
                f"-a {', '.join(given)}: give ids with --ids or --ids-file and resume with "
                "--due; scrapyd takes the others for itself"
            )
        if args.ids:
            request = JobRequest("scholar", {**arguments, "ids": args.ids}, extra_settings)
        elif args.ids_file:
            from scholarcrawl.spiders.scholar import read_ids_file

            # read here: the file is on this machine, not on the scrapyd node
            ids = ",".join(read_ids_file(args.ids_file))
            request = JobRequest("scholar", {**arguments, "ids": ids}, extra_settings)
        elif args.due:
            request = JobRequest("scholar", {**arguments, "resume": "due"}, extra_settings)
        else:
            request = JobRequest("pdfs", arguments, extra_settings)
        validated = check_job(request, settings)
        client = _scrapyd_client(args)
    except (ValueError, ScrapydError) as exc:
        print(f"scholarcrawl schedule: {exc}", file=sys.stderr)
        return 2
    project = _scrapyd_project(args)
    url = _database_url(args)
    engine = make_engine(url)
    try:
        ensure_schema(engine, auto_migrate=settings.getbool("SCHOLARCRAWL_AUTO_MIGRATE", True))
        if args.due or args.pdfs:
            due = work_due(engine, request.spider, validated)
            what = "PDF rows" if args.pdfs else "continuation rows"
            if not due:
                message = f"nothing to schedule: no {what} are due"
                print(json.dumps({"scheduled": False, "due": 0}) if args.json else message)
                return 0
        try:
            scheduled = schedule_run(engine, client, project, request, validated)
        except ScheduleFailed as exc:
            print(f"scholarcrawl schedule: run {exc.run_id} {exc.status}, {exc}", file=sys.stderr)
            if args.json:
                print(
                    json.dumps(
                        {
                            "scheduled": False,
                            "run_id": exc.run_id,
                            "status": exc.status,
                            "error": str(exc),
                        }
                    )
                )
            return 1
    finally:
        client.close()
        engine.dispose()
    if args.json:
        print(
            json.dumps(
                {
                    "scheduled": True,
                    "run_id": scheduled.run_id,
                    "jobid": scheduled.run_id,  # scheduled with jobid=<run id>
                    "spider": scheduled.spider,
                    "scrapyd": scheduled.url,
                    "project": project,
                }
            )
        )
    else:
        print(
            f"run {scheduled.run_id} queued: {scheduled.spider} job {scheduled.run_id} on "
            f"{scheduled.url} (`scholarcrawl runs show {scheduled.run_id}` follows it)"
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
        from scholarcrawl.store.runs import RunStore

        runs = RunStore(repository.engine).recent(limit=2)
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
    for run in reversed(runs):
        print(
            f"  run:           {run.id} {run.spider} {run.status}; {_counters_text(run.counters)}"
        )
    print(f"  database:      {database}")
    print("  (`scholarcrawl status` and `scholarcrawl runs list` with --database sqlite:///…)")
    return 0


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


#: How `exclude add --publication` names the rows deleted with a publication, in this order.
_DELETED_ROWS = (
    ("authorships", "authorship"),
    ("citation_snapshots", "citation snapshot"),
    ("publication_identifiers", "identifier"),
    ("publication_clusters", "cluster id"),
    ("publication_merges", "merge record"),
    ("pdf_queue", "PDF queue row"),
)


def _exclusion_target(args: argparse.Namespace) -> tuple[str, Any]:
    """What ``exclude add|remove`` names: (kind, value), checked before the database is
    opened; ValueError saying what is wrong."""
    from scholarcrawl.scholar.urls import checked_scholar_id

    given = [
        name
        for name in ("scholar_id", "publication", "exclusion_id")
        if getattr(args, name, None) is not None
    ]
    if len(given) != 1:
        what = (
            "a SCHOLAR_ID or --publication ID"
            if args.exclude_command == "add"
            else "a SCHOLAR_ID, --publication FINGERPRINT or --id N"
        )
        raise ValueError(f"give {what}{'' if not given else ', only one'}")
    if args.scholar_id is not None:
        return "scholar", checked_scholar_id(args.scholar_id)
    if getattr(args, "exclusion_id", None) is not None:
        value = str(args.exclusion_id).strip()
        if not value.isdigit():
            raise ValueError(f"--id takes an exclusion number (`exclude list`), not {value!r}")
        return "id", int(value)
    value = str(args.publication).strip()
    if args.exclude_command == "add":
        if not value.isdigit():
            raise ValueError(
                f"--publication takes a publication id (a number, as `export` shows it), "
                f"not {value!r}"
            )
        return "publication", int(value)
    if len(value) != 32 or any(c not in "0123456789abcdef" for c in value.lower()):
        raise ValueError(
            f"--publication takes the excluded publication's fingerprint (32 hex digits, as "
            f"`exclude list` shows it), not {value!r}: excluding a publication deleted it, so "
            "its id names nothing now (or use --id N)"
        )
    return "publication", value.lower()


def cmd_exclude(args: argparse.Namespace) -> int:
    from scholarcrawl.store.exclusions import (
        PUBLICATION,
        SCHOLAR,
        ExclusionStore,
        PublicationNotFound,
    )
    from scholarcrawl.store.queue import ContinuationQueue

    command = f"scholarcrawl exclude {args.exclude_command}"
    target: tuple[str, Any] | None = None
    if args.exclude_command != "list":
        try:
            target = _exclusion_target(args)
        except ValueError as exc:
            print(f"{command}: {exc}", file=sys.stderr)
            return 2
    engine = _read_engine(args)
    try:
        store = ExclusionStore(engine)
        if target is None:  # list
            records = store.entries(args.kind)
            if args.json:
                print(json.dumps([record.as_json() for record in records], ensure_ascii=False))
                return 0
            if not records:
                print("no exclusions" + (f" of kind {args.kind}" if args.kind else ""))
            for record in records:
                line = (
                    f"{record.id:>4}  {record.kind:<11} {record.value:<32}  "
                    f"{record.created_at.isoformat(timespec='seconds')}"
                )
                if record.title:
                    line += f"  {record.title!r}"
                if record.reason:
                    line += f"  ({record.reason})"
                print(line)
            return 0
        kind, value = target
        if args.exclude_command == "add" and kind == "scholar":
            record = store.add_scholar(value, args.reason)
            entry = ContinuationQueue(engine).get(value)
            said = (
                f"scholar {value} was already excluded"
                if record.existed
                else f"excluded scholar {value}"
            )
            if record.reason:
                said += f" ({'reason now: ' if record.existed else ''}{record.reason})"
            print(said)
            if entry is None:
                print("  it has no continuation row: no run has it queued")
            elif entry.status == "claimed":
                print(
                    f"  a running crawl holds its continuation row (stage {entry.stage}, cstart "
                    f"{entry.cstart}): it drops the profile's items from its next read of the "
                    "exclusions (EXCLUSIONS_REFRESH_SECONDS), and later runs skip the row"
                )
            elif entry.status == "queued":
                print(
                    f"  its continuation row (queued, stage {entry.stage}, cstart "
                    f"{entry.cstart}) stays, and runs skip it while the exclusion holds"
                )
            else:
                print(f"  its continuation row is {entry.status}: nothing of it is queued")
            print(
                "  what is stored of the profile stays; "
                "`scholarcrawl exclude add --publication ID` deletes a publication"
            )
            return 0
        if args.exclude_command == "add":
            try:
                record = store.add_publication(value, args.reason)
            except PublicationNotFound as exc:
                print(f"{command}: {exc} (`scholarcrawl export` shows their ids)", file=sys.stderr)
                return 1
            deleted = dict(record.deleted)
            rows = [
                _plural(deleted[table], noun) for table, noun in _DELETED_ROWS if deleted.get(table)
            ]
            said = "already excluded, now deleted again" if record.existed else "excluded"
            print(
                f"{said}: publication {record.value} {record.title!r}"
                + (f" ({record.reason})" if record.reason else "")
            )
            print(
                f"  deleted publication {value}"
                + (f" and its {', '.join(rows)}" if rows else " (nothing referred to it)")
            )
            keys = ["its fingerprint"] + [
                _plural(count, noun)
                for count, noun in (
                    (len(record.merged_fingerprints), "merged fingerprint"),
                    (len(record.cluster_ids), "cluster id"),
                    (len(record.pub_keys), "profile key"),
                    (len(record.own_identifiers), "DOI/arXiv id"),
                )
                if count
            ]
            print(f"  recognised from now on by {', '.join(keys)}")
            return 0
        # remove
        if kind == "id":
            removed = store.remove_id(value)
            missing = f"no exclusion {value}"
        else:
            removed = store.remove(SCHOLAR if kind == "scholar" else PUBLICATION, value)
            missing = f"no exclusion of {kind} {value}"
        if removed is None:
            print(f"{command}: {missing} (`scholarcrawl exclude list` shows them)", file=sys.stderr)
            return 1
        if removed.kind == SCHOLAR:
            print(f"removed exclusion {removed.id}: scholar {removed.value} may be crawled again")
        else:
            print(
                f"removed exclusion {removed.id}: publication {removed.value} {removed.title!r} "
                "is stored again when a crawl next sees it"
            )
        return 0
    finally:
        engine.dispose()


def _add_database(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", help="SQLAlchemy URL (default: SCHOLARCRAWL_DATABASE_URL)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scholarcrawl", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="create, migrate or inspect the database schema")
    db.add_argument("db_command", choices=("upgrade", "current"))
    _add_database(db)
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
    _add_database(importer)
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
    _add_database(summary)
    summary.add_argument("--json", action="store_true")
    summary.set_defaults(func=cmd_summary)

    queue = sub.add_parser("queue", help="the continuation queue")
    queue.add_argument("queue_command", choices=("list",))
    queue.add_argument("--status", choices=QUEUE_STATUSES)
    _add_database(queue)
    queue.add_argument("--json", action="store_true")
    queue.set_defaults(func=cmd_queue)

    merges = sub.add_parser("merges", help="publications merged into others, and why")
    merges.add_argument("--limit", type=int, default=None, help="the newest N only")
    _add_database(merges)
    merges.add_argument("--json", action="store_true")
    merges.set_defaults(func=cmd_merges)

    status = sub.add_parser(
        "status",
        help="cooldowns, continuation and PDF queue counts, running runs' progress, last runs",
    )
    _add_database(status)
    status.add_argument("--runs", type=int, default=5, help="how many finished runs (default 5)")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)

    runs = sub.add_parser(
        "runs", help="the runs: list, show, which runs touched a scholar, reap, cancel"
    )
    runs_sub = runs.add_subparsers(dest="runs_command", required=True)
    runs_list = runs_sub.add_parser("list", help="the newest runs first")
    runs_list.add_argument("--status", choices=RUN_STATUSES)
    runs_list.add_argument("--spider", help="only this spider's runs (scholar, pdfs, import_pages)")
    runs_list.add_argument("--limit", type=int, default=20, help="at most N runs (default 20)")
    runs_show = runs_sub.add_parser("show", help="one run: status, counters, progress, profiles")
    runs_show.add_argument(
        "run_id", metavar="ID", help="run id, a unique prefix of it, or a job id"
    )
    runs_for = runs_sub.add_parser("for-scholar", help="the runs that touched a scholar, and how")
    runs_for.add_argument("scholar_id", metavar="ID", help="Scholar id or profile URL")
    runs_for.add_argument("--limit", type=int, default=None, help="the newest N only")
    runs_reap = runs_sub.add_parser(
        "reap", help="mark failed the running runs whose heartbeat is stale (killed processes)"
    )
    runs_reap.add_argument(
        "--scrapyd",
        nargs="?",
        const="",
        metavar="URL",
        help="also fail the queued runs whose job scrapyd has finished or does not know "
        "(URL default: SCRAPYD_URL)",
    )
    runs_cancel = runs_sub.add_parser(
        "cancel", help="cancel a run's scrapyd job (a pending one's run is marked cancelled)"
    )
    runs_cancel.add_argument("run_id", metavar="ID", help="run id or a unique prefix of it")
    runs_cancel.add_argument("--scrapyd", metavar="URL", help="default: SCRAPYD_URL")
    for command in (runs_reap, runs_cancel):
        command.add_argument("--project", help="scrapyd project (default: SCRAPYD_PROJECT)")
        command.add_argument("--timeout", type=float, default=10.0, help="seconds for scrapyd")
    runs_reap.add_argument(
        "--stale-after",
        type=float,
        metavar="SECONDS",
        help="heartbeat age that counts as dead (default: RUNS_STALE_AFTER_SECONDS, 300)",
    )
    for command in (runs_list, runs_show, runs_for, runs_reap, runs_cancel):
        _add_database(command)
    for command in (runs_list, runs_show, runs_for, runs_reap):
        command.add_argument("--json", action="store_true")
    runs.set_defaults(func=cmd_runs)

    schedule = sub.add_parser(
        "schedule",
        help="record a queued run, then schedule its scrapyd job (jobid = run id)",
        description="Create the run (queued) and commit it, then call scrapyd's schedule.json "
        "with jobid=<run id>. When scrapyd refuses or is down, the run is marked failed and the "
        "command exits 1. --due and --pdfs schedule only when rows are due (for cron). "
        "Credentials: SCRAPYD_USERNAME and SCRAPYD_PASSWORD in the environment.",
    )
    what = schedule.add_mutually_exclusive_group(required=True)
    what.add_argument("--ids", help="scholar ids or profile URLs, comma-separated")
    what.add_argument("--ids-file", help="a file of ids, one per line (read on this machine)")
    what.add_argument(
        "--due", action="store_true", help="a `scholar -a resume=due` job, if any profile is due"
    )
    what.add_argument("--pdfs", action="store_true", help="a `pdfs` job, if any PDF row is due")
    schedule.add_argument(
        "-a",
        dest="argument",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a spider argument (repeatable): limit=N, max_seconds=S, refresh=new, "
        "skip_unchanged=1, dry_run=1, download=1, ...",
    )
    schedule.add_argument(
        "-s",
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Scrapy setting for the job (repeatable); scrapyd shows job settings in its log "
        "and listjobs.json, so secrets belong in scrapyd's environment",
    )
    schedule.add_argument("--scrapyd", metavar="URL", help="default: SCRAPYD_URL, then the setting")
    schedule.add_argument("--project", help="scrapyd project (default: SCRAPYD_PROJECT)")
    schedule.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for scrapyd")
    _add_database(schedule)
    schedule.add_argument("--json", action="store_true")
    schedule.set_defaults(func=cmd_schedule)

    exclude = sub.add_parser(
        "exclude",
        help="profiles never to request, publications never to store again",
        description="Exclude a profile (no run requests it again; what is stored of it stays) "
        "or a publication (deleted now with its authorships, history, identifiers and PDF "
        "queue row, and never stored again, whichever key a later row of it has). Running "
        "crawls see a change within EXCLUSIONS_REFRESH_SECONDS.",
    )
    exclude_sub = exclude.add_subparsers(dest="exclude_command", required=True)
    exclude_add = exclude_sub.add_parser("add", help="exclude a profile or a publication")
    exclude_add.add_argument("scholar_id", nargs="?", metavar="SCHOLAR_ID", help="id or URL")
    exclude_add.add_argument("--publication", metavar="ID", help="a stored publication's id")
    exclude_add.add_argument("--reason", help="why (shown by `exclude list`)")
    exclude_list = exclude_sub.add_parser("list", help="every exclusion, oldest first")
    exclude_list.add_argument("--kind", choices=("scholar", "publication"))
    exclude_list.add_argument("--json", action="store_true")
    exclude_remove = exclude_sub.add_parser("remove", help="lift an exclusion")
    exclude_remove.add_argument("scholar_id", nargs="?", metavar="SCHOLAR_ID", help="id or URL")
    exclude_remove.add_argument(
        "--publication", metavar="FINGERPRINT", help="the excluded publication's fingerprint"
    )
    exclude_remove.add_argument(
        "--id", dest="exclusion_id", metavar="N", help="the exclusion's number (`exclude list`)"
    )
    for command in (exclude_add, exclude_list, exclude_remove):
        _add_database(command)
    exclude.set_defaults(func=cmd_exclude)

    add_export_command(sub)
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
