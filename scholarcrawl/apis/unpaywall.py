"""Unpaywall REST API (``/v2/{doi}?email=…``): request URL and JSON parser.

What the answers look like (checked on real 2024 and 2026 answers):

* One flat object per DOI: ``doi`` (lower-cased), ``is_oa``, ``oa_status`` (``gold``,
  ``hybrid``, ``bronze``, ``green``, ``closed``), ``best_oa_location``, ``first_oa_location``,
  ``oa_locations``, ``oa_locations_embargoed``, ``title``, ``year``, ``genre``, journal and
  publisher fields.
* A closed work has ``best_oa_location: null`` and ``oa_locations: []``.
* The best location is repeated in ``oa_locations`` (with ``is_best: true``), in Unpaywall's
  order; other locations (a PubMed Central copy, say) follow with ``is_best: false`` and a
  ``repository_institution``.
* ``url_for_pdf`` may be null while ``url`` and ``url_for_landing_page`` point at a doi.org
  landing page (hybrid articles); the same landing page may appear once with ``https`` and
  once with ``http``.
* ``evidence`` and a location's ``updated`` are often the literal ``"deprecated"``, and
  ``updated`` is sometimes a timestamp placed first in the location: neither is read.
* ``z_authors`` is null, a list of ``{"raw_author_name", "author_position", ...}`` or a list
  of Crossref-style ``{"given", "family", "sequence"}``: not read either.

Errors (not among the saved answers): an unknown DOI is HTTP 404 with Unpaywall's error
document ``{"HTTP_status_code": 404, "error": true, "message": "'10.x/y' is an invalid doi.
See https://doi.org/10.x/y"}``, and a missing or refused ``email`` HTTP 422 with the same kind
of document. Its ``message`` becomes the error detail; only a 422 (or a 200) carrying it is
``api_error``, other statuses stay ``http_<status>``, and a 422 without it is ``http_422``.

Unknown fields are ignored and missing optional ones read as None; a field of the wrong type
(``is_oa`` not a bool, a location that is not an object, a URL that is a number) raises
``unexpected_shape`` rather than being guessed at. A URL that is a string but not http(s), or
that holds a control character (NUL, a line break), is kept on its location and ignored by
:meth:`UnpaywallRecord.pdf_urls` and :meth:`UnpaywallRecord.landing_urls`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, urlsplit

from scholarcrawl.apis import ApiResponseError, body_excerpt, json_or_none, load_json

__all__ = ["OaLocation", "UnpaywallRecord", "parse_unpaywall", "unpaywall_url"]

# Unpaywall answers a missing or refused ?email= with 422 and its own error document.
_EMAIL_REFUSED: Final = 422

_WEB_SCHEMES: Final = frozenset({"http", "https"})


@dataclass(frozen=True, slots=True)
class OaLocation:
    """One open-access copy. ``host_type`` is ``publisher`` or ``repository``; ``version`` is
    ``publishedVersion``, ``acceptedVersion`` or ``submittedVersion``; URLs are kept as given
    (stripped), whatever their scheme."""

    url: str | None
    url_for_pdf: str | None
    url_for_landing_page: str | None
    host_type: str | None
    version: str | None
    license: str | None
    is_best: bool
    repository_institution: str | None


@dataclass(frozen=True, slots=True)
class UnpaywallRecord:
    """What Unpaywall knows about one DOI (``doi`` lower-cased). ``best_oa_location`` is None
    for a closed work; it is usually repeated in ``oa_locations``."""

    doi: str
    is_oa: bool
    oa_status: str | None
    best_oa_location: OaLocation | None
    oa_locations: tuple[OaLocation, ...]
    title: str | None
    year: int | None
    genre: str | None

    def pdf_urls(self) -> list[str]:
        """PDF URLs to try: the best location's first, then the others' in Unpaywall's order;
        http(s) only, each once."""
        return _web_urls(location.url_for_pdf for location in self._locations())

    def landing_urls(self) -> list[str]:
        """Landing pages to look for a PDF link on, in the same order as :meth:`pdf_urls`."""
        return _web_urls(location.url_for_landing_page for location in self._locations())

    def _locations(self) -> list[OaLocation]:
        best = [self.best_oa_location] if self.best_oa_location is not None else []
        return best + list(self.oa_locations)


class _BadShape(Exception):
    """A field of the wrong type: the record is refused as unexpected_shape."""


# --------------------------------------------------------------------------- request URL


def unpaywall_url(api_url: str, doi: str, email: str) -> str:
    """``/v2/{doi}?email={email}``: the DOI percent-encoded except unreserved characters and
    its slashes, so that ``;``, ``?``, ``#``, spaces and the like stay inside the path."""
    value = doi.strip()
    if not value:
        raise ValueError("doi is empty")
    address = email.strip()
    if not address:
        raise ValueError("email is empty")
    # "+" in an e-mail must reach Unpaywall as %2B: a bare one reads as a space.
    return f"{api_url.rstrip('/')}/v2/{quote(value, safe='/')}?email={quote(address, safe='@')}"


# --------------------------------------------------------------------------- parsing


def parse_unpaywall(body: bytes, status: int = 200) -> UnpaywallRecord:
    """A ``/v2/{doi}`` answer."""
    if status != 200:
        _raise_for_status(body, status)
    document = load_json(body)
    if not isinstance(document, dict):
        raise ApiResponseError("unexpected_shape", "answer is not a JSON object")
    message = _error_message(document, body)
    if message is not None:
        raise ApiResponseError("api_error", message)
    try:
        return _record(document)
    except _BadShape as exc:
        raise ApiResponseError("unexpected_shape", f"record: {exc}") from exc


def _raise_for_status(body: bytes, status: int) -> None:
    document = json_or_none(body)
    message = _error_message(document, body) if isinstance(document, dict) else None
    # Only the 422 is an answer about the request itself (the e-mail); any other status
    # keeps its number, with Unpaywall's message when it sent one.
    if status == _EMAIL_REFUSED and message is not None:
        raise ApiResponseError("api_error", message)
    raise ApiResponseError(f"http_{status}", message or body_excerpt(body) or "empty body")


def _error_message(document: dict[str, Any], body: bytes) -> str | None:
    """The message of Unpaywall's own error document, None when the document is not one."""
    if document.get("error") is not True and "HTTP_status_code" not in document:
        return None
    message = document.get("message")
    text = " ".join(message.split()) if isinstance(message, str) else ""
    return text or body_excerpt(body)


def _record(document: dict[str, Any]) -> UnpaywallRecord:
    doi = document.get("doi")
    if not isinstance(doi, str) or not doi.strip():
        raise _BadShape("no doi")
    is_oa = document.get("is_oa")
    if not isinstance(is_oa, bool):
        raise _BadShape(f"is_oa is {is_oa!r}, not a bool")
    year = document.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        raise _BadShape(f"year is {year!r}")
    best = document.get("best_oa_location")
    locations = document.get("oa_locations", [])
    if not isinstance(locations, list):
        raise _BadShape("oa_locations is not a list")
    return UnpaywallRecord(
        doi=doi.strip().lower(),
        is_oa=is_oa,
        oa_status=_text(document, "oa_status"),
        best_oa_location=None if best is None else _location(best, "best_oa_location", True),
        oa_locations=tuple(
            _location(item, f"oa_locations[{index}]", False) for index, item in enumerate(locations)
        ),
        title=_text(document, "title"),
        year=year,
        genre=_text(document, "genre"),
    )


def _location(value: Any, where: str, is_best_default: bool) -> OaLocation:
    if not isinstance(value, dict):
        raise _BadShape(f"{where} is not an object")
    is_best = value.get("is_best", is_best_default)
    if not isinstance(is_best, bool):
        raise _BadShape(f"{where}.is_best is {is_best!r}, not a bool")
    return OaLocation(
        url=_text(value, "url", where),
        url_for_pdf=_text(value, "url_for_pdf", where),
        url_for_landing_page=_text(value, "url_for_landing_page", where),
        host_type=_text(value, "host_type", where),
        version=_text(value, "version", where),
        license=_text(value, "license", where),
        is_best=is_best,
        repository_institution=_text(value, "repository_institution", where),
    )


def _text(obj: dict[str, Any], name: str, where: str = "") -> str | None:
    """An optional string field, stripped; None when missing, null or blank."""
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _BadShape(f"{where + '.' if where else ''}{name} is not a string")
    return value.strip() or None


def _web_urls(urls: Iterable[str | None]) -> list[str]:
    seen: dict[str, None] = {}
    for url in urls:
        if url is not None and url not in seen and _is_web_url(url):
            seen[url] = None
    return list(seen)


def _is_web_url(url: str) -> bool:
    if any(ord(char) < 0x20 or char == "\x7f" for char in url):
        return False  # a control character (NUL, CR, LF...): no URL to fetch or to store
    try:
        parts = urlsplit(url)
    except ValueError:  # an invalid IPv6 netloc, say
        return False
    return parts.scheme.lower() in _WEB_SCHEMES and bool(parts.hostname)
