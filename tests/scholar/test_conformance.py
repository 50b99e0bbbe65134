"""Conformance of the parser with real Scholar pages and what was read off them by hand.

The real pages are never copied into the repository: they live in ``../shared`` (next to the
repository root) with ``expected.json``. Without that folder these tests skip.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse

from scholarcrawl.scholar import blocks
from scholarcrawl.scholar.colleagues import parse_colleagues_page
from scholarcrawl.scholar.detail import parse_detail_page
from scholarcrawl.scholar.model import ProfilePage, PublicationDetail, ScholarPageError
from scholarcrawl.scholar.parser import parse_cites_per_year, parse_profile_page

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
PROFILES = SHARED / "scholar-pages" / "profiles"
BLOCKED = SHARED / "scholar-pages" / "blocked"
DETAILS = SHARED / "scholar-pages" / "detail"
EXPECTED = SHARED / "expected.json"
URL = "https://scholar.google.com/citations?hl=en&user=AAAAAAAAAAAA"
NO_SHARED = f"{SHARED} not found: the real Scholar pages are not available here"

# expected.json keys that describe the page's markup rather than anything the parser returns.
NOT_PARSER_OUTPUT = {
    "more_button_present": "presence of #gsc_bpf_more; only its state is returned",
    "prev_next_buttons": "presence of #gsc_bpf_prev/#gsc_bpf_next; folded into more_enabled",
}

# Where the parser deliberately differs from the hand count, with the value it returns.
KNOWN_DIFFERENCES: dict[tuple[str, str], tuple[Any, str]] = {
    ("profile_Pm3O_58AAAAJ_2014_browser_saved.html", "coauthors_listed"): (
        9,
        "the hand count (10) includes the one 'Add co-authors' suggestion (#gsc_rsb_ssc) that "
        "a logged-in owner sees; suggestions are not co-authors",
    ),
}


def _names(folder: Path) -> list[Any]:
    names = sorted(p.name for p in folder.glob("*.html")) if folder.is_dir() else []
    return names or [pytest.param(None, marks=pytest.mark.skip(reason=NO_SHARED))]


@cache
def _expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXPECTED.read_text(encoding="utf-8"))
    return data


@cache
def _page_text(path: Path) -> tuple[bytes, str]:
    body = path.read_bytes()
    response = HtmlResponse(url=URL, body=body)
    return body, response.text


def _selector(body: bytes) -> Any:
    return HtmlResponse(url=URL, body=body).selector


@cache
def _parsed(name: str) -> ProfilePage:
    body, _ = _page_text(PROFILES / name)
    return parse_profile_page(_selector(body))


def _markup(expected: str) -> str:
    return "legacy" if expected.startswith("legacy") else "gsc"


def _row_summary(page: ProfilePage, index: int) -> dict[str, Any]:
    row = page.rows[index]
    # expected.json writes a blank "Cited by" cell as null: our model says 0 citations.
    return {"title": row.title, "cites": row.citations, "year": row.year}


def _observed(name: str, key: str, expected: dict[str, Any]) -> tuple[Any, Any]:
    """(what the parser says, what it should say) for one expected.json key."""
    page = _parsed(name)
    header = page.header
    rows = page.rows
    want = expected[key]
    if key == "name":
        return header.name, want
    if key == "rows":
        return len(rows), want
    if key in {"first", "last"}:
        blank_as_zero = {**want, "cites": want["cites"] or 0}
        return _row_summary(page, 0 if key == "first" else -1), blank_as_zero
    if key == "more_enabled":
        # Our more_enabled also means "a legacy Next > link is present".
        return page.more_enabled, want or bool(expected.get("has_next_page_link"))
    if key == "has_next_page_link":
        return page.more_enabled, want
    if key == "markup":
        return page.markup, _markup(want)
    if key == "articles_range_text":
        start = re.match(r"\D*(\d+)", want) if want else None
        return page.cstart, int(start.group(1)) - 1 if start else 0
    if key == "interests":
        return list(header.interests), want
    if key == "affiliation":
        return header.affiliation, want
    if key == "user_id":
        return header.scholar_id, want
    if key == "citation_table":
        numbers = [
            header.citations_all,
            header.citations_since,
            header.h_index_all,
            header.h_index_since,
            header.i10_all,
            header.i10_since,
        ]
        return numbers, [int(value) for value in want]
    if key == "coauthors_listed":
        return len(header.coauthors), want
    if key == "n_rows_missing_year":
        return sum(row.year is None for row in rows), want
    if key == "n_rows_blank_cites":
        return sum(row.citations == 0 for row in rows), want
    if key == "n_rows_merged_gsc_a_acm":
        # Our merged flag also covers the older "*" marker (a.gsc_a_am), counted apart here.
        _, text = _page_text(PROFILES / name)
        stars = len(re.findall(r'class="gsc_a_am"', text))
        return sum(row.merged for row in rows), want + stars
    if key == "n_titles_non_ascii":
        return sum(any(ord(ch) > 127 for ch in row.title) for row in rows), want
    raise AssertionError(f"expected.json key {key!r} is not checked by this test")


@pytest.mark.parametrize("name", _names(PROFILES))
def test_profile_matches_expected_json(name: str) -> None:
    expected = _expected().get(f"scholar-pages/profiles/{name}")
    assert expected is not None, f"expected.json has no entry for {name}"
    problems = []
    for key in sorted(expected):
        if key in NOT_PARSER_OUTPUT:
            continue
        got, want = _observed(name, key, expected)
        if (name, key) in KNOWN_DIFFERENCES:
            want = KNOWN_DIFFERENCES[name, key][0]
        if got != want:
            problems.append(f"{key}: parsed {got!r}, expected {want!r}")
    assert not problems, f"{name}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("name", _names(PROFILES))
def test_rows_are_consistent(name: str) -> None:
    page = _parsed(name)
    user = page.header.scholar_id
    assert [row.position for row in page.rows] == list(
        range(page.cstart + 1, page.cstart + len(page.rows) + 1)
    )
    for row in page.rows:
        assert row.title and row.title == row.title.strip()
        assert row.scholar_pub_key and row.scholar_pub_key.startswith(f"{user}:"), row
        assert all(cid.isdigit() for cid in row.cluster_ids), row
        assert (row.citations > 0) == bool(row.cluster_ids), row
        if row.venue is not None:
            assert not re.search(r",\s*(0|\d{4})$", row.venue), row  # no Scholar-added year
        assert row.year is None or 1900 < row.year < 2100, row
    keys = [row.scholar_pub_key for row in page.rows]
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("name", _names(PROFILES))
def test_cites_per_year_make_sense(name: str) -> None:
    header = _parsed(name).header
    chart = header.cites_per_year
    if _parsed(name).markup == "legacy":
        assert chart == {}  # the legacy chart is an image
        return
    assert chart, "every gsc page studied has a chart"
    years = sorted(chart)
    assert years == list(range(years[0], years[-1] + 1)), "years must be contiguous"
    assert all(count >= 0 for count in chart.values())
    assert header.citations_all is not None and header.citations_since is not None
    # Bars cover only the chart's span: they can only undercount the all-time total.
    assert sum(chart.values()) <= header.citations_all
    # The "Since YEAR" column counts the same citations as the bars from YEAR on (Scholar's
    # numbers are rounded a little differently: within 1% or 3 citations on every real page).
    assert header.since_year is not None
    since = sum(count for year, count in chart.items() if year >= header.since_year)
    assert abs(since - header.citations_since) <= max(3, header.citations_since // 100)


@pytest.mark.parametrize("name", _names(PROFILES))
def test_bar_offsets_and_z_index_agree(name: str) -> None:
    """Both positional signals give the same chart; neither depends on the bars' order."""
    _, text = _page_text(PROFILES / name)
    chart = _parsed(name).header.cites_per_year
    if _parsed(name).markup == "legacy":
        # The 2014 chart is a Google Charts image: no numbers to read, none invented.
        assert "gsc_g_a" not in text and chart == {}
        return
    bar_style = re.compile(r'(class="gsc_g_a" style=")([^"]*)(")')
    no_offset = bar_style.sub(
        lambda m: m[1] + re.sub(r"(left|right):\d+px;?", "", m[2]) + m[3], text
    )
    no_z_index = bar_style.sub(lambda m: m[1] + re.sub(r";?z-index:\d+", "", m[2]) + m[3], text)
    assert no_offset != text and no_z_index != text
    for variant in (no_offset, no_z_index):
        assert parse_cites_per_year(_selector(variant.encode("utf-8"))) == chart


@pytest.mark.parametrize("name", _names(BLOCKED))
def test_blocked_pages_are_layout_unrecognised(name: str) -> None:
    body, _ = _page_text(BLOCKED / name)
    with pytest.raises(ScholarPageError) as raised:
        parse_profile_page(_selector(body))
    assert raised.value.reason == "layout_unrecognised"
    assert raised.value.temporary is False


def test_expected_json_keys_are_all_known() -> None:
    """A new key in expected.json must be checked above or listed as not parser output."""
    if not EXPECTED.is_file():
        pytest.skip(NO_SHARED)
    checked = {
        "name",
        "rows",
        "first",
        "last",
        "more_enabled",
        "has_next_page_link",
        "markup",
        "articles_range_text",
        "interests",
        "affiliation",
        "user_id",
        "citation_table",
        "coauthors_listed",
        "n_rows_missing_year",
        "n_rows_blank_cites",
        "n_rows_merged_gsc_a_acm",
        "n_titles_non_ascii",
    }
    profile_keys = {
        key
        for path, entry in _expected().items()
        if path.startswith("scholar-pages/profiles/")
        for key in entry
    }
    assert profile_keys - checked - set(NOT_PARSER_OUTPUT) == set()


# ---------------------------------------------------------------------------------------------
# publication detail pages

# expected.json keys of a detail page that describe the page, not what the parser returns.
DETAIL_NOT_PARSER_OUTPUT = {
    "kind": "the page kind (view_citation)",
    "user_id": "the profile owner, from the URL the spider asked for",
    "html_title": "<title>View article</title>",
    "meta_description": "the <meta name=description> summary; the fields are read instead",
    "profile_owner_sidebar": "the profile owner's name in the left column",
    "markup": "gsc_oci_* (current); the parser also reads gsc_vcd_*",
    "declared_charset": "decoding is the response's job (Scrapy honours <meta charset>)",
    "non_ascii": "the U+FFFD sits in a merged snippet's author line, which is not returned",
    "whitespace_reformatted": "the IDE's re-indentation, collapsed by clean_text",
    "logged_in": "a logged-out page",
    "fetched_utc": "when the page was fetched",
    "n_merged_snippets": "versions are returned as their cluster ids (see cluster_ids)",
    "merged_snippet_versions": "the 'All 11 versions' count is not returned",
}


@cache
def _parsed_detail(name: str) -> PublicationDetail:
    body, _ = _page_text(DETAILS / name)
    return parse_detail_page(_selector(body))


def _observed_detail(name: str, key: str, want: Any) -> tuple[Any, Any]:
    """(what the detail parser says, what it should say) for one expected.json key."""
    detail = _parsed_detail(name)
    simple = {
        "title": detail.title,
        "title_link": detail.title_url,
        "pdf_link": detail.fulltext_url,
        "journal": detail.journal,
        "volume": detail.volume,
        "pages": detail.pages,
        "publisher": detail.publisher,
        "total_citations": detail.citations,
        "cites_id": detail.cluster_id,
        "citation_for_view": detail.scholar_pub_key,
    }
    if key in simple:
        return simple[key], want
    if key == "authors":
        return list(detail.authors), want
    if key == "publication_date":
        return (detail.publication_date, detail.year), (want, int(want[:4]))
    if key == "pdf_link_text":
        return detail.fulltext_kind, "pdf" if want.startswith("[PDF]") else "html"
    if key == "description_starts":
        return (detail.description or "")[: len(want)], want
    if key == "citations_per_year":
        return detail.cites_per_year, {int(year): count for year, count in want.items()}
    if key == "bars_sum":
        return sum(detail.cites_per_year.values()), want
    if key == "fields":
        # every label on this page is a known English one: none lands in extra
        return detail.extra, {}
    raise AssertionError(f"expected.json key {key!r} is not checked by this test")


@pytest.mark.parametrize("name", _names(DETAILS))
def test_detail_page_matches_expected_json(name: str) -> None:
    expected = _expected().get(f"scholar-pages/detail/{name}")
    assert expected is not None, f"expected.json has no entry for {name}"
    problems = []
    for key in sorted(expected):
        if key in DETAIL_NOT_PARSER_OUTPUT:
            continue
        got, want = _observed_detail(name, key, expected[key])
        if got != want:
            problems.append(f"{key}: parsed {got!r}, expected {want!r}")
    assert not problems, f"{name}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("name", _names(DETAILS))
def test_detail_page_is_ok_for_the_block_classifier(name: str) -> None:
    body, _ = _page_text(DETAILS / name)
    assert blocks.classify(200, {}, body) == blocks.OK


@pytest.mark.parametrize("name", _names(DETAILS))
def test_detail_bars_are_placed_by_year_offset_or_z_index_alike(name: str) -> None:
    """Each positional signal alone gives the same chart as all of them together."""
    _, text = _page_text(DETAILS / name)
    chart = _parsed_detail(name).cites_per_year
    bar = re.compile(
        r'(href="[^"]*?)(&amp;as_ylo=\d{4}&amp;as_yhi=\d{4})("\s+class="gsc_oci_g_a"'
        r'\s+style=")([^"]*)(")'
    )
    assert len(bar.findall(text)) == len(chart) - list(chart.values()).count(0)
    offsets_only = bar.sub(lambda m: m[1] + m[3] + re.sub(r";?z-index:\d+", "", m[4]) + m[5], text)
    z_index_only = bar.sub(lambda m: m[1] + m[3] + re.sub(r"left:\d+px;?", "", m[4]) + m[5], text)
    for variant in (offsets_only, z_index_only):
        assert variant != text
        parsed = parse_detail_page(_selector(variant.encode("utf-8")))
        assert parsed.cites_per_year == chart


@pytest.mark.parametrize("name", _names(DETAILS))
def test_detail_page_is_no_profile_and_no_coauthor_list(name: str) -> None:
    body, _ = _page_text(DETAILS / name)
    for parse in (parse_profile_page, parse_colleagues_page):
        with pytest.raises(ScholarPageError) as raised:
            parse(_selector(body))
        assert raised.value.reason == "layout_unrecognised"


@pytest.mark.parametrize("name", _names(BLOCKED))
def test_blocked_pages_are_no_detail_page_and_no_coauthor_list(name: str) -> None:
    body, _ = _page_text(BLOCKED / name)
    for parse in (parse_detail_page, parse_colleagues_page):
        with pytest.raises(ScholarPageError) as raised:
            parse(_selector(body))
        assert raised.value.reason == "layout_unrecognised"


def test_detail_expected_json_keys_are_all_known() -> None:
    if not EXPECTED.is_file():
        pytest.skip(NO_SHARED)
    checked = {
        "title",
        "title_link",
        "pdf_link",
        "pdf_link_text",
        "authors",
        "publication_date",
        "journal",
        "volume",
        "pages",
        "publisher",
        "fields",
        "description_starts",
        "total_citations",
        "cites_id",
        "citation_for_view",
        "citations_per_year",
        "bars_sum",
    }
    detail_keys = {
        key
        for path, entry in _expected().items()
        if path.startswith("scholar-pages/detail/")
        for key in entry
    }
    assert detail_keys - checked - set(DETAIL_NOT_PARSER_OUTPUT) == set()
