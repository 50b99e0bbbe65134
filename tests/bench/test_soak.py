"""The soak (``make soak``) counts what it says: faults, pages, and every row lost or doubled.

The soak itself runs for 30 minutes outside the suite; here it runs one short round over a few
profiles with many faults, and its comparison is shown to see a lost and a doubled row.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from bench.soak import SOAK_KINDS, compare, run_soak, soak_spec
from scholarcrawl.store.db import make_engine

pytestmark = pytest.mark.slow


def test_the_soak_corpus_has_small_large_and_empty_profiles() -> None:
    sizes = soak_spec(2000, seed=9).sizes
    assert len(sizes) == 2000
    assert min(sizes) == 0 and max(sizes) > 100  # empty profiles and paginated ones
    assert 5 <= sorted(sizes)[1000] <= 20
    assert "signin_redirect" not in SOAK_KINDS  # says "no such profile": not transient


def test_a_faulty_round_loses_and_doubles_nothing_and_the_comparison_sees_both(
    tmp_path: Path,
) -> None:
    results, figures = run_soak(
        minutes=0,
        profiles=8,
        seed=3,
        fault_probability=0.3,
        backend="sqlite",
        workdir=tmp_path,
        warmup=0.5,
    )
    by_name = {f["name"]: f for f in figures}
    assert len(results["rounds"]) == 1
    assert results["faults_injected"] > 0
    assert sum(results["faults_by_kind"].values()) == results["faults_injected"]
    # a faulted request is answered in place of its page, which is asked for again
    assert results["pages_served"] >= 8 + results["faults_injected"]
    assert results["runs"] >= 2 and results["run_statuses"].get("running", 0) == 0
    assert results["rows_lost"] == 0, results["examples"]
    assert results["duplicate_rows"] == 0, results["examples"]
    assert not any(results["invariants"].values()), results["invariants"]
    assert results["authorships"] == sum(soak_spec(8, seed=3).sizes)
    assert by_name["rows lost"]["met"] and by_name["duplicate rows"]["met"]
    assert results["memory"]["rss_start_bytes"] and results["memory"]["rss_end_bytes"]

    # the comparison sees a lost authorship and a doubled identifier
    broken = tmp_path / "broken.sqlite3"
    shutil.copy(tmp_path / "soaked.sqlite3", broken)
    clean = make_engine(f"sqlite:///{tmp_path / 'clean.sqlite3'}")
    damaged = make_engine(f"sqlite:///{broken}")
    try:
        with damaged.begin() as connection:
            connection.execute(
                text("DELETE FROM authorships WHERE id = (SELECT min(id) FROM authorships)")
            )
            connection.execute(
                text(
                    "INSERT INTO publication_identifiers (publication_id, kind, value, role, "
                    "source, confidence, evidence, created_at, updated_at) SELECT "
                    "publication_id, kind, value || 'x', role, source, confidence, evidence, "
                    "created_at, updated_at FROM publication_identifiers LIMIT 1"
                )
            )
        comparison = compare(clean, damaged)
        assert comparison.lost == {"authorships": 1}
        assert comparison.duplicates == {"publication_identifiers": 1}
        assert (comparison.rows_lost, comparison.duplicate_rows) == (1, 1)
    finally:
        clean.dispose()
        damaged.dispose()
