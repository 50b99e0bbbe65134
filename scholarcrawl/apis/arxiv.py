"""arXiv API (``/api/query``, Atom 1.0): request URLs and a safe feed parser.

What the answers look like (checked on real 2016 and 2026 answers):

* The root is ``{http://www.w3.org/2005/Atom}feed``; arXiv's own elements (``doi``,
  ``journal_ref``, ``primary_category``) are in ``http://arxiv.org/schemas/atom`` and the
  result counts in OpenSearch 1.1. In 2016 feeds each of those elements declares its namespace
  itself; in 2026 feeds the root declares them. Namespace-aware lookups read both.
* Entry ids are abs URLs with the version: ``http://arxiv.org/abs/1201.4869v1``,
  ``http://arxiv.org/abs/astro-ph/0601001v1`` (https also occurs).
* An error is a feed with one entry whose id is ``https://arxiv.org/api/errors#...``, title
  ``Error`` and the message in ``<summary>``, served with HTTP 400 (sometimes 200).
* No match is a feed with ``totalResults`` 0 and no entry: an answer, not an error.

Parsing is defensive: arXiv never sends a DOCTYPE, so any document declaring one (or an
entity) is refused before it reaches the XML parser, and the parser itself resolves no entity,
loads no DTD and opens no network connection. An unusable entry (no id, no title, an id that
is not an arXiv id) is skipped and counted, never guessed at. Ids and DOIs go through
:mod:`scholarcrawl.identifiers`, like every other identifier of the project.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote_plus, urlencode

from lxml import etree

from scholarcrawl.apis import ApiResponseError, body_excerpt
from scholarcrawl.identifiers import arxiv_version, normalise_arxiv, normalise_doi

__all__ = [
    "ArxivEntry",
    "ArxivFeed",
    "id_list_url",
    "parse_feed",
    "search_url",
]

ATOM_NS: Final = "http://www.w3.org/2005/Atom"
ARXIV_NS: Final = "http://arxiv.org/schemas/atom"
OPENSEARCH_NS: Final = "http://a9.com/-/spec/opensearch/1.1/"

# arXiv refuses more than 2000 results per call (its manual); a title search needs a handful.
MAX_RESULTS_LIMIT: Final = 2000

_FEED = f"{{{ATOM_NS}}}feed"
_ENTRY = f"{{{ATOM_NS}}}entry"
_ID = f"{{{ATOM_NS}}}id"
_TITLE = f"{{{ATOM_NS}}}title"
_SUMMARY = f"{{{ATOM_NS}}}summary"
_AUTHOR = f"{{{ATOM_NS}}}author"
_NAME = f"{{{ATOM_NS}}}name"
_PUBLISHED = f"{{{ATOM_NS}}}published"
_UPDATED = f"{{{ATOM_NS}}}updated"
_LINK = f"{{{ATOM_NS}}}link"
_DOI = f"{{{ARXIV_NS}}}doi"
_JOURNAL_REF = f"{{{ARXIV_NS}}}journal_ref"
_PRIMARY_CATEGORY = f"{{{ARXIV_NS}}}primary_category"
_TOTAL_RESULTS = f"{{{OPENSEARCH_NS}}}totalResults"
_START_INDEX = f"{{{OPENSEARCH_NS}}}startIndex"

# Characters that end or restructure a ti:"..." phrase in arXiv's query syntax.
_TITLE_BREAKERS = re.compile(r'["“”„«»()\[\]{}:\\]')
# Boolean operators are upper-case words; lower-cased they are plain (stop)words again.
_OPERATORS = frozenset({"AND", "OR", "ANDNOT", "NOT"})
_SURNAME_SEPARATORS = re.compile(r"[\s\-‐‑–]+")

# totalResults and startIndex: arXiv holds a few million papers; 18 digits always fit an int64.
_MAX_DIGITS: Final = 18

_ERROR_ID = re.compile(r"^https?://(?:www\.|export\.)?arxiv\.org/api/errors\b")
_YEAR = re.compile(r"^\s*(\d{4})-")

# Bytes that announce a DTD. XML requires the upper-case keywords; the check ignores case
# anyway, so that no spelling reaches the parser.
_DTD_MARKERS = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)
_HTML_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ArxivEntry:
    """One paper of a feed.

    ``arxiv_id`` is canonical (no version, no subject class: ``astro-ph/0601001``,
    ``2202.12139``); ``doi`` and ``journal_ref`` are what the authors declared for the
    published version, ``doi`` normalised (lower-case, no resolver prefix).
    """

    arxiv_id: str
    version: int | None
    title: str
    authors: tuple[str, ...]
    published_year: int | None
    updated_year: int | None
    doi: str | None
    journal_ref: str | None
    primary_category: str | None
    abs_url: str


@dataclass(frozen=True, slots=True)
class ArxivFeed:
    """A parsed feed: ``total_results`` is arXiv's count of matches, not ``len(entries)``;
    ``skipped`` counts entries left out because they lacked an id or a title."""

    total_results: int | None
    entries: tuple[ArxivEntry, ...]
    skipped: int = 0


# --------------------------------------------------------------------------- request URLs


def search_url(api_url: str, title: str, surname: str | None, max_results: int = 5) -> str:
    """``search_query=ti:"<title>" AND au:<surname>`` for one publication.

    The title loses the characters that would close the phrase or open a group or field
    (quotes, parentheses, brackets, braces, colons, backslashes) and stray upper-case
    ``AND``/``OR``/``ANDNOT`` are lower-cased; the surname keeps letters only (accents folded),
    with spaces and hyphens as ``_`` as arXiv wants (``au:del_maestro``). Without a usable
    surname the ``au:`` part is left out.
    """
    phrase = _clean_title(title)
    if not phrase:
        raise ValueError(f"title {title!r} has no searchable words")
    _check_max_results(max_results)
    query = f'ti:"{phrase}"'
    author = _clean_surname(surname) if surname else ""
    if author:
        query += f" AND au:{author}"
    return _with_query(
        api_url, [("search_query", query), ("start", "0"), ("max_results", str(max_results))]
    )


def id_list_url(api_url: str, ids: Sequence[str]) -> str:
    """``id_list=<id>,<id>...`` asking for exactly as many results as ids.

    Each id is normalised (``arXiv:`` prefixes and abs URLs accepted, a version kept) and one
    that is not an arXiv id raises ``ValueError`` here: arXiv would answer the whole batch
    with an error feed.
    """
    if isinstance(ids, str):
        raise TypeError("ids must be a sequence of ids, not one string")
    cleaned: list[str] = []
    for raw in ids:
        canonical = normalise_arxiv(raw)
        if canonical is None:
            raise ValueError(f"not an arXiv id: {raw!r}")
        version = arxiv_version(raw)
        cleaned.append(f"{canonical}v{version}" if version else canonical)
    if not cleaned:
        raise ValueError("ids is empty")
    _check_max_results(len(cleaned))
    return _with_query(
        api_url,
        [("id_list", ",".join(cleaned)), ("start", "0"), ("max_results", str(len(cleaned)))],
    )


def _clean_title(title: str) -> str:
    words = _TITLE_BREAKERS.sub(" ", unicodedata.normalize("NFC", title)).split()
    return " ".join(word.lower() if word in _OPERATORS else word for word in words)


def _clean_surname(surname: str) -> str:
    folded = unicodedata.normalize("NFKD", surname)
    parts = []
    for chunk in _SURNAME_SEPARATORS.split(folded):
        letters = "".join(ch for ch in chunk if ch.isalpha())
        if letters:
            parts.append(letters.lower())
    return "_".join(parts)


def _check_max_results(max_results: int) -> None:
    if not 1 <= max_results <= MAX_RESULTS_LIMIT:
        raise ValueError(f"max_results must be 1..{MAX_RESULTS_LIMIT}, got {max_results}")


def _with_query(api_url: str, params: list[tuple[str, str]]) -> str:
    # ":" "," "/" stay readable (arXiv's own examples and self links use them bare); spaces
    # become "+", quotes %22, and everything else that means something in a URL is escaped.
    query = urlencode(params, quote_via=quote_plus, safe=":,/")
    return f"{api_url}{'&' if '?' in api_url else '?'}{query}"


# --------------------------------------------------------------------------- parsing


def parse_feed(body: bytes, status: int = 200) -> ArxivFeed:
    """Parse an ``/api/query`` answer; raises :class:`ApiResponseError` when it is unusable.

    200 and 400 bodies are read (arXiv serves its error feed with either); an error feed raises
    ``api_error`` with arXiv's message; a 400 that is not an error feed raises ``http_400``.
    """
    if status not in (200, 400):
        raise ApiResponseError(f"http_{status}", body_excerpt(body) or "empty body")
    try:
        root = _parse_xml(body)
        feed = _read_feed(root)
    except ApiResponseError as exc:
        if status == 400 and exc.reason != "api_error":
            raise ApiResponseError("http_400", exc.detail) from exc
        raise
    if status != 200:
        raise ApiResponseError(f"http_{status}", "a feed without an error entry")
    return feed


def _xml_parser() -> etree.XMLParser:
    # A new parser per document: lxml parsers keep state and are not thread-safe.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _parse_xml(body: bytes) -> etree._Element:
    if not body.strip():
        raise ApiResponseError("malformed_xml", "empty body")
    if b"\x00" in body:
        # UTF-16/32 would hide a DOCTYPE from the byte check below; arXiv sends UTF-8 only.
        raise ApiResponseError("malformed_xml", "not an ASCII-compatible XML document")
    if _HTML_START.match(body):
        raise ApiResponseError("unexpected_shape", f"an HTML page: {body_excerpt(body)}")
    if _DTD_MARKERS.search(body):
        raise ApiResponseError("forbidden_xml", "document declares a DTD or entities")
    try:
        root = etree.fromstring(body, _xml_parser())
    except etree.XMLSyntaxError as exc:
        raise ApiResponseError("malformed_xml", str(exc)) from exc
    docinfo = root.getroottree().docinfo
    # Second line of defence, in case a declaration got past the byte check.
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise ApiResponseError("forbidden_xml", "document declares a DTD")
    return root


def _read_feed(root: etree._Element) -> ArxivFeed:
    if root.tag != _FEED:
        raise ApiResponseError(
            "unexpected_shape", f"root element is {root.tag!r}, not an Atom feed"
        )
    entries: list[ArxivEntry] = []
    skipped = 0
    for element in root.iterchildren(_ENTRY):
        entry_id = _text(element.find(_ID))
        if entry_id and _ERROR_ID.match(entry_id):
            message = _text(element.find(_SUMMARY)) or _text(element.find(_TITLE)) or entry_id
            raise ApiResponseError("api_error", message)
        entry = _read_entry(element, entry_id)
        if entry is None:
            skipped += 1
        else:
            entries.append(entry)
    total = _int(_text(root.find(_TOTAL_RESULTS)))
    start = _int(_text(root.find(_START_INDEX))) or 0
    if total is not None and total > start and not entries and not skipped:
        # arXiv now and then answers a page that should hold entries with none: a passing
        # fault, never to be read (or cached) as "nothing found"
        raise ApiResponseError(
            "transient_empty", f"totalResults {total} but no entry from index {start}"
        )
    return ArxivFeed(total_results=total, entries=tuple(entries), skipped=skipped)


def _read_entry(element: etree._Element, entry_id: str | None) -> ArxivEntry | None:
    title = _text(element.find(_TITLE))
    arxiv_id = normalise_arxiv(entry_id) if entry_id else None
    if not title or not entry_id or arxiv_id is None:
        return None
    authors = tuple(
        name for name in (_text(a.find(_NAME)) for a in element.iterchildren(_AUTHOR)) if name
    )
    category = element.find(_PRIMARY_CATEGORY)
    return ArxivEntry(
        arxiv_id=arxiv_id,
        version=arxiv_version(entry_id),
        title=title,
        authors=authors,
        published_year=_year(_text(element.find(_PUBLISHED))),
        updated_year=_year(_text(element.find(_UPDATED))),
        doi=_doi(_text(element.find(_DOI))),
        journal_ref=_text(element.find(_JOURNAL_REF)),
        primary_category=(category.get("term") or None) if category is not None else None,
        abs_url=_abs_link(element) or entry_id,
    )


def _abs_link(element: etree._Element) -> str | None:
    for link in element.iterchildren(_LINK):
        if link.get("rel") == "alternate" and link.get("href"):
            return str(link.get("href")).strip()
    return None


def _text(element: etree._Element | None) -> str | None:
    """The element's text with whitespace collapsed (arXiv wraps long titles), or None."""
    if element is None:
        return None
    text = " ".join("".join(element.itertext()).split())
    return text or None


def _int(text: str | None) -> int | None:
    """A feed's count or offset; None when not a plain number or longer than any real one
    (``int()`` itself refuses a run of more than 4300 digits)."""
    if not text or not text.isascii() or not text.isdigit():
        return None
    digits = text.lstrip("0") or "0"
    return int(digits) if len(digits) <= _MAX_DIGITS else None


def _year(text: str | None) -> int | None:
    match = _YEAR.match(text) if text else None
    return int(match.group(1)) if match else None


def _doi(text: str | None) -> str | None:
    # Authors occasionally list several DOIs separated by spaces: the first is the paper's.
    return normalise_doi(text.split()[0]) if text else None
