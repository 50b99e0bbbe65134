"""Pure parser for a publication's detail page (``/citations?user=…&view_op=view_citation``).

:func:`parse_detail_page` takes a :class:`parsel.Selector` over an already decoded page (as
Scrapy's ``response.selector`` gives it, ``<meta charset>`` honoured) and returns a
:class:`~scholarcrawl.scholar.model.PublicationDetail`. It reuses the profile parser's text,
URL, banner and chart helpers (:mod:`scholarcrawl.scholar.parser`).

The markup, as on the real page of 2024 studied (``../shared/scholar-pages/detail/``)::

    #gsc_oci_title_gg .gsc_oci_title_ggi a      [PDF]/[HTML] link (span "[PDF]", "from x.org")
    #gsc_oci_title a.gsc_oci_title_link         the title, linking to the publisher
    #gsc_oci_table .gs_scl                      one row per labelled field:
        .gsc_oci_field                          "Authors", "Publication date", "Journal", ...
        .gsc_oci_value                          its value; the description's is #gsc_oci_descr
                                                (text in div.gsh_small); "Total citations"
                                                holds an a[href*=cites=] "Cited by N" and the
                                                chart #gsc_oci_graph_bars: span.gsc_oci_g_t
                                                year labels, a.gsc_oci_g_a bars (as_ylo/as_yhi
                                                hrefs, span.gsc_oci_g_al counts); "Scholar
                                                articles" holds .gsc_oci_merged_snippet blocks
    form#gsc_vcpb_btns input[name=s]            the page's own key, "USER:KEY"

Until about 2020 the same page used ``gsc_vcd_`` for ``gsc_oci_`` (and a ``table`` of
``td`` cells in its first years); both prefixes are read, rows of ``div`` or ``tr``.

Chart bars are placed by the year their link names, else by position (offset, then z-index),
never by their order (:func:`~scholarcrawl.scholar.parser.place_bars`); years inside the span
without a bar are 0. A link through Scholar's ``/scholar_url?url=…`` redirect is unwrapped.

Only English labels are known (the spider asks for ``hl=en``). On a page in another UI
language the title, full-text link, description, citations, chart and versions are still read,
by their markup; every other labelled field lands in ``extra`` under its label as printed.

Errors, as for profile pages: a page without detail markup (a sign-in page, a CAPTCHA, any
other page) raises ``ScholarPageError("layout_unrecognised")``, never an empty result; so does
a field label without a value and a "Total citations" row without its "Cited by" link.
Scholar's visible "can't perform the operation now" banner raises
``ScholarPageError("scholar_error_banner", temporary=True)``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qs, unquote, urlsplit

from parsel import Selector

from scholarcrawl.scholar.model import PublicationDetail, ScholarPageError
from scholarcrawl.scholar.parser import (
    LAYOUT_UNRECOGNISED,
    absolute_url,
    class_names,
    class_test,
    clean_text,
    cluster_ids_from,
    compile_xpath,
    element_text,
    index_ids,
    int_or_none,
    place_bars,
    pub_key_from,
    raise_shown_banner,
    root_of,
    year_of,
)

logger = logging.getLogger(__name__)

__all__ = ["DETAIL_PREFIXES", "parse_detail_page"]

_Element = Any

DETAIL_PREFIXES: Final = ("oci", "vcd")
"""Class/id prefixes of the detail page's generations: ``gsc_oci_*`` (current), ``gsc_vcd_*``."""

# English label (case-folded) -> the PublicationDetail field it fills.
_LABELS: Final = {
    "authors": "authors",
    "inventors": "authors",
    "publication date": "publication_date",
    "journal": "journal",
    "conference": "conference",
    "book": "book",
    "source": "source",
    "volume": "volume",
    "issue": "issue",
    "pages": "pages",
    "publisher": "publisher",
    "description": "description",
    "total citations": "citations",
    "scholar articles": "versions",
}
_TEXT_FIELDS: Final = (
    "publication_date",
    "journal",
    "conference",
    "book",
    "source",
    "volume",
    "issue",
    "pages",
    "publisher",
)

_KIND_RE: Final = re.compile(r"\[\s*([A-Za-z]+)\s*\]")
_FULLTEXT_KINDS: Final = {"PDF": "pdf", "HTML": "html"}
_YEAR_PARAM_RES: Final = (
    re.compile(r"[?&;]as_ylo=(\d{4})(?!\d)"),
    re.compile(r"[?&;]as_yhi=(\d{4})(?!\d)"),
)
_CLUSTER_PARAM_RE: Final = re.compile(r"[?&;]cluster=(\d+)")
_PUB_KEY_RE: Final = re.compile(r"^[A-Za-z0-9_-]{12}:[A-Za-z0-9_-]+$")
_ELLIPSIS_RE: Final = re.compile(r"^[.\u2026\s]*$")
_BLOCK_TAGS: Final = frozenset(
    {"address", "blockquote", "br", "dd", "div", "dl", "dt", "h1", "h2", "h3", "h4", "h5"}
    | {"h6", "hr", "li", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul"}
)
_SKIPPED_TAGS: Final = frozenset({"script", "style", "template"})

_X_LINKS: Final = compile_xpath(".//a[@href]")
_X_KEY_INPUT: Final = compile_xpath("//input[@name='s']/@value")
_X_KEY_LINKS: Final = compile_xpath(
    "//*[@data-edit-link][contains(@data-edit-link, 'citation_for_view=')]/@data-edit-link"
    " | //a[contains(@href, 'citation_for_view=')]/@href"
)


@dataclass(frozen=True, slots=True)
class _Generation:
    """The compiled lookups of one markup generation (``oci`` or ``vcd``)."""

    prefix: str
    fields: Any
    value_of: Any
    title_link: Any
    merged: Any
    chart_labels: Any
    chart_bars: Any
    bar_class: str

    @classmethod
    def of(cls, prefix: str) -> _Generation:
        p = f"gsc_{prefix}_"
        return cls(
            prefix=prefix,
            fields=compile_xpath(f".//*[{class_test(p + 'field')}]"),
            value_of=compile_xpath(f"following-sibling::*[{class_test(p + 'value')}][1]"),
            title_link=compile_xpath(f".//a[{class_test(p + 'title_link')}]"),
            merged=compile_xpath(f".//*[{class_test(p + 'merged_snippet')}]"),
            chart_labels=compile_xpath(f".//span[{class_test(p + 'g_t')}]"),
            chart_bars=compile_xpath(f".//a[{class_test(p + 'g_a')}]"),
            bar_class=p + "g_a",
        )


_GENERATIONS: Final = tuple(_Generation.of(prefix) for prefix in DETAIL_PREFIXES)


@dataclass(slots=True)
class _Fields:
    """What the labelled rows say, gathered before the dataclass is built."""

    authors: tuple[str, ...] | None = None
    text: dict[str, str | None] = field(default_factory=dict)
    description: str | None = None
    citations: int | None = None
    cites_ids: tuple[str, ...] = ()
    cites_per_year: dict[int, int] = field(default_factory=dict)
    version_ids: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)


def parse_detail_page(selector: Selector) -> PublicationDetail:
    """Parse a publication's detail page into a :class:`PublicationDetail`.

    Raises ``ScholarPageError``: ``layout_unrecognised`` for a page without the detail markup
    (no ``#gsc_oci_title``/``#gsc_vcd_title`` with text, or no field table), a field label
    without its value, or a "Total citations" row without its "Cited by" link;
    ``scholar_error_banner`` (temporary) when Scholar's error banner is visible. A page with a
    title and no other field is valid: ``authors=()``, every other field None.
    """
    root = root_of(selector)
    ids = index_ids(root)
    raise_shown_banner([ids.get("gs_md_err")])
    generation = next((g for g in _GENERATIONS if f"gsc_{g.prefix}_title" in ids), None)
    if generation is None:
        page_title = clean_text(root.findtext(".//title"))
        raise ScholarPageError(
            LAYOUT_UNRECOGNISED, f"no Scholar detail page markup (title {page_title[:80]!r})"
        )
    p = f"gsc_{generation.prefix}_"
    title_box = ids[p + "title"]
    title = element_text(title_box)
    if not title:
        raise ScholarPageError(LAYOUT_UNRECOGNISED, f"detail page with an empty #{p}title")
    table = ids.get(p + "table")
    if table is None:
        raise ScholarPageError(LAYOUT_UNRECOGNISED, f"detail page without its #{p}table")
    title_link = next(iter(generation.title_link(title_box) or _X_LINKS(title_box)), None)
    fulltext_url, fulltext_kind = _fulltext(ids.get(p + "title_gg"))
    fields = _read_fields(table, generation)
    date = fields.text.get("publication_date")
    cluster_ids = tuple(dict.fromkeys((*fields.cites_ids, *fields.version_ids)))
    return PublicationDetail(
        title=title,
        title_url=_unwrapped(absolute_url(title_link.get("href")))
        if title_link is not None
        else None,
        authors=fields.authors or (),
        publication_date=date,
        year=year_of(date) if date else None,
        journal=fields.text.get("journal"),
        conference=fields.text.get("conference"),
        book=fields.text.get("book"),
        source=fields.text.get("source"),
        volume=fields.text.get("volume"),
        issue=fields.text.get("issue"),
        pages=fields.text.get("pages"),
        publisher=fields.text.get("publisher"),
        description=fields.description,
        citations=fields.citations,
        cluster_id=fields.cites_ids[0] if fields.cites_ids else None,
        cites_per_year=fields.cites_per_year,
        fulltext_url=fulltext_url,
        fulltext_kind=fulltext_kind,
        extra=fields.extra,
        cluster_ids=cluster_ids,
        scholar_pub_key=_page_key(root),
    )


def _read_fields(table: _Element, generation: _Generation) -> _Fields:
    p = f"gsc_{generation.prefix}_"
    out = _Fields()
    for label_el in generation.fields(table):
        label = element_text(label_el)
        value = next(iter(generation.value_of(label_el)), None)
        if value is None:
            raise ScholarPageError(
                LAYOUT_UNRECOGNISED, f"detail field {label!r} without a .{p}value beside it"
            )
        kind = _LABELS.get(label.casefold())
        if kind is None:
            # Another UI language: the rows whose markup says what they are still count.
            if generation.merged(value):
                kind = "versions"
            elif value.get("id") == p + "descr":
                kind = "description"
            elif generation.chart_bars(value) or _cites_link(value, generation) is not None:
                kind = "citations"
        if kind == "versions":
            out.version_ids.extend(_version_ids(value))
        elif kind == "citations":
            _read_citations(out, value, generation, label)
        elif kind == "description" and out.description is None:
            out.description = _block_text(value) or None
        elif kind == "authors" and out.authors is None:
            out.authors = _split_authors(element_text(value))
        elif kind in _TEXT_FIELDS and kind not in out.text:
            out.text[kind] = element_text(value) or None
        elif label:
            # Unknown labels, and a known one printed twice (kept as first seen above).
            out.extra.setdefault(label, element_text(value))
    return out


def _read_citations(out: _Fields, value: _Element, generation: _Generation, label: str) -> None:
    link = _cites_link(value, generation)
    if link is None:
        raise ScholarPageError(
            LAYOUT_UNRECOGNISED, f"detail field {label!r} without its 'Cited by' link"
        )
    out.citations = int_or_none(element_text(link))
    out.cites_ids = cluster_ids_from(link.get("href"))
    out.cites_per_year = place_bars(
        generation.chart_labels(value), generation.chart_bars(value), bar_year=_bar_year
    )


def _cites_link(value: _Element, generation: _Generation) -> _Element | None:
    """The "Cited by N" link of a citations cell: a ``cites=`` link that is not a chart bar."""
    for link in _X_LINKS(value):
        if "cites=" in link.get("href") and generation.bar_class not in class_names(link):
            return link
    return None


def _bar_year(bar: _Element) -> int | None:
    """The year a detail chart bar links to (``as_ylo=Y&as_yhi=Y``), when it names one."""
    href = bar.get("href") or ""
    years = [match.group(1) for regex in _YEAR_PARAM_RES if (match := regex.search(href))]
    if len(years) == 2 and years[0] == years[1]:
        return int(years[0])
    return None


def _version_ids(value: _Element) -> list[str]:
    """Cluster ids of the "Scholar articles" versions (their ``cluster=`` / ``cites=`` links)."""
    ids: list[str] = []
    for link in _X_LINKS(value):
        href = unquote(link.get("href"))
        ids.extend(match.group(1) for match in _CLUSTER_PARAM_RE.finditer(href))
        ids.extend(cluster_ids_from(href))
    return ids


def _split_authors(text: str) -> tuple[str, ...]:
    """ "A Smith, B Jones, ..." as names, without empty parts or a trailing ellipsis."""
    names = (clean_text(part) for part in text.split(","))
    return tuple(name for name in names if name and not _ELLIPSIS_RE.match(name))


def _fulltext(box: _Element | None) -> tuple[str | None, str | None]:
    """The [PDF]/[HTML] link beside the title: its URL and kind ("pdf", "html" or None)."""
    if box is None:
        return None, None
    for link in _X_LINKS(box):
        url = _unwrapped(absolute_url(link.get("href")))
        if url is None:
            continue
        match = _KIND_RE.search(element_text(link))
        kind = _FULLTEXT_KINDS.get(match.group(1).upper()) if match else None
        if kind is None and urlsplit(url).path.lower().endswith(".pdf"):
            kind = "pdf"
        return url, kind
    return None, None


def _unwrapped(url: str | None) -> str | None:
    """The target of Scholar's ``/scholar_url?url=…`` redirect, so that the link leads where
    it says without another request to Scholar (robots.txt disallows ``/scholar``)."""
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.path == "/scholar_url":
        target = parse_qs(parts.query).get("url")
        if target and urlsplit(target[0]).scheme in ("http", "https"):
            return target[0]
    return url


def _page_key(root: _Element) -> str | None:
    """The page's own ``citation_for_view`` ("USER:KEY"): its hidden form input, else the
    edit link or any link naming it."""
    for value in _X_KEY_INPUT(root):
        key = clean_text(value)
        if _PUB_KEY_RE.match(key):
            return key
    for href in _X_KEY_LINKS(root):
        linked = pub_key_from(href)
        if linked and _PUB_KEY_RE.match(linked):
            return linked
    return None


def _block_text(el: _Element) -> str:
    """Text of ``el`` with a space between block elements (paragraph ``div``s would otherwise
    glue the last word of one to the first of the next), whitespace collapsed."""
    parts: list[str] = []
    # An explicit stack, not recursion: a page may nest thousands of elements (lxml keeps
    # up to 2048 levels), past Python's recursion limit. An entry is (node, None) on the way
    # in and (node, is_block) on the way out, where the node's tail follows it.
    stack: list[tuple[_Element, bool | None]] = [(el, None)]
    while stack:
        node, leaving_block = stack.pop()
        if leaving_block is None:
            tag = node.tag.lower() if isinstance(node.tag, str) else None
            if tag is not None and tag not in _SKIPPED_TAGS:  # comments, PIs, scripts skipped
                block = tag in _BLOCK_TAGS
                if block:
                    parts.append(" ")
                parts.append(node.text or "")
                stack.append((node, block))
                stack.extend((child, None) for child in reversed(node))
                continue
        elif leaving_block:
            parts.append(" ")
        if node is not el:
            parts.append(node.tail or "")
    return clean_text("".join(parts))
