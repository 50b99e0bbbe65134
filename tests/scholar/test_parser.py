"""Golden tests of the profile page parser on hand-made fixtures (``tests/scholar/fixtures``).

Each fixture follows one real markup generation (see ``fixtures/README.md``); every test builds
the selector the way Scrapy does (``HtmlResponse(...).selector``), so the declared charset is
honoured exactly as in a crawl.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse

from scholarcrawl.scholar.model import (
    Coauthor,
    ProfileHeader,
    ProfilePage,
    PublicationRow,
    ScholarPageError,
)
from scholarcrawl.scholar.parser import (
    check_error_banner,
    clean_text,
    detect_markup,
    infer_cstart,
    parse_cites_per_year,
    parse_header,
    parse_profile_page,
    parse_rows,
)

FIXTURES = Path(__file__).parent / "fixtures"
PROFILE_URL = "https://scholar.google.com/citations?hl=en&user=Fx7aQ2kAAAAJ"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def response_for(body: bytes, url: str = PROFILE_URL) -> HtmlResponse:
    return HtmlResponse(url=url, body=body)


def selector_for(body: bytes) -> Selector:
    return response_for(body).selector


def load(name: str) -> Selector:
    return selector_for(fixture_bytes(name))


def edited(name: str, old: str, new: str, count: int = 1) -> Selector:
    """The fixture with ``old`` replaced by ``new`` (which must occur ``count`` times)."""
    text = fixture_bytes(name).decode("utf-8")
    assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times in {name}"
    return selector_for(text.replace(old, new).encode("utf-8"))


# ---------------------------------------------------------------------------------------------
# golden pages

PROFILE_2026 = ProfilePage(
    header=ProfileHeader(
        scholar_id="Fx7aQ2kAAAAJ",
        name="Ana Núñez-Ødegård",
        affiliation="Professor, Universitat de Barcelona",
        email_domain="ub.edu",
        homepage="https://example.org/~ana",
        interests=("Coastal engineering", "Machine Learning", "Géomorphologie"),
        photo_url="https://scholar.google.com/citations/images/avatar_scholar_128.png",
        citations_all=1234,
        citations_since=567,
        h_index_all=15,
        h_index_since=10,
        i10_all=20,
        i10_since=12,
        since_year=2021,
        # No bar for 2019 and 2022: placed by offset, they stay 0 and the later bars keep
        # their own years.
        cites_per_year={
            2018: 5,
            2019: 0,
            2020: 12,
            2021: 30,
            2022: 0,
            2023: 44,
            2024: 60,
            2025: 80,
            2026: 7,
        },
        coauthors=(
            Coauthor("Qq36BnYAAAAJ", "Berta Smith", "University of Lisbon"),
            Coauthor("-SiS0o8_AAAJ", "Chen Li", None),
        ),
    ),
    rows=(
        PublicationRow(
            title="Deep learning for coastal erosion forecasting",
            authors="A Núñez-Ødegård, B Smith, C Li",
            venue="Nature Geoscience 12 (4), 221-229",
            year=2019,
            citations=912,
            merged=False,
            cluster_ids=("11111111111111111111",),
            scholar_pub_key="Fx7aQ2kAAAAJ:u5HHmVD_uO8C",
            position=1,
        ),
        PublicationRow(
            title="Sediment transport under storm surges",
            authors="A Núñez-Ødegård, D Brown",
            venue="Journal of Coastal Research 35 (2), 1-12",
            year=2018,
            citations=150,
            merged=True,
            cluster_ids=("2222222222222222222", "3333333333333333333"),
            scholar_pub_key="Fx7aQ2kAAAAJ:d1gkVwhDpl0C",
            position=2,
        ),
        PublicationRow(
            title="Étude des réseaux «neuronaux» & des côtes",
            authors="A Núñez-Ødegård",
            venue="Revue française de géomorphologie 7, 33-40",
            year=2021,
            citations=8,
            merged=False,
            cluster_ids=("4444444444444444444",),
            scholar_pub_key="Fx7aQ2kAAAAJ:9yKSN-GCB0IC",
            position=3,
        ),
        PublicationRow(
            title="A dataset of shoreline positions, 1984–2024",
            authors="A Núñez-Ødegård, E Kim",
            venue="Zenodo",
            year=2024,
            citations=0,
            merged=False,
            cluster_ids=(),
            scholar_pub_key="Fx7aQ2kAAAAJ:2osOgNQ5qMEC",
            position=4,
        ),
        PublicationRow(
            title="Notes on wave run-up",
            authors="A Núñez-Ødegård",
            venue="Workshop on Coastal Things, 12",
            year=None,
            citations=0,
            merged=False,
            cluster_ids=(),
            scholar_pub_key="Fx7aQ2kAAAAJ:qjMakFHDy7sC",
            position=5,
        ),
        PublicationRow(
            title="Unpublished thesis chapter",
            authors="A Núñez-Ødegård",
            venue=None,
            year=None,
            citations=0,
            merged=False,
            cluster_ids=(),
            scholar_pub_key="Fx7aQ2kAAAAJ:zYLM7Y9cAGgC",
            position=6,
        ),
    ),
    cstart=0,
    more_enabled=True,
    markup="gsc",
)

PAGE2_HEADER = ProfileHeader(
    scholar_id="Fx7aQ2kAAAAJ",
    name="Ana Núñez-Ødegård",
    affiliation="Professor, Universitat de Barcelona",
    email_domain="ub.edu",
    homepage=None,
    interests=(),
    photo_url=None,
    citations_all=1234,
    citations_since=567,
    h_index_all=15,
    h_index_since=10,
    i10_all=20,
    i10_since=12,
    since_year=2021,
    cites_per_year={},
    coauthors=(),
)


def page2_rows(first_position: int) -> tuple[PublicationRow, ...]:
    return (
        PublicationRow(
            title="An old conference abstract",
            authors="A Núñez",
            venue="Proc. Coastal Days",
            year=2009,
            citations=0,
            merged=False,
            cluster_ids=(),
            scholar_pub_key="Fx7aQ2kAAAAJ:W7OEmFMy1HYC",  # URL-encoded ":" in the link
            position=first_position,
        ),
        PublicationRow(
            title="Another abstract",
            authors="A Núñez, B Smith",
            venue=None,
            year=2008,
            citations=1,
            merged=False,
            cluster_ids=("5555555555555555555",),
            scholar_pub_key="Fx7aQ2kAAAAJ:Tyk-4Ss8FVUC",
            position=first_position + 1,
        ),
    )


EARLY_GSC = ProfilePage(
    header=ProfileHeader(
        scholar_id="Qm1x_7TAAAAJ",
        name="Pieter de Vries",
        affiliation="VU University Amsterdam",
        email_domain="vu.nl",
        homepage="http://www.example.nl/pieter",
        interests=("Visual Attention", "Eye Movements"),
        photo_url=(
            "https://scholar.google.com/citations?view_op=view_photo&user=Qm1x_7TAAAAJ&citpid=2"
        ),
        citations_all=52,
        citations_since=50,
        h_index_all=2,
        h_index_since=2,
        i10_all=1,
        i10_since=1,
        since_year=2009,
        cites_per_year={2009: 2, 2010: 0, 2011: 4, 2012: 9, 2013: 15, 2014: 20},
        # The owner's "Add co-authors" suggestion (#gsc_rsb_ssc) is not a co-author.
        coauthors=(
            Coauthor("iRgckZsXAAAJ", "Jan Jansen", None),
            Coauthor("zVrwyHMXAAAJ", "Sébastien Mathé", None),
        ),
    ),
    rows=(
        PublicationRow(
            title="Visual search for moving objects",
            authors="P de Vries, J Jansen",
            venue="Attention, Perception, & Psychophysics 76 (7), 1873-1884",
            year=2014,
            citations=3,
            merged=False,
            cluster_ids=("7000000000000000001",),
            scholar_pub_key="Qm1x_7TAAAAJ:eQOLeE2rZwMC",
            position=1,
        ),
        PublicationRow(
            title="Eye movements and object continuity",
            authors="P de Vries, J Jansen",
            venue="Vision Research 90, 1-9",
            year=2013,
            citations=41,
            merged=True,
            cluster_ids=("7000000000000000002", "7000000000000000003"),
            scholar_pub_key="Qm1x_7TAAAAJ:UeHWp8X0CEIC",
            position=2,
        ),
        PublicationRow(
            title="3: Object files in visual working memory",
            authors="P de Vries",
            venue="Attention to Emerging Objects, 45",
            year=None,
            citations=0,
            merged=False,
            cluster_ids=(),
            scholar_pub_key="Qm1x_7TAAAAJ:WF5omc3nYNoC",
            position=3,
        ),
    ),
    cstart=0,
    more_enabled=False,
    markup="gsc",
)

ZHCN_2016 = ProfilePage(
    header=ProfileHeader(
        scholar_id="zH7n-iYAAAAJ",
        name="Wei Zhang",
        affiliation="Professor of Computer Science,Peking University",
        email_domain="pku.edu.cn",
        homepage=None,
        interests=("Software Engineering", "软件工程"),
        photo_url="https://scholar.google.com/citations/images/avatar_scholar_150.jpg",
        citations_all=941,
        citations_since=672,
        h_index_all=15,
        h_index_since=12,
        i10_all=27,
        i10_since=16,
        since_year=2011,
        cites_per_year={2014: 132, 2015: 128, 2016: 84},
        coauthors=(),
    ),
    rows=(
        PublicationRow(
            title="Personalized QoS prediction for web services",
            authors="L Shao, W Zhang",
            venue="IEEE International Conference on Web Services, 439-446",
            year=2007,
            citations=277,
            merged=False,
            cluster_ids=("9958932253656163257",),
            scholar_pub_key="zH7n-iYAAAAJ:u-x6o8ySG0sC",
            position=1,
        ),
        PublicationRow(
            title="构件的服务质量管理框架",
            authors="赵俊峰, 张伟",
            venue="电子学报 32 (12), 165-168",
            year=2004,
            citations=12,
            merged=False,
            cluster_ids=("128481060276854013",),
            scholar_pub_key="zH7n-iYAAAAJ:8k81kl-MbHgC",
            position=2,
        ),
    ),
    cstart=0,
    more_enabled=True,
    markup="gsc",
)

LEGACY_2013 = ProfilePage(
    header=ProfileHeader(
        scholar_id="LgCy1234AAAJ",
        name="Jan Kowalski",
        affiliation="University of Warsaw",
        email_domain="mimuw.edu.pl",
        homepage="http://www.mimuw.edu.pl/~jk/",
        interests=("Bioinformatics", "protein folding"),
        photo_url=(
            "https://scholar.google.com/citations?view_op=view_photo&user=LgCy1234AAAJ&citpid=1"
        ),
        citations_all=437,
        citations_since=394,
        h_index_all=11,
        h_index_since=10,
        i10_all=12,
        i10_since=9,
        since_year=2008,
        cites_per_year={},  # the legacy chart is an image
        coauthors=(
            Coauthor("u8SjMZ0XAAAJ", "Marek Nowak", None),
            Coauthor("S-7-BNAXAAAJ", "Anna Wiśniewska", None),
        ),
    ),
    rows=(
        PublicationRow(
            title="Protein folding on a budget",
            authors="J Kowalski, M Nowak",
            venue="Bioinformatics 22 (8), 1024-1026",
            year=2006,
            citations=12,
            merged=True,
            cluster_ids=("6666666666666666666", "7777777777777777777"),
            scholar_pub_key="LgCy1234AAAJ:u5HHmVD_uO8C",
            position=21,
        ),
        PublicationRow(
            title="Łódź workshop notes",
            authors="J Kowalski",
            venue="Unpublished",
            year=None,
            citations=0,
            merged=False,
            cluster_ids=(),
            scholar_pub_key="LgCy1234AAAJ:u-x6o8ySG0sC",
            position=22,
        ),
        PublicationRow(
            title="Fast alignment of short reads",
            authors="M Nowak, J Kowalski, A Wiśniewska, ...",
            venue="BMC bioinformatics 10 (1), 279",
            year=2009,
            citations=7,
            merged=False,
            cluster_ids=("8888888888888888888",),
            scholar_pub_key="LgCy1234AAAJ:9yKSN-GCB0IC",
            position=23,
        ),
    ),
    cstart=20,  # "21-23" between "< Prev" (cstart=0) and "Next >" (cstart=40)
    more_enabled=True,  # the "Next >" link
    markup="legacy",
)

NO_ARTICLES = ProfilePage(
    header=ProfileHeader(
        scholar_id="N0pubsXYAAAJ",
        name="Maria Example",
        affiliation="Independent researcher",
        email_domain=None,  # "No verified email"
        homepage=None,
        interests=(),
        photo_url="https://scholar.google.com/citations/images/avatar_scholar_128.png",
        citations_all=0,
        citations_since=0,
        h_index_all=0,
        h_index_since=0,
        i10_all=0,
        i10_since=0,
        since_year=2021,
        cites_per_year={},
        coauthors=(),
    ),
    rows=(),
    cstart=0,
    more_enabled=False,
    markup="gsc",
)

LATIN1_ES = ProfilePage(
    header=ProfileHeader(
        scholar_id="Es1bAnEZAAAJ",
        name="José Ibáñez",
        affiliation="Catedrático, Universitat Politècnica de València",
        email_domain="upv.es",
        homepage="http://personales.upv.es/~jibanez",
        interests=("Procesado de señal", "Grafos"),
        photo_url=(
            "https://scholar.googleusercontent.com/citations?view_op=view_photo"
            "&user=Es1bAnEZAAAJ&citpid=4"
        ),
        citations_all=1367,  # "1.367" in the Spanish UI
        citations_since=1022,
        h_index_all=18,
        h_index_since=14,
        i10_all=25,
        i10_since=19,
        since_year=2017,
        cites_per_year={2021: 140, 2022: 90},
        coauthors=(),
    ),
    rows=(
        PublicationRow(
            title="Análisis de “redes” & grafos en señales multi‐canal",
            authors="J Ibáñez, M García",
            venue="Revista Iberoamericana de Automática 14 (2), 1–9",
            year=2017,
            citations=88,
            merged=False,
            cluster_ids=("9999999999999999999",),
            scholar_pub_key="Es1bAnEZAAAJ:Y0pCki6q_DkC",
            position=1,
        ),
        PublicationRow(
            title="Filtros 'adaptativos' para señales",
            authors="J Ibáñez",
            venue="Tesis doctoral",
            year=None,
            citations=0,
            merged=False,
            cluster_ids=(),
            scholar_pub_key="Es1bAnEZAAAJ:0EnyYjriUFMC",
            position=2,
        ),
    ),
    cstart=0,
    more_enabled=False,
    markup="gsc",
)

GOLDEN = {
    "profile_2026.html": PROFILE_2026,
    "profile_2026_page2.html": ProfilePage(
        header=PAGE2_HEADER, rows=page2_rows(101), cstart=100, more_enabled=False, markup="gsc"
    ),
    "profile_early_gsc_2014.html": EARLY_GSC,
    "profile_zhcn_2016.html": ZHCN_2016,
    "profile_legacy_2013.html": LEGACY_2013,
    "profile_no_articles_2026.html": NO_ARTICLES,
    "profile_latin1_es_2022.html": LATIN1_ES,
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_page(name: str) -> None:
    assert parse_profile_page(load(name)) == GOLDEN[name]


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_public_helpers_agree_with_parse_profile_page(name: str) -> None:
    selector = load(name)
    page = GOLDEN[name]
    assert parse_header(selector) == page.header
    assert parse_rows(selector, page.cstart) == page.rows
    assert parse_cites_per_year(selector) == page.header.cites_per_year
    assert infer_cstart(selector) == page.cstart
    assert detect_markup(selector) == page.markup
    check_error_banner(selector)  # the hidden banner of a normal page is not an error


# What Scholar's pt-PT interface (hl=pt-PT) changes on a profile page: labels only.
PT_PT_LABELS = [
    ("hl=en", "hl=pt-PT"),
    (">Sign in<", ">Iniciar sessão<"),
    (">Cited by<", ">Citado por<"),
    (">Citations<", ">Citações<"),
    (">All<", ">Total<"),
    (">Since 2021<", ">Desde 2021<"),
    (">h-index<", ">Índice h<"),
    (">i10-index<", ">Índice i10<"),
    (">Title<", ">Título<"),
    (">Year<", ">Ano<"),
    (">Co-authors<", ">Coautores<"),
    (">Homepage<", ">Página pessoal<"),
    (">Show more<", ">Mostrar mais<"),
    (">Articles 1–6<", ">Artigos 1–6<"),
    ("Verified email at ", "Email confirmado em "),
]


def test_pt_pt_interface_reads_like_english() -> None:
    text = fixture_bytes("profile_2026.html").decode("utf-8")
    for old, new in PT_PT_LABELS:
        assert old in text, f"{old!r} is not in profile_2026.html"
        text = text.replace(old, new)
    assert "Verified" not in text and "Show more" not in text
    assert parse_profile_page(selector_for(text.encode("utf-8"))) == PROFILE_2026


def test_explicit_cstart_overrides_the_page() -> None:
    page = parse_profile_page(load("profile_2026_page2.html"), cstart=200)
    assert page == ProfilePage(
        header=PAGE2_HEADER, rows=page2_rows(201), cstart=200, more_enabled=False, markup="gsc"
    )


def test_latin1_page_is_decoded_by_its_meta_charset() -> None:
    response = response_for(fixture_bytes("profile_latin1_es_2022.html"))
    # Scrapy maps ISO-8859-1 to its superset cp1252, as browsers do.
    assert response.encoding in {"cp1252", "iso8859-1", "latin-1"}
    assert parse_profile_page(response.selector) == LATIN1_ES


# ---------------------------------------------------------------------------------------------
# errors: blocks must never look like profiles


@pytest.mark.parametrize("name", ["signin_2026.html", "sorry_captcha.html"])
def test_block_pages_are_layout_unrecognised(name: str) -> None:
    with pytest.raises(ScholarPageError) as raised:
        parse_profile_page(load(name))
    assert raised.value.reason == "layout_unrecognised"
    assert raised.value.temporary is False


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n",
        b"<html><head><title>Hello</title></head><body><p>Just a page.</p></body></html>",
        (
            b'<HTML><HEAD><meta http-equiv="content-type" content="text/html;charset=utf-8">'
            b"<TITLE>302 Moved</TITLE></HEAD><BODY><H1>302 Moved</H1>The document has moved "
            b'<A HREF="https://accounts.google.com/Login?hl=en">here</A>.</BODY></HTML>'
        ),
        b'{"B": "<tr class=\\"gsc_a_tr\\"></tr>"}',
    ],
    ids=["empty", "blank", "random-html", "302-moved", "json"],
)
def test_non_profile_bodies_are_layout_unrecognised(body: bytes) -> None:
    with pytest.raises(ScholarPageError) as raised:
        parse_profile_page(selector_for(body))
    assert raised.value.reason == "layout_unrecognised"


def test_visible_error_banner_is_a_temporary_error() -> None:
    with pytest.raises(ScholarPageError) as raised:
        parse_profile_page(load("profile_error_banner_2026.html"))
    assert raised.value.reason == "scholar_error_banner"
    assert raised.value.temporary is True
    assert "can't perform the operation now" in raised.value.message


def test_banner_shown_by_2014_script_style_is_an_error() -> None:
    # 2014-2016 pages hide the banner inline; the script shows it with display:block.
    selector = edited(
        "profile_early_gsc_2014.html",
        '<div id="gsc_a_err" class="gs_alrt" style="display:none">',
        '<div id="gsc_a_err" class="gs_alrt" style="display: block;">',
    )
    with pytest.raises(ScholarPageError) as raised:
        parse_profile_page(selector)
    assert raised.value.reason == "scholar_error_banner"


def test_banner_shown_over_rows_is_still_an_error() -> None:
    selector = edited(
        "profile_2026.html",
        'id="gsc_a_err" class="gs_alrt"',
        'id="gsc_a_err" class="gs_alrt gs_vis"',
    )
    with pytest.raises(ScholarPageError) as raised:
        parse_rows(selector)
    assert raised.value.reason == "scholar_error_banner"


def test_visible_but_empty_banner_is_not_an_error() -> None:
    selector = edited(
        "profile_no_articles_2026.html",
        '<div id="gsc_a_err" class="gs_alrt">The system can&#39;t perform the operation now. '
        "Try again later.</div>",
        '<div id="gsc_a_err" class="gs_alrt gs_vis"></div>',
    )
    assert parse_profile_page(selector) == NO_ARTICLES


def test_empty_table_without_no_articles_row_is_layout_unrecognised() -> None:
    # What separates a real empty profile from a truncated or substituted page is Scholar's
    # own "There are no articles in this profile." row.
    selector = edited(
        "profile_no_articles_2026.html",
        '<tr class="gsc_a_tr"><td class="gsc_a_e" colspan="3">'
        "There are no articles in this profile.</td></tr>",
        "",
    )
    with pytest.raises(ScholarPageError) as raised:
        parse_profile_page(selector)
    assert raised.value.reason == "layout_unrecognised"


def test_profile_without_publication_table_is_layout_unrecognised() -> None:
    text = fixture_bytes("profile_no_articles_2026.html").decode("utf-8")
    text = re.sub(r'<table id="gsc_a_t">.*?</table>', "", text, flags=re.S)
    with pytest.raises(ScholarPageError) as raised:
        parse_profile_page(selector_for(text.encode("utf-8")))
    assert raised.value.reason == "layout_unrecognised"


@pytest.mark.parametrize("name", ["profile_2026.html", "profile_zhcn_2016.html"])
def test_page_cut_inside_the_publication_table_is_layout_unrecognised(name: str) -> None:
    body = fixture_bytes(name)
    second_row = body.index(b'class="gsc_a_tr"', body.index(b'class="gsc_a_tr"') + 1)
    cut = selector_for(body[:second_row])  # one whole row, then the page stops
    with pytest.raises(ScholarPageError) as raised:
        parse_profile_page(cut)
    assert raised.value.reason == "layout_unrecognised"
    assert "truncated" in raised.value.message


def test_profile_without_name_is_layout_unrecognised() -> None:
    selector = edited("profile_2026.html", '<div id="gsc_prf_in">Ana Núñez-Ødegård</div>', "")
    with pytest.raises(ScholarPageError) as raised:
        parse_profile_page(selector)
    assert raised.value.reason == "layout_unrecognised"


def test_row_without_title_link_is_layout_unrecognised() -> None:
    selector = edited("profile_2026.html", 'class="gsc_a_at">Notes on wave run-up</a>', ">x</a>")
    with pytest.raises(ScholarPageError, match="row 5"):
        parse_profile_page(selector)


# ---------------------------------------------------------------------------------------------
# citations per year: position, never order


def _bar_styles(text: str) -> list[str]:
    return re.findall(r'class="gsc_g_a" style="([^"]*)"', text)


def test_bars_are_placed_by_position_not_by_document_order() -> None:
    text = fixture_bytes("profile_2026.html").decode("utf-8")
    bars = re.findall(r'<a href="javascript:void\(0\)" class="gsc_g_a".*?</a>', text)
    assert len(bars) == 7
    shuffled = text.replace("".join(bars), "".join(reversed(bars)))
    assert shuffled != text
    selector = selector_for(shuffled.encode("utf-8"))
    assert parse_cites_per_year(selector) == PROFILE_2026.header.cites_per_year


def test_bars_without_offsets_fall_back_to_z_index() -> None:
    text = fixture_bytes("profile_2026.html").decode("utf-8")
    stripped = re.sub(r'(class="gsc_g_a" style=")right:\d+px;', r"\1", text)
    assert all("right:" not in style for style in _bar_styles(stripped))
    selector = selector_for(stripped.encode("utf-8"))
    assert parse_cites_per_year(selector) == PROFILE_2026.header.cites_per_year


def test_bars_without_z_index_use_offsets() -> None:
    text = fixture_bytes("profile_early_gsc_2014.html").decode("utf-8")
    stripped = re.sub(r";z-index:\d+", "", text)
    selector = selector_for(stripped.encode("utf-8"))
    assert parse_cites_per_year(selector) == EARLY_GSC.header.cites_per_year


def test_unplaceable_bar_is_ignored_not_guessed() -> None:
    text = fixture_bytes("profile_zhcn_2016.html").decode("utf-8")
    stripped = text.replace('style="left:40px;height:28px;z-index:2"', 'style="height:28px"')
    selector = selector_for(stripped.encode("utf-8"))
    assert parse_cites_per_year(selector) == {2014: 132, 2015: 0, 2016: 84}


# ---------------------------------------------------------------------------------------------
# header details across UI languages

NO_EMAIL = "No verified email"


@pytest.mark.parametrize(
    ("sentence", "domain"),
    [
        ("Verified email at ub.edu", "ub.edu"),
        ("Verified email at cs.Stanford.EDU - ", "cs.stanford.edu"),
        ("在 pku.edu.cn 的电子邮件经过验证", "pku.edu.cn"),
        ("在pku.edu.cn的电子邮件经过验证", "pku.edu.cn"),
        ("Dirección de correo verificada de upv.es", "upv.es"),
        ("Bestätigte E-Mail-Adresse bei uni-heidelberg.de", "uni-heidelberg.de"),
        ("Adresse e-mail validée de inria.fr", "inria.fr"),
        ("確認したメール アドレス: u-tokyo.ac.jp", "u-tokyo.ac.jp"),
        ("E-mail confirmado em usp.br", "usp.br"),
        ("Подтвержден адрес электронной почты в домене msu.ru", "msu.ru"),
        (NO_EMAIL, None),
        ("", None),
    ],
)
def test_verified_email_domain_in_any_language(sentence: str, domain: str | None) -> None:
    selector = edited(
        "profile_no_articles_2026.html",
        f'<div class="gsc_prf_il" id="gsc_prf_ivh">{NO_EMAIL}</div>',
        f'<div class="gsc_prf_il" id="gsc_prf_ivh">{sentence}</div>',
    )
    assert parse_header(selector).email_domain == domain


@pytest.mark.parametrize(
    "column",
    ["Since 2019", "2019 年至今", "Desde 2019", "Depuis 2019", "Seit 2019", "2019年以降"],
)
def test_since_year_in_any_language(column: str) -> None:
    selector = edited(
        "profile_no_articles_2026.html",
        '<th class="gsc_rsb_sth">Since 2021</th>',
        f'<th class="gsc_rsb_sth">{column}</th>',
    )
    assert parse_header(selector).since_year == 2019


def test_legacy_unknown_interests_are_none() -> None:
    text = fixture_bytes("profile_legacy_2013.html").decode("utf-8")
    text = re.sub(
        r'<span id="cit-int-read">.*?</span></form>',
        '<span id="cit-int-read"><span id="cit-int-display" class="cit-in-place-nohover">'
        "Unknown interests</span></span></form>",
        text,
        flags=re.S,
    )
    header = parse_header(selector_for(text.encode("utf-8")))
    assert header.interests == ()


def test_show_more_without_rows_is_not_more() -> None:
    selector = edited(
        "profile_no_articles_2026.html",
        '<button type="button" id="gsc_bpf_more" disabled="disabled"',
        '<button type="button" id="gsc_bpf_more"',
    )
    assert parse_profile_page(selector).more_enabled is False


def test_rendered_dom_title_link_with_data_href() -> None:
    # Browser-rendered pages (2020 Splash dumps) move the link to data-href.
    selector = edited(
        "profile_2026.html",
        '<a href="/citations?view_op=view_citation&amp;hl=en&amp;user=Fx7aQ2kAAAAJ'
        '&amp;citation_for_view=Fx7aQ2kAAAAJ:u5HHmVD_uO8C" class="gsc_a_at">',
        '<a href="javascript:void(0)" data-href="/citations?view_op=view_citation&amp;hl=en'
        '&amp;user=Fx7aQ2kAAAAJ&amp;citation_for_view=Fx7aQ2kAAAAJ:u5HHmVD_uO8C" class="gsc_a_at">',
    )
    assert parse_rows(selector)[0] == PROFILE_2026.rows[0]


# ---------------------------------------------------------------------------------------------
# text cleaning


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("\u200eTitle with marks\u200f", "Title with marks"),
        ("\u202aSenior .NET Web Developer\u202c", "Senior .NET Web Developer"),
        ("  many\n\t spaces\u00a0here ", "many spaces here"),
        ("\u2067عنوان\u2069 and ZWNJ می\u200cخواهم", "عنوان and ZWNJ می\u200cخواهم"),
        ("", ""),
        (None, ""),
    ],
)
def test_clean_text(raw: str | None, clean: str) -> None:
    assert clean_text(raw) == clean


# ---------------------------------------------------------------------------------------------
# found by fuzzing (tests/fuzz): small pages holding the input that escaped

# A minimal gsc profile page; {cites}, {style}, {range} and {canonical} are what the tests vary.
MINIMAL_GSC = (
    '<html><head><link rel="canonical" href="{canonical}"></head><body>'
    '<div id="gsc_prf_in">A Person</div>'
    '<div id="gsc_rsb_cit"><span class="gsc_g_t" style="right:8px">2020</span>'
    '<a class="gsc_g_a" style="{style}"><span class="gsc_g_al">3</span></a></div>'
    '<span id="gsc_a_nn">{range}</span>'
    '<table id="gsc_a_t"><tbody id="gsc_a_b"><tr class="gsc_a_tr">'
    '<td class="gsc_a_t"><a class="gsc_a_at" href="/citations?citation_for_view=AAAAAAAAAAAA:k">'
    'T</a></td><td class="gsc_a_c"><a class="gsc_a_ac" href="?cites=1">{cites}</a></td>'
    '</tr></tbody></table><button id="gsc_bpf_more">More</button></body></html>'
)
HUGE = "9" * 5000  # past int()'s 4300-digit limit, which raised ValueError out of the parser


def minimal_gsc(**values: str) -> Selector:
    fields = {"canonical": "", "style": "right:13px", "range": "Articles 1-1", "cites": "4"}
    return selector_for(MINIMAL_GSC.format(**{**fields, **values}).encode("utf-8"))


def test_the_minimal_page_parses() -> None:
    page = parse_profile_page(minimal_gsc())
    assert [(r.title, r.citations) for r in page.rows] == [("T", 4)]
    assert page.header.cites_per_year == {2020: 3}


@pytest.mark.parametrize("cites", [HUGE, "2147483648", "99999999999"])
def test_a_count_beyond_what_the_store_holds_reads_as_no_number(cites: str) -> None:
    page = parse_profile_page(minimal_gsc(cites=cites))
    assert page.rows[0].citations == 0


def test_a_count_up_to_what_the_store_holds_is_read() -> None:
    page = parse_profile_page(minimal_gsc(cites="2147483647"))
    assert page.rows[0].citations == 2147483647


def test_a_giant_z_index_on_a_chart_bar_is_no_position() -> None:
    page = parse_profile_page(minimal_gsc(style=f"z-index:{HUGE}"))
    assert page.header.cites_per_year == {2020: 0}


def test_giant_numbers_in_the_range_text_and_canonical_url_are_no_cstart() -> None:
    selector = minimal_gsc(range=f"Articles {HUGE}-{HUGE}", canonical=f"?cstart={HUGE}")
    assert infer_cstart(selector) == 0
    assert parse_profile_page(selector).rows[0].position == 1


def test_a_giant_cstart_in_a_legacy_pager_link_is_no_next_page() -> None:
    html = (
        '<span id="cit-name-display">A Person</span><table class="cit-table">'
        '<tr class="cit-table item"><td id="col-title"><a href="?citation_for_view=A:k">T</a></td>'
        f'</tr></table><a href="/citations?user=AAAAAAAAAAAA&cstart={HUGE}">Next</a>'
    )
    page = parse_profile_page(selector_for(html.encode("utf-8")))
    assert page.more_enabled is False


def test_a_legacy_page_without_publication_rows_is_layout_unrecognised() -> None:
    # The legacy markup has no "no articles" marker: a page whose rows are gone (cut, renamed)
    # came back as a profile with zero publications.
    html = (
        '<span id="cit-name-display">A Person</span>'
        '<table class="cit-table"><tr class="cit-table header"><td>Title</td></tr></table>'
    )
    with pytest.raises(ScholarPageError) as raised:
        parse_profile_page(selector_for(html.encode("utf-8")))
    assert raised.value.reason == "layout_unrecognised"
