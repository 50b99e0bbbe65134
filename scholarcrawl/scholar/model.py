"""Typed data read off Google Scholar pages.

These are the parser's output and the replay generator's ground truth: pure data,
no Scrapy, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Coauthor:
    """A co-author: listed in the profile's sidebar (at most 20) or in the full co-author
    list (``view_op=list_colleagues``), which also shows the verified e-mail domain."""

    scholar_id: str
    name: str
    affiliation: str | None = None
    email_domain: str | None = None  # only the full list shows it


@dataclass(frozen=True, slots=True)
class ProfileHeader:
    """Everything on a profile page that is not a publication row."""

    scholar_id: str | None
    name: str
    affiliation: str | None = None
    email_domain: str | None = None
    homepage: str | None = None
    interests: tuple[str, ...] = ()
    photo_url: str | None = None
    citations_all: int | None = None
    citations_since: int | None = None
    h_index_all: int | None = None
    h_index_since: int | None = None
    i10_all: int | None = None
    i10_since: int | None = None
    since_year: int | None = None
    # year -> citations; years inside the chart's span with no bar are present as 0
    cites_per_year: dict[int, int] = field(default_factory=dict)
    coauthors: tuple[Coauthor, ...] = ()


@dataclass(frozen=True, slots=True)
class PublicationRow:
    """One row of the profile's publication table."""

    title: str
    authors: str | None
    venue: str | None
    year: int | None
    citations: int
    merged: bool
    cluster_ids: tuple[str, ...]
    scholar_pub_key: str | None
    position: int  # 1-based rank in the profile's list: cstart + index + 1


@dataclass(frozen=True, slots=True)
class ProfilePage:
    """One parsed page of a profile (``cstart``/``pagesize`` window)."""

    header: ProfileHeader
    rows: tuple[PublicationRow, ...]
    cstart: int
    more_enabled: bool  # "Show more" enabled, or a legacy "Next >" link present
    markup: str  # "gsc" (late 2014 onwards) or "legacy" (cit-table, until 2014)


@dataclass(frozen=True, slots=True)
class PublicationDetail:
    """A publication's detail page (``view_op=view_citation``): what its labelled fields say.

    Strings are as the page prints them, whitespace collapsed; a field the page does not show
    is None. ``extra`` holds the labelled fields not named here (Patent office, Patent number,
    Application number, Institution, Report number, ...) by their label as printed. Only
    English labels are known: on a page in another UI language every labelled field lands in
    ``extra``, except the description, citations and versions, which are found by their markup.
    """

    title: str
    title_url: str | None  # the title's link (usually the publisher's page)
    authors: tuple[str, ...]  # the full list ("Authors" or "Inventors"), in order
    publication_date: str | None  # as printed: "2018/9/16", "2018/9", "2018"
    year: int | None  # from publication_date
    journal: str | None = None
    conference: str | None = None
    book: str | None = None
    source: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    publisher: str | None = None
    description: str | None = None
    citations: int | None = None  # "Total citations: Cited by N"; None when the page shows none
    cluster_id: str | None = None  # cites= of the "Cited by" link
    cites_per_year: dict[int, int] = field(default_factory=dict)  # placed by bar position
    fulltext_url: str | None = None  # the [PDF] / [HTML] link beside the title
    fulltext_kind: str | None = None  # "pdf" | "html"
    extra: dict[str, str] = field(default_factory=dict)
    # Every cluster id the page names: the "Cited by" link's cites= (several for a merged
    # entry), then the "Scholar articles" versions' cluster= (present even without citations).
    cluster_ids: tuple[str, ...] = ()
    scholar_pub_key: str | None = None  # the page's own citation_for_view ("USER:KEY")


class ScholarPageError(Exception):
    """A Scholar page that cannot be read as a result.

    ``reason`` is machine-readable: ``layout_unrecognised`` (a 200 page without
    profile markup: never "zero publications") or ``scholar_error_banner``
    (Scholar's "can't perform the operation now": temporary).
    """

    def __init__(self, reason: str, message: str, *, temporary: bool = False) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message
        self.temporary = temporary
