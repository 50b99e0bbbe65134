"""Detail pages and full co-author lists of the replay corpus: their markup against the real
detail page's, and round trips through the project's parsers back to the ground truth."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from parsel import Selector, SelectorList

from scholarcrawl.replay.generator import (
    DEMO_SPEC,
    Corpus,
    CorpusSpec,
    GeneratedProfile,
    render_profile_page,
    visible_text,
)
from scholarcrawl.replay.templates import (
    detail_chart_geometry,
    render_colleagues_html,
    render_detail_html,
)
from scholarcrawl.scholar.colleagues import parse_colleagues_page
from scholarcrawl.scholar.detail import parse_detail_page
from scholarcrawl.scholar.model import PublicationDetail, ScholarPageError
from scholarcrawl.scholar.parser import parse_profile_page

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
REAL_DETAIL = (
    SHARED
    / "scholar-pages"
    / "detail"
    / "detail_SbUmSEAAAAAJ-HoB7MX3m0LUC_2024_ide_reformatted.html"
)
needs_shared = pytest.mark.skipif(not REAL_DETAIL.exists(), reason="../shared is not present")


@pytest.fixture(scope="module")
def demo() -> Corpus:
    return Corpus(DEMO_SPEC)


@pytest.fixture(scope="module")
def big(demo: Corpus) -> GeneratedProfile:
    return demo.profile_at(0)


def _key(profile: GeneratedProfile, pred: Callable[[PublicationDetail], object] = bool) -> str:
    """The key of the profile's first row whose detail satisfies ``pred``."""
    for row in profile.publications:
        detail = profile.detail(row.scholar_pub_key or "")
        if detail is not None and pred(detail):
            return row.scholar_pub_key or ""
    raise AssertionError("no such row")


def _sel(html: str) -> Selector:
    return Selector(text=html)


def _real() -> Selector:
    return _sel(REAL_DETAIL.read_text(encoding="utf-8", errors="replace"))


def _fields(sel: Selector) -> dict[str, Selector]:
    out = {}
    for row in sel.css("#gsc_oci_table > div.gs_scl"):
        label = visible_text(row.css("div.gsc_oci_field").xpath("string()").get() or "")
        out[label] = row.css("div.gsc_oci_value")[0]
    return out


def _text(sel: Selector | SelectorList[Selector]) -> str:
    return visible_text(sel.xpath("string()").get() or "")


# ------------------------------------------------------------------ detail page markup


@needs_shared
def test_detail_structure_matches_the_real_page(big: GeneratedProfile) -> None:
    real = _real()
    key = _key(big, lambda d: d.fulltext_url and d.title_url and d.description and d.issue)
    ours = _sel(render_detail_html(big, key))
    # every id of the real page, but the navigation drawer and its menus (no data)
    omitted = re.compile(r"^(gs_hdr_drw|gs_md_cita-b-save)")
    real_ids = {i for i in real.xpath("//@id").getall() if not omitted.match(i)}
    assert real_ids - set(ours.xpath("//@id").getall()) == set()
    for css in [
        "html > head > title",
        'head > meta[name="description"]',
        "#gs_hdr > a#gs_hdr_bck",
        "#gs_bdy_sb #gsc_sb_ui img",
        "#gs_bdy_ccl > #gsc_vcpb[data-edit-link] > form#gsc_vcpb_btns > input[name=s]",
        "#gsc_vcpb > #gsc_oci_title_wrapper > #gsc_oci_title_gg > div.gsc_oci_title_ggi > a"
        " > span.gsc_vcd_title_ggt",
        "#gsc_oci_title_wrapper > #gsc_oci_title > a.gsc_oci_title_link[data-clk]",
        "#gsc_vcpb > #gsc_oci_table > div.gs_scl > div.gsc_oci_field + div.gsc_oci_value",
        "div.gsc_oci_value#gsc_oci_descr > div.gsh_small",
        "div.gsc_oci_value > div#gsc_oci_graph_wrapper > #gsc_oci_graph > #gsc_oci_graph_x"
        " + #gsc_oci_graph_bars > span.gsc_oci_g_t",
        "#gsc_oci_graph_bars > a.gsc_oci_g_a > span.gsc_oci_g_al",
        "div.gsc_oci_value > div.gsc_oci_merged_snippet > div > a.gsc_oms_link",
        "#gs_md_err",
    ]:
        assert real.css(css), css
        assert ours.css(css), css
    for sel in (real, ours):
        assert sel.css("title::text").get() == "View article"
        key_input = sel.css("form#gsc_vcpb_btns input[name=s]").attrib["value"]
        assert re.fullmatch(r"[\w-]{12}:[\w-]{12}", key_input)
        assert "citation_for_view=" + key_input in sel.css("#gsc_vcpb").attrib["data-edit-link"]
        fields = _fields(sel)
        assert list(fields)[:2] == ["Authors", "Publication date"]
        assert list(fields)[-2:] == ["Total citations", "Scholar articles"]
        cited = fields["Total citations"].css("a")[0]
        assert re.fullmatch(
            r"https://scholar\.google\.com/scholar\?oi=bibs&hl=en(&oe=ASCII)?&cites=[\d,]+&as_sdt=5",
            cited.attrib["href"],
        )
        assert re.fullmatch(r"Cited by \d+", _text(cited))
        for bar in sel.css("a.gsc_oci_g_a"):
            assert re.search(r"&as_sdt=5&as_ylo=(\d{4})&as_yhi=\1$", bar.attrib["href"])
            assert re.fullmatch(
                r"left:\d+px;height:\d+px;top:\d+px;z-index:\d+", bar.attrib["style"]
            )
        link = sel.css("div.gsc_oci_title_ggi a")
        assert re.fullmatch(r"\[(PDF|HTML)\] from [\w.-]+", _text(link))
        description = sel.css('meta[name="description"]').attrib["content"]
        assert re.fullmatch(r"[^,]+(, [^,]+)+, \d{4} - Cited by \d+", description)


def _number(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    assert found is not None, (pattern, text)
    return int(found[1])


def _real_bars(sel: Selector) -> tuple[dict[int, int], list[tuple[int, int, int, int]], int]:
    years = [int(y) for y in sel.css("span.gsc_oci_g_t::text").getall()]
    counts = dict.fromkeys(years, 0)
    bars = []
    for bar in sel.css("a.gsc_oci_g_a"):
        year = _number(r"as_ylo=(\d{4})", bar.attrib["href"])
        counts[year] = int(bar.css("span.gsc_oci_g_al::text").get() or 0)
        m = re.fullmatch(
            r"left:(\d+)px;height:(\d+)px;top:(\d+)px;z-index:(\d+)", bar.attrib["style"]
        )
        assert m is not None
        bars.append((int(m[1]), int(m[2]), int(m[3]), int(m[4])))
    width = _number(r"width:(\d+)px", sel.css("#gsc_oci_graph").attrib["style"])
    return counts, bars, width


@needs_shared
def test_detail_chart_matches_the_real_page_pixel_for_pixel() -> None:
    real = _real()
    counts, real_bars, real_width = _real_bars(real)
    labels, bars, width = detail_chart_geometry(counts)
    assert [(left, h, 57 - h, z) for _, _, left, h, z in bars] == real_bars
    real_labels = [
        (int(s.css("::text").get() or 0), _number(r"left:(\d+)px", s.attrib["style"]))
        for s in real.css("span.gsc_oci_g_t")
    ]
    assert labels == real_labels
    assert width == real_width


def test_detail_chart_leaves_years_without_citations_barless(big: GeneratedProfile) -> None:
    key = _key(big, lambda d: 0 in list(d.cites_per_year.values())[:-1])
    detail = big.detail(key)
    assert detail is not None
    sel = _sel(render_detail_html(big, key))
    counts, bars, _ = _real_bars(sel)  # read as the real page is read
    assert counts == detail.cites_per_year
    assert len(bars) == sum(1 for c in detail.cites_per_year.values() if c)
    assert len(sel.css("span.gsc_oci_g_t")) == len(detail.cites_per_year)
    zs = sorted(z for *_, z in bars)
    assert zs != list(range(1, len(zs) + 1))  # the missing bar leaves a gap in z-index
    assert detail_chart_geometry({}) == ([], [], 0)


def test_detail_page_shows_the_ground_truth(big: GeneratedProfile) -> None:
    """Read with plain selectors, independently of the project's parser."""
    for row in big.publications[:60]:
        key = row.scholar_pub_key or ""
        d = big.detail(key)
        assert d is not None
        sel = _sel(render_detail_html(big, key))
        fields = _fields(sel)
        assert _text(sel.css("#gsc_oci_title")) == d.title
        assert sel.css("a.gsc_oci_title_link::attr(href)").get() == d.title_url
        assert _text(fields.pop("Authors")) == ", ".join(d.authors)
        shown = {
            "Publication date": d.publication_date,
            "Journal": d.journal,
            "Conference": d.conference,
            "Book": d.book,
            "Source": d.source,
            "Volume": d.volume,
            "Issue": d.issue,
            "Pages": d.pages,
            "Publisher": d.publisher,
        }
        for label, value in shown.items():
            assert (_text(fields.pop(label)) if label in fields else None) == value, label
        descr = fields.pop("Description", None)
        assert (_text(descr) if descr is not None else None) == d.description
        total = fields.pop("Total citations", None)
        if d.citations is None:
            assert total is None and not sel.css("#gsc_oci_graph")
        else:
            assert total is not None
            assert _text(total.css("a")[0]) == f"Cited by {d.citations}"
            assert f"cites={','.join(d.cluster_ids)}&" in total.css("a")[0].attrib["href"]
        versions = fields.pop("Scholar articles", None)
        assert len(versions.css(".gsc_oci_merged_snippet") if versions else []) == len(
            d.cluster_ids
        )
        assert fields == {}  # no other field
        gg = sel.css("#gsc_oci_title_gg a")
        assert (gg.attrib.get("href") if gg else None) == d.fulltext_url
        if d.fulltext_kind:
            assert _text(gg).startswith(f"[{d.fulltext_kind.upper()}] from ")


def test_detail_page_escapes_what_it_shows(big: GeneratedProfile) -> None:
    key = _key(big, lambda d: d.description and "<" in d.description and "&" in d.description)
    html = render_detail_html(big, key)
    assert "p &lt; 0.05" in html and "settings &amp; conditions" in html
    special = _key(big, lambda d: set("<>&\"'") & set(d.title))
    page = render_detail_html(big, special)
    detail = big.detail(special)
    assert detail is not None
    assert _text(_sel(page).css("#gsc_oci_title")) == detail.title
    assert "<research>" not in page.lower()
    books = _key(big, lambda d: d.title_url and "books.google.com" in d.title_url)
    assert "books?hl=en&amp;lr=&amp;id=" in render_detail_html(big, books)


def test_detail_of_an_uncited_paper_has_no_citations_block(big: GeneratedProfile) -> None:
    key = _key(big, lambda d: d.citations is None)
    sel = _sel(render_detail_html(big, key))
    assert "Total citations" not in _fields(sel) and "Scholar articles" not in _fields(sel)
    assert " - Cited by" not in sel.css('meta[name="description"]').attrib["content"]


def test_render_detail_refuses_a_key_of_another_profile(demo: Corpus) -> None:
    other = demo.profile_at(1).publications[0].scholar_pub_key or ""
    with pytest.raises(KeyError):
        render_detail_html(demo.profile_at(0), other)


# ------------------------------------------------------------------ co-author list markup


def test_colleagues_page_markup(big: GeneratedProfile) -> None:
    sel = _sel(render_colleagues_html(big))
    entries = sel.xpath('//div[@id="gsc_codb_content"]/div')
    assert len(entries) == len(big.all_coauthors) > 20
    for entry, co in zip(entries, big.all_coauthors, strict=True):
        # what the public scrapers read (scholarly, Selenium scrapers of "View all")
        assert entry.attrib["class"] == "gsc_ucoar gs_scl"
        assert entry.attrib["id"] == f"gsc_ucoar-{co.scholar_id}"
        card = entry.xpath('./div[@class="gs_ai gs_scl"]')
        assert card
        assert card.xpath("./a[@class='gs_ai_pho']/span/img/@alt").get() == co.name
        assert card.css("a::attr(href)").get() == f"/citations?user={co.scholar_id}&hl=en"
        text = card.xpath('./div[@class="gs_ai_t gs_ai_pss"]')
        assert text.xpath("./h3[@class='gs_ai_name']/a/text()").get() == co.name
        assert _text(text.css("div.gs_ai_aff")) == (co.affiliation or "")
        assert text.css("div.gs_ai_eml")


def test_colleagues_page_of_a_profile_without_coauthors() -> None:
    corpus = Corpus(CorpusSpec(seed=11, sizes=(5, 5, 5)))
    lonely = next(p for p in map(corpus.profile_at, range(3)) if not p.all_coauthors)
    sel = _sel(render_colleagues_html(lonely))
    assert sel.css("#gsc_codb_content") and not sel.css("#gsc_codb_content *")
    assert parse_colleagues_page(sel) == ()


def test_profile_sidebar_has_view_all_only_when_it_hides_coauthors(demo: Corpus) -> None:
    for profile in (demo.profile_at(i) for i in range(3)):
        sel = _sel(render_profile_page(profile))
        button = sel.css("#gsc_rsb_co h3.gsc_rsb_header button#gsc_coauth_opn")
        assert bool(button) == profile.more_coauthors
        # the sidebar itself still lists the first 20 and parses as before
        page = parse_profile_page(sel, cstart=0)
        assert page.header.coauthors == profile.header.coauthors
    assert any(demo.profile_at(i).more_coauthors for i in range(3))
    assert not all(demo.profile_at(i).more_coauthors for i in range(3))


# ------------------------------------------------------------------ round trips through the parsers


ROUND_TRIP_SPECS = [DEMO_SPEC, CorpusSpec(seed=11, sizes=(250, 40, 12), shared_per_pair=1)]


@pytest.mark.parametrize("spec", ROUND_TRIP_SPECS, ids=["demo", "seed11"])
def test_every_detail_page_parses_back_to_the_ground_truth(spec: CorpusSpec) -> None:
    corpus = Corpus(spec)
    for profile in (corpus.profile_at(i) for i in range(len(corpus))):
        for row in profile.publications:
            key = row.scholar_pub_key or ""
            parsed = parse_detail_page(_sel(render_detail_html(profile, key)))
            assert parsed == profile.detail(key), key


@pytest.mark.parametrize("spec", ROUND_TRIP_SPECS, ids=["demo", "seed11"])
def test_every_colleagues_page_parses_back_to_the_ground_truth(spec: CorpusSpec) -> None:
    corpus = Corpus(spec)
    for profile in (corpus.profile_at(i) for i in range(len(corpus))):
        assert parse_colleagues_page(_sel(render_colleagues_html(profile))) == profile.colleagues


def test_pages_of_the_other_kind_never_parse_as_these(big: GeneratedProfile) -> None:
    profile_page = _sel(render_profile_page(big))
    detail_page = _sel(render_detail_html(big, _key(big)))
    colleagues_page = _sel(render_colleagues_html(big))
    for parse, page in (
        (parse_detail_page, profile_page),
        (parse_detail_page, colleagues_page),
        (parse_colleagues_page, profile_page),
        (parse_colleagues_page, detail_page),
    ):
        with pytest.raises(ScholarPageError) as raised:
            parse(page)
        assert raised.value.reason == "layout_unrecognised"
