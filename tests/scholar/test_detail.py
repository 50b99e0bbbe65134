"""Golden tests of the detail page parser on hand-made fixtures (``tests/scholar/fixtures``).

Each ``detail_*.html`` fixture follows the real page's structure (see ``fixtures/README.md``);
selectors are built the way Scrapy builds them, so the declared charset is honoured.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse

from scholarcrawl.scholar.detail import parse_detail_page
from scholarcrawl.scholar.model import PublicationDetail, ScholarPageError

FIXTURES = Path(__file__).parent / "fixtures"
DETAIL_URL = (
    "https://scholar.google.com/citations?user=Fx7aQ2kAAAAJ&hl=en&view_op=view_citation"
    "&citation_for_view=Fx7aQ2kAAAAJ:u5HHmVD_uO8C"
)


def selector_for(body: bytes) -> Selector:
    return HtmlResponse(url=DETAIL_URL, body=body).selector


def load(name: str) -> Selector:
    return selector_for((FIXTURES / name).read_bytes())


def edited(name: str, old: str, new: str, count: int = 1) -> Selector:
    """The fixture with ``old`` replaced by ``new`` (which must occur ``count`` times)."""
    text = (FIXTURES / name).read_text(encoding="utf-8")
    assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times in {name}"
    return selector_for(text.replace(old, new).encode("utf-8"))


def edited_re(name: str, pattern: str, new: str, count: int) -> Selector:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    result, made = re.subn(pattern, new, text)
    assert made == count, f"{pattern!r} replaced {made} times in {name}"
    return selector_for(result.encode("utf-8"))


def layout_error(selector: Selector) -> ScholarPageError:
    with pytest.raises(ScholarPageError) as raised:
        parse_detail_page(selector)
    assert raised.value.reason == "layout_unrecognised"
    assert raised.value.temporary is False
    return raised.value


# ---------------------------------------------------------------------------------------------
# golden pages

JOURNAL = PublicationDetail(
    title="Tidal inlet morphodynamics under sea-level rise: a data-driven review",
    title_url="https://www.example-publisher.com/science/article/pii/S0378383921000123",
    authors=("Ana Núñez-Ødegård", "Tomás Rivera", "Li Wei", "Jane O'Neil"),
    publication_date="2021/3/15",
    year=2021,
    journal="Coastal Engineering",
    volume="164",
    issue="2",
    pages="103–121",
    publisher="Elsevier",
    # two block paragraphs with an inline <i>: one space between them, none lost or added
    description=(
        "Tidal inlets connect lagoons to the open sea and respond to sea-level rise in ways "
        "that process-based models struggle to predict. We review 112 data-driven studies & "
        "outline what a 2 m rise would change."
    ),
    citations=57,  # "Cited\n by 57", re-indented like the real page
    cluster_id="4462176345021973527",
    # 2023 has no bar: inside the span, so 0; bars sum to 55 of the 57 citations
    cites_per_year={2021: 4, 2022: 11, 2023: 0, 2024: 19, 2025: 15, 2026: 6},
    fulltext_url="https://repository.example.org/bitstream/1234/tidal-inlets.pdf",
    fulltext_kind="pdf",
    extra={},
    cluster_ids=("4462176345021973527",),
    scholar_pub_key="Fx7aQ2kAAAAJ:u5HHmVD_uO8C",
)

CONFERENCE = PublicationDetail(
    title="Sparse attention for streaming speech recognition",
    title_url="https://ieeexplore.example.org/document/8954321",
    authors=("Kenji Watanabe", "María José Ortega", "Priya Raghunathan"),
    publication_date="2019/6",
    year=2019,
    conference=(
        "ICASSP 2019-2019 IEEE International Conference on Acoustics, Speech and Signal "
        "Processing (ICASSP)"
    ),
    pages="6011-6015",
    publisher="IEEE",
    description="We restrict self-attention to a sliding window so that latency stays constant.",
    citations=1204,  # "Cited by 1,204"
    cluster_id="9876543210987654321",
    cites_per_year={2019: 12, 2020: 98, 2021: 230, 2022: 291, 2023: 276, 2024: 210, 2025: 75},
    fulltext_url="https://proceedings.example.net/paper/2019/hash/7f1de29e.html",
    fulltext_kind="html",
    # a merged entry: cites= names two clusters; a third version without citations is only
    # named by its cluster= link under "Scholar articles"
    cluster_ids=("9876543210987654321", "1122334455667788990", "5550001112223334445"),
    scholar_pub_key="Qm3kT0sAAAAJ:d1gkVwhDpl0C",
)

BOOK_CHAPTER_VCD = PublicationDetail(
    title="Barrier islands and their inlets",
    title_url="https://link.example.com/chapter/10.1007/978-3-319-00000-0_9",
    authors=("Duncan M FitzGerald", "Ilya V Buynevich"),
    publication_date="2015",
    year=2015,
    book="Handbook of Coastal Processes",
    pages="211-240",
    publisher="Springer, Cham",
    description=(
        "Barrier islands line about 10% of the world's open-ocean coasts. This chapter traces "
        "how their inlets migrate, close and reopen."
    ),
    citations=8,
    cluster_id="3141592653589793238",
    cites_per_year={2015: 2, 2016: 0, 2017: 0, 2018: 6},
    # the /scholar_url?url=... redirect is unwrapped: no second request to Scholar
    fulltext_url="https://link.example.com/content/pdf/10.1007/978-3-319-00000-0_9.pdf",
    fulltext_kind="pdf",
    cluster_ids=("3141592653589793238",),
    scholar_pub_key=None,  # this page names its key nowhere
)

MINIMAL = PublicationDetail(
    title="Field notes from the Ebro delta, winter 2021",
    title_url=None,  # a title without a link
    authors=(),  # no Authors field: still a valid page
    publication_date="2021",
    year=2021,
    source="Zenodo",
    citations=None,
    cluster_id=None,
    cites_per_year={},
    fulltext_url=None,
    fulltext_kind=None,
    # no citations, but "Scholar articles" names its cluster
    cluster_ids=("271828182845904523",),
    scholar_pub_key="Fx7aQ2kAAAAJ:zYLM7Y9cAGgC",  # from the edit link
)

PATENT = PublicationDetail(
    title="Wave energy converter with a self-tuning float",
    title_url="https://patents.example.com/patent/US9501234B2/en",
    authors=("Sigrid Halvorsen", "Mateus Albuquerque"),  # "Inventors"
    publication_date="2016/11/22",
    year=2016,
    description=(
        "A float whose ballast chamber is pumped to keep its natural period close to the "
        "dominant swell period."
    ),
    citations=3,
    cluster_id="1618033988749894848",
    cites_per_year={2018: 2, 2019: 0, 2020: 1},
    fulltext_url="https://patentimages.example.com/pdfs/US9501234.pdf",
    fulltext_kind="pdf",
    extra={"Patent office": "US", "Patent number": "9501234", "Application number": "14/123,456"},
    cluster_ids=("1618033988749894848",),
    scholar_pub_key="Wq-8zRkAAAAJ:9yKSN-GCB0IC",
)

SPANISH_LATIN1 = PublicationDetail(
    title="Dinámica de playas encajadas en la Costa Brava “norte”",
    title_url="https://revistas.example.es/index.php/rcc/article/view/771",
    # Spanish labels are not known: authors, date and venue stay in extra as printed...
    authors=(),
    publication_date=None,
    year=None,
    extra={
        "Autores": "Ana Núñez, Jordi Puigdefàbregas",
        "Fecha de publicación": "2022/5/4",
        "Revista": "Revista de Ciencias Costeras",
        "Volumen": "38",
        "Páginas": "45‐67",
    },
    # ...while what the markup identifies is read in any language
    description="Se analizan 14 calas entre 2015 y 2021 mediante fotogrametría & perfiles.",
    citations=23,  # "Citado por 23"
    cluster_id="8080808080808080808",
    cites_per_year={2023: 7, 2024: 8, 2025: 8},
    fulltext_url="https://revistas.example.es/index.php/rcc/article/download/771/640",
    fulltext_kind="pdf",  # "[PDF] de example.es"
    cluster_ids=("8080808080808080808",),
    scholar_pub_key="Fx7aQ2kAAAAJ:Y0pCki6q_DkC",
)

GOLDEN = {
    "detail_journal_2024.html": JOURNAL,
    "detail_conference_2019.html": CONFERENCE,
    "detail_book_chapter_vcd_2018.html": BOOK_CHAPTER_VCD,
    "detail_minimal_2026.html": MINIMAL,
    "detail_patent_2016.html": PATENT,
    "detail_es_latin1_2022.html": SPANISH_LATIN1,
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_page(name: str) -> None:
    assert parse_detail_page(load(name)) == GOLDEN[name]


def test_every_detail_fixture_is_tested() -> None:
    names = {path.name for path in FIXTURES.glob("detail_*.html")}
    assert names == {*GOLDEN, "detail_changed_markup.html"}


def test_latin1_page_is_decoded_by_its_meta_charset() -> None:
    body = (FIXTURES / "detail_es_latin1_2022.html").read_bytes()
    assert "Dinámica".encode("latin-1") in body and "Dinámica".encode() not in body
    assert parse_detail_page(selector_for(body)).title.startswith("Dinámica de playas")


# ---------------------------------------------------------------------------------------------
# the citation chart: bars placed by their year or position, never by their order

_BAR = (
    r'<a href="[^"]*" class="gsc_oci_g_a" style="[^"]*"><span class="gsc_oci_g_al">\d+</span></a>'
)


def test_bars_are_placed_by_their_year_not_by_document_order() -> None:
    text = (FIXTURES / "detail_journal_2024.html").read_text(encoding="utf-8")
    bars = re.findall(_BAR, text)
    assert len(bars) == 5
    shuffled = text.replace("".join(bars), "".join(reversed(bars)))
    assert shuffled != text
    parsed = parse_detail_page(selector_for(shuffled.encode()))
    assert parsed.cites_per_year == JOURNAL.cites_per_year


def test_bars_without_year_links_fall_back_to_offsets_then_z_index() -> None:
    no_years = edited_re(
        "detail_journal_2024.html", r"&amp;as_ylo=\d{4}&amp;as_yhi=\d{4}", "", count=5
    )
    assert parse_detail_page(no_years).cites_per_year == JOURNAL.cites_per_year
    text = (FIXTURES / "detail_journal_2024.html").read_text(encoding="utf-8")
    text, made = re.subn(r"&amp;as_ylo=\d{4}&amp;as_yhi=\d{4}", "", text)
    text, made_offsets = re.subn(r'(class="gsc_oci_g_a" style=")left:\d+px;', r"\1", text)
    assert made == made_offsets == 5
    assert parse_detail_page(selector_for(text.encode())).cites_per_year == (JOURNAL.cites_per_year)


def test_a_bar_linking_to_a_range_of_years_is_placed_by_position() -> None:
    # as_ylo != as_yhi names no single year: the bar's offset decides (2024, not 2020)
    selector = edited(
        "detail_journal_2024.html", "as_ylo=2024&amp;as_yhi=2024", "as_ylo=2020&amp;as_yhi=2024"
    )
    assert parse_detail_page(selector).cites_per_year == JOURNAL.cites_per_year


def test_a_bar_that_nothing_places_is_ignored_not_guessed() -> None:
    selector = edited(
        "detail_journal_2024.html",
        'as_ylo=2024&amp;as_yhi=2024" class="gsc_oci_g_a" style="left:104px;height:57px;top:0px;'
        'z-index:3"',
        '" class="gsc_oci_g_a" style="height:57px;top:0px"',
    )
    assert parse_detail_page(selector).cites_per_year == {**JOURNAL.cites_per_year, 2024: 0}


def test_a_year_link_outside_the_labels_widens_the_span() -> None:
    selector = edited(
        "detail_journal_2024.html", "as_ylo=2021&amp;as_yhi=2021", "as_ylo=2019&amp;as_yhi=2019"
    )
    assert parse_detail_page(selector).cites_per_year == {
        2019: 4,
        2020: 0,
        2021: 0,
        **{year: n for year, n in JOURNAL.cites_per_year.items() if year > 2021},
    }


# ---------------------------------------------------------------------------------------------
# fields


def test_page_without_any_field_but_its_title_is_valid() -> None:
    selector = edited_re(
        "detail_minimal_2026.html", r'<div class="gs_scl">.*?</div></div>\n', "", count=3
    )
    parsed = parse_detail_page(selector)
    assert parsed.title == MINIMAL.title
    assert (parsed.authors, parsed.publication_date, parsed.year, parsed.extra) == (
        (),
        None,
        None,
        {},
    )
    assert parsed.cluster_ids == ()


def test_inventors_beside_authors_are_kept_in_extra() -> None:
    selector = edited(
        "detail_patent_2016.html",
        '<div class="gs_scl"><div class="gsc_oci_field">Inventors</div>',
        '<div class="gs_scl"><div class="gsc_oci_field">Authors</div><div class="gsc_oci_value">'
        'S Halvorsen</div></div><div class="gs_scl"><div class="gsc_oci_field">Inventors</div>',
    )
    parsed = parse_detail_page(selector)
    assert parsed.authors == ("S Halvorsen",)
    assert parsed.extra["Inventors"] == "Sigrid Halvorsen, Mateus Albuquerque"


def test_author_list_drops_empty_parts_and_a_trailing_ellipsis() -> None:
    selector = edited(
        "detail_conference_2019.html",
        "Kenji Watanabe, María José Ortega, Priya Raghunathan</div>",
        "Kenji Watanabe,  , María José Ortega, Priya Raghunathan, …</div>",
    )
    assert parse_detail_page(selector).authors == CONFERENCE.authors


def test_unknown_english_labels_go_to_extra_as_printed() -> None:
    selector = edited(
        "detail_minimal_2026.html",
        '<div class="gsc_oci_field">Source</div>',
        '<div class="gsc_oci_field">Report number</div>',
    )
    parsed = parse_detail_page(selector)
    assert parsed.source is None
    assert parsed.extra == {"Report number": "Zenodo"}


def test_labels_are_matched_case_insensitively() -> None:
    selector = edited(
        "detail_journal_2024.html",
        '<div class="gsc_oci_field">Publication date</div>',
        '<div class="gsc_oci_field">Publication Date</div>',
    )
    assert parse_detail_page(selector).publication_date == "2021/3/15"


@pytest.mark.parametrize(
    ("link", "url", "kind"),
    [
        (
            '<a href="https://x.example.org/a.pdf"><span class="gsc_vcd_title_ggt">[HTML]</span>'
            " from example.org</a>",
            "https://x.example.org/a.pdf",
            "html",  # the label, not the URL, says what it is
        ),
        (
            '<a href="https://x.example.org/a.doc"><span class="gsc_vcd_title_ggt">[DOC]</span>'
            " from example.org</a>",
            "https://x.example.org/a.doc",
            None,  # outside the pdf | html vocabulary
        ),
        (
            '<a href="https://x.example.org/paper.PDF">from example.org</a>',
            "https://x.example.org/paper.PDF",
            "pdf",  # no label: a .pdf path says it
        ),
        ('<a href="javascript:void(0)">[PDF] nowhere</a>', None, None),
    ],
)
def test_fulltext_link_kinds(link: str, url: str | None, kind: str | None) -> None:
    selector = edited_re(
        "detail_journal_2024.html",
        r'<div class="gsc_oci_title_ggi">.*?</a></div>',
        f'<div class="gsc_oci_title_ggi">{link}</div>',
        count=1,
    )
    parsed = parse_detail_page(selector)
    assert (parsed.fulltext_url, parsed.fulltext_kind) == (url, kind)


def test_relative_title_link_is_made_absolute() -> None:
    selector = edited(
        "detail_journal_2024.html",
        'href="https://www.example-publisher.com/science/article/pii/S0378383921000123"',
        'href="/citations?view_op=view_citation&amp;hl=en"',
    )
    assert parse_detail_page(selector).title_url == (
        "https://scholar.google.com/citations?view_op=view_citation&hl=en"
    )


# ---------------------------------------------------------------------------------------------
# errors: never an empty result


def test_changed_markup_is_layout_unrecognised() -> None:
    error = layout_error(load("detail_changed_markup.html"))
    assert "no Scholar detail page markup" in error.message


@pytest.mark.parametrize(
    "name", ["signin_2026.html", "sorry_captcha.html", "profile_2026.html", "colleagues_2024.html"]
)
def test_other_pages_are_layout_unrecognised(name: str) -> None:
    layout_error(load(name))


@pytest.mark.parametrize(
    "body",
    [b"", b"<html></html>", b"<html><body><p>Hello</p></body></html>", b"\x00\x01binary"],
)
def test_non_detail_bodies_are_layout_unrecognised(body: bytes) -> None:
    layout_error(selector_for(body))


def test_empty_title_is_layout_unrecognised() -> None:
    selector = edited(
        "detail_minimal_2026.html",
        '<div id="gsc_oci_title">Field notes from the Ebro delta, winter 2021</div>',
        '<div id="gsc_oci_title">  </div>',
    )
    assert "empty #gsc_oci_title" in layout_error(selector).message


def test_page_without_field_table_is_layout_unrecognised() -> None:
    selector = edited("detail_journal_2024.html", 'id="gsc_oci_table"', 'id="gsc_oci_tbl"')
    assert "without its #gsc_oci_table" in layout_error(selector).message


def test_field_without_value_is_layout_unrecognised() -> None:
    selector = edited(
        "detail_journal_2024.html",
        '<div class="gsc_oci_value">Coastal Engineering</div>',
        '<div class="gsc_oci_val">Coastal Engineering</div>',
    )
    assert "'Journal' without a .gsc_oci_value" in layout_error(selector).message


def test_total_citations_without_its_link_is_layout_unrecognised() -> None:
    selector = edited_re(
        "detail_patent_2016.html",
        r'<div style="margin-bottom:1em"><a [^>]*>Cited by 3</a></div>',
        '<div style="margin-bottom:1em">Cited by 3</div>',
        count=1,
    )
    assert "'Total citations' without its 'Cited by' link" in layout_error(selector).message


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('<div id="gs_md_err" style="display:none">', '<div id="gs_md_err" class="gs_vis">'),
        ('<div id="gs_md_err" style="display:none">', '<div id="gs_md_err" style="display:block">'),
    ],
)
def test_visible_error_banner_is_a_temporary_error(old: str, new: str) -> None:
    with pytest.raises(ScholarPageError) as raised:
        parse_detail_page(edited("detail_journal_2024.html", old, new))
    assert raised.value.reason == "scholar_error_banner"
    assert raised.value.temporary is True
    assert "can't perform the operation now" in raised.value.message


def test_banner_over_a_page_without_detail_markup_is_still_the_banner() -> None:
    selector = selector_for(
        b'<html><body><div id="gs_md_err" class="gs_vis">The system can&#39;t perform the '
        b"operation now. Try again later.</div></body></html>"
    )
    with pytest.raises(ScholarPageError) as raised:
        parse_detail_page(selector)
    assert raised.value.reason == "scholar_error_banner"


def test_a_description_nested_thousands_deep_is_read_without_recursion() -> None:
    # Found by fuzzing: the description's text was gathered recursively, and a description
    # nested 1100 elements deep (lxml keeps up to 2048 levels) raised RecursionError.
    html = (
        '<div id="gsc_oci_title">T</div><div id="gsc_oci_table"><div class="gs_scl">'
        '<div class="gsc_oci_field">Description</div><div class="gsc_oci_value" id="gsc_oci_descr">'
        + "<div>" * 1500
        + "Deep words<p>and more</p>"
        + "</div>" * 1500
        + "tail</div></div></div>"
    )
    parsed = parse_detail_page(selector_for(html.encode("utf-8")))
    assert parsed.description == "Deep words and more tail"
