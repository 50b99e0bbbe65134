"""Pure parser for a profile's full co-author list (``/citations?user=…&view_op=list_colleagues``).

The profile page lists at most 20 co-authors in its sidebar; this page lists them all.
:func:`parse_colleagues_page` takes a :class:`parsel.Selector` over the decoded page and returns
the co-authors as :class:`~scholarcrawl.scholar.model.Coauthor`, in the page's order.

No real copy of this page was available (``../shared/SOURCES.md`` says none was found), so the
markup below is what public scrapers that read it agree on, as of 2019-2025:

* scholarly (``scholarly/author_parser.py``, ``_get_coauthors_long``) fetches
  ``/citations?view_op=list_colleagues&hl=en&user=ID`` and reads every ``div.gs_ai.gs_scl``:
  the first link's ``user=``, ``.gs_ai_name`` and ``.gs_ai_aff``;
* Selenium and requests scrapers of the "View all" dialog read ``div#gsc_codb_content``, whose
  entries are ``div.gsc_ucoar.gs_scl`` (id ``gsc_ucoar-<scholar id>``) holding
  ``a.gs_ai_pho`` (photo link, ``img alt`` = name) and ``div.gs_ai_t.gs_ai_pss`` with
  ``h3.gs_ai_name > a[href*=user=]``, ``div.gs_ai_aff`` and ``div.gs_ai_eml`` ("Verified email
  at x.org"), the card markup of Scholar's author search results.

So an entry is a ``.gsc_ucoar`` inside ``#gsc_codb_content`` (or, if the page wraps them
differently, a ``.gs_ai`` card there); its id comes from the name link's ``user=``, else the
photo link's, else the ``gsc_ucoar-`` element id. Entries whose id is not a valid 12-character
Scholar id are skipped (logged at DEBUG); a repeated id is kept once.

Errors: a page without ``#gsc_codb_content`` (a sign-in page, a CAPTCHA, a profile page, any
other page) raises ``ScholarPageError("layout_unrecognised")``; so does a list whose entries
are all unreadable (no name and no id: changed markup must not look like "no co-authors").
An empty ``#gsc_codb_content`` is a profile without co-authors: ``()``. Scholar's visible error
banner raises ``ScholarPageError("scholar_error_banner", temporary=True)``.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from parsel import Selector

from scholarcrawl.scholar.model import Coauthor, ScholarPageError
from scholarcrawl.scholar.parser import (
    LAYOUT_UNRECOGNISED,
    class_test,
    clean_text,
    compile_xpath,
    element_text,
    email_domain_from,
    index_ids,
    raise_shown_banner,
    root_of,
    user_from_url,
)
from scholarcrawl.scholar.urls import is_valid_scholar_id

logger = logging.getLogger(__name__)

__all__ = ["parse_colleagues_page"]

_Element = Any

_ENTRY_ID_PREFIX: Final = "gsc_ucoar-"

_X_ENTRIES: Final = compile_xpath(f".//div[{class_test('gsc_ucoar')}]")
_X_CARDS: Final = compile_xpath(
    f".//div[{class_test('gs_ai')}][not(ancestor::div[{class_test('gs_ai')}])]"
)
_X_NAME: Final = compile_xpath(f".//*[{class_test('gs_ai_name')}]")
_X_USER_LINKS: Final = compile_xpath(".//a[contains(@href, 'user=')]/@href")
_X_PHOTO_ALT: Final = compile_xpath(".//img/@alt")
_X_AFFILIATION: Final = compile_xpath(f".//*[{class_test('gs_ai_aff')}]")
_X_EMAIL: Final = compile_xpath(f".//*[{class_test('gs_ai_eml')}]")


def parse_colleagues_page(selector: Selector) -> tuple[Coauthor, ...]:
    """The co-authors on a ``view_op=list_colleagues`` page, in the page's order.

    ``()`` for a profile without co-authors (an empty ``#gsc_codb_content``). Raises
    ``ScholarPageError``: ``layout_unrecognised`` for a page without the list's markup or
    whose entries are all unreadable; ``scholar_error_banner`` (temporary) when Scholar's
    error banner is visible.
    """
    root = root_of(selector)
    ids = index_ids(root)
    raise_shown_banner([ids.get("gs_md_err")])
    container = ids.get("gsc_codb_content")
    if container is None:
        page_title = clean_text(root.findtext(".//title"))
        raise ScholarPageError(
            LAYOUT_UNRECOGNISED,
            f"no Scholar co-author list markup (title {page_title[:80]!r})",
        )
    entries = _X_ENTRIES(container) or _X_CARDS(container)
    coauthors: list[Coauthor] = []
    seen: set[str] = set()
    unreadable = 0
    for entry in entries:
        scholar_id = _entry_id(entry)
        name = element_text(next(iter(_X_NAME(entry)), None)) or clean_text(
            next(iter(_X_PHOTO_ALT(entry)), None)
        )
        if scholar_id is None and not name:
            unreadable += 1
            continue
        if scholar_id is None or not is_valid_scholar_id(scholar_id) or not name:
            logger.debug("co-author entry %r (%r) skipped: no valid id or name", scholar_id, name)
            continue
        if scholar_id in seen:
            continue
        seen.add(scholar_id)
        email_line = element_text(next(iter(_X_EMAIL(entry)), None))
        coauthors.append(
            Coauthor(
                scholar_id=scholar_id,
                name=name,
                affiliation=element_text(next(iter(_X_AFFILIATION(entry)), None)) or None,
                email_domain=email_domain_from(email_line) if email_line else None,
            )
        )
    if entries and unreadable == len(entries):
        raise ScholarPageError(
            LAYOUT_UNRECOGNISED,
            f"{len(entries)} co-author entries, none with a name or a profile link",
        )
    return tuple(coauthors)


def _entry_id(entry: _Element) -> str | None:
    """The entry's scholar id as written: the name's or photo's ``user=`` link (a valid id
    only), else its ``gsc_ucoar-`` element id (checked by the caller)."""
    name_box = next(iter(_X_NAME(entry)), None)
    links = [*(_X_USER_LINKS(name_box) if name_box is not None else ()), *_X_USER_LINKS(entry)]
    for href in links:
        if found := user_from_url(href):
            return found
    element_id = entry.get("id") or ""
    if element_id.startswith(_ENTRY_ID_PREFIX):
        return element_id[len(_ENTRY_ID_PREFIX) :] or None
    if links:
        return ""  # a profile link whose user= is not an id: skipped, not unreadable
    return None
