"""The end-of-crawl summary's identifier line."""

from __future__ import annotations

from scholarcrawl.extensions.summary import summarise_identifiers


def test_identifier_line_counts_outcomes_requests_and_cache_hits() -> None:
    stats: dict[str, object] = {
        "scholarcrawl/identifiers/status/resolved": 40,
        "scholarcrawl/identifiers/status/no_match": 7,
        "scholarcrawl/identifiers/status/deferred": 3,
        "scholarcrawl/identifiers/skipped/already_resolved": 12,
        "scholarcrawl/crossref/request_completed": 9,
        "scholarcrawl/crossref/cache_hit": 41,
        "scholarcrawl/arxiv/request_completed": 5,
    }
    line = summarise_identifiers(stats)
    assert line is not None
    assert line.startswith("identifiers: deferred 3, no_match 7, resolved 40, already resolved 12")
    assert "arxiv 5 requests, 0 from cache" in line
    assert "crossref 9 requests, 41 from cache" in line
    assert "asked again by the next crawl" in line


def test_no_line_when_resolution_did_not_run() -> None:
    assert summarise_identifiers({"item_scraped_count": 3}) is None
