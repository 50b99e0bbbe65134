"""``scholarcrawl exclude add|list|remove`` on SQLite and the real PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from scholarcrawl.cli import main
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.server import ReplayServer
from scholarcrawl.store.exclusions import ExclusionStore
from scholarcrawl.store.models import CrawlRun, Publication
from scholarcrawl.store.queue import ContinuationQueue
from scholarcrawl.store.repository import Repository
from tests.conftest import REPO_ROOT
from tests.store.conftest import engine as engine  # the fixture
from tests.store.test_exclusions import merged_paper, rows_of
from tests.store.test_identifiers_store import A, B
from tests.store.test_identifiers_store import repo as repo  # the fixture
from tests.support.crawl import run_scrapy

C = "CCCCCCCCCCCJ"
PROFILE_URL = f"https://scholar.google.com/citations?user={C}&hl=en"

Capture = pytest.CaptureFixture[str]


def run(capsys: Capture, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_a_scholar_is_excluded_listed_and_removed(
    engine: Engine, database_url: str, capsys: Capture
) -> None:
    ContinuationQueue(engine).defer(C, None, 100, "max_pages")
    db = ("--database", database_url)

    status, out, _ = run(capsys, "exclude", "add", PROFILE_URL, "--reason", "left the lab", *db)
    assert status == 0
    assert out.splitlines()[0] == f"excluded scholar {C} (left the lab)"
    assert "its continuation row (queued, stage pages, cstart 100) stays" in out
    assert ExclusionStore(engine).excluded_scholars() == {C}

    status, out, _ = run(capsys, "exclude", "add", C, "--reason", "asked", *db)
    assert status == 0
    assert out.splitlines()[0] == f"scholar {C} was already excluded (reason now: asked)"
    status, out, _ = run(capsys, "exclude", "add", A, *db)
    assert status == 0 and "it has no continuation row" in out
    queue = ContinuationQueue(engine)
    assert queue.claim_profile(B, "running-crawl", lease_seconds=600) is not None
    status, out, _ = run(capsys, "exclude", "add", B, *db)
    assert status == 0 and "a running crawl holds its continuation row (stage pages" in out
    assert queue.complete(B, "running-crawl")
    status, out, _ = run(capsys, "exclude", "add", B, *db)
    assert status == 0 and "its continuation row is done: nothing of it is queued" in out
    assert ExclusionStore(engine).remove("scholar", B) is not None

    status, out, _ = run(capsys, "exclude", "list", "--json", *db)
    listed = json.loads(out)
    assert [(e["kind"], e["value"], e["reason"]) for e in listed] == [
        ("scholar", C, "asked"),
        ("scholar", A, None),
    ]
    status, out, _ = run(capsys, "exclude", "list", *db)
    assert status == 0
    lines = out.splitlines()
    assert len(lines) == 2 and C in lines[0] and "(asked)" in lines[0]

    status, out, _ = run(capsys, "exclude", "remove", PROFILE_URL, *db)
    assert (status, out.strip()) == (
        0,
        f"removed exclusion {listed[0]['id']}: scholar {C} may be crawled again",
    )
    status, out, _ = run(capsys, "exclude", "remove", "--id", str(listed[1]["id"]), *db)
    assert status == 0 and A in out
    status, _, err = run(capsys, "exclude", "remove", C, *db)
    assert status == 1 and f"no exclusion of scholar {C}" in err
    status, _, err = run(capsys, "exclude", "remove", "--id", "999", *db)
    assert status == 1 and "no exclusion 999" in err
    status, out, _ = run(capsys, "exclude", "list", "--kind", "scholar", *db)
    assert (status, out.strip()) == (0, "no exclusions of kind scholar")


def test_a_publication_is_excluded_with_what_went_said_and_removed_by_fingerprint(
    repo: Repository, engine: Engine, database_url: str, capsys: Capture
) -> None:
    paper = merged_paper(repo)
    db = ("--database", database_url)
    rows = rows_of(engine, paper["id"])

    status, out, _ = run(
        capsys, "exclude", "add", "--publication", str(paper["id"]), "--reason", "retracted", *db
    )
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == (
        f"excluded: publication {paper['fingerprint']} 'Graph kernels revisited' (retracted)"
    )
    assert lines[1] == (
        f"  deleted publication {paper['id']} and its 2 authorships, "
        f"{rows['citation_snapshots']} citation snapshots, "
        f"{rows['publication_identifiers']} identifiers, 2 cluster ids, 1 merge record, "
        "1 PDF queue row"
    )
    assert lines[2] == (
        "  recognised from now on by its fingerprint, 1 merged fingerprint, 2 cluster ids, "
        "2 profile keys, 2 DOI/arXiv ids"
    )
    with engine.connect() as connection:
        assert (
            connection.scalar(sa.select(Publication.id).where(Publication.id == paper["id"]))
            is None
        )

    status, out, _ = run(capsys, "exclude", "list", "--kind", "publication", "--json", *db)
    [listed] = json.loads(out)
    assert listed["value"] == paper["fingerprint"]
    assert listed["merged_fingerprints"] == [paper["merged_fingerprint"]]
    assert sorted(listed["pub_keys"]) == [[A, "A-gk"], [B, "B-gk"]]
    status, out, _ = run(capsys, "exclude", "list", *db)
    assert "'Graph kernels revisited'" in out and "(retracted)" in out

    # the id is gone with the publication: the fingerprint (or a merged one) names it
    status, _, err = run(capsys, "exclude", "remove", "--publication", str(paper["id"]), *db)
    assert status == 2 and "its id names nothing now" in err
    status, out, _ = run(
        capsys, "exclude", "remove", "--publication", paper["merged_fingerprint"].upper(), *db
    )
    assert status == 0
    assert out.startswith(f"removed exclusion {listed['id']}: publication {paper['fingerprint']}")
    assert ExclusionStore(engine).entries() == []


def test_bad_arguments_exit_2_before_the_database_is_opened(
    tmp_path: Path, capsys: Capture
) -> None:
    url = f"sqlite:///{tmp_path / 'absent.sqlite3'}"
    db = ("--database", url)
    cases = [
        (("add", C, "--publication", "3"), "give a SCHOLAR_ID or --publication ID, only one"),
        (("add",), "give a SCHOLAR_ID or --publication ID"),
        (("add", "not-an-id"), "'not-an-id' is not a Scholar id"),
        (("add", "--publication", "x12"), "--publication takes a publication id"),
        (("remove",), "give a SCHOLAR_ID, --publication FINGERPRINT or --id N"),
        (("remove", C, "--id", "1"), "only one"),
        (("remove", "--id", "one"), "--id takes an exclusion number"),
        (("remove", "--publication", "abc"), "fingerprint (32 hex digits"),
    ]
    for argv, message in cases:
        status, _, err = run(capsys, "exclude", *argv, *db)
        assert status == 2, argv
        assert err.startswith(f"scholarcrawl exclude {argv[0]}: ") and message in err, err
        assert err.count("\n") == 1
    assert not (tmp_path / "absent.sqlite3").exists()


def test_an_unknown_publication_exits_1_and_changes_nothing(
    engine: Engine, database_url: str, capsys: Capture
) -> None:
    status, _, err = run(
        capsys, "exclude", "add", "--publication", "4242", "--database", database_url
    )
    assert (status, err.strip()) == (
        1,
        "scholarcrawl exclude add: no publication 4242 (`scholarcrawl export` shows their ids)",
    )
    assert ExclusionStore(engine).entries() == []


def test_an_unusable_database_is_one_line_and_exit_1(tmp_path: Path, capsys: Capture) -> None:
    down = "postgresql+psycopg://ops:topsecret@127.0.0.1:9/scholar"
    for argv in (("add", C), ("list",), ("remove", "--id", "1")):
        status, out, err = run(capsys, "exclude", *argv, "--database", down)
        assert (status, out) == (1, "")
        assert err.count("\n") == 1 and err.startswith("scholarcrawl: cannot reach the database")
        assert "topsecret" not in err
    missing = f"sqlite:///{tmp_path / 'missing.sqlite3'}"
    status, _, err = run(capsys, "exclude", "list", "--database", missing)
    assert status == 1 and "there is no database at" in err
    assert not (tmp_path / "missing.sqlite3").exists()


def test_the_installed_command_runs_end_to_end(engine: Engine, database_url: str) -> None:
    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "scholarcrawl.cli",
                "exclude",
                *argv,
                "--database",
                database_url,
            ],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        )

    added = cli("add", C, "--reason", "test")
    assert added.returncode == 0, added.stderr
    listed = cli("list", "--json")
    assert [entry["value"] for entry in json.loads(listed.stdout)] == [C]


def _publications(engine: Engine) -> dict[int, int]:
    """Authorships per stored publication."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT p.id, COUNT(a.id) FROM publications p "
                "LEFT JOIN authorships a ON a.publication_id = p.id GROUP BY p.id"
            )
        )
        return {int(pid): int(count) for pid, count in rows}


@pytest.mark.slow
def test_a_crawl_after_exclude_add_never_stores_the_publication_again(
    engine: Engine, database_url: str, capsys: Capture
) -> None:
    # two profiles listing one paper together
    corpus = Corpus(CorpusSpec(seed=11, sizes=(12, 8), shared_per_pair=1))
    with ReplayServer(corpus) as server:
        settings = {"SCHOLARCRAWL_DATABASE_URL": database_url, "SCHOLAR_BASE_URL": server.base_url}
        crawl = ["crawl", "scholar", "-a", "ids=" + ",".join(corpus.ids)]
        result = run_scrapy(crawl, settings)
        assert result.returncode == 0, result.stderr[-3000:]
        before = _publications(engine)
        [shared] = [pid for pid, count in before.items() if count == 2]
        status, out, _ = run(
            capsys, "exclude", "add", "--publication", str(shared), "--database", database_url
        )
        assert status == 0 and "its 2 authorships" in out
        result = run_scrapy(crawl, settings)
        assert result.returncode == 0, result.stderr[-3000:]
    after = _publications(engine)
    assert set(after) == set(before) - {shared}  # nothing came back, nothing else went
    with engine.connect() as connection:
        stats = connection.scalars(
            sa.select(CrawlRun.stats).order_by(CrawlRun.started_at.desc())
        ).first()
    assert stats is not None
    assert stats["scholarcrawl/exclusions/skipped/publication"] == 2  # one row per profile
    matched = {k: v for k, v in stats.items() if k.startswith("scholarcrawl/exclusions/matched/")}
    assert sum(matched.values()) == 2
