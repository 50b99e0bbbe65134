"""Mock Unpaywall, DOI resolver and publisher sites for the replay server.

Tests, the demo and benchmarks look up open-access copies and fetch PDFs against these mocks,
never the real hosts. :class:`OaCatalogue` knows, for each DOI, an :class:`OaRecord` naming
one of a small closed set of *scenarios* (what Unpaywall says and what the publisher's site
then does). Explicit records win; any other DOI the :class:`~.apis.ApiCatalogue` knows gets a
scenario derived from ``sha256(doi)`` with :data:`DEFAULT_WEIGHTS` (or the catalogue's
``weights``), and its title, year, journal, publisher, authors and ISSNs from the Crossref
work. A DOI neither knows is unknown everywhere.

Routes (answered by :meth:`OaCatalogue.answer`, wired into :class:`~.server.ReplayServer`;
a DOI in a path is percent-encoded with ``quote(doi, safe="/")``, read back with ``unquote``
and lower-cased):

* ``GET /v2/{doi}?email=you@example.org``: api.unpaywall.org's v2 record, with the keys, key
  order and types of the 2026 answers (``evidence`` and ``updated`` of locations are
  ``"deprecated"`` as there; ``z_authors`` in the 2026 shape ``author_position``,
  ``raw_author_name``, ``is_corresponding``, ``raw_affiliation_strings``, or null).
  A missing or invalid ``email`` answers 422, an unknown DOI 404, both in Unpaywall's JSON.
* ``GET /doi/{doi}``: stands for https://doi.org: 302 to the landing page (404 unknown).
  It is also every location's ``url_for_landing_page`` and the record's ``doi_url``.
* ``GET /publisher/landing/{doi}``: the publisher's article page, per scenario.
* ``GET /publisher/pdf/{doi}.pdf``: the article PDF (:func:`pdf_body`), per scenario.
* ``GET /publisher/supp/{doi}.pdf``: a supplementary-material PDF (not the article).

Scenarios (:data:`SCENARIOS`):

=================== ======================================================================
``closed``          ``is_oa`` false, no locations; landing page without any PDF link
``pdf``             best location a repository copy (green) with ``url_for_pdf``
``other_pdf``       best location the publisher's landing page only (bronze or hybrid);
                    a second, repository location has ``url_for_pdf``. The landing page
                    has no PDF link: only the second location leads to the PDF
``landing_meta``    landing page only (hybrid); the page has ``<meta name=citation_pdf_url>``
                    (relative or absolute, per DOI)
``landing_link``    landing page only; ``<link rel=alternate type=application/pdf>``
``landing_anchor``  landing page only; a "Download PDF" anchor, a supplementary-material
                    PDF anchor (before or after it, per DOI) and references linking to
                    other articles' PDFs
``landing_script``  landing page only: an SPA shell (``<div id="root">``) whose script
                    renders the text and, 50 ms after DOMContentLoaded, a "Download PDF"
                    anchor; the raw HTML holds no ``.pdf`` at all
``landing_none``    landing page only; article text, no PDF link, no scripts
``landing_404``     landing page only; it answers 404
``blocked``         landing page only; the publisher's host answers 403 with a
                    Cloudflare-style "Just a moment..." challenge (PDF route too)
``not_pdf``         best location the publisher's (bronze) ``url_for_pdf``, which answers
                    200 ``text/html``: a sign-in page
``oversized``       best location a repository ``url_for_pdf`` answering a real PDF of
                    ``OaCatalogue.oversized_bytes`` bytes
``unknown``         Unpaywall answers 404 (so do the resolver and publisher routes)
=================== ======================================================================

A record's ``landing_host`` replaces the server's host in every URL written for it (resolver,
landing and PDF URLs, the resolver's ``Location``); the port stays the server's.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import random
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import quote, unquote, urlsplit

from scholarcrawl.replay.apis import JSON, ApiCatalogue, ApiResponse, CrossrefWork

__all__ = [
    "BLOCKED",
    "CLOSED",
    "DEFAULT_WEIGHTS",
    "DOI_PATH",
    "LANDING_404",
    "LANDING_ANCHOR",
    "LANDING_LINK",
    "LANDING_META",
    "LANDING_NONE",
    "LANDING_PATH",
    "LANDING_SCRIPT",
    "NOT_PDF",
    "OTHER_PDF",
    "OVERSIZED",
    "PDF",
    "PDF_PATH",
    "SCENARIOS",
    "SUPP_PATH",
    "UNKNOWN",
    "UNPAYWALL_PATH",
    "OaCatalogue",
    "OaRecord",
    "ReplayRedirect",
    "doi_path",
    "is_oa_path",
    "landing_path",
    "pdf_body",
    "pdf_path",
    "supp_path",
]

CLOSED: Final = "closed"
PDF: Final = "pdf"
OTHER_PDF: Final = "other_pdf"
LANDING_META: Final = "landing_meta"
LANDING_LINK: Final = "landing_link"
LANDING_ANCHOR: Final = "landing_anchor"
LANDING_SCRIPT: Final = "landing_script"
LANDING_NONE: Final = "landing_none"
LANDING_404: Final = "landing_404"
BLOCKED: Final = "blocked"
NOT_PDF: Final = "not_pdf"
OVERSIZED: Final = "oversized"
UNKNOWN: Final = "unknown"
SCENARIOS: Final[tuple[str, ...]] = (
    CLOSED,
    PDF,
    OTHER_PDF,
    LANDING_META,
    LANDING_LINK,
    LANDING_ANCHOR,
    LANDING_SCRIPT,
    LANDING_NONE,
    LANDING_404,
    BLOCKED,
    NOT_PDF,
    OVERSIZED,
    UNKNOWN,
)
# shares of the Crossref works of a corpus; roughly what a Scholar profile's DOIs meet
DEFAULT_WEIGHTS: Final[Mapping[str, float]] = {
    CLOSED: 0.30,
    PDF: 0.25,
    OTHER_PDF: 0.08,
    LANDING_META: 0.12,
    LANDING_LINK: 0.05,
    LANDING_ANCHOR: 0.06,
    LANDING_SCRIPT: 0.04,
    LANDING_NONE: 0.04,
    LANDING_404: 0.02,
    BLOCKED: 0.02,
    NOT_PDF: 0.01,
    OVERSIZED: 0.01,
}

UNPAYWALL_PATH: Final = "/v2/"
DOI_PATH: Final = "/doi/"  # https://doi.org/, on this server
LANDING_PATH: Final = "/publisher/landing/"
PDF_PATH: Final = "/publisher/pdf/"
SUPP_PATH: Final = "/publisher/supp/"
_PREFIXES: Final = (UNPAYWALL_PATH, DOI_PATH, LANDING_PATH, PDF_PATH, SUPP_PATH)

HTML: Final = "text/html; charset=UTF-8"
PDF_TYPE: Final = "application/pdf"
EMAIL_REQUIRED: Final = "Email address required in query string, like ?email=you@example.com"

# scenarios whose publisher site serves the article PDF at the PDF route
_SERVES_PDF: Final = frozenset(
    {PDF, OTHER_PDF, LANDING_META, LANDING_LINK, LANDING_ANCHOR, LANDING_SCRIPT, OVERSIZED}
)
# scenarios whose landing page names the PDF in <meta name="citation_pdf_url">
_META_PDF: Final = frozenset({PDF, LANDING_META, NOT_PDF, OVERSIZED})


def is_oa_path(path: str) -> bool:
    """Whether ``path`` is one of the mock Unpaywall, resolver or publisher routes."""
    return path.startswith(_PREFIXES)


def _quoted(doi: str) -> str:
    return quote(doi, safe="/")


def doi_path(doi: str) -> str:
    """``/doi/{doi}``: the mock https://doi.org/ URL's path."""
    return DOI_PATH + _quoted(doi.lower())


def landing_path(doi: str) -> str:
    """``/publisher/landing/{doi}``: the publisher's article page."""
    return LANDING_PATH + _quoted(doi.lower())


def pdf_path(doi: str) -> str:
    """``/publisher/pdf/{doi}.pdf``: the article PDF."""
    return PDF_PATH + _quoted(doi.lower()) + ".pdf"


def supp_path(doi: str) -> str:
    """``/publisher/supp/{doi}.pdf``: the supplementary material (a decoy PDF)."""
    return SUPP_PATH + _quoted(doi.lower()) + ".pdf"


# --------------------------------------------------------------------------- determinism


def _draw(doi: str, salt: str = "") -> float:
    """A uniform number in [0, 1) fixed by ``doi`` (and ``salt``)."""
    digest = hashlib.sha256(f"{salt}|{doi}".encode() if salt else doi.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _pick(doi: str, salt: str, n: int) -> int:
    return int(_draw(doi, salt) * n)


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class OaRecord:
    """What the mocks know of one DOI: its scenario (one of :data:`SCENARIOS`) and metadata.

    ``doi`` is lower-cased. ``landing_host`` is written in this record's URLs instead of the
    server's host (``"localhost"`` while the server binds 127.0.0.1, say), so tests can treat
    that host specially; the port stays the server's.
    """

    doi: str
    scenario: str
    title: str = "Untitled article"
    year: int | None = None
    journal: str | None = None
    publisher: str | None = None
    landing_host: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "doi", self.doi.strip().lower())
        if not self.doi:
            raise ValueError("OaRecord needs a DOI")
        if self.scenario not in SCENARIOS:
            raise ValueError(f"unknown OA scenario {self.scenario!r}; one of {SCENARIOS}")


class ReplayRedirect(ApiResponse):
    """A redirect answer: an :class:`~.apis.ApiResponse` carrying a ``Location`` header."""

    __slots__ = ()

    @classmethod
    def to(cls, location: str, status: int = 302) -> ReplayRedirect:
        """``status`` to ``location``, with a small HTML body as servers send."""
        loc = html.escape(location)
        phrase = HTTPStatus(status).phrase
        body = (
            f"<html><head><title>{status} {phrase}</title></head><body><h1>{phrase}</h1>"
            f'<p>The document has moved <a href="{loc}">here</a>.</p></body></html>\n'
        )
        return cls(status, body.encode("utf-8"), HTML, (("Location", location),))

    @property
    def location(self) -> str:
        """The ``Location`` header."""
        return dict(self.headers)["Location"]


class OaCatalogue:
    """The OA scenario of each DOI, and the answers of the mock Unpaywall and publishers.

    ``records`` are explicit and win. Otherwise a DOI that ``apis`` knows gets a scenario
    drawn from ``sha256(doi)`` with ``weights`` (scenario -> weight, normalised; scenarios
    left out never occur; default :data:`DEFAULT_WEIGHTS`), and its metadata from the Crossref
    work. ``oversized_bytes`` is the size of the ``oversized`` scenario's PDF. Stateless
    apart from a lazily built list of reference DOIs: thread-safe.
    """

    def __init__(
        self,
        records: Iterable[OaRecord] = (),
        *,
        apis: ApiCatalogue | None = None,
        oversized_bytes: int = 3_000_000,
        weights: Mapping[str, float] | None = None,
    ) -> None:
        self._records = {r.doi: r for r in records}
        self.apis = apis
        if oversized_bytes < 15:
            raise ValueError("oversized_bytes must be at least 15 (a PDF header and %%EOF)")
        self.oversized_bytes = oversized_bytes
        chosen = DEFAULT_WEIGHTS if weights is None else weights
        unknown = sorted(set(chosen) - set(SCENARIOS))
        if unknown:
            raise ValueError(f"unknown OA scenarios in weights: {', '.join(unknown)}")
        if any(not math.isfinite(w) or w < 0 for w in chosen.values()):
            raise ValueError("OA scenario weights must be finite and not negative")
        total = sum(chosen.values())
        if total <= 0:
            raise ValueError("OA scenario weights must not all be zero")
        self.weights: Mapping[str, float] = {s: chosen[s] / total for s in SCENARIOS if s in chosen}
        bounds: list[tuple[float, str]] = []
        running = 0.0
        for scenario, weight in self.weights.items():
            if weight > 0:
                running += weight
                bounds.append((running, scenario))
        self._bounds = tuple(bounds)
        self._lock = threading.Lock()
        self._reference_dois: tuple[str, ...] | None = None

    # ------------------------------------------------------------ records

    def scenario_for(self, doi: str) -> str:
        """The scenario ``weights`` give ``doi`` (whether or not any catalogue knows it)."""
        x = _draw(doi.strip().lower())
        for bound, scenario in self._bounds:
            if x < bound:
                return scenario
        return self._bounds[-1][1]

    def record(self, doi: str) -> OaRecord | None:
        """The record of ``doi`` (any case): explicit, derived from the Crossref work, or None."""
        key = doi.strip().lower()
        explicit = self._records.get(key)
        if explicit is not None:
            return explicit
        work = self._work(key)
        if work is None:
            return None
        return OaRecord(
            doi=key,
            scenario=self.scenario_for(key),
            title=work.title,
            year=work.year,
            journal=work.container_title,
            publisher=work.publisher,
        )

    def _work(self, doi: str) -> CrossrefWork | None:
        return self.apis.work(doi) if self.apis is not None else None

    def _known(self, doi: str) -> OaRecord | None:
        record = self.record(doi)
        return None if record is None or record.scenario == UNKNOWN else record

    def _references(self, doi: str, n: int) -> list[str]:
        """``n`` other DOIs the catalogues know, fixed by ``doi`` (invented ones when too few)."""
        with self._lock:
            if self._reference_dois is None:
                known = set(self._records)
                if self.apis is not None:
                    known.update(w.doi.lower() for w in self.apis.works)
                self._reference_dois = tuple(sorted(known))
            pool = [d for d in self._reference_dois if d != doi]
        rng = random.Random(_draw(doi, "references"))
        if len(pool) >= n:
            return rng.sample(pool, n)
        return pool + [f"10.5555/ref.{rng.randrange(10**6):06d}" for _ in range(n - len(pool))]

    # ------------------------------------------------------------ routes

    def answer(
        self, path: str, query: Mapping[str, Sequence[str]], base_url: str
    ) -> ApiResponse | ReplayRedirect | None:
        """The answer to ``GET path?query`` on the server at ``base_url``; None: no OA route."""
        if path.startswith(UNPAYWALL_PATH):
            return self.unpaywall(unquote(path[len(UNPAYWALL_PATH) :]), query, base_url)
        if path.startswith(DOI_PATH):
            return self.resolve(unquote(path[len(DOI_PATH) :]), base_url)
        if path.startswith(LANDING_PATH):
            return self.landing(unquote(path[len(LANDING_PATH) :]), base_url)
        if path.startswith(PDF_PATH):
            return self.pdf(_strip_pdf(path[len(PDF_PATH) :]), base_url)
        if path.startswith(SUPP_PATH):
            return self.supplement(_strip_pdf(path[len(SUPP_PATH) :]), base_url)
        return None

    def unpaywall(self, doi: str, query: Mapping[str, Sequence[str]], base_url: str) -> ApiResponse:
        """``/v2/{doi}``: Unpaywall's record, 422 without a valid ``email``, 404 unknown."""
        values = query.get("email")
        email = values[0].strip() if values else ""
        local, _, domain = email.partition("@")
        if not local or not domain:
            return _json_answer(
                422, {"HTTP_status_code": 422, "error": True, "message": EMAIL_REQUIRED}
            )
        key = doi.strip().lower()
        record = self._known(key)
        if record is None:
            message = f"'{key}' is an invalid doi. See https://doi.org/{key}"
            return _json_answer(404, {"HTTP_status_code": 404, "error": True, "message": message})
        return _json_answer(200, self.unpaywall_json(record, base_url))

    def resolve(self, doi: str, base_url: str) -> ApiResponse:
        """``/doi/{doi}``: 302 to the landing page, as doi.org does; 404 when unknown."""
        record = self._known(doi)
        if record is None:
            return _html(404, _resolver_not_found(doi.strip().lower()))
        return ReplayRedirect.to(_host_base(record, base_url) + landing_path(record.doi))

    def landing(self, doi: str, base_url: str) -> ApiResponse:
        """``/publisher/landing/{doi}``: the article page of the record's scenario."""
        record = self._known(doi)
        if record is None or record.scenario == LANDING_404:
            return _html(404, _publisher_not_found(record))
        if record.scenario == BLOCKED:
            return _challenge(record, base_url)
        return _html(200, self._landing_html(record, base_url))

    def pdf(self, doi: str, base_url: str) -> ApiResponse:
        """``/publisher/pdf/{doi}.pdf``: the article PDF, a sign-in page, or an error."""
        record = self._known(doi)
        if record is None:
            return _html(404, _publisher_not_found(None))
        if record.scenario == BLOCKED:
            return _challenge(record, base_url)
        if record.scenario == NOT_PDF:
            return _html(200, _signin_page(record, base_url))
        if record.scenario == OVERSIZED:
            return ApiResponse(200, pdf_body(record.doi, self.oversized_bytes), PDF_TYPE)
        if record.scenario in _SERVES_PDF:
            return ApiResponse(200, pdf_body(record.doi), PDF_TYPE)
        return _html(404, _publisher_not_found(record))

    def supplement(self, doi: str, base_url: str) -> ApiResponse:
        """``/publisher/supp/{doi}.pdf``: a supplementary-material PDF of any known article."""
        record = self._known(doi)
        if record is None or record.scenario == LANDING_404:
            return _html(404, _publisher_not_found(record))
        if record.scenario == BLOCKED:
            return _challenge(record, base_url)
        return ApiResponse(200, _pdf(record.doi, "supplement", None), PDF_TYPE)

    # ------------------------------------------------------------ Unpaywall JSON

    def unpaywall_json(self, record: OaRecord, base_url: str) -> dict[str, Any]:
        """The v2 record of ``record``, keys in the order of Unpaywall's 2026 answers."""
        doi = record.doi
        work = self._work(doi)
        base = _host_base(record, base_url)
        resolver = base + doi_path(doi)
        published = _published_date(record, work)
        issns = work.issn if work is not None else ()
        locations = self._locations(record, base, resolver, published)
        best = locations[0] if locations else None
        scenario = record.scenario
        if scenario == CLOSED:
            status = "closed"
        elif best is not None and best["host_type"] == "repository":
            status = "green"
        elif best is not None and best["license"]:
            status = "hybrid"
        else:
            status = "bronze"
        return {
            "doi": doi,
            "doi_url": resolver,
            "title": record.title,
            "genre": work.type if work is not None else "journal-article",
            "is_paratext": False,
            "published_date": published,
            "year": record.year,
            "journal_name": record.journal,
            "journal_issns": ",".join(issns) if issns else None,
            "journal_issn_l": issns[0] if issns else None,
            "journal_is_oa": False,
            "journal_is_in_doaj": False,
            "publisher": record.publisher,
            "is_oa": bool(locations),
            "oa_status": status,
            "has_repository_copy": any(loc["host_type"] == "repository" for loc in locations),
            "best_oa_location": best,
            "first_oa_location": dict(best) if best is not None else None,
            "oa_locations": locations,
            "oa_locations_embargoed": [],
            "data_standard": 2,
            "z_authors": _z_authors(doi, work),
            "updated": _updated_stamp(doi),
        }

    def _locations(
        self, record: OaRecord, base: str, resolver: str, published: str | None
    ) -> list[dict[str, Any]]:
        doi, scenario = record.doi, record.scenario
        pdf = base + pdf_path(doi)
        if scenario == CLOSED:
            return []
        if scenario in (PDF, OVERSIZED):
            return [_repository(doi, pdf, resolver, published, best=True)]
        if scenario == NOT_PDF:
            return [
                _publisher(pdf, resolver, published, license=None),
                _repository(doi, None, resolver, published, best=False),
            ]
        hybrid = scenario == LANDING_META or _draw(doi, "hybrid") < 0.6
        license = _LICENSES[_pick(doi, "license", len(_LICENSES))] if hybrid else None
        landing_only = _publisher(None, resolver, published, license=license)
        if scenario == OTHER_PDF:
            return [landing_only, _repository(doi, pdf, resolver, published, best=False)]
        return [landing_only]

    # ------------------------------------------------------------ landing pages

    def _landing_html(self, record: OaRecord, base_url: str) -> str:
        work = self._work(record.doi)
        article = _Article.of(record, work, _host_base(record, base_url))
        count = 4 + _pick(record.doi, "references", 5)
        refs = [(d, self._work(d)) for d in self._references(record.doi, count)]
        if record.scenario == LANDING_SCRIPT:
            return _spa_page(article, refs)
        return _static_page(article, refs)


def _strip_pdf(tail: str) -> str:
    # the ".pdf" suffix is literal; the DOI before it is percent-encoded
    return unquote(tail[:-4] if tail.endswith(".pdf") else tail)


def _json_answer(status: int, obj: Any) -> ApiResponse:
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return ApiResponse(status, text.encode("utf-8"), JSON)


def _html(status: int, text: str, *headers: tuple[str, str]) -> ApiResponse:
    return ApiResponse(status, text.encode("utf-8"), HTML, tuple(headers))


def _host_base(record: OaRecord, base_url: str) -> str:
    """``base_url`` with ``record.landing_host`` in place of its host (port kept)."""
    if not record.landing_host:
        return base_url.rstrip("/")
    parts = urlsplit(base_url)
    host = record.landing_host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    netloc = f"{host}:{parts.port}" if parts.port else host
    return f"{parts.scheme}://{netloc}"


# --------------------------------------------------------------------------- JSON parts

_LICENSES: Final = ("cc-by", "cc-by-nc-nd", "cc-by-nc", "cc-by-sa")
_REPOSITORIES: Final = (
    ("PubMed Central", "oai:pubmedcentral.nih.gov:{n}"),
    ("Europe PMC", "oai:europepmc.org:{n}"),
    ("Zenodo", "oai:zenodo.org:{n}"),
    ("University of Example - Institutional Repository", "oai:eprints.example.ac.uk:{n}"),
    ("Example Institute of Technology Open Access Articles", "oai:dspace.example.edu:1721.1/{n}"),
)
_AFFILIATIONS: Final = (
    "Department of Computer Science, University of Example, Example City, Country",
    "School of Engineering, Example Institute of Technology, Example Town, Country",
    "Laboratory of Applied Sciences, Example Research Centre, Example City, Country",
    "Faculty of Medicine, Example State University, Example City, Country",
)


def _location(
    *,
    url_for_pdf: str | None,
    landing: str,
    license: str | None,
    version: str,
    host_type: str,
    is_best: bool,
    oa_date: str | None,
    pmh_id: str | None = None,
    endpoint_id: str | None = None,
    institution: str | None = None,
) -> dict[str, Any]:
    return {
        "url": url_for_pdf or landing,
        "url_for_pdf": url_for_pdf,
        "url_for_landing_page": landing,
        "evidence": "deprecated",
        "license": license,
        "version": version,
        "host_type": host_type,
        "is_best": is_best,
        "pmh_id": pmh_id,
        "endpoint_id": endpoint_id,
        "repository_institution": institution,
        "oa_date": oa_date,
        "updated": "deprecated",
    }


def _publisher(
    pdf: str | None, resolver: str, published: str | None, *, license: str | None
) -> dict[str, Any]:
    return _location(
        url_for_pdf=pdf,
        landing=resolver,
        license=license,
        version="publishedVersion",
        host_type="publisher",
        is_best=True,
        oa_date=published,
    )


def _repository(
    doi: str, pdf: str | None, resolver: str, published: str | None, *, best: bool
) -> dict[str, Any]:
    institution, pmh = _REPOSITORIES[_pick(doi, "repository", len(_REPOSITORIES))]
    endpoint = hashlib.sha256(f"endpoint|{institution}".encode()).hexdigest()[:19]
    version = ("acceptedVersion", "submittedVersion")[_pick(doi, "version", 2)]
    return _location(
        url_for_pdf=pdf,
        landing=resolver,
        license=("cc-by", None)[_pick(doi, "repo-license", 2)],
        version=version,
        host_type="repository",
        is_best=best,
        oa_date=published,
        pmh_id=pmh.format(n=1_000_000 + _pick(doi, "pmh", 9_000_000)),
        endpoint_id=endpoint,
        institution=institution,
    )


def _published_date(record: OaRecord, work: CrossrefWork | None) -> str | None:
    parts = work.issued if work is not None else None
    if parts and record.year in (None, parts[0]):
        month = parts[1] if len(parts) > 1 else 1
        day = parts[2] if len(parts) > 2 else 1
        return f"{parts[0]:04d}-{month:02d}-{day:02d}"
    if record.year is None:
        return None
    month = 1 + _pick(record.doi, "month", 12)
    day = 1 + _pick(record.doi, "day", 28)
    return f"{record.year:04d}-{month:02d}-{day:02d}"


def _updated_stamp(doi: str) -> str:
    rng = random.Random(_draw(doi, "updated"))
    return (
        f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z"
    )


def _z_authors(doi: str, work: CrossrefWork | None) -> list[dict[str, Any]] | None:
    if work is None or not work.authors:
        return None
    affiliation = _AFFILIATIONS[_pick(doi, "affiliation", len(_AFFILIATIONS))]
    last = len(work.authors) - 1
    out = []
    for i, person in enumerate(work.authors):
        position = "first" if i == 0 else "last" if i == last else "additional"
        out.append(
            {
                "author_position": position,
                "raw_author_name": person.name,
                "is_corresponding": i == 0,
                "raw_affiliation_strings": [affiliation],
            }
        )
    return out


# --------------------------------------------------------------------------- pages


_TAG: Final = re.compile(r"<[^>]+>")
_FILLER: Final = (
    "Previous studies have approached this question from several directions, with mixed results.",
    "We describe the setting, the data and the methods before turning to the results.",
    "The experiments were repeated on independent samples to check that the effects hold.",
    "Section 2 reviews related work; Section 3 presents the method; Section 4 the results.",
    "Limitations of the approach and directions for further work close the article.",
    "All data and code needed to reproduce the analyses are available from the authors.",
    "The results agree with earlier observations while extending them to new conditions.",
    "We thank the anonymous reviewers for their comments on an earlier draft.",
)


@dataclass(frozen=True, slots=True)
class _Article:
    record: OaRecord
    base: str  # scheme://host:port written in this record's absolute URLs
    authors: tuple[str, ...]
    abstract: str
    paragraphs: tuple[str, ...]
    date: str | None

    @classmethod
    def of(cls, record: OaRecord, work: CrossrefWork | None, base: str) -> _Article:
        core = record.title.split(": ")[0].rstrip("?.")
        abstract = _TAG.sub("", work.abstract) if work is not None and work.abstract else ""
        if not abstract:
            abstract = (
                f"This article studies {core[:1].lower() + core[1:]}. "
                "We report the design, the evidence and what it implies for practice."
            )
        rng = random.Random(_draw(record.doi, "text"))
        paragraphs = tuple(" ".join(rng.sample(_FILLER, 4)) for _ in range(3))
        authors = tuple(p.name for p in work.authors) if work is not None else ()
        return cls(record, base, authors, abstract, paragraphs, _published_date(record, work))

    @property
    def journal(self) -> str:
        return self.record.journal or self.record.publisher or "Example Journal"

    @property
    def publisher(self) -> str:
        return self.record.publisher or "Example Publisher"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _head_meta(a: _Article) -> list[str]:
    r = a.record
    meta = [
        ("citation_title", r.title),
        ("citation_doi", r.doi),
        ("citation_journal_title", a.journal),
        ("citation_publisher", a.publisher),
    ]
    meta += [("citation_author", name) for name in a.authors]
    if a.date:
        meta.append(("citation_publication_date", a.date.replace("-", "/")))
    meta.append(("dc.identifier", f"doi:{r.doi}"))
    lines = [f'<meta name="{name}" content="{_e(value)}">' for name, value in meta]
    lines.append(f'<meta property="og:title" content="{_e(r.title)}">')
    lines.append('<meta property="og:type" content="article">')
    lines.append(f'<link rel="canonical" href="{_e(a.base + landing_path(r.doi))}">')
    return lines


def _pdf_href(a: _Article, salt: str) -> str:
    """The article PDF's URL in a page: relative or absolute, fixed per DOI."""
    path = pdf_path(a.record.doi)
    return path if _draw(a.record.doi, salt) < 0.5 else a.base + path


def _citation(i: int, work: CrossrefWork | None) -> str:
    """A reference-list entry: "Family et al. Title. Year." (invented works: a placeholder)."""
    if work is None:
        return f"Related work {i}."
    parts = [work.authors[0].family + " et al." if work.authors else "", work.title]
    parts.append(str(work.year) if work.year else "")
    return ". ".join(p.rstrip(".") for p in parts if p) + "."


def _static_page(a: _Article, refs: Sequence[tuple[str, CrossrefWork | None]]) -> str:
    r = a.record
    head = _head_meta(a)
    if r.scenario in _META_PDF:
        head.append(f'<meta name="citation_pdf_url" content="{_e(_pdf_href(a, "meta"))}">')
    if r.scenario == LANDING_LINK:
        head.append(
            f'<link rel="alternate" type="application/pdf" title="PDF" '
            f'href="{_e(_pdf_href(a, "link"))}">'
        )
    tools: list[str] = []
    if r.scenario == LANDING_ANCHOR:
        article_pdf = (
            f'<a class="article-tools__pdf" href="{_e(_pdf_href(a, "anchor"))}" '
            f'title="Download this article">Download PDF</a>'
        )
        supp = (
            f'<a class="supplementary" href="{_e(supp_path(r.doi))}">'
            "Supplementary material (PDF, 412 KB)</a>"
        )
        # the decoy comes first for about half the DOIs: no "first .pdf link" shortcut
        tools = [supp, article_pdf] if _draw(r.doi, "decoy") < 0.5 else [article_pdf, supp]
    elif r.scenario == CLOSED:
        tools = [
            '<a class="access" href="/publisher/login">Access through your institution</a>',
            '<a class="buy" href="/publisher/checkout">Buy article</a>',
        ]
    tools.append('<a class="cite" href="#cite">Cite</a>')
    tools.append('<a class="share" href="#share">Share</a>')
    refs_html = []
    for i, (ref_doi, work) in enumerate(refs, start=1):
        links = [f'<a class="ref-doi" href="{_e(a.base + doi_path(ref_doi))}">Crossref</a>']
        if r.scenario == LANDING_ANCHOR:
            links.append(f'<a class="ref-pdf" href="{_e(pdf_path(ref_doi))}">PDF</a>')
        refs_html.append(
            f'<li id="ref{i}">{_e(_citation(i, work))} doi:{_e(ref_doi)} {" ".join(links)}</li>'
        )
    authors = ", ".join(_e(n) for n in a.authors) or "Anonymous"
    body = "\n".join(f"<p>{_e(p)}</p>" for p in a.paragraphs)
    if r.scenario == CLOSED:
        access = '<p class="access-note">You do not have access to this article\'s full text.</p>'
    else:
        access = '<p class="access-note">This article is free to read.</p>'
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(r.title)} | {_e(a.journal)}</title>\n"
        + "\n".join(head)
        + "\n</head>\n<body>\n"
        f'<header class="site-header"><a href="/publisher/">{_e(a.publisher)}</a> '
        '<nav><a href="/publisher/journals">Journals</a> <a href="/publisher/about">About</a> '
        '<a href="/publisher/login">Sign in</a></nav></header>\n'
        '<main>\n<article class="article">\n'
        f'<p class="journal">{_e(a.journal)}{", " + _e(a.date[:4]) if a.date else ""}</p>\n'
        f'<h1 class="article-title">{_e(r.title)}</h1>\n'
        f'<p class="authors">{authors}</p>\n'
        f'<p class="doi">DOI: <a href="{_e(a.base + doi_path(r.doi))}">{_e(r.doi)}</a></p>\n'
        f'<div class="article-tools">{" ".join(tools)}</div>\n'
        f"{access}\n"
        f'<section class="abstract"><h2>Abstract</h2><p>{_e(a.abstract)}</p></section>\n'
        f'<section class="body"><h2>Introduction</h2>\n{body}\n</section>\n'
        '<section class="references"><h2>References</h2>\n<ol>\n'
        + "\n".join(refs_html)
        + "\n</ol>\n</section>\n</article>\n</main>\n"
        f'<footer><p>© {_e(a.publisher)}. <a href="/publisher/terms">Terms</a> '
        '<a href="/publisher/privacy">Privacy</a></p></footer>\n</body>\n</html>\n'
    )


# The script builds the PDF link from pieces: the raw page holds no ".pdf" a regex could find.
_SPA_SCRIPT: Final = """
document.addEventListener("DOMContentLoaded", function () {
  var data = JSON.parse(document.getElementById("__ARTICLE__").textContent);
  var root = document.getElementById("root");
  function add(parent, tag, text, cls) {
    var el = document.createElement(tag);
    if (text) { el.textContent = text; }
    if (cls) { el.className = cls; }
    parent.appendChild(el);
    return el;
  }
  var article = add(root, "article", "", "article");
  add(article, "p", data.journal, "journal");
  add(article, "h1", data.title, "article-title");
  add(article, "p", data.authors.join(", "), "authors");
  var tools = add(article, "div", "", "article-tools");
  add(article, "h2", "Abstract");
  add(article, "p", data.abstract, "abstract");
  add(article, "h2", "Introduction");
  data.paragraphs.forEach(function (p) { add(article, "p", p); });
  add(article, "h2", "References");
  var refs = add(article, "ol", "", "references");
  data.references.forEach(function (r) { add(refs, "li", r); });
  setTimeout(function () {
    var ext = "pd" + "f";
    var link = document.createElement("a");
    link.href = "/publisher/" + ext + "/" + data.path + "." + ext;
    link.className = "article-tools__download";
    link.textContent = "Download " + ext.toUpperCase();
    tools.appendChild(link);
  }, 50);
});
"""


def _spa_page(a: _Article, refs: Sequence[tuple[str, CrossrefWork | None]]) -> str:
    r = a.record
    references = [_citation(i, w) for i, (_, w) in enumerate(refs, start=1)]
    data = {
        "title": r.title,
        "journal": a.journal,
        "authors": list(a.authors),
        "abstract": a.abstract,
        "paragraphs": list(a.paragraphs),
        "references": references,
        "path": _quoted(r.doi),
    }
    # "</" would end the script element early
    blob = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(r.title)} | {_e(a.journal)}</title>\n"
        + "\n".join(_head_meta(a))
        + "\n</head>\n<body>\n"
        "<noscript>You need to enable JavaScript to run this app.</noscript>\n"
        '<div id="root"></div>\n'
        f'<script type="application/json" id="__ARTICLE__">{blob}</script>\n'
        f"<script>{_SPA_SCRIPT}</script>\n</body>\n</html>\n"
    )


def _publisher_not_found(record: OaRecord | None) -> str:
    publisher = _e(record.publisher or "Example Publisher") if record else "Example Publisher"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Page not found | {publisher}</title></head>\n<body>"
        f'<header><a href="/publisher/">{publisher}</a></header>'
        "<main><h1>Page not found</h1><p>The page you requested could not be found. It may "
        'have been moved or removed.</p><p><a href="/publisher/">Return to the home page</a>'
        "</p></main></body></html>\n"
    )


def _resolver_not_found(doi: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Error: DOI Not Found</title></head>\n<body><h1>DOI Not Found</h1>"
        f"<p>{_e(doi)}</p><p>This DOI cannot be found in the DOI System.</p></body></html>\n"
    )


def _signin_page(record: OaRecord, base_url: str) -> str:
    back = _e(_host_base(record, base_url) + pdf_path(record.doi))
    publisher = _e(record.publisher or "Example Publisher")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Sign in | {publisher}</title></head>\n<body>"
        f'<header><a href="/publisher/">{publisher}</a></header><main>'
        "<h1>Sign in to access this content</h1>"
        f"<p>{_e(record.title)}</p>"
        '<form method="post" action="/publisher/login">'
        f'<input type="hidden" name="redirect" value="{back}">'
        '<label>Email <input type="email" name="email"></label>'
        '<label>Password <input type="password" name="password"></label>'
        '<button type="submit">Sign in</button></form>'
        '<p><a href="/publisher/institution">Access through your institution</a></p>'
        "</main></body></html>\n"
    )


def _challenge(record: OaRecord, base_url: str) -> ApiResponse:
    """Cloudflare's managed challenge: 403, "Just a moment...", ``cf-mitigated: challenge``."""
    host = urlsplit(_host_base(record, base_url)).hostname or "localhost"
    ray = hashlib.sha256(f"ray|{record.doi}".encode()).hexdigest()[:16]
    page = (
        '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
        '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'
        '<meta http-equiv="X-UA-Compatible" content="IE=Edge">'
        '<meta name="robots" content="noindex,nofollow">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        "</head><body>"
        '<div class="main-wrapper" role="main"><div class="main-content">'
        f'<h1 class="zone-name-title h1">{_e(host)}</h1>'
        '<h2 class="h2" id="challenge-running">Verifying you are human. This may take a few '
        "seconds.</h2>"
        '<noscript><div class="h2"><span id="challenge-error-text">Enable JavaScript and '
        "cookies to continue</span></div></noscript>"
        f'<div id="challenge-body-text" class="core-msg spacer">{_e(host)} needs to review '
        "the security of your connection before proceeding.</div>"
        "</div></div>"
        f"<script>(function(){{window._cf_chl_opt={{cvId: '3',cZone: \"{_e(host)}\","
        f"cType: 'managed',cRay: '{ray}',cH: '{ray[::-1]}'}};"
        "var cpo=document.createElement('script');"
        f"cpo.src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray={ray}';"
        "document.getElementsByTagName('head')[0].appendChild(cpo);}());</script>"
        '<div class="footer" role="contentinfo"><div class="footer-inner">'
        f'<div class="clearfix diagnostic-wrapper"><div class="ray-id">Ray ID: <code>{ray}'
        "</code></div></div>"
        '<div class="text-center" id="footer-text">Performance &amp; security by '
        "Cloudflare</div></div></div></body></html>"
    )
    return _html(403, page, ("cf-mitigated", "challenge"), ("cf-ray", f"{ray}-AMS"))


# --------------------------------------------------------------------------- PDFs


def pdf_body(doi: str, size: int | None = None) -> bytes:
    """A deterministic one-page PDF for ``doi``: 2 to 8 KB by default, or exactly ``size``.

    Starts with ``%PDF-1.7`` and ends with ``%%EOF``; the cross-reference table is correct,
    the bulk is an unreferenced binary stream. ``size`` below the smallest such file gives
    header, filler and ``%%EOF`` only; below 15 bytes raises ValueError.
    """
    return _pdf(doi.strip().lower(), "article", size)


@lru_cache(maxsize=16)
def _pdf(doi: str, kind: str, size: int | None) -> bytes:
    if size is None:
        size = 2048 + _pick(doi, f"size|{kind}", 6144)
    head, eof = b"%PDF-1.7\n", b"%%EOF\n"
    if size < len(head) + len(eof):
        raise ValueError(f"a PDF needs at least {len(head) + len(eof)} bytes, not {size}")
    lines = (
        ["Supplementary material", f"doi:{doi}"]
        if kind == "supplement"
        else ["Replayed article", f"doi:{doi}"]
    )
    objects = _pdf_objects(doi, lines)
    prefix = bytearray(head + b"%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(prefix))
        prefix += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    filler_number = len(objects) + 1
    trailer_id = hashlib.sha256(f"{kind}|{doi}".encode()).hexdigest()[:32].encode()

    def tail(n: int) -> tuple[bytes, bytes]:
        opening = b"%d 0 obj\n<< /Length %d >>\nstream\n" % (filler_number, n)
        closing = b"\nendstream\nendobj\n"
        xref_at = len(prefix) + len(opening) + n + len(closing)
        xref = b"xref\n0 %d\n0000000000 65535 f \n" % (filler_number + 1)
        for offset in [*offsets, len(prefix)]:
            xref += b"%010d 00000 n \n" % offset
        xref += (
            b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n"
            % (filler_number + 1, len(objects), trailer_id, trailer_id, xref_at)
        )
        return opening, closing + xref + eof

    guess = size - len(prefix) - sum(map(len, tail(0)))
    for n in range(max(0, guess - 24), max(0, guess) + 1):
        opening, closing = tail(n)
        if len(prefix) + len(opening) + n + len(closing) == size:
            filler = random.Random(_draw(doi, f"filler|{kind}")).randbytes(n)
            return bytes(prefix) + opening + filler + closing
    # too small for the structure: header, filler, %%EOF
    filler = random.Random(_draw(doi, f"filler|{kind}")).randbytes(size - len(head) - len(eof))
    return head + filler + eof


def _pdf_text(text: str) -> bytes:
    ascii_text = text.encode("ascii", "replace").decode("ascii")
    escaped = ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return escaped.encode("ascii")


def _pdf_objects(doi: str, lines: Sequence[str]) -> list[bytes]:
    text = b"BT /F1 12 Tf 72 720 Td 16 TL"
    for line in lines:
        text += b" (" + _pdf_text(line[:90]) + b") Tj T*"
    text += b" ET"
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Title ("
        + _pdf_text(lines[0])
        + b") /Subject ("
        + _pdf_text(f"doi:{doi}")
        + b") /Producer (scholarcrawl replay) >>",
    ]
