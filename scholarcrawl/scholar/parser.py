"""Pure parsers for Google Scholar profile pages (``/citations?user=…``).

Everything here takes a :class:`parsel.Selector` over an already decoded page (decoding,
including honouring ``<meta charset>``, is the caller's job: Scrapy's ``response.selector``
does it) and returns the typed data of :mod:`scholarcrawl.scholar.model`.

Two markup generations are understood:

``gsc``
    Late 2014 onwards: ``#gsc_prf_in`` header, ``#gsc_rsb_st`` indices, ``span.gsc_g_t`` /
    ``a.gsc_g_a`` citation chart, ``tbody#gsc_a_b > tr.gsc_a_tr`` rows. This covers the early
    2014-2016 variant (``a.gsc_a_ac`` without ``gs_ibl``, interests as ``a.gsc_prf_ila``,
    prev/next buttons, ``left:`` chart offsets), browser-rendered DOMs (title links carrying
    ``data-href``) and raw 2026 server HTML, in any UI language.
``legacy``
    Until 2014: ``#cit-name-display`` header, ``table#stats``, ``tr.cit-table.item`` rows,
    pagination by a "Next >" link. Its citation chart was an image, so ``cites_per_year`` is
    empty for it. It has no "no articles" marker, so a legacy page without rows is refused
    (``layout_unrecognised``), never read as an empty profile.

A page that is neither (a sign-in page, Google's ``/sorry/`` CAPTCHA, anything else) raises
``ScholarPageError("layout_unrecognised")``: a block must never look like an empty profile.
Scholar's own error banner raises ``ScholarPageError("scholar_error_banner", temporary=True)``.

The functions work on the lxml tree under the selector (``selector.root``) with precompiled
XPath and plain element walks, so a 100-row page is read once, without per-row re-parsing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote, urljoin

from lxml import etree
from parsel import Selector

from scholarcrawl.scholar.model import (
    Coauthor,
    ProfileHeader,
    ProfilePage,
    PublicationRow,
    ScholarPageError,
)

logger = logging.getLogger(__name__)

__all__ = [
    "LAYOUT_UNRECOGNISED",
    "MARKUP_GSC",
    "MARKUP_LEGACY",
    "MAX_NUMBER",
    "SCHOLAR_BASE_URL",
    "SCHOLAR_ERROR_BANNER",
    "absolute_url",
    "bounded_int",
    "check_error_banner",
    "class_names",
    "class_test",
    "clean_text",
    "cluster_ids_from",
    "compile_xpath",
    "detect_markup",
    "element_text",
    "email_domain_from",
    "index_ids",
    "infer_cstart",
    "int_or_none",
    "is_shown",
    "parse_cites_per_year",
    "parse_header",
    "parse_profile_page",
    "parse_rows",
    "place_bars",
    "pub_key_from",
    "raise_shown_banner",
    "root_of",
    "user_from_url",
    "year_of",
]

SCHOLAR_BASE_URL: Final = "https://scholar.google.com"
"""Base against which relative links on a profile page (photo, homepage) are resolved."""

MARKUP_GSC: Final = "gsc"
MARKUP_LEGACY: Final = "legacy"

LAYOUT_UNRECOGNISED: Final = "layout_unrecognised"
SCHOLAR_ERROR_BANNER: Final = "scholar_error_banner"

MAX_NUMBER: Final = 2**31 - 1
"""The largest number read off a page (a count, an offset, a ``cstart``): what the store's
INTEGER columns hold. No number Scholar prints comes near it; a longer run of digits is
garbage (and past 4300 digits ``int()`` itself refuses it), so it reads as no number."""

# lxml is untyped here: elements are plain ``Any`` to mypy.
_Element = Any

# Bidi controls and invisible marks Scholar wraps around text (meta description, <title>, and
# titles typed in RTL-aware editors). ZWJ/ZWNJ (U+200C/D) are real letters in Persian and
# Indic scripts and are kept.
_INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u061c\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff",
    )
)
# C0 and C1 control characters and DEL are no text (a NUL is refused by PostgreSQL, an ESC
# drives terminals): dropped, except the whitespace ones, which split words.
_INVISIBLE.update(
    dict.fromkeys(c for c in [*range(0x20), *range(0x7F, 0xA0)] if not chr(c).isspace())
)

_SCHOLAR_ID_RE: Final = re.compile(r"^[A-Za-z0-9_-]{12}$")
_USER_PARAM_RE: Final = re.compile(r"[?&;]user=([A-Za-z0-9_-]{12})(?![A-Za-z0-9_-])")
_CSTART_PARAM_RE: Final = re.compile(r"[?&;]cstart=(\d+)")
_CITES_PARAM_RE: Final = re.compile(r"[?&;]cites=([^&#]*)")
_CFV_PARAM_RE: Final = re.compile(r"[?&;]citation_for_view=([^&#]+)")
_RANGE_RE: Final = re.compile(r"(\d+)\s*[\u2010-\u2015\u2212-]\s*(\d+)")
_YEAR4_RE: Final = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_DIGITS_RE: Final = re.compile(r"\d+")
_NON_DIGITS_RE: Final = re.compile(r"\D")
# Host names in any UI language's "Verified email at x.org" sentence ("在 x.org 的电子邮件经过验证",
# "Dirección de correo verificada de x.org", ...). ASCII boundaries, because CJK text may touch
# the domain without a space.
_DOMAIN_RE: Final = re.compile(
    r"(?<![A-Za-z0-9.@-])((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
    r"(?![A-Za-z0-9-]|\.[A-Za-z0-9])"
)
_STYLE_OFFSET_RE: Final = re.compile(r"(?:^|[;\s])(left|right)\s*:\s*(-?\d+(?:\.\d+)?)px")
_STYLE_Z_RE: Final = re.compile(r"z-index\s*:\s*(\d+)")
_STYLE_DISPLAY_RE: Final = re.compile(r"(?:^|;)\s*display\s*:\s*([a-z-]+)")


def compile_xpath(expr: str) -> Any:
    """``expr`` compiled once, returning plain strings (not lxml's tree-holding "smart" ones)."""
    return etree.XPath(expr, smart_strings=False)


def class_test(name: str) -> str:
    """XPath predicate body matching one class token exactly (not ``gsc_a_t`` in ``gsc_a_tr``)."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


# Compiled once; "//" expressions walk the whole document, so most lookups go through the id
# index built once per page instead.
_X_IDS = compile_xpath("//*[@id]")
_X_CANONICAL = compile_xpath("/html/head/link[@rel='canonical']/@href")
_X_USER_INPUT = compile_xpath("//input[@name='user']/@value")
_X_LIST_WORKS_ACTION = compile_xpath("//form[contains(@action, 'user=')]/@action")
_X_LEGACY_MARKER = compile_xpath(
    f"//table[{class_test('cit-table')}] | //span[@id='cit-name-display']"
)

_X_GSC_AFFILIATION = compile_xpath(
    f".//div[{class_test('gsc_prf_il')}][not(@id)][not(.//a[contains(@href, 'label')])]"
)
_X_GSC_INTEREST_LINKS = compile_xpath(
    f".//a[{class_test('gsc_prf_ila')}][contains(@href, 'label')]"
)
_X_ANY_LINK = compile_xpath(".//a")
_X_DIRECT_TEXT = compile_xpath("text()")
_X_LINK_HREF = compile_xpath(".//a/@href")
_X_GSC_PHOTO = compile_xpath(".//img/@src")
_X_GSC_STATS_ROWS = compile_xpath(f".//tr[td[{class_test('gsc_rsb_std')}]]")
_X_GSC_STATS_CELLS = compile_xpath(f"td[{class_test('gsc_rsb_std')}]")
_X_GSC_STATS_HEAD = compile_xpath(f".//th[{class_test('gsc_rsb_sth')}]")
_X_GSC_COAUTHOR_ITEMS = compile_xpath(f".//ul[{class_test('gsc_rsb_a')}]/li")
_X_USER_LINK = compile_xpath(".//a[contains(@href, 'user=')]")
_X_GSC_COAUTHOR_EXT = compile_xpath(
    f".//span[{class_test('gsc_rsb_a_ext')}][not({class_test('gsc_rsb_a_ext2')})]"
)
_X_CHART_LABELS = compile_xpath(f".//span[{class_test('gsc_g_t')}]")
_X_CHART_BARS = compile_xpath(f".//a[{class_test('gsc_g_a')}]")
_X_GSC_TABLE_BODY = compile_xpath("tbody")

_X_LEGACY_NAME = compile_xpath("string(//span[@id='cit-name-display'])")
_X_LEGACY_AFFILIATION = compile_xpath("string(//span[@id='cit-affiliation-display'])")
_X_LEGACY_INTERESTS = compile_xpath("//span[@id='cit-int-read']//a")
_X_LEGACY_DOMAIN = compile_xpath("string(//span[@id='cit-domain-display'])")
_X_LEGACY_HOMEPAGE = compile_xpath("//span[@id='cit-homepage-read']//a/@href")
_X_LEGACY_PHOTO = compile_xpath(f"//div[{class_test('cit-user-info')}]//img/@src")
_X_LEGACY_COAUTHORS = compile_xpath(
    "//a[@title][contains(@href, 'citations?user=')][not(contains(@href, 'view_op='))]"
)
_X_LEGACY_STATS_ROWS = compile_xpath(f"//table[@id='stats']//tr[td[{class_test('cit-data')}]]")
_X_LEGACY_STATS_CELLS = compile_xpath(f"td[{class_test('cit-data')}]")
_X_LEGACY_STATS_HEAD = compile_xpath(
    f"//table[@id='stats']//tr[1]/td[{class_test('cit-borderleft')}]"
)
_X_LEGACY_ROWS = compile_xpath(f"//table[{class_test('cit-table')}]//tr[{class_test('item')}]")
_X_LEGACY_RANGE = compile_xpath("//form[@id='citationsForm']//span[contains(@style, 'bold')]")
_X_LEGACY_PAGER_LINKS = compile_xpath(
    f"//a[contains(@href, 'cstart=')][not(ancestor::table[{class_test('cit-table')}])]/@href"
)


# --------------------------------------------------------------------------------------------
# small helpers, shared with the other Scholar page parsers (detail.py, colleagues.py)


def clean_text(text: str | None) -> str:
    """Drop bidi/invisible marks and collapse every run of whitespace to one space."""
    if not text:
        return ""
    return " ".join(text.translate(_INVISIBLE).split())


def element_text(el: _Element | None) -> str:
    """The cleaned text content of ``el`` ("" for ``None``)."""
    if el is None:
        return ""
    return clean_text("".join(el.itertext()))


def class_names(el: _Element) -> list[str]:
    """The class tokens of ``el``."""
    cls = el.get("class")
    return cls.split() if cls else []


def bounded_int(digits: str) -> int | None:
    """A run of digits as an int; None when empty or above :data:`MAX_NUMBER`."""
    if not digits:
        return None
    significant = digits.lstrip("0")
    if len(significant) > len(str(MAX_NUMBER)):
        return None
    value = int(significant or "0")
    return value if value <= MAX_NUMBER else None


def int_or_none(text: str) -> int | None:
    """Digits of ``text`` as an int ("18,747" and "18.747" both give 18747), else None (also
    for a number above :data:`MAX_NUMBER`)."""
    return bounded_int(_NON_DIGITS_RE.sub("", text))


def year_of(text: str) -> int | None:
    """The 4-digit year in ``text``; Scholar's ``0`` placeholder (no year) gives None."""
    match = _YEAR4_RE.search(text)
    if match is None:
        return None
    year = int(match.group(1))
    return year or None


def user_from_url(url: str | None) -> str | None:
    """The 12-character scholar id of the ``user=`` parameter in ``url``, else None."""
    if not url:
        return None
    match = _USER_PARAM_RE.search(url)
    return match.group(1) if match else None


def absolute_url(url: str | None) -> str | None:
    """``url`` resolved against Scholar's base; None for an empty or ``javascript:`` link."""
    url = (url or "").strip()
    if not url or url.lower().startswith("javascript:"):
        return None
    return urljoin(SCHOLAR_BASE_URL + "/", url)


def _first(values: list[Any]) -> Any:
    return values[0] if values else None


def is_shown(el: _Element) -> bool:
    """Whether Scholar's scripts have made a hidden-by-default element visible.

    Raw 2016+ pages hide ``#gsc_a_err`` with a stylesheet rule and show it by adding the
    ``gs_vis`` class; 2014-2016 pages hide it with an inline ``display:none`` that the script
    turns into ``display:block``. Its text is present in every normal page.
    """
    if "gs_vis" in class_names(el):
        return True
    match = _STYLE_DISPLAY_RE.search((el.get("style") or "").lower())
    return match is not None and match.group(1) != "none"


def _button_enabled(el: _Element | None) -> bool:
    if el is None:
        return False
    # The attribute's presence disables the button, whatever its value ("disabled" or "").
    return el.get("disabled") is None and "gs_dis" not in class_names(el)


@dataclass(slots=True)
class _Page:
    """One document, indexed once: the root, its markup generation and its id index."""

    root: _Element
    markup: str
    ids: dict[str, _Element]

    def by_id(self, element_id: str) -> _Element | None:
        return self.ids.get(element_id)


def root_of(selector: Selector) -> _Element:
    """The lxml root under ``selector``; ``layout_unrecognised`` when it holds no HTML tree."""
    root = selector.root
    if not isinstance(root, etree._Element):
        raise ScholarPageError(LAYOUT_UNRECOGNISED, "selector holds no HTML document")
    return root


def index_ids(root: _Element) -> dict[str, _Element]:
    """Every element with an ``id`` under ``root``, by id (the first one when repeated)."""
    ids: dict[str, _Element] = {}
    for el in _X_IDS(root):
        ids.setdefault(el.get("id"), el)
    return ids


def raise_shown_banner(banners: Iterable[_Element | None]) -> None:
    """Raise ``ScholarPageError(scholar_error_banner, temporary=True)`` for the first of
    ``banners`` that Scholar's scripts have made visible and that holds text."""
    for banner in banners:
        if banner is None or not is_shown(banner):
            continue
        message = element_text(banner)
        if message:
            raise ScholarPageError(SCHOLAR_ERROR_BANNER, message, temporary=True)


def _index(selector: Selector) -> _Page:
    """Index the page and decide its markup; raise ``layout_unrecognised`` when neither."""
    root = root_of(selector)
    ids = index_ids(root)
    if any(key in ids for key in ("gsc_prf_in", "gsc_a_b", "gsc_a_t", "gsc_prf_w")):
        return _Page(root, MARKUP_GSC, ids)
    if _X_LEGACY_MARKER(root):
        return _Page(root, MARKUP_LEGACY, ids)
    title = clean_text(root.findtext(".//title"))
    raise ScholarPageError(
        LAYOUT_UNRECOGNISED,
        f"no Scholar profile markup (title {title[:80]!r})",
    )


# --------------------------------------------------------------------------------------------
# public API


def detect_markup(selector: Selector) -> str:
    """Return ``"gsc"`` or ``"legacy"``; raise ``ScholarPageError(layout_unrecognised)``."""
    return _index(selector).markup


def check_error_banner(selector: Selector) -> None:
    """Raise ``ScholarPageError(scholar_error_banner, temporary=True)`` when Scholar shows
    "The system can't perform the operation now" (``#gsc_a_err``, or the page-level
    ``#gs_md_err``) as visible. The hidden banner present on every normal page is ignored."""
    _check_error_banner(_index(selector))


def parse_profile_page(selector: Selector, cstart: int | None = None) -> ProfilePage:
    """Parse one profile page (one ``cstart``/``pagesize`` window).

    ``cstart`` None means: read it off the page (range text "Articles 21–40", legacy
    "21-40", a ``cstart=`` in the canonical URL), else 0. Row ``position`` is
    ``cstart + index + 1``.

    Raises ``ScholarPageError``: ``layout_unrecognised`` for a page that is not a profile, has
    no name or no publication table, whose table is empty without Scholar's "There are no
    articles in this profile." row (a legacy page: without rows), or that ends before the
    list's footer (truncated);
    ``scholar_error_banner`` (temporary) when Scholar's
    "can't perform the operation now" banner is visible.
    """
    page = _index(selector)
    _check_error_banner(page)
    start = _infer_cstart(page) if cstart is None else cstart
    header = _parse_header(page)
    rows = _parse_rows(page, start)
    return ProfilePage(
        header=header,
        rows=rows,
        cstart=start,
        more_enabled=_more_enabled(page, start, has_rows=bool(rows)),
        markup=page.markup,
    )


def parse_header(selector: Selector) -> ProfileHeader:
    """Everything on the page that is not a publication row (see :class:`ProfileHeader`)."""
    page = _index(selector)
    _check_error_banner(page)
    return _parse_header(page)


def parse_rows(selector: Selector, cstart: int = 0) -> tuple[PublicationRow, ...]:
    """The publication rows, positioned from ``cstart`` (``()`` for a profile showing Scholar's
    "There are no articles in this profile." row)."""
    page = _index(selector)
    _check_error_banner(page)
    return _parse_rows(page, cstart)


def parse_cites_per_year(selector: Selector) -> dict[int, int]:
    """Citations per year from the chart, every year of its span present (0 without a bar)."""
    return _parse_cites_per_year(_index(selector))


def infer_cstart(selector: Selector) -> int:
    """The page's ``cstart`` as shown by its range text / canonical URL; 0 when not shown."""
    return _infer_cstart(_index(selector))


# --------------------------------------------------------------------------------------------
# page-level pieces


def _check_error_banner(page: _Page) -> None:
    if page.markup != MARKUP_GSC:
        return
    raise_shown_banner(page.by_id(banner_id) for banner_id in ("gsc_a_err", "gs_md_err"))


def _scholar_id(page: _Page) -> str | None:
    """The profile's id: canonical link, form inputs, list_works forms, then row keys."""
    for url in _X_CANONICAL(page.root):
        if found := user_from_url(url):
            return found
    for value in _X_USER_INPUT(page.root):
        if _SCHOLAR_ID_RE.match(value.strip()):
            return str(value.strip())
    for action in _X_LIST_WORKS_ACTION(page.root):
        if "list_works" in action and (found := user_from_url(action)):
            return found
    photo_link = page.by_id("gsc_prf_pua")
    if photo_link is not None and (found := user_from_url(photo_link.get("href"))):
        return found
    return None


def _infer_cstart(page: _Page) -> int:
    range_texts: Iterable[str]
    if page.markup == MARKUP_GSC:
        nn = page.by_id("gsc_a_nn")
        range_texts = [element_text(nn)] if nn is not None else []
    else:
        range_texts = (element_text(el) for el in _X_LEGACY_RANGE(page.root))
    for text in range_texts:
        match = _RANGE_RE.search(text)
        first = bounded_int(match.group(1)) if match else None
        if first is not None and first >= 1:
            return first - 1
    for url in _X_CANONICAL(page.root):
        match = _CSTART_PARAM_RE.search(url)
        found = bounded_int(match.group(1)) if match else None
        if found is not None:
            return found
    return 0


def _more_enabled(page: _Page, cstart: int, *, has_rows: bool) -> bool:
    if page.markup == MARKUP_GSC:
        if not has_rows:
            return False
        return _button_enabled(page.by_id("gsc_bpf_more")) or _button_enabled(
            page.by_id("gsc_bpf_next")
        )
    # Legacy pages paginate with "< Prev" / "Next >" links; only a forward link counts.
    for href in _X_LEGACY_PAGER_LINKS(page.root):
        match = _CSTART_PARAM_RE.search(href)
        later = bounded_int(match.group(1)) if match else None
        if later is not None and later > cstart:
            return True
    return False


# --------------------------------------------------------------------------------------------
# header


def email_domain_from(text: str) -> str | None:
    """The lower-cased host name in a "Verified email at x.org" line, in any UI language."""
    match = _DOMAIN_RE.search(text)
    return match.group(1).lower() if match else None


def _parse_header(page: _Page) -> ProfileHeader:
    if page.markup == MARKUP_LEGACY:
        return _parse_legacy_header(page)
    name = element_text(page.by_id("gsc_prf_in"))
    if not name:
        raise ScholarPageError(LAYOUT_UNRECOGNISED, "profile markup without a name (#gsc_prf_in)")
    info = page.by_id("gsc_prf_i")
    affiliation = None
    interests: tuple[str, ...] = ()
    if info is not None:
        affiliation = element_text(_first(_X_GSC_AFFILIATION(info))) or None
        interests_box = page.by_id("gsc_prf_int")
        links = (
            _X_ANY_LINK(interests_box) if interests_box is not None else _X_GSC_INTEREST_LINKS(info)
        )
        interests = tuple(text for text in (element_text(a) for a in links) if text)
    email_domain = homepage = None
    verified = page.by_id("gsc_prf_ivh")
    if verified is not None:
        # Only the element's own text: the "Homepage" link sits inside the same div.
        email_domain = email_domain_from(" ".join(_X_DIRECT_TEXT(verified)))
        homepage = absolute_url(_first(_X_LINK_HREF(verified)))
    photo = page.by_id("gsc_prf_pup-img")
    if photo is None:
        photo = page.by_id("gsc_prf_pup")
    photo_url = absolute_url(photo.get("src")) if photo is not None else None
    if photo_url is None and (box := page.by_id("gsc_prf_pua")) is not None:
        photo_url = absolute_url(_first(_X_GSC_PHOTO(box)))
    stats_table = page.by_id("gsc_rsb_st")
    stats: list[list[int | None]] = []
    since_year = None
    if stats_table is not None:
        stats = [
            [int_or_none(element_text(td)) for td in _X_GSC_STATS_CELLS(tr)]
            for tr in _X_GSC_STATS_ROWS(stats_table)
        ]
        since_year = _since_year(element_text(th) for th in _X_GSC_STATS_HEAD(stats_table))
    return _header(
        scholar_id=_scholar_id(page),
        name=name,
        affiliation=affiliation,
        email_domain=email_domain,
        homepage=homepage,
        interests=interests,
        photo_url=photo_url,
        stats=stats,
        since_year=since_year,
        cites_per_year=_parse_cites_per_year(page),
        coauthors=_gsc_coauthors(page),
    )


def _parse_legacy_header(page: _Page) -> ProfileHeader:
    root = page.root
    name = clean_text(_X_LEGACY_NAME(root))
    if not name:
        raise ScholarPageError(LAYOUT_UNRECOGNISED, "legacy markup without #cit-name-display")
    stats = [
        [int_or_none(element_text(td)) for td in _X_LEGACY_STATS_CELLS(tr)]
        for tr in _X_LEGACY_STATS_ROWS(root)
    ]
    scholar_id = _scholar_id(page)
    coauthors: list[Coauthor] = []
    seen: set[str] = set()
    for link in _X_LEGACY_COAUTHORS(root):
        user = user_from_url(link.get("href"))
        if user and user != scholar_id and user not in seen:
            seen.add(user)
            coauthors.append(Coauthor(user, element_text(link) or clean_text(link.get("title"))))
    # "Unknown interests" is plain text, not a link: no interests.
    interests = tuple(t for t in (element_text(a) for a in _X_LEGACY_INTERESTS(root)) if t)
    return _header(
        scholar_id=scholar_id,
        name=name,
        affiliation=clean_text(_X_LEGACY_AFFILIATION(root)) or None,
        email_domain=email_domain_from(clean_text(_X_LEGACY_DOMAIN(root))),
        homepage=absolute_url(_first(_X_LEGACY_HOMEPAGE(root))),
        interests=interests,
        photo_url=absolute_url(_first(_X_LEGACY_PHOTO(root))),
        stats=stats,
        since_year=_since_year(element_text(td) for td in _X_LEGACY_STATS_HEAD(root)),
        # The legacy chart is a Google Chart API image: no per-year numbers in the markup.
        cites_per_year={},
        coauthors=tuple(coauthors),
    )


def _since_year(headers: Iterable[str]) -> int | None:
    """The year of the "Since 2021" / "2021 年至今" / "Desde 2021" column (the last one)."""
    year = None
    for text in headers:
        year = year_of(text) or year
    return year


def _header(
    *,
    scholar_id: str | None,
    name: str,
    affiliation: str | None,
    email_domain: str | None,
    homepage: str | None,
    interests: tuple[str, ...],
    photo_url: str | None,
    stats: list[list[int | None]],
    since_year: int | None,
    cites_per_year: dict[int, int],
    coauthors: tuple[Coauthor, ...],
) -> ProfileHeader:
    # Rows are always Citations, h-index, i10-index (labels are localised, order is not).
    def cell(row: int, col: int) -> int | None:
        if row < len(stats) and col < len(stats[row]):
            return stats[row][col]
        return None

    return ProfileHeader(
        scholar_id=scholar_id,
        name=name,
        affiliation=affiliation,
        email_domain=email_domain,
        homepage=homepage,
        interests=interests,
        photo_url=photo_url,
        citations_all=cell(0, 0),
        citations_since=cell(0, 1),
        h_index_all=cell(1, 0),
        h_index_since=cell(1, 1),
        i10_all=cell(2, 0),
        i10_since=cell(2, 1),
        since_year=since_year,
        cites_per_year=cites_per_year,
        coauthors=coauthors,
    )


def _gsc_coauthors(page: _Page) -> tuple[Coauthor, ...]:
    # Only #gsc_rsb_co: the owner's view also shows "Add co-authors" suggestions
    # (#gsc_rsb_ssc), which are not co-authors.
    box = page.by_id("gsc_rsb_co")
    if box is None:
        return ()
    coauthors: list[Coauthor] = []
    seen: set[str] = set()
    for item in _X_GSC_COAUTHOR_ITEMS(box):
        link = _first(_X_USER_LINK(item))
        if link is None:
            continue
        user = user_from_url(link.get("href"))
        name = element_text(link)
        if not user or not name or user in seen:
            continue
        seen.add(user)
        affiliation = element_text(_first(_X_GSC_COAUTHOR_EXT(item))) or None
        coauthors.append(Coauthor(user, name, affiliation))
    return tuple(coauthors)


# --------------------------------------------------------------------------------------------
# citations per year


def _style_position(style: str) -> tuple[str | None, float | None, int | None]:
    offset = _STYLE_OFFSET_RE.search(style)
    z_index = _STYLE_Z_RE.search(style)
    return (
        offset.group(1) if offset else None,
        float(offset.group(2)) if offset else None,
        bounded_int(z_index.group(1)) if z_index else None,
    )


def _parse_cites_per_year(page: _Page) -> dict[int, int]:
    if page.markup != MARKUP_GSC:
        return {}
    container = page.by_id("gsc_rsb_cit")
    if container is None:
        container = page.by_id("gsc_g")
    if container is None:
        container = page.root
    return place_bars(_X_CHART_LABELS(container), _X_CHART_BARS(container))


def place_bars(
    labels: Iterable[_Element],
    bars: Iterable[_Element],
    *,
    bar_year: Callable[[_Element], int | None] | None = None,
) -> dict[int, int]:
    """Citations per year from a chart's year labels and bars, every year of its span present
    (0 where there is no bar). Shared by the profile chart and the detail page's chart.

    Every bar is placed by its position, never by its order: Scholar omits the bar of a year
    without citations, so the n-th bar is not the n-th year. ``bar_year`` may name a bar's
    year outright (the detail page's bars link to ``as_ylo=Y&as_yhi=Y``); otherwise each year
    label and each bar carries its horizontal offset (``right:Npx`` in the right-to-left
    chart since 2016, ``left:Npx`` before; a bar sits 5px beyond its label, labels 32-33px
    apart): a bar belongs to the label with the nearest offset on the same side. When a bar
    has no usable offset, its ``z-index`` is used: it counts years from the most recent one
    (``z-index:1``), gaps included, in every real page studied. A bar that none of these
    places is ignored (logged at DEBUG), never guessed.
    """
    label_rows: list[tuple[int, str | None, float | None]] = []
    for span in labels:
        year = year_of(element_text(span))
        if year is not None:
            side, offset, _ = _style_position(span.get("style") or "")
            label_rows.append((year, side, offset))
    bar_list = list(bars)
    named = {id(bar): bar_year(bar) for bar in bar_list} if bar_year is not None else {}
    years = sorted({year for year, _, _ in label_rows})
    all_years = sorted({*years, *(year for year in named.values() if year is not None)})
    if not all_years:
        return {}
    result = dict.fromkeys(range(all_years[0], all_years[-1] + 1), 0)
    newest_first = years[::-1]
    offsets_by_side: dict[str, list[tuple[float, int]]] = {}
    for year, side, offset in label_rows:
        if side is not None and offset is not None:
            offsets_by_side.setdefault(side, []).append((offset, year))
    tolerance = _half_spacing(offsets_by_side)
    placed: set[int] = set()
    for bar in bar_list:
        count = int_or_none(element_text(bar))
        if count is None:
            continue
        side, offset, z_index = _style_position(bar.get("style") or "")
        year = named.get(id(bar))
        if year is None and side is not None and offset is not None and side in offsets_by_side:
            distance, nearest = min(
                (abs(label_offset - offset), label_year)
                for label_offset, label_year in offsets_by_side[side]
            )
            if distance <= tolerance:
                year = nearest
        if year is None and z_index is not None and 1 <= z_index <= len(newest_first):
            year = newest_first[z_index - 1]
        if year is None or year in placed:
            logger.debug(
                "citation bar %r (%s) could not be placed; ignored", count, bar.get("style")
            )
            continue
        placed.add(year)
        result[year] = count
    return result


def _half_spacing(offsets_by_side: dict[str, list[tuple[float, int]]]) -> float:
    """Half the distance between neighbouring year labels (16px on every real page)."""
    gaps = [
        b[0] - a[0]
        for offsets in offsets_by_side.values()
        for a, b in zip(sorted(offsets), sorted(offsets)[1:], strict=False)
        if b[0] > a[0]
    ]
    return min(gaps) / 2 if gaps else 16.0


# --------------------------------------------------------------------------------------------
# publication rows


def _parse_rows(page: _Page, cstart: int) -> tuple[PublicationRow, ...]:
    if page.markup == MARKUP_LEGACY:
        return _parse_legacy_rows(page, cstart)
    body = page.by_id("gsc_a_b")
    if body is None:
        table = page.by_id("gsc_a_t")
        body = _first(_X_GSC_TABLE_BODY(table)) if table is not None else None
    if body is None:
        raise ScholarPageError(LAYOUT_UNRECOGNISED, "profile without a publication table")
    if page.by_id("gsc_bpf_more") is None:
        # Every generation of gsc markup ends the list with its "Show more" footer, after the
        # table. Without it the page was cut short (a dropped connection, a proxy limit) and
        # its rows are a prefix: storing them would shorten the profile silently.
        raise ScholarPageError(
            LAYOUT_UNRECOGNISED, "the page ends before its publication list does (truncated)"
        )
    rows: list[PublicationRow] = []
    no_articles_marker = False
    for tr in body.iterchildren("tr"):
        row = _parse_gsc_row(tr, cstart + len(rows) + 1)
        if row is None:
            no_articles_marker = True
        else:
            rows.append(row)
    if not rows and not no_articles_marker:
        # Scholar always renders "There are no articles in this profile." (td.gsc_a_e) for an
        # empty window; an empty table without it is a broken or substituted page.
        raise ScholarPageError(
            LAYOUT_UNRECOGNISED, "empty publication table without Scholar's no-articles row"
        )
    return tuple(rows)


def _parse_gsc_row(tr: _Element, position: int) -> PublicationRow | None:
    """One ``tr.gsc_a_tr``; None for the "There are no articles in this profile." row."""
    cells: dict[str, _Element] = {}
    for td in tr.iterchildren("td"):
        for name in class_names(td):
            cells.setdefault(name, td)
    if "gsc_a_e" in cells:
        return None
    title_cell = cells.get("gsc_a_t")
    title_link = None
    if title_cell is not None:
        for a in title_cell.iter("a"):
            if "gsc_a_at" in class_names(a):
                title_link = a
                break
    if title_cell is None or title_link is None:
        raise ScholarPageError(
            LAYOUT_UNRECOGNISED, f"publication row {position} without a title link (a.gsc_a_at)"
        )
    gray = [div for div in title_cell.iterchildren("div") if "gs_gray" in class_names(div)]
    authors = element_text(gray[0]) if gray else ""
    venue, oph = _split_venue(gray[1]) if len(gray) > 1 else ("", "")

    year = None
    year_cell = cells.get("gsc_a_y")
    if year_cell is not None:
        year = year_of(element_text(year_cell))
    if year is None and oph:
        year = year_of(oph)

    citations = 0
    cluster_ids: tuple[str, ...] = ()
    merged = False
    cites_cell = cells.get("gsc_a_c")
    if cites_cell is not None:
        for a in cites_cell.iter("a"):
            classes = class_names(a)
            if "gsc_a_ac" in classes:
                citations = int_or_none(element_text(a)) or 0
                cluster_ids = cluster_ids_from(a.get("href"))
                merged = merged or "gsc_a_acm" in classes
            elif "gsc_a_am" in classes:  # the "*" of merged citations, 2014-2020 markup
                merged = True

    key = pub_key_from(title_link.get("data-href")) or pub_key_from(title_link.get("href"))
    if key is None and (checkbox_cell := cells.get("gsc_a_x")) is not None:
        for box in checkbox_cell.iter("input"):
            key = clean_text(box.get("value")) or None
            break
    return PublicationRow(
        title=element_text(title_link),
        authors=authors or None,
        venue=venue or None,
        year=year,
        citations=citations,
        merged=merged,
        cluster_ids=cluster_ids,
        scholar_pub_key=key,
        position=position,
    )


def _split_venue(div: _Element) -> tuple[str, str]:
    """The venue line without the ", 2014" / ", 0" Scholar appends in ``span.gs_oph``."""
    parts = [div.text or ""]
    oph: list[str] = []
    for child in div:
        if isinstance(child.tag, str):
            if child.tag == "span" and "gs_oph" in class_names(child):
                oph.append("".join(child.itertext()))
            else:
                parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    venue = clean_text("".join(parts))
    # A line cut by Scholar may end with the comma that preceded the year.
    return venue.rstrip(" ,"), clean_text("".join(oph))


def cluster_ids_from(href: str | None) -> tuple[str, ...]:
    """The cluster ids of the ``cites=`` parameter in ``href`` (several for a merged entry)."""
    if not href:
        return ()
    match = _CITES_PARAM_RE.search(href)
    if match is None:
        return ()
    return tuple(_DIGITS_RE.findall(unquote(match.group(1))))


def pub_key_from(href: str | None) -> str | None:
    """The ``citation_for_view`` value in ``href`` ("USER:KEY", unquoted), else None."""
    if not href:
        return None
    match = _CFV_PARAM_RE.search(href)
    return unquote(match.group(1)) if match else None


def _parse_legacy_rows(page: _Page, cstart: int) -> tuple[PublicationRow, ...]:
    rows: list[PublicationRow] = []
    for tr in _X_LEGACY_ROWS(page.root):
        cells = {td.get("id"): td for td in tr.iterchildren("td")}
        title_cell = cells.get("col-title")
        title_link = _first(list(title_cell.iter("a"))) if title_cell is not None else None
        position = cstart + len(rows) + 1
        if title_cell is None or title_link is None:
            raise ScholarPageError(
                LAYOUT_UNRECOGNISED, f"legacy publication row {position} without a title link"
            )
        gray = [s for s in title_cell.iterchildren("span") if "cit-gray" in class_names(s)]
        cites_link = None
        if (cites_cell := cells.get("col-citedby")) is not None:
            cites_link = _first(list(cites_cell.iter("a")))
        asterisk = cells.get("col-asterisk")
        rows.append(
            PublicationRow(
                title=element_text(title_link),
                authors=(element_text(gray[0]) if gray else "") or None,
                venue=(element_text(gray[1]).rstrip(" ,") if len(gray) > 1 else "") or None,
                year=year_of(element_text(cells.get("col-year"))),
                citations=(int_or_none(element_text(cites_link)) or 0)
                if cites_link is not None
                else 0,
                merged=asterisk is not None and "*" in element_text(asterisk),
                cluster_ids=cluster_ids_from(cites_link.get("href"))
                if cites_link is not None
                else (),
                scholar_pub_key=pub_key_from(title_link.get("href")),
                position=position,
            )
        )
    if not rows:
        # No legacy page without rows is known (no "no articles" marker to tell an empty
        # profile from a page whose table was cut or changed): refused, never an empty profile.
        raise ScholarPageError(LAYOUT_UNRECOGNISED, "legacy markup without publication rows")
    return tuple(rows)
