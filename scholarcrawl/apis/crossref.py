"""Crossref REST API (``/works``): request URLs and JSON parsers.

What the answers look like (checked on real 2026 answers):

* Envelope ``{"status": "ok", "message-type": "work-list" | "work", "message-version": ...,
  "message": ...}``; a list's ``message`` holds ``total-results``, ``items``,
  ``items-per-page`` and ``query``.
* Unknown DOI: HTTP 404 with the plain text ``Resource not found.`` (not JSON).
* Bad parameters: HTTP 400 ``{"status": "failed", "message-type": "validation-failure",
  "message": [{"type": ..., "value": ..., "message": ...}]}``.
* Titles, subtitles and container titles are lists (possibly empty); ``author`` may be absent
  (reference entries) and organisations carry ``name`` instead of ``given``/``family``;
  ``issued`` may be ``{"date-parts": [[null]]}`` (unknown).
* ``score`` is Crossref's unnormalised relevance: comparable within one answer at best, so
  never a match decision on its own.

One item of a list with wrong types (title not a list, no DOI, author not a list, a date part
that is a string) is skipped and counted, never guessed at; a wrong envelope raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote, quote_plus, urlencode

from scholarcrawl.apis import ApiResponseError, body_excerpt, json_or_none, load_json

__all__ = [
    "SELECT_FIELDS",
    "CrossrefWork",
    "parse_work",
    "parse_works",
    "work_url",
    "works_query_url",
]

# Asked for with select= on /works queries, so an answer carries a few hundred bytes per item
# instead of abstracts and reference lists. Every name is in the list of fields Crossref
# accepts in select (its validation error enumerates them, "score" and "published" included);
# a name outside that list would turn every query into a 400.
SELECT_FIELDS: Final[tuple[str, ...]] = (
    "DOI",
    "title",
    "subtitle",
    "author",
    "issued",
    "published",
    "published-print",
    "published-online",
    "container-title",
    "short-container-title",
    "type",
    "update-to",
    "relation",
    "score",
)

# Crossref serves at most 1000 rows per page; a match query needs a handful.
MAX_ROWS: Final = 1000

# Dates in preference order: issued is the earliest of print and online publication.
_DATE_FIELDS: Final = ("issued", "published", "published-print", "published-online")


@dataclass(frozen=True, slots=True)
class CrossrefWork:
    """One work. ``authors`` are ``(given, family)`` pairs, organisations as ``(None, name)``;
    ``score`` is only present on query answers (and meaningless on a single-DOI lookup)."""

    doi: str
    title: str
    subtitle: str | None
    authors: tuple[tuple[str | None, str], ...]
    year: int | None
    container_titles: tuple[str, ...]
    work_type: str | None
    is_update: bool
    score: float | None
    # Kept as given (a dict of lists of dicts); left out of the hash so works stay hashable.
    relation: Mapping[str, Any] = field(default_factory=dict, hash=False)


class _MalformedItem(Exception):
    """An item with a field of the wrong type: skipped by parse_works."""


# --------------------------------------------------------------------------- request URLs


def works_query_url(
    api_url: str,
    bibliographic: str,
    author: str | None,
    rows: int = 5,
    mailto: str | None = None,
) -> str:
    """``/works?query.bibliographic=…&query.author=…&rows=…&select=…&mailto=…``.

    ``query.author`` and ``mailto`` are left out when not given; ``mailto`` puts the request
    in Crossref's polite pool.
    """
    text = " ".join(bibliographic.split())
    if not text:
        raise ValueError("bibliographic query is empty")
    if not 1 <= rows <= MAX_ROWS:
        raise ValueError(f"rows must be 1..{MAX_ROWS}, got {rows}")
    params = [("query.bibliographic", text)]
    author_text = " ".join(author.split()) if author else ""
    if author_text:
        params.append(("query.author", author_text))
    params += [("rows", str(rows)), ("select", ",".join(SELECT_FIELDS))]
    if mailto:
        params.append(("mailto", mailto))
    return f"{api_url.rstrip('/')}/works?{_encode(params)}"


def work_url(api_url: str, doi: str, mailto: str | None = None) -> str:
    """``/works/{doi}``: the DOI percent-encoded except its slashes (``select`` and field
    queries are not allowed on this route)."""
    value = doi.strip()
    if not value:
        raise ValueError("doi is empty")
    url = f"{api_url.rstrip('/')}/works/{quote(value, safe='/')}"
    if mailto:
        url += f"?{_encode([('mailto', mailto)])}"
    return url


def _encode(params: list[tuple[str, str]]) -> str:
    # Commas stay bare in select= (Crossref's documented form); "@" reads better in mailto.
    return urlencode(params, quote_via=quote_plus, safe=",@")


# --------------------------------------------------------------------------- parsing


def parse_works(body: bytes, status: int = 200) -> tuple[tuple[CrossrefWork, ...], int]:
    """A ``/works`` list answer: ``(works, number of items skipped as malformed)``."""
    message = _message(body, status, "work-list")
    if not isinstance(message, dict):
        raise ApiResponseError("unexpected_shape", "work-list message is not an object")
    items = message.get("items")
    if not isinstance(items, list):
        raise ApiResponseError("unexpected_shape", "work-list message has no items list")
    works: list[CrossrefWork] = []
    skipped = 0
    for item in items:
        try:
            works.append(_work(item))
        except _MalformedItem:
            skipped += 1
    return tuple(works), skipped


def parse_work(body: bytes, status: int = 200) -> CrossrefWork:
    """A ``/works/{doi}`` answer."""
    message = _message(body, status, "work")
    try:
        return _work(message)
    except _MalformedItem as exc:
        raise ApiResponseError("unexpected_shape", f"work: {exc}") from exc


def _message(body: bytes, status: int, message_type: str) -> Any:
    if status != 200:
        _raise_for_status(body, status)
    document = load_json(body)
    if not isinstance(document, dict):
        raise ApiResponseError("unexpected_shape", "answer is not a JSON object")
    if document.get("status") == "failed":
        raise ApiResponseError("api_error", _failure_text(document))
    if document.get("status") != "ok":
        raise ApiResponseError("unexpected_shape", f"status is {document.get('status')!r}")
    if document.get("message-type") != message_type:
        raise ApiResponseError(
            "unexpected_shape",
            f"message-type is {document.get('message-type')!r}, expected {message_type!r}",
        )
    return document.get("message")


def _raise_for_status(body: bytes, status: int) -> None:
    # A 4xx may carry Crossref's own failure document: its message beats "http_400".
    document = json_or_none(body)
    if isinstance(document, dict) and document.get("status") == "failed":
        raise ApiResponseError("api_error", _failure_text(document))
    raise ApiResponseError(f"http_{status}", body_excerpt(body) or "empty body")


def _failure_text(document: dict[str, Any]) -> str:
    kind = document.get("message-type")
    message = document.get("message")
    texts: list[str] = []
    for part in message if isinstance(message, list) else [message]:
        if isinstance(part, dict):
            text = part.get("message") or part.get("type")
            value = part.get("value")
            if text:
                texts.append(f"{text} ({value})" if isinstance(value, str) and value else str(text))
        elif isinstance(part, str) and part:
            texts.append(part)
    detail = "; ".join(texts) or "request failed"
    return f"{kind}: {detail}" if isinstance(kind, str) and kind else detail


# --------------------------------------------------------------------------- one work


def _work(item: Any) -> CrossrefWork:
    if not isinstance(item, dict):
        raise _MalformedItem("item is not an object")
    doi = item.get("DOI")
    if not isinstance(doi, str) or not doi.strip():
        raise _MalformedItem("no DOI")
    titles = _strings(item, "title")
    subtitles = _strings(item, "subtitle")
    work_type = item.get("type")
    if work_type is not None and not isinstance(work_type, str):
        raise _MalformedItem("type is not a string")
    score = item.get("score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
        raise _MalformedItem("score is not a number")
    relation = item.get("relation", {})
    if not isinstance(relation, dict):
        raise _MalformedItem("relation is not an object")
    update_to = item.get("update-to", [])
    if not isinstance(update_to, list):
        raise _MalformedItem("update-to is not a list")
    containers = _strings(item, "container-title") + _strings(item, "short-container-title")
    years = [_year(item.get(name), name) for name in _DATE_FIELDS]
    return CrossrefWork(
        doi=doi.strip().lower(),
        title=titles[0] if titles else "",
        subtitle=subtitles[0] if subtitles else None,
        authors=_authors(item.get("author", [])),
        year=next((year for year in years if year is not None), None),
        container_titles=tuple(dict.fromkeys(containers)),
        work_type=work_type or None,
        is_update=bool(update_to),
        score=float(score) if score is not None else None,
        relation=relation,
    )


def _strings(item: dict[str, Any], name: str) -> list[str]:
    """A list-of-strings field, whitespace collapsed, empty strings dropped."""
    value = item.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _MalformedItem(f"{name} is not a list of strings")
    return [text for text in (" ".join(v.split()) for v in value) if text]


def _authors(value: Any) -> tuple[tuple[str | None, str], ...]:
    if not isinstance(value, list):
        raise _MalformedItem("author is not a list")
    authors: list[tuple[str | None, str]] = []
    for person in value:
        if not isinstance(person, dict):
            raise _MalformedItem("author entry is not an object")
        given, family, name = (_name_part(person, key) for key in ("given", "family", "name"))
        if family:
            authors.append((given, family))
        elif name:
            authors.append((None, name))
        elif given:
            # Mononyms are deposited as a lone given name: it is the name to match on.
            authors.append((None, given))
    return tuple(authors)


def _name_part(person: dict[str, Any], key: str) -> str | None:
    value = person.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _MalformedItem(f"author {key} is not a string")
    return " ".join(value.split()) or None


def _year(value: Any, name: str) -> int | None:
    """The year of a Crossref date (``{"date-parts": [[2015, 11, 19]]}``); None when unknown."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _MalformedItem(f"{name} is not an object")
    parts = value.get("date-parts")
    if parts is None:
        return None
    if not isinstance(parts, list) or not all(isinstance(p, list) for p in parts):
        raise _MalformedItem(f"{name} date-parts is not a list of lists")
    if not parts or not parts[0]:
        return None
    for part in parts[0]:
        if part is not None and (isinstance(part, bool) or not isinstance(part, int)):
            raise _MalformedItem(f"{name} date-parts holds {part!r}")
    year = parts[0][0]
    return year if isinstance(year, int) else None
