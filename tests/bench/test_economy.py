"""The request-economy benchmark writes a well-formed section with the right request counts.

Counts, never timings: the replay server's request log is deterministic.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.economy import PAGINATION_SIZES, REFRESH_MODES, expected_pages, main

pytestmark = pytest.mark.slow


def test_economy_counts_requests_per_profile_per_publication_and_per_rerun(
    tmp_path: Path,
) -> None:
    output = tmp_path / "results.json"
    output.write_text(json.dumps({"other": {"kept": True}}), encoding="utf-8")
    arguments = ["--output", str(output), "--api-profiles", "2", "--api-publications", "30"]
    arguments += ["--refresh-profiles", "2", "--refresh-publications", "250"]
    assert main(arguments) == 0

    results = json.loads(output.read_text(encoding="utf-8"))
    assert results["other"] == {"kept": True}  # another benchmark's section is left alone
    section = results["economy"]
    assert section["all_met"] is True
    assert {"generated_at", "environment", "parameters", "figures"} <= set(section)
    assert all({"name", "value", "unit", "target", "met"} == set(f) for f in section["figures"])

    # (a) max(1, ceil(n/100)) Scholar requests for each profile size
    paged = section["pagination"]["profiles"]
    assert [p["publications"] for p in paged] == list(PAGINATION_SIZES)
    assert [p["requests"] for p in paged] == [1, 1, 1, 1, 2, 3, 3, 4]
    assert section["pagination"]["requests"] == sum(expected_pages(n) for n in PAGINATION_SIZES)

    # (b) at most one request per service and publication, none on the rerun
    apis = section["apis"]
    assert apis["rows"] == 60
    assert 0 < apis["api_requests"]["arxiv"] <= apis["unique_publications"]
    assert 0 < apis["api_requests"]["crossref"] <= apis["unique_publications"]
    assert apis["rerun_api_requests"] == {"arxiv": 0, "crossref": 0}
    assert apis["rerun_scholar_requests"] == 2

    # (c) three pages for a 250-row profile, then what each rerun mode spends
    modes = section["refresh"]["modes"]
    assert modes["first crawl"]["requests"] == 6
    assert set(modes) == {"first crawl", *REFRESH_MODES}
    assert modes["refresh=full"]["requests"] == 6
    assert modes["refresh=new"]["requests"] == 2
    assert modes["skip_unchanged=1"]["requests"] == 2
