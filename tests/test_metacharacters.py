"""Ids, file names and other arguments holding shell or SQL metacharacters: refused or bound.

No argument ever reaches a shell (commands are argument lists) or an SQL string (statements
are bound): an id with metacharacters is refused with one message before any request, a
LIKE wildcard matches itself, a file name is a file name, and a value passed on to scrapyd
is one form field, byte for byte.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import requests
import responses
from sqlalchemy import inspect

from scholarcrawl.cli import main
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.server import ReplayServer
from scholarcrawl.store.db import make_engine
from scholarcrawl.store.repository import Repository
from scholarcrawl.store.runs import RunStore
from tests.store.test_export import A, build_library
from tests.support.crawl import run_scrapy

# each would do harm if a shell or an SQL string took it as code; a file would show it
CANARY = "PWNED"
SHELL = f"AAAAAAAAAAAJ;touch {CANARY}"
SUBSTITUTION = f"$(touch {CANARY})AAAAAAA"
SQL = "x' OR '1'='1'; DROP TABLE publications;--"
HOSTILE_IDS = (SHELL, SUBSTITUTION, SQL, "AAAAAAAAAAA`id`", "AAAAAAAAAAAJ|sh")


def test_a_crawl_refuses_metacharacter_ids_in_one_message_before_any_request(
    tmp_path: Path,
) -> None:
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("RxmmtT8AAAAJ\n" + "\n".join(HOSTILE_IDS[:2]) + "\n", encoding="utf-8")
    with ReplayServer(Corpus(CorpusSpec(seed=2, sizes=(3,)))) as server:
        result = run_scrapy(
            [
                "crawl",
                "scholar",
                "-a",
                "ids=" + ",".join(HOSTILE_IDS[2:]),
                "-a",
                f"ids_file={ids_file}",
            ],
            {
                "SCHOLAR_BASE_URL": server.base_url,
                "SCHOLARCRAWL_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            },
            cwd=tmp_path,
        )
        assert server.requests == []  # robots.txt included: nothing was sent
    assert result.returncode == 2
    [message] = [line for line in result.stderr.splitlines() if "invalid Scholar ids" in line]
    for bad in HOSTILE_IDS:
        assert repr(bad) in message or bad in message, bad
    assert not (tmp_path / CANARY).exists() and not (Path.cwd() / CANARY).exists()
    assert not (tmp_path / "db.sqlite3").exists()  # refused before the database was touched


def run_cli(*argv: str) -> tuple[int, str]:
    """``scholarcrawl ARGV`` in this process: its exit status and everything it printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(argv))
        except SystemExit as exc:  # argparse's own refusals
            status = int(exc.code or 0)
    return status, out.getvalue() + err.getvalue()


def test_cli_arguments_with_metacharacters_are_refused_or_bound(
    migrated_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SCHOLARCRAWL_DATABASE_URL", raising=False)
    url = migrated_database_url
    engine = make_engine(url)
    build_library(engine)
    run_id = RunStore(engine).create("scholar", {"scholar_ids": [A]})
    before = Repository(engine).counts()
    runs = [run.id for run in RunStore(engine).recent(limit=None)]
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    db = ("--database", url)

    refused = [
        (("export", "--format", "csv", "--scholar", SQL, *db), 2, "not a Scholar id"),
        (("runs", "for-scholar", SHELL, *db), 2, "not a Scholar id"),
        (("exclude", "add", SUBSTITUTION, "--reason", SQL, *db), 2, "not a Scholar id"),
        (("queue", "list", "--status", "done' OR '1'='1", *db), 2, "invalid choice"),
        # refused before scrapyd is asked (nothing listens on port 9) and before any run row
        (("schedule", "--ids", SHELL, "--scrapyd", "http://127.0.0.1:9", *db), 2, "invalid"),
        # LIKE wildcards in a run id prefix match themselves only
        (("runs", "show", "%%%%", *db), 1, "no run"),
        (("runs", "show", run_id[:4].replace(run_id[1], "_"), *db), 1, "no run"),
    ]
    for argv, expected, message in refused:
        status, said = run_cli(*argv)
        assert (status, message in said) == (expected, True), (argv, said)
        assert "Traceback" not in said
    # a file name with metacharacters is a file name: written as it is, nothing run
    target = tmp_path / f"out; touch {CANARY}.csv"
    status, said = run_cli("export", "--format", "csv", "--output", str(target), *db)
    assert status == 0, said
    assert target.is_file() and not (tmp_path / CANARY).exists()
    # a reason full of SQL is stored as written
    status, said = run_cli("exclude", "add", A, "--reason", SQL, *db)
    assert status == 0, said
    status, said = run_cli("exclude", "list", "--json", *db)
    assert [entry["reason"] for entry in json.loads(said)] == [SQL]

    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) == tables
        assert Repository(engine).counts() == before
        assert [run.id for run in RunStore(engine).recent(limit=None)] == runs  # none scheduled
    finally:
        engine.dispose()


@responses.activate
def test_schedule_passes_metacharacter_values_to_scrapyd_as_form_fields(
    migrated_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in (
        "SCRAPYD_URL",
        "SCRAPYD_USERNAME",
        "SCRAPYD_PASSWORD",
        "SCHOLARCRAWL_DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)

    def echo(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        jobid = dict(parse_qsl(str(request.body)))["jobid"]
        return 200, {}, json.dumps({"status": "ok", "jobid": jobid})

    responses.add_callback(responses.POST, "http://127.0.0.1:6811/schedule.json", callback=echo)
    setting = f"SCHOLAR_BASE_URL=http://127.0.0.1:9/$(touch {CANARY});{SQL}&x=1"
    status, said = run_cli(
        "schedule",
        "--ids",
        A,
        "-s",
        setting,
        "--scrapyd",
        "http://127.0.0.1:6811",
        "--database",
        migrated_database_url,
    )
    assert status == 0, said
    [call] = responses.calls
    fields = parse_qsl(str(call.request.body))
    assert ("setting", setting) in fields and ("ids", A) in fields  # one field, as written
    assert len([name for name, _ in fields if name == "setting"]) == 1
    assert not (tmp_path / CANARY).exists()
