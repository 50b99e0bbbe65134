"""Items yielded by the spiders. Every item has ``item_type``.

Field meanings are documented in the README ("Items").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from scholarcrawl.scholar.model import Coauthor, ProfileHeader, PublicationDetail, PublicationRow


@dataclass(slots=True)
class ProfileItem:
    """A Scholar profile's header, read from its first page."""

    scholar_id: str
    name: str
    affiliation: str | None = None
    email_domain: str | None = None
    homepage: str | None = None
    interests: list[str] = field(default_factory=list)
    photo_url: str | None = None
    citations_all: int | None = None
    citations_since: int | None = None
    h_index_all: int | None = None
    h_index_since: int | None = None
    i10_all: int | None = None
    i10_since: int | None = None
    since_year: int | None = None
    # JSON object keys are strings, so years are kept as "2021": 12 (feeds and database alike)
    cites_per_year: dict[str, int] = field(default_factory=dict)
    coauthors: list[dict[str, Any]] = field(default_factory=list)
    item_type: Literal["profile"] = "profile"


@dataclass(slots=True)
class PublicationItem:
    """One row of a profile's publication list."""

    scholar_id: str
    title: str
    authors: str | None
    venue: str | None
    year: int | None
    citations: int
    merged: bool
    cluster_ids: list[str]
    scholar_pub_key: str | None
    position: int
    fingerprint: str | None = None  # set by FingerprintPipeline
    # set by IdentifierPipeline: dicts of kind, value, role, source, confidence, evidence
    identifiers: list[dict[str, Any]] = field(default_factory=list)
    identifier_status: str | None = None  # resolved | no_match | uninformative | ...
    identifier_error: str | None = None  # why resolution failed (status error or deferred)
    queue_pdf: bool = False  # set by PdfQueuePipeline: the store queues its open-access PDF
    item_type: Literal["publication"] = "publication"


@dataclass(slots=True)
class PublicationDetailItem:
    """A publication's detail page, merged into the stored publication it belongs to.

    Found by ``scholar_id`` + ``scholar_pub_key`` (the authorship); ``fingerprint`` is the
    stored publication's, carried unchanged (enrichment never changes a paper's identity).
    ``authors`` is the full list joined with ", " (the form identifier matching reads);
    ``venue`` is the journal, conference, book or source, for identifier matching.
    """

    scholar_id: str
    scholar_pub_key: str
    title: str
    authors: str | None
    author_list: list[str]
    venue: str | None
    year: int | None
    publication_date: str | None = None
    journal: str | None = None
    conference: str | None = None
    book: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    publisher: str | None = None
    description: str | None = None
    citations: int | None = None
    cluster_ids: list[str] = field(default_factory=list)
    cites_per_year: dict[str, int] = field(default_factory=dict)
    link_url: str | None = None
    fulltext_url: str | None = None
    fulltext_kind: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    publication_id: int | None = None  # the stored publication when the page was asked for
    fingerprint: str | None = None
    identifiers: list[dict[str, Any]] = field(default_factory=list)
    identifier_status: str | None = None
    identifier_error: str | None = None
    queue_pdf: bool = False
    item_type: Literal["publication_detail"] = "publication_detail"


@dataclass(slots=True)
class CoauthorsItem:
    """A profile's full co-author list (``view_op=list_colleagues``)."""

    scholar_id: str
    coauthors: list[dict[str, Any]]  # scholar_id, name, affiliation, in the page's order
    item_type: Literal["coauthors"] = "coauthors"


def profile_item_from(scholar_id: str, header: ProfileHeader) -> ProfileItem:
    """The profile item for a parsed page header."""
    return ProfileItem(
        scholar_id=scholar_id,
        name=header.name,
        affiliation=header.affiliation,
        email_domain=header.email_domain,
        homepage=header.homepage,
        interests=list(header.interests),
        photo_url=header.photo_url,
        citations_all=header.citations_all,
        citations_since=header.citations_since,
        h_index_all=header.h_index_all,
        h_index_since=header.h_index_since,
        i10_all=header.i10_all,
        i10_since=header.i10_since,
        since_year=header.since_year,
        cites_per_year={str(year): count for year, count in sorted(header.cites_per_year.items())},
        coauthors=[
            {"scholar_id": c.scholar_id, "name": c.name, "affiliation": c.affiliation}
            for c in header.coauthors
        ],
    )


def publication_item_from(scholar_id: str, row: PublicationRow) -> PublicationItem:
    """The publication item for a parsed row (``fingerprint`` is set by its pipeline)."""
    return PublicationItem(
        scholar_id=scholar_id,
        title=row.title,
        authors=row.authors,
        venue=row.venue,
        year=row.year,
        citations=row.citations,
        merged=row.merged,
        cluster_ids=list(row.cluster_ids),
        scholar_pub_key=row.scholar_pub_key,
        position=row.position,
    )


def detail_item_from(
    scholar_id: str,
    scholar_pub_key: str,
    detail: PublicationDetail,
    *,
    publication_id: int | None = None,
    fingerprint: str | None = None,
) -> PublicationDetailItem:
    """The detail item for a parsed detail page of the stored publication ``publication_id``
    (whose ``fingerprint`` it carries unchanged)."""
    return PublicationDetailItem(
        scholar_id=scholar_id,
        scholar_pub_key=scholar_pub_key,
        title=detail.title,
        authors=", ".join(detail.authors) or None,
        author_list=list(detail.authors),
        venue=detail.journal or detail.conference or detail.book or detail.source,
        year=detail.year,
        publication_date=detail.publication_date,
        journal=detail.journal,
        conference=detail.conference,
        book=detail.book,
        volume=detail.volume,
        issue=detail.issue,
        pages=detail.pages,
        publisher=detail.publisher,
        description=detail.description,
        citations=detail.citations,
        cluster_ids=list(detail.cluster_ids) or ([detail.cluster_id] if detail.cluster_id else []),
        cites_per_year={str(year): n for year, n in sorted(detail.cites_per_year.items())},
        link_url=detail.title_url,
        fulltext_url=detail.fulltext_url,
        fulltext_kind=detail.fulltext_kind,
        extra=dict(detail.extra),
        publication_id=publication_id,
        fingerprint=fingerprint,
    )


def coauthors_item_from(scholar_id: str, coauthors: tuple[Coauthor, ...]) -> CoauthorsItem:
    """The item for a parsed full co-author list."""
    return CoauthorsItem(
        scholar_id=scholar_id,
        coauthors=[
            {
                "scholar_id": c.scholar_id,
                "name": c.name,
                "affiliation": c.affiliation,
                "email_domain": c.email_domain,
            }
            for c in coauthors
        ],
    )
