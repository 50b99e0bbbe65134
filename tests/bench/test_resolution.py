"""The end-to-end resolution benchmark measures what it says (a small corpus, not a timing)."""

from __future__ import annotations

from bench.resolution import TARGET_PRECISION, TARGET_RECALL, run


def test_resolution_against_the_mock_catalogue_meets_its_targets() -> None:
    section = run(profiles=4, publications=60, seed=7)
    assert section["rows"] > 150
    assert section["identifiers_given"] == section["right"] + section["wrong"]
    assert section["precision"] >= TARGET_PRECISION
    assert section["recall"] >= TARGET_RECALL
    # at most one query per service per row, and none for rows settled locally
    assert all(0 < per_row <= 1 for per_row in section["api_requests_per_row"].values())
