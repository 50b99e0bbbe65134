"""Conformance of the arXiv, Crossref and Unpaywall parsers with real API answers.

The real answers are never copied into the repository: they live in ``../shared/api-samples``
(beside the repository root), and what was read off each by hand in ``../shared/expected.json``
(the same facts as the tables of ``../shared/SOURCES.md``). Without that folder these tests
skip.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from scholarcrawl.apis import ApiResponseError
from scholarcrawl.apis.arxiv import parse_feed
from scholarcrawl.apis.crossref import parse_work, parse_works
from scholarcrawl.apis.unpaywall import parse_unpaywall

# tests/apis/test_conformance.py -> parents[3] is the folder holding the repository.
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "api-samples"
EXPECTED = SAMPLES.parent / "expected.json"
NO_SAMPLES = f"{SAMPLES} not found: the real API answers are not available here"

ABS_ID = re.compile(r"^https?://arxiv\.org/abs/(?P<id>.+?)(?:v(?P<version>\d+))?$")


def _names(service: str, pattern: str) -> list[Any]:
    folder = SAMPLES / service
    names = sorted(p.name for p in folder.glob(pattern)) if folder.is_dir() else []
    return names or [pytest.param(None, marks=pytest.mark.skip(reason=NO_SAMPLES))]


@cache
def _expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXPECTED.read_text(encoding="utf-8"))
    return data


def _facts(service: str, name: str) -> dict[str, Any]:
    key = f"api-samples/{service}/{name}"
    assert key in _expected(), f"{key} has no hand-read facts in {EXPECTED}"
    facts: dict[str, Any] = _expected()[key]
    return facts


def _status(name: str, facts: dict[str, Any]) -> int:
    # The status the answer was served with: recorded in the facts or in the file name.
    if "http_status" in facts:
        return int(facts["http_status"])
    match = re.search(r"http(\d{3})", name)
    return int(match.group(1)) if match else 200


# --------------------------------------------------------------------------- arXiv


@pytest.mark.parametrize("name", _names("arxiv", "*.xml"))
def test_arxiv_sample(name: str) -> None:
    facts = _facts("arxiv", name)
    body = (SAMPLES / "arxiv" / name).read_bytes()
    status = _status(name, facts)

    if facts["is_error_feed"]:
        with pytest.raises(ApiResponseError) as info:
            parse_feed(body, status)
        assert info.value.reason == "api_error"
        assert info.value.detail  # arXiv's message, from <summary>
        return

    feed = parse_feed(body, status)
    assert feed.total_results == facts["total_results"]
    assert len(feed.entries) == facts["entries"]
    assert feed.skipped == 0
    if facts["first_entry_id"] is None:
        assert feed.entries == ()
        return
    first = feed.entries[0]
    match = ABS_ID.match(facts["first_entry_id"])
    assert match is not None
    assert first.arxiv_id == match.group("id")
    assert first.version == (int(match.group("version")) if match.group("version") else None)
    assert first.title == facts["first_entry_title"]
    assert first.authors
    assert first.abs_url.rsplit("/abs/", 1)[1] == facts["first_entry_id"].rsplit("/abs/", 1)[1]


@pytest.mark.parametrize("name", _names("arxiv", "*.xml"))
def test_arxiv_sample_opensearch_placement(name: str) -> None:
    # Checks the fact the parser must cope with (the namespace declared on the root or on each
    # element), so that both eras stay covered by test_arxiv_sample.
    facts = _facts("arxiv", name)
    root = etree.fromstring((SAMPLES / "arxiv" / name).read_bytes())
    on_root = "http://a9.com/-/spec/opensearch/1.1/" in root.nsmap.values()
    assert on_root == facts["opensearch_ns_declared_on_root"]


def test_arxiv_samples_cover_both_opensearch_placements() -> None:
    names = [n for n in _names("arxiv", "*.xml") if isinstance(n, str)]
    if not names:
        pytest.skip(NO_SAMPLES)
    placements = {_facts("arxiv", n)["opensearch_ns_declared_on_root"] for n in names}
    assert placements == {True, False}


# --------------------------------------------------------------------------- Crossref


@pytest.mark.parametrize("name", _names("crossref", "*"))
def test_crossref_sample(name: str) -> None:
    facts = _facts("crossref", name)
    body = (SAMPLES / "crossref" / name).read_bytes()
    status = _status(name, facts)

    if status != 200:
        parse = parse_works if "works_" in name else parse_work
        with pytest.raises(ApiResponseError) as info:
            parse(body, status)
        if facts.get("status") == "failed":
            assert facts["message_type"] == "validation-failure"
            assert info.value.reason == "api_error"
            assert "validation-failure" in info.value.detail
        else:
            assert info.value.reason == f"http_{status}"
            if facts.get("json") is False:
                assert info.value.detail == facts["body"]
        return

    if facts["message_type"] == "work-list":
        works, skipped = parse_works(body, status)
        assert skipped == 0
        assert len(works) == facts["items"]
        assert works[0].doi == facts["first_item_DOI"].lower()
        assert works[0].title == facts["first_item_title"]
        assert all(work.score is not None for work in works)  # query answers carry scores
        return

    assert facts["message_type"] == "work"
    work = parse_work(body, status)
    assert work.doi == facts["DOI"].lower()
    assert work.work_type == facts["type"]
    assert work.title == facts["title"]
    assert len(work.authors) == facts["n_authors"]
    issued_year = facts["issued"][0][0]
    if issued_year is None:
        assert work.year is None
    else:
        assert work.year == issued_year


# --------------------------------------------------------------------------- Unpaywall


@pytest.mark.parametrize("name", _names("unpaywall", "*.json"))
def test_unpaywall_sample(name: str) -> None:
    facts = _facts("unpaywall", name)
    body = (SAMPLES / "unpaywall" / name).read_bytes()
    status = _status(name, facts)

    if status != 200:
        with pytest.raises(ApiResponseError) as info:
            parse_unpaywall(body, status)
        assert info.value.reason == ("api_error" if status == 422 else f"http_{status}")
        return

    record = parse_unpaywall(body, status)
    assert record.doi == facts["doi"].lower()
    assert record.is_oa is facts["is_oa"]
    assert record.oa_status == facts["oa_status"]
    assert len(record.oa_locations) == facts["n_oa_locations"]
    assert record.title == facts["title"]
    assert record.year == facts["year"]
    assert record.genre == facts["genre"]
    if facts["best_oa_host_type"] is None:
        assert record.best_oa_location is None
        assert record.pdf_urls() == []
        assert record.landing_urls() == []
        return
    best = record.best_oa_location
    assert best is not None
    assert best.host_type == facts["best_oa_host_type"]
    assert best.is_best is True
    assert best in record.oa_locations
    assert [loc.is_best for loc in record.oa_locations].count(True) == 1


@pytest.mark.parametrize("name", _names("unpaywall", "*.json"))
def test_unpaywall_sample_urls_follow_the_answer(name: str) -> None:
    # The URL helpers against the raw JSON, read here without the parser.
    raw = json.loads((SAMPLES / "unpaywall" / name).read_bytes())
    record = parse_unpaywall((SAMPLES / "unpaywall" / name).read_bytes())
    locations = [raw["best_oa_location"], *raw["oa_locations"]] if raw["best_oa_location"] else []
    pdfs = [loc["url_for_pdf"] for loc in locations if loc["url_for_pdf"]]
    landings = [loc["url_for_landing_page"] for loc in locations if loc["url_for_landing_page"]]
    assert record.pdf_urls() == list(dict.fromkeys(pdfs))
    assert record.landing_urls() == list(dict.fromkeys(landings))
    if raw["best_oa_location"] and raw["best_oa_location"]["url_for_pdf"]:
        assert record.pdf_urls()[0] == raw["best_oa_location"]["url_for_pdf"]


def test_unpaywall_samples_cover_the_shapes_that_matter() -> None:
    names = [n for n in _names("unpaywall", "*.json") if isinstance(n, str)]
    if not names:
        pytest.skip(NO_SAMPLES)
    records = [parse_unpaywall((SAMPLES / "unpaywall" / n).read_bytes()) for n in names]
    # A closed work, a best location without a PDF (landing page only), one with a PDF, and
    # a second location that is not the best.
    assert any(r.best_oa_location is None and not r.is_oa for r in records)
    assert any(r.best_oa_location and r.best_oa_location.url_for_pdf is None for r in records)
    assert any(r.best_oa_location and r.best_oa_location.url_for_pdf for r in records)
    assert any(not loc.is_best for r in records for loc in r.oa_locations)
