"""The ``scholarcrawl`` command: db, summary, demo (end to end)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scholarcrawl.cli import main
from scholarcrawl.replay.generator import DEMO_IDS, DEMO_SPEC
from tests.conftest import REPO_ROOT


def test_db_upgrade_then_summary_json(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade", "--database", database_url]) == 0
    assert "schema migrated empty -> " in capsys.readouterr().out
    assert main(["db", "current", "--database", database_url]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["summary", "--json", "--database", database_url]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["counts"]["publications"] == 0


def test_unreachable_database_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql+psycopg://ops:topsecret@127.0.0.1:9/scholar"
    assert main(["db", "upgrade", "--database", url]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "cannot reach the database" in err
    assert "topsecret" not in err


@pytest.mark.slow
def test_demo_crawls_three_profiles_and_prints_a_summary(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    result = subprocess.run(
        [sys.executable, "-m", "scholarcrawl.cli", "demo", "--database-file", str(database)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "SCHOLAR_PAGINATION=all" in out
    assert "profiles:      3" in out
    assert 250 in DEMO_SPEC.sizes
    pages = sum(max(1, math.ceil(size / 100)) for size in DEMO_SPEC.sizes)
    assert f"pages fetched: {pages}" in out
    assert f"database:      {database}" in out
    for scholar_id in DEMO_IDS:
        assert scholar_id in out
    assert database.exists()
