"""Seed pages for the Scholar fuzz tests, and the spider's way of reading one answer.

Seeds are the replay generator's pages (profiles of several sizes and windows, detail pages,
co-author lists, and the block pages: sign-in, ``/sorry/``, Scholar's inline CAPTCHA, Google's
error pages) and, when ``../shared`` exists, the real saved Scholar pages (read in place, never
copied).

:func:`read_answer` drives the parsers exactly as :class:`~scholarcrawl.spiders.scholar.
ScholarSpider` does: Scrapy's response class chosen from the headers and body, the block
classifier first, the spider's decoding, then the page kind's parser, whose
``ScholarPageError`` is the classified reason.
"""

from __future__ import annotations

from dataclasses import dataclass, is_dataclass
from functools import cache
from pathlib import Path
from typing import Any

from scrapy.http import Headers, Response, TextResponse
from scrapy.responsetypes import responsetypes

from scholarcrawl.decoding import response_selector
from scholarcrawl.replay import templates
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.scholar import blocks
from scholarcrawl.scholar.colleagues import parse_colleagues_page
from scholarcrawl.scholar.detail import parse_detail_page
from scholarcrawl.scholar.model import (
    Coauthor,
    ProfileHeader,
    ProfilePage,
    PublicationDetail,
    PublicationRow,
    ScholarPageError,
)
from scholarcrawl.scholar.parser import LAYOUT_UNRECOGNISED, MAX_NUMBER, parse_profile_page
from scholarcrawl.scholar.urls import is_valid_scholar_id
from tests.conftest import SHARED

FIXTURES = Path(__file__).resolve().parents[1] / "scholar" / "fixtures"

__all__ = ["BLOCK", "COLLEAGUES", "DETAIL", "PROFILE", "Seed", "read_answer", "seeds"]

PROFILE = "profile"
DETAIL = "detail"
COLLEAGUES = "colleagues"
BLOCK = "block"
PARSED_KINDS = (PROFILE, DETAIL, COLLEAGUES)

URL = "https://scholar.google.com/citations?user=AAAAAAAAAAAA&hl=en&cstart=0&pagesize=100"

# Every reason an answer may end in without items: the classifier's and the parsers'.
REASONS = frozenset(
    {
        blocks.BLOCKED_HTTP_429,
        blocks.BLOCKED_CAPTCHA,
        blocks.BLOCKED_SORRY_REDIRECT,
        blocks.BLOCKED_HTTP_403,
        blocks.PROFILE_UNAVAILABLE,
        blocks.SERVER_ERROR,
        blocks.UNEXPECTED_REDIRECT,
        blocks.UNEXPECTED_STATUS,
        LAYOUT_UNRECOGNISED,
        "scholar_error_banner",
    }
)


@dataclass(frozen=True, slots=True)
class Seed:
    """A page to mutate: what kind of page it is, where it comes from, its bytes."""

    kind: str
    name: str
    body: bytes


@cache
def seeds() -> tuple[Seed, ...]:
    """Generated pages of every kind, then the real saved pages when ``../shared`` exists."""
    corpus = Corpus(CorpusSpec(seed=91, sizes=(0, 3, 25, 130), shared_per_pair=1))
    found: list[Seed] = []
    for index in range(len(corpus)):
        profile = corpus.profile_at(index)
        sid = profile.scholar_id
        found.append(
            Seed(PROFILE, f"{sid}-p0", templates.render_profile_html(profile, 0, 100).encode())
        )
        if len(profile) > 20:
            window = templates.render_profile_html(profile, 20, 20, "pubdate")
            found.append(Seed(PROFILE, f"{sid}-p20", window.encode()))
        if len(profile) > 100:
            # past the end: Scholar's "There are no articles in this profile." row
            past = templates.render_profile_html(profile, 200, 100)
            found.append(Seed(PROFILE, f"{sid}-past", past.encode()))
        for row in profile.publications[:2]:
            assert row.scholar_pub_key is not None
            detail = templates.render_detail_html(profile, row.scholar_pub_key)
            found.append(Seed(DETAIL, f"{sid}-{row.scholar_pub_key}", detail.encode()))
        found.append(
            Seed(COLLEAGUES, f"{sid}-co", templates.render_colleagues_html(profile).encode())
        )
    blocked = {
        "signin": templates.render_signin_page(URL),
        "sorry": templates.render_sorry_page(URL, ip="192.0.2.1", time="2026-01-01T00:00:00Z"),
        "captcha": templates.render_scholar_captcha_page(URL),
        "google_403": templates.render_google_error(403, "/citations"),
        "not_found": templates.render_not_found("/citations"),
        "moved": templates.render_moved("https://accounts.google.com/v3/signin/identifier"),
    }
    found.extend(Seed(BLOCK, name, html.encode()) for name, html in blocked.items())
    # the suite's own pages, written from real markup of every generation (the legacy
    # cit-table among them): there whether or not ../shared is
    for path in sorted(FIXTURES.glob("*.html")):
        name = path.name
        kind = (
            BLOCK
            if name.startswith(("signin", "sorry"))
            else DETAIL
            if name.startswith("detail")
            else COLLEAGUES
            if name.startswith("colleagues")
            else PROFILE
        )
        found.append(Seed(kind, f"fixtures/{name}", path.read_bytes()))
    real = SHARED / "scholar-pages"
    for folder, kind in (("profiles", PROFILE), ("detail", DETAIL), ("blocked", BLOCK)):
        for path in sorted((real / folder).glob("*.html")):
            found.append(Seed(kind, f"shared/{path.name}", path.read_bytes()))
    return tuple(found)


def answer(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """The response Scrapy's downloader would build for this answer (its class chosen from the
    Content-Type and the body, as ``responsetypes`` does)."""
    header_map = Headers(headers or {})
    cls = responsetypes.from_args(headers=header_map, url=URL, body=body)
    return cls(url=URL, status=status, headers=header_map, body=body)


def read_answer(response: Response, kind: str, cstart: int | None = 0) -> Any:
    """What the spider makes of ``response`` as a page of ``kind``: the parser's result, or
    the reason (a ``str``) the page is not read. Anything else raised escapes."""
    reason = blocks.classify_response(response)
    if reason == blocks.OK and not isinstance(response, TextResponse):
        reason = LAYOUT_UNRECOGNISED
    if reason != blocks.OK:
        return reason
    assert isinstance(response, TextResponse)
    selector = response_selector(response)
    try:
        if kind == PROFILE:
            return parse_profile_page(selector, cstart=cstart)
        if kind == DETAIL:
            return parse_detail_page(selector)
        return parse_colleagues_page(selector)
    except ScholarPageError as exc:
        return exc.reason


# --------------------------------------------------------------------------------------------
# what a result may hold


def check_strings(value: Any, where: str, *, nul: bool = False) -> None:
    """Every string in ``value`` can be stored: no lone surrogate (not encodable as UTF-8) and,
    unless ``nul``, no NUL (PostgreSQL refuses it in text)."""
    if isinstance(value, str):
        assert nul or "\x00" not in value, f"{where}: NUL in {value[:80]!r}"
        value.encode("utf-8")  # raises on a lone surrogate
    elif is_dataclass(value):
        for name in value.__dataclass_fields__:
            check_strings(getattr(value, name), f"{where}.{name}", nul=nul)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_strings(key, f"{where}[key]", nul=nul)
            check_strings(item, f"{where}[{key!r}]", nul=nul)
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value):
            check_strings(item, f"{where}[{index}]", nul=nul)


def _count(value: Any, where: str, *, optional: bool = True) -> None:
    if value is None and optional:
        return
    assert type(value) is int, f"{where}: {value!r} is not an int"
    assert 0 <= value <= MAX_NUMBER, f"{where}: {value} out of range"


def _year(value: Any, where: str) -> None:
    if value is not None:
        assert type(value) is int and 1 <= value <= 9999, f"{where}: year {value!r}"


def _text(value: Any, where: str) -> None:
    if value is not None:
        assert isinstance(value, str) and value.strip(), f"{where}: {value!r}"


def _cites_per_year(value: Any, where: str) -> None:
    assert isinstance(value, dict)
    for year, count in value.items():
        _year(year, f"{where} year")
        _count(count, f"{where}[{year}]", optional=False)
    if value:
        assert sorted(value) == list(range(min(value), max(value) + 1)), f"{where}: gaps"


def _coauthors(value: Any, where: str) -> None:
    assert isinstance(value, tuple)
    assert len({c.scholar_id for c in value}) == len(value), f"{where}: repeated ids"
    for coauthor in value:
        assert isinstance(coauthor, Coauthor)
        assert is_valid_scholar_id(coauthor.scholar_id), f"{where}: id {coauthor.scholar_id!r}"
        _text(coauthor.name, f"{where} name")
        assert coauthor.name is not None
        _text(coauthor.affiliation, f"{where} affiliation")
        _text(coauthor.email_domain, f"{where} email_domain")


def _check_profile(page: ProfilePage, cstart: int | None) -> None:
    assert page.markup in ("gsc", "legacy")
    _count(page.cstart, "cstart", optional=False)
    if cstart is not None:
        assert page.cstart == cstart
    assert isinstance(page.more_enabled, bool)
    header = page.header
    assert isinstance(header, ProfileHeader)
    _text(header.name, "name")
    assert header.name
    if header.scholar_id is not None:
        assert is_valid_scholar_id(header.scholar_id), header.scholar_id
    for name in ("affiliation", "email_domain", "homepage", "photo_url"):
        _text(getattr(header, name), name)
    assert all(isinstance(i, str) and i for i in header.interests)
    for name in header.__dataclass_fields__:
        if name.startswith(("citations_", "h_index_", "i10_")):  # the indices table's cells
            _count(getattr(header, name), name)
    _year(header.since_year, "since_year")
    _cites_per_year(header.cites_per_year, "cites_per_year")
    _coauthors(header.coauthors, "coauthors")
    assert isinstance(page.rows, tuple)
    for index, row in enumerate(page.rows):
        assert isinstance(row, PublicationRow)
        where = f"row {index}"
        assert isinstance(row.title, str)
        _text(row.authors, f"{where} authors")
        _text(row.venue, f"{where} venue")
        _year(row.year, f"{where} year")
        _count(row.citations, f"{where} citations", optional=False)
        assert isinstance(row.merged, bool)
        assert all(c.isdigit() for c in row.cluster_ids), row.cluster_ids
        _text(row.scholar_pub_key, f"{where} key")
        assert row.position == page.cstart + index + 1


def _check_detail(detail: PublicationDetail) -> None:
    _text(detail.title, "title")
    assert detail.title
    assert all(isinstance(a, str) and a for a in detail.authors)
    _year(detail.year, "year")
    _count(detail.citations, "citations")
    _cites_per_year(detail.cites_per_year, "cites_per_year")
    assert all(c.isdigit() for c in detail.cluster_ids), detail.cluster_ids
    assert detail.cluster_id is None or detail.cluster_id in detail.cluster_ids
    assert detail.fulltext_kind in (None, "pdf", "html")
    for name in ("title_url", "fulltext_url", "publication_date", "description", "journal"):
        _text(getattr(detail, name), name)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in detail.extra.items())


def check_result(result: Any, kind: str, cstart: int | None = 0) -> str:
    """Assert that ``result`` (from :func:`read_answer`) is a classified reason or well-typed
    items of ``kind``; return its name (the reason, or the kind)."""
    if isinstance(result, str):
        assert result in REASONS, f"unknown reason {result!r}"
        return result
    check_strings(result, kind)
    if kind == PROFILE:
        assert isinstance(result, ProfilePage), type(result)
        _check_profile(result, cstart)
    elif kind == DETAIL:
        assert isinstance(result, PublicationDetail), type(result)
        _check_detail(result)
    else:
        assert isinstance(result, tuple), type(result)
        _coauthors(result, "colleagues")
    return kind


def shows_no_articles_row(response: TextResponse) -> bool:
    """Whether the page holds Scholar's "There are no articles in this profile." cell
    (``td.gsc_a_e``), the only sign that a profile window is empty."""
    # the whole document, as the parser's index reads it: on broken markup lxml may leave
    # the table outside <html>, where a CSS selector (rooted at <html>) does not look
    return bool(
        response_selector(response).xpath(
            "//td[contains(concat(' ', normalize-space(@class), ' '), ' gsc_a_e ')]"
        )
    )
