"""Finds a publication row's DOI and arXiv id: local parsing, then arXiv, then Crossref.

The rules (docs/identifiers.md):

1. **Local**: DOIs, arXiv ids, PMIDs and PMCIDs written in the row (title, authors, venue,
   a detail page's links), confidence 1.0.
2. **arXiv API** (``ti:"title" AND au:surname``), only when no identifier of the row reaches
   ``IDENTIFIERS_HIGH_CONFIDENCE`` and the title is informative enough
   (``IDENTIFIERS_MIN_TITLE_INFORMATIVENESS``). An entry is accepted only by the same
   title/author/year/venue check as Crossref's (:mod:`scholarcrawl.matching`).
3. **Crossref** ``/works?query.bibliographic=…&query.author=…``, under the same two
   conditions, accepted by the weighted match, never by Crossref's raw score.

Roles: an identifier of the version the row describes is ``self`` (it takes part in identity
and merges); one of another version of the same work is ``version`` (a journal row's arXiv
preprint, a preprint row's published DOI), linked but never merged.

Outcome (``identifier_status``, closed vocabulary): ``resolved`` (a ``self`` DOI or arXiv id),
``no_match`` (the APIs were asked and nothing passed the check), ``uninformative`` (the title
is too generic to ask), ``deferred`` (an API was unavailable: cooldown, time budget, network;
tried again by a later run), ``error`` (an API gave an answer that could not be used),
``disabled`` (every API is off and nothing was found locally). Server errors that outlast
Scrapy's retries and arXiv's passing empty pages count as unavailable (``deferred``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from scholarcrawl.apis import ApiResponseError, arxiv, crossref
from scholarcrawl.apis.client import ApiAnswer, ApiClient, ApiUnavailable, cache_url
from scholarcrawl.apis.config import ApiConfig
from scholarcrawl.fingerprint import first_author_surname
from scholarcrawl.identifiers import FoundIdentifier, doi_is_arxiv, extract_identifiers
from scholarcrawl.matching import (
    Candidate,
    MatchPolicy,
    MatchScore,
    Reference,
    best_match,
    title_informativeness,
)

logger = logging.getLogger(__name__)

RESOLVED = "resolved"
NO_MATCH = "no_match"
UNINFORMATIVE = "uninformative"
DEFERRED = "deferred"
ERROR = "error"
DISABLED = "disabled"
STATUSES = (RESOLVED, NO_MATCH, UNINFORMATIVE, DEFERRED, ERROR, DISABLED)

#: Refusals that say "try again later", not "this answer is broken".
TRANSIENT_ERRORS = frozenset({"transient_empty", "http_429", "http_408"})

SELF = "self"
VERSION = "version"
IDENTITY_KINDS = ("doi", "arxiv")

# Venues of preprint servers: such a row describes the preprint, not a published version.
_PREPRINT_VENUE = re.compile(
    r"\b(arxiv|corr|biorxiv|medrxiv|chemrxiv|psyarxiv|socarxiv|techrxiv|ssrn|"
    r"research\s+square|preprints?|osf)\b",
    re.IGNORECASE,
)
_PREPRINT_TYPES = frozenset({"posted-content"})


def is_preprint_row(venue: str | None) -> bool:
    """Whether Scholar's venue text names a preprint server (``arXiv preprint …``)."""
    return bool(venue) and _PREPRINT_VENUE.search(venue or "") is not None


@dataclass(frozen=True, slots=True)
class ResolverSettings:
    """``IDENTIFIERS_*`` thresholds (validated)."""

    high_confidence: float = 0.9
    min_title_informativeness: float = 0.35

    def __post_init__(self) -> None:
        for name in ("high_confidence", "min_title_informativeness"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"IDENTIFIERS_{name.upper()} must be between 0 and 1")


@dataclass(slots=True)
class Resolution:
    """What resolution found for one row: identifiers (as stored) and the outcome."""

    identifiers: list[dict[str, Any]] = field(default_factory=list)
    status: str = NO_MATCH
    error: str | None = None
    queried: list[str] = field(default_factory=list)  # services asked (from cache or not)

    def has_high_confidence(self, threshold: float) -> bool:
        return any(
            ident["role"] == SELF
            and ident["kind"] in IDENTITY_KINDS
            and ident["confidence"] >= threshold
            for ident in self.identifiers
        )

    def has_self_identity(self) -> bool:
        return any(
            ident["role"] == SELF and ident["kind"] in IDENTITY_KINDS for ident in self.identifiers
        )

    def add(self, identifier: dict[str, Any]) -> None:
        for known in self.identifiers:
            if (known["kind"], known["value"]) == (identifier["kind"], identifier["value"]):
                if identifier["confidence"] > known["confidence"]:
                    known.update(identifier)
                return
        self.identifiers.append(identifier)


def local_identifiers(
    title: str, authors: str | None, venue: str | None, links: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Identifiers written in the row itself or in its links (a detail page's title link and
    [PDF]/[HTML] link), confidence 1.0.

    What the row's text says is its own (role ``self``). A link may lead to another version
    of the work (Scholar links a cluster's primary version, and journal papers' [PDF] links
    are often arXiv's), so a link's identifier takes the role of the version table
    (docs/identifiers.md): an arXiv id (or arXiv's own DOI) is ``self`` only on a row whose
    venue names a preprint server, any other DOI only on a row whose venue does not.
    """
    found = extract_identifiers({"title": title, "authors": authors, "venue": venue}, links)
    preprint = is_preprint_row(venue)
    return [_local(identifier, _link_role(identifier, preprint)) for identifier in found]


def _link_role(identifier: FoundIdentifier, preprint_row: bool) -> str:
    if identifier.field != "link" or identifier.kind not in IDENTITY_KINDS:
        return SELF
    names_preprint = identifier.kind == "arxiv" or doi_is_arxiv(identifier.value) is not None
    return SELF if names_preprint == preprint_row else VERSION


def _local(identifier: FoundIdentifier, role: str = SELF) -> dict[str, Any]:
    return {
        "kind": identifier.kind,
        "value": identifier.value,
        "role": role,
        "source": "local",
        "confidence": 1.0,
        "evidence": {"field": identifier.field, "text": identifier.text[:300]},
    }


def crossref_candidate(work: crossref.CrossrefWork) -> Candidate:
    title = work.title if not work.subtitle else f"{work.title}: {work.subtitle}"
    return Candidate(
        identifier=work.doi,
        title=title,
        authors=tuple(family for _given, family in work.authors),
        year=work.year,
        venues=tuple(work.container_titles),
        work_type=work.work_type,
        is_update=work.is_update,
    )


def arxiv_candidate(entry: arxiv.ArxivEntry) -> Candidate:
    return Candidate(
        identifier=entry.arxiv_id,
        title=entry.title,
        authors=tuple(entry.authors),
        year=entry.published_year,
        venues=(entry.journal_ref,) if entry.journal_ref else (),
        work_type="arxiv",
        is_update=False,
    )


class IdentifierResolver:
    """Resolves rows through an :class:`ApiClient` (one per crawl)."""

    def __init__(
        self,
        client: ApiClient | None,
        config: ApiConfig,
        policy: MatchPolicy,
        settings: ResolverSettings,
    ) -> None:
        self.client = client
        self.config = config
        self.policy = policy
        self.settings = settings

    async def resolve(
        self,
        title: str,
        authors: str | None,
        venue: str | None,
        year: int | None,
        known: Sequence[dict[str, Any]] = (),
    ) -> Resolution:
        """Resolve one row; ``known`` are identifiers already found (locally or stored)."""
        resolution = Resolution()
        for identifier in known:
            resolution.add(dict(identifier))
        if resolution.has_high_confidence(self.settings.high_confidence):
            resolution.status = RESOLVED
            return resolution
        arxiv_on = self.config.arxiv.enabled and self.client is not None
        crossref_on = self.config.crossref.enabled and self.client is not None
        if not (arxiv_on or crossref_on):
            resolution.status = RESOLVED if resolution.has_self_identity() else DISABLED
            return resolution
        informativeness = title_informativeness(title)
        if informativeness < self.settings.min_title_informativeness:
            resolution.status = RESOLVED if resolution.has_self_identity() else UNINFORMATIVE
            return resolution
        reference = Reference(title=title, authors=authors, year=year, venue=venue)
        preprint = is_preprint_row(venue)
        problems: list[tuple[str, str]] = []  # (status, message)
        if arxiv_on:
            await self._ask(self._arxiv, reference, preprint, resolution, problems)
        if crossref_on and not resolution.has_high_confidence(self.settings.high_confidence):
            await self._ask(self._crossref, reference, preprint, resolution, problems)
        if resolution.has_self_identity():
            resolution.status = RESOLVED
        elif problems:
            # an unavailable API means "ask again later"; a broken answer is an error
            statuses = {status for status, _ in problems}
            resolution.status = DEFERRED if DEFERRED in statuses else ERROR
            resolution.error = "; ".join(message for _, message in problems)[:1000]
        else:
            resolution.status = NO_MATCH
        return resolution

    async def _ask(
        self,
        ask: Any,
        reference: Reference,
        preprint: bool,
        resolution: Resolution,
        problems: list[tuple[str, str]],
    ) -> None:
        service = ask.__name__.strip("_")
        try:
            await ask(reference, preprint, resolution)
        except ApiUnavailable as exc:
            problems.append((DEFERRED, str(exc)))
        except ApiResponseError as exc:
            if exc.reason in TRANSIENT_ERRORS or exc.reason.startswith("http_5"):
                problems.append((DEFERRED, f"{service}: {exc}"))  # the API's passing trouble
            else:
                problems.append((ERROR, f"{service}: {exc}"))
                logger.warning("Unusable %s answer for %r: %s", service, reference.title[:80], exc)
        except Exception as exc:  # the database or a bug: the row is stored, unresolved
            logger.exception("Resolving %r through %s failed", reference.title[:80], service)
            problems.append((DEFERRED, f"{service}: internal: {type(exc).__name__}: {exc}"))

    async def _arxiv(self, reference: Reference, preprint: bool, resolution: Resolution) -> None:
        assert self.client is not None
        service = self.config.arxiv
        surname = first_author_surname(reference.authors) or None
        url = arxiv.search_url(
            service.api_url, reference.title, surname, self.config.arxiv_max_results
        )
        resolution.queried.append("arxiv")
        feed = await self.client.fetch(service, url, _parse_arxiv)
        entries = {entry.arxiv_id: entry for entry in feed.entries}
        match = best_match(reference, [arxiv_candidate(e) for e in feed.entries], self.policy)
        if match is None:
            return
        candidate, score = match
        entry = entries[candidate.identifier]
        resolution.add(
            _found("arxiv", entry.arxiv_id, SELF if preprint else VERSION, "arxiv", score, url)
        )
        if entry.doi:
            arxiv_id = doi_is_arxiv(entry.doi)
            if arxiv_id is None:
                # the authors' own DOI of the published version
                role = VERSION if preprint else SELF
                identifier = _found("doi", entry.doi, role, "arxiv", score, url)
                identifier["evidence"]["via"] = f"arxiv:{entry.arxiv_id} <arxiv:doi>"
                resolution.add(identifier)

    async def _crossref(self, reference: Reference, preprint: bool, resolution: Resolution) -> None:
        assert self.client is not None
        service = self.config.crossref
        bibliographic = " ".join(part for part in (reference.title, reference.venue or "") if part)
        author = first_author_surname(reference.authors) or None
        url = crossref.works_query_url(
            service.api_url,
            bibliographic,
            author,
            rows=self.config.crossref_rows,
            mailto=self.config.contact_email,
        )
        resolution.queried.append("crossref")
        works = await self.client.fetch(service, url, _parse_crossref)
        candidates = [crossref_candidate(work) for work in works if work.doi]
        match = best_match(reference, candidates, self.policy)
        if match is None:
            return
        candidate, score = match
        is_preprint_work = (candidate.work_type or "") in _PREPRINT_TYPES
        role = SELF if preprint == is_preprint_work else VERSION
        resolution.add(_found("doi", candidate.identifier, role, "crossref", score, url))
        arxiv_id = doi_is_arxiv(candidate.identifier)
        if arxiv_id is not None:
            resolution.add(_found("arxiv", arxiv_id, role, "crossref", score, url))


def _parse_arxiv(answer: ApiAnswer) -> arxiv.ArxivFeed:
    return arxiv.parse_feed(answer.body, answer.status)


def _parse_crossref(answer: ApiAnswer) -> tuple[crossref.CrossrefWork, ...]:
    works, _skipped = crossref.parse_works(answer.body, answer.status)
    return works


def _found(
    kind: str, value: str, role: str, source: str, score: MatchScore, url: str
) -> dict[str, Any]:
    evidence = dict(score.evidence())
    evidence["query"] = cache_url(url)[:500]  # without the contact e-mail
    return {
        "kind": kind,
        "value": value,
        "role": role,
        "source": source,
        "confidence": round(float(score.total), 4),
        "evidence": evidence,
    }
