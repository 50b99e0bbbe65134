"""Golden tests of the full co-author list parser on hand-made fixtures.

No real ``view_op=list_colleagues`` page was available: the ``colleagues_*.html`` fixtures
follow the markup public scrapers read (see ``scholarcrawl/scholar/colleagues.py`` and
``fixtures/README.md``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse

from scholarcrawl.scholar.colleagues import parse_colleagues_page
from scholarcrawl.scholar.model import Coauthor, ScholarPageError

FIXTURES = Path(__file__).parent / "fixtures"
URL = "https://scholar.google.com/citations?user=Fx7aQ2kAAAAJ&hl=en&view_op=list_colleagues"


def selector_for(body: bytes) -> Selector:
    return HtmlResponse(url=URL, body=body).selector


def load(name: str) -> Selector:
    return selector_for((FIXTURES / name).read_bytes())


def edited_re(name: str, pattern: str, new: str, count: int) -> Selector:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    result, made = re.subn(pattern, new, text)
    assert made == count, f"{pattern!r} replaced {made} times in {name}"
    return selector_for(result.encode("utf-8"))


def layout_error(selector: Selector) -> ScholarPageError:
    with pytest.raises(ScholarPageError) as raised:
        parse_colleagues_page(selector)
    assert raised.value.reason == "layout_unrecognised"
    assert raised.value.temporary is False
    return raised.value


# 25 entries on the page: 23 co-authors, one entry whose id is not a Scholar id (skipped) and
# one repeated co-author (kept once), in the page's order.
COLLEAGUES_2024 = (
    Coauthor(
        "Kq3vR7sAAAAJ",
        "Roswitha Ebbesen",
        "Professor of Coastal Geology, Universität Kiel",
        "uni-kiel.de",
    ),
    Coauthor("b8Tz0pMAAAAJ", "Marta Bañuls", "Universitat de Barcelona", "ub.edu"),
    Coauthor(
        "Xw1c_4eAAAAJ",
        "Gordon D. Ashcombe",
        "Durham University, Earth Sciences & Physics",
        "durham.ac.uk",
    ),
    Coauthor("p0QmWn2AAAAJ", "Hao Zhenyu", "Ocean University of China", "ouc.edu.cn"),
    Coauthor("Zr5-LhUAAAAJ", "Arie Vogelzang", None, None),  # empty affiliation, no e-mail
    Coauthor("t6GfYy1AAAAJ", "Chiara Wuttke", "Brigham and Women's Hospital", None),
    Coauthor("Mv9sDe4AAAAJ", "Jacobo Fieldhouse", "Professor, Rutgers University", "rutgers.edu"),
    Coauthor("Ha2xPq7AAAAJ", "Pritika Sanwal", "Research Scientist", "research.example.com"),
    Coauthor(
        "Jc4oTb0AAAAJ",
        "Piet C. Pantekoek",
        "Formerly: Indiana University, University of Pennsylvania",
        None,
    ),
    Coauthor("N7dKe3wAAAAJ", "Ren Nguyễn", "Đại học Quốc gia Hà Nội", "vnu.edu.vn"),
    Coauthor("Ub0yVs5AAAAJ", "Stellan W. Zuccaro", "Yale University", "yale.edu"),
    Coauthor("Qe8hMa6AAAAJ", "Benedikt Kunstler", "Brown University", "brown.edu"),
    Coauthor(
        "Wd3nGr9AAAAJ", "Manisha Sehgal", "Rutgers University, New Brunswick, NJ", "rutgers.edu"
    ),
    Coauthor("Yf6jBk2AAAAJ", "Davida S. Ebersole", "Purdue University", "purdue.edu"),
    Coauthor("Cg1lFo8AAAAJ", "Vivek Labhsetwar", None, None),  # no affiliation line at all
    Coauthor("Ai4_Xc7MUB8C", "Josué Tennant", "MIT", "mit.edu"),
    Coauthor("Eh7pZi3AAAAJ", "Christa Baxendale", "Chief Scientist", "example.ai"),
    Coauthor("Lk2rIu0AAAAJ", "김서윤 (Seo-Yun Kim)", "이화여자대학교", "ewha.ac.kr"),  # LRM marks
    Coauthor("Om5tHy4AAAAJ", "Melisande Kibblewhite", "Boston University", "bu.edu"),
    Coauthor("Rs8wJe1AAAAJ", "Pieter Shirwell", "NVIDIA", "nvidia.com"),
    Coauthor("-tQ3uLmAAAAJ", "Yusuf Al-Hashimi", "جامعة الملك عبدالعزيز", "kau.edu.sa"),
    Coauthor("2Xv9Nq_AAAAJ", "Zoë Quéméner", "Ifremer, Brest", "ifremer.fr"),
    Coauthor("Gp6yTw2AAAAJ", "Lars Østergaard-Nymann", "Aarhus University", "au.dk"),
)


def test_full_list_of_more_than_twenty() -> None:
    parsed = parse_colleagues_page(load("colleagues_2024.html"))
    assert parsed == COLLEAGUES_2024
    assert len(parsed) == 23 > 20  # more than the profile sidebar can show


def test_empty_list_is_a_profile_without_coauthors() -> None:
    assert parse_colleagues_page(load("colleagues_empty_2024.html")) == ()


def test_changed_markup_is_layout_unrecognised() -> None:
    error = layout_error(load("colleagues_changed_markup.html"))
    assert "no Scholar co-author list markup" in error.message


@pytest.mark.parametrize(
    "name",
    ["signin_2026.html", "sorry_captcha.html", "profile_2026.html", "detail_journal_2024.html"],
)
def test_other_pages_are_layout_unrecognised(name: str) -> None:
    layout_error(load(name))


@pytest.mark.parametrize("body", [b"", b"<html><body><p>Hello</p></body></html>"])
def test_non_list_bodies_are_layout_unrecognised(body: bytes) -> None:
    layout_error(selector_for(body))


def test_entries_without_names_or_links_are_changed_markup_not_an_empty_list() -> None:
    # Every entry lost its name, photo and links: that must not read as "no co-authors".
    selector = edited_re(
        "colleagues_2024.html",
        r'(<div class="gsc_ucoar gs_scl") id="gsc_ucoar-[^"]*"><div class="gs_ai gs_scl">.*?'
        r'<div class="gs_ai_t gs_ai_pss">.*?</h3>',
        r"\1><div class='gs_ai gs_scl'><div class='gs_ai_t'>",
        count=25,
    )
    assert "25 co-author entries, none with a name" in layout_error(selector).message


def test_cards_without_the_entry_wrapper_are_read() -> None:
    # scholarly reads the div.gs_ai.gs_scl cards directly: the same list without its
    # div.gsc_ucoar wrappers still parses (ids from the links).
    selector = edited_re(
        "colleagues_2024.html",
        r'<div class="gsc_ucoar gs_scl" id="gsc_ucoar-[^"]*">(.*?)</div>\n',
        r"\1\n",
        count=25,
    )
    assert parse_colleagues_page(selector) == COLLEAGUES_2024


def test_id_from_the_entry_when_links_are_missing() -> None:
    selector = edited_re(
        "colleagues_2024.html",
        r'<a href="/citations\?hl=en&amp;user=Kq3vR7sAAAAJ"( class="gs_ai_pho")?>',
        "<a>",
        count=2,
    )
    assert parse_colleagues_page(selector) == COLLEAGUES_2024


def test_name_from_the_photo_when_the_name_line_is_empty() -> None:
    selector = edited_re(
        "colleagues_2024.html",
        r'(<h3 class="gs_ai_name"><a href="/citations\?hl=en&amp;user=b8Tz0pMAAAAJ">)'
        r"Marta Bañuls</a>",
        r"\1</a>",
        count=2,  # the co-author and its repetition
    )
    assert parse_colleagues_page(selector) == COLLEAGUES_2024


@pytest.mark.parametrize(
    "bad_id", ["Kq3vR7sAAAA", "Kq3vR7sAAAAJJ", "Kq3vR7s%40AAJ", "Kq3vR7s.AAAJ"]
)
def test_entries_with_invalid_ids_are_skipped(bad_id: str) -> None:
    selector = edited_re("colleagues_2024.html", "Kq3vR7sAAAAJ", bad_id, count=3)
    assert parse_colleagues_page(selector) == COLLEAGUES_2024[1:]


def test_an_entry_without_any_name_is_skipped() -> None:
    selector = edited_re(
        "colleagues_2024.html",
        r'<img alt="Hao Zhenyu"(.*?)<a href="/citations\?hl=en&amp;user=p0QmWn2AAAAJ">Hao '
        r"Zhenyu</a>",
        r'<img alt=""\1<a href="/citations?hl=en&amp;user=p0QmWn2AAAAJ"></a>',
        count=1,
    )
    assert parse_colleagues_page(selector) == COLLEAGUES_2024[:3] + COLLEAGUES_2024[4:]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('<div id="gs_md_err" style="display:none">', '<div id="gs_md_err" class="gs_vis">'),
        ('<div id="gs_md_err" style="display:none">', '<div id="gs_md_err" style="display:block">'),
    ],
)
def test_visible_error_banner_is_a_temporary_error(old: str, new: str) -> None:
    with pytest.raises(ScholarPageError) as raised:
        parse_colleagues_page(edited_re("colleagues_2024.html", re.escape(old), new, count=1))
    assert raised.value.reason == "scholar_error_banner"
    assert raised.value.temporary is True
