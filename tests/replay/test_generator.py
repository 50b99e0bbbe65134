"""The synthetic corpus and its 2026-faithful profile pages."""

from __future__ import annotations

import hashlib
import math
import re
import time
from dataclasses import replace
from pathlib import Path

import pytest
from parsel import Selector

from scholarcrawl.replay.generator import (
    DEMO_IDS,
    DEMO_SPEC,
    MAX_PAGESIZE,
    Corpus,
    CorpusSpec,
    GeneratedProfile,
    render_profile_page,
)
from scholarcrawl.replay.templates import NO_ARTICLES_TEXT, chart_geometry, escape
from scholarcrawl.scholar.model import PublicationDetail
from scholarcrawl.scholar.parser import parse_profile_page

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
REAL = SHARED / "scholar-pages" / "profiles"
REAL_2026 = REAL / "profile_RxmmtT8AAAAJ_cstart0_2026.html"
needs_shared = pytest.mark.skipif(not REAL_2026.exists(), reason="../shared is not present")

ID_RE = re.compile(r"^[A-Za-z0-9_-]{7}AAAAJ$")


@pytest.fixture(scope="module")
def demo() -> Corpus:
    return Corpus(DEMO_SPEC)


@pytest.fixture(scope="module")
def big(demo: Corpus) -> GeneratedProfile:
    profile = demo.profile(DEMO_IDS[0])
    assert profile is not None
    return profile


def _sel(html: str) -> Selector:
    return Selector(text=html)


def _real(name: str) -> str:
    return (REAL / name).read_text(encoding="utf-8", errors="replace")


# ------------------------------------------------------------------ corpus


def test_demo_spec_and_ids() -> None:
    assert DEMO_SPEC.sizes == (250, 60, 35)
    assert tuple(Corpus(DEMO_SPEC).ids) == DEMO_IDS
    assert len(set(DEMO_IDS)) == 3
    assert all(ID_RE.match(i) for i in DEMO_IDS)


def test_same_seed_same_pages_other_seed_other_pages() -> None:
    spec = CorpusSpec(seed=7, sizes=(40, 25, 12))
    a, b = Corpus(spec), Corpus(spec)
    assert a.ids == b.ids
    for sid in a.ids:
        pa, pb = a.profile(sid), b.profile(sid)
        assert pa is not None and pb is not None
        assert pa.header == pb.header and pa.publications == pb.publications
        for sort in (None, "pubdate"):
            assert render_profile_page(pa, 0, 100, sort) == render_profile_page(pb, 0, 100, sort)
    other = Corpus(CorpusSpec(seed=8, sizes=(40, 25, 12)))
    assert set(other.ids).isdisjoint(a.ids)
    po, pa0 = other.profile_at(0), a.profile_at(0)
    assert [r.title for r in po.publications] != [r.title for r in pa0.publications]


def test_profile_sizes_and_unknown_id(demo: Corpus) -> None:
    for sid, size in zip(demo.ids, DEMO_SPEC.sizes, strict=True):
        profile = demo.profile(sid)
        assert profile is not None and len(profile.publications) == size
        assert [r.position for r in profile.publications] == list(range(1, size + 1))
    assert demo.profile("AAAAAAAAAAAA") is None


def test_large_corpora_are_lazy_and_cached() -> None:
    started = time.perf_counter()
    corpus = Corpus(CorpusSpec.uniform(2000, 300, seed=3), cache_size=4)
    assert len(corpus.ids) == len(set(corpus.ids)) == 2000
    assert time.perf_counter() - started < 1.0  # ids only: no profile generated
    first = corpus.profile_at(1999)
    assert len(first.publications) == 300
    assert corpus.profile_at(1999) is first  # memoised
    for i in range(5):
        corpus.profile_at(i)
    again = corpus.profile_at(1999)  # evicted, regenerated identically
    assert again is not first and again.publications == first.publications


def test_uniform_spec() -> None:
    spec = CorpusSpec.uniform(4, 7, seed=5, shared_per_pair=2)
    assert spec.sizes == (7, 7, 7, 7) and spec.seed == 5
    assert [spec.pair_count(k) for k in range(-1, 4)] == [0, 2, 2, 2, 0]
    with pytest.raises(ValueError):
        CorpusSpec(sizes=(-1,))


def test_shared_papers_appear_in_both_neighbours(demo: Corpus) -> None:
    for k in range(len(demo.ids) - 1):
        clusters = demo.shared_cluster_ids(k)
        assert len(clusters) == DEMO_SPEC.pair_count(k) == 2
        left, right = demo.profile_at(k), demo.profile_at(k + 1)
        for cid in clusters:
            (a,) = [r for r in left.publications if cid in r.cluster_ids]
            (b,) = [r for r in right.publications if cid in r.cluster_ids]
            assert (a.title, a.year, a.authors, a.venue, a.citations, a.cluster_ids) == (
                b.title,
                b.year,
                b.authors,
                b.venue,
                b.citations,
                b.cluster_ids,
            )
            assert a.scholar_pub_key != b.scholar_pub_key
            assert a.scholar_pub_key and a.scholar_pub_key.startswith(left.scholar_id + ":")
    # profile 0 and profile 2 are not neighbours: nothing in common
    c0 = {c for r in demo.profile_at(0).publications for c in r.cluster_ids}
    c2 = {c for r in demo.profile_at(2).publications for c in r.cluster_ids}
    assert not c0 & c2


def test_keys_and_cluster_ids_look_like_scholars(big: GeneratedProfile, demo: Corpus) -> None:
    keys = [r.scholar_pub_key or "" for r in big.publications]
    assert len(set(keys)) == len(keys)
    assert all(re.fullmatch(re.escape(big.scholar_id) + r":[A-Za-z0-9_-]{11}C", k) for k in keys)
    # Scholar hands the same key suffixes to every profile
    suffixes = {k.split(":")[1] for k in keys}
    small = demo.profile_at(2)
    assert {(r.scholar_pub_key or "").split(":")[1] for r in small.publications} <= suffixes
    clusters = [c for r in big.publications for c in r.cluster_ids]
    assert all(re.fullmatch(r"\d{18,20}", c) for c in clusters)


def test_header_is_consistent_with_publications(demo: Corpus) -> None:
    for profile in (demo.profile_at(i) for i in range(3)):
        h = profile.header
        cites = sorted((r.citations for r in profile.publications), reverse=True)
        assert h.citations_all == sum(cites) == sum(h.cites_per_year.values())
        assert h.h_index_all == max([i + 1 for i, c in enumerate(cites) if c >= i + 1] or [0])
        assert h.i10_all == sum(1 for c in cites if c >= 10)
        assert h.since_year == 2021
        assert h.citations_since == sum(c for y, c in h.cites_per_year.items() if y >= 2021)
        assert (h.h_index_since or 0) <= (h.h_index_all or 0)
        years = sorted(h.cites_per_year)
        assert years == list(range(years[0], 2027))
        assert h.cites_per_year[years[0]] > 0
        assert h.email_domain and h.photo_url and h.interests and h.name
        assert len(h.coauthors) <= 20
    big = demo.profile_at(0).header
    assert len(big.coauthors) == 20
    assert [c.scholar_id for c in big.coauthors[:1]] == [DEMO_IDS[1]]
    assert big.coauthors[0].name == demo.profile_at(1).header.name
    # some years inside the span have no citations (no bar on the page)
    inner = list(big.cites_per_year.values())[1:-1]
    assert 0 in inner


def test_variety_in_a_large_profile(big: GeneratedProfile) -> None:
    rows = big.publications
    titles = [r.title for r in rows]
    assert any(re.search(r"[À-ɏ]", t) for t in titles)  # accents
    assert any(re.search(r"[\u4e00-\u9fff]", t) for t in titles)  # Chinese
    assert any(re.search(r"[\u0600-\u06ff]", t) for t in titles)  # Arabic
    assert any(re.search(r"[\u0400-\u04ff]", t) for t in titles)  # Cyrillic
    assert any(set("&<>\"'") & set(t) for t in titles)
    assert any(r.year is None and r.venue for r in rows)
    assert any(r.year is None and not r.venue for r in rows)
    assert any(r.citations == 0 and r.cluster_ids == () for r in rows)
    merged = [r for r in rows if r.merged]
    assert merged and all(len(r.cluster_ids) >= 2 for r in merged)
    styles = {big.markup[r.scholar_pub_key or ""].merge_style for r in merged}
    assert styles == {"acm", "star"}
    assert any((r.authors or "").endswith(", ...") for r in rows)
    assert any((r.venue or "").endswith(" …") for r in rows)
    assert len(set(titles)) == len(titles)


# ------------------------------------------------------------------ paging and sorting


@pytest.mark.parametrize("pagesize", [20, 100, 7])
def test_paging_covers_every_row_once(demo: Corpus, pagesize: int) -> None:
    for profile in (demo.profile_at(i) for i in range(3)):
        n = len(profile.publications)
        seen: list[str] = []
        cstart, pages = 0, 0
        while True:
            sel = _sel(render_profile_page(profile, cstart, pagesize))
            keys = [
                h.split("citation_for_view=")[1]
                for h in sel.css("tr.gsc_a_tr a.gsc_a_at::attr(href)").getall()
            ]
            seen += keys
            pages += 1
            end = cstart + len(keys)
            assert sel.css("#gsc_a_nn::text").get() == f"Articles {cstart + 1}–{end}"
            more = sel.css("#gsc_bpf_more").attrib.get("disabled") is None
            assert more == (end < n)
            if not more:
                break
            cstart += pagesize
        assert seen == [r.scholar_pub_key for r in profile.publications]
        assert pages == math.ceil(n / pagesize)


def test_pagesize_is_capped_and_carried_in_links(big: GeneratedProfile) -> None:
    sel = _sel(render_profile_page(big, 0, 999))
    links = sel.css("a.gsc_a_at::attr(href)").getall()
    assert len(links) == MAX_PAGESIZE
    assert all("&pagesize=100&citation_for_view=" in h for h in links)
    sel = _sel(render_profile_page(big, 100, 100, "pubdate"))
    href = sel.css("a.gsc_a_at::attr(href)").get() or ""
    expected = f"user={big.scholar_id}&sortby=pubdate&cstart=100&pagesize=100&citation_for_view="
    assert expected in href
    default = _sel(render_profile_page(big)).css("a.gsc_a_at::attr(href)").getall()
    assert len(default) == 20 and "pagesize" not in default[0] and "cstart" not in default[0]


def test_past_the_end_and_empty_profiles() -> None:
    corpus = Corpus(CorpusSpec(seed=4, sizes=(30, 0)))
    full, empty = corpus.profile_at(0), corpus.profile_at(1)
    for profile, cstart in ((full, 100), (full, 30), (empty, 0)):
        sel = _sel(render_profile_page(profile, cstart, 100))
        assert sel.css("a.gsc_a_at").getall() == []
        assert sel.css("tbody#gsc_a_b > tr.gsc_a_tr > td.gsc_a_e::text").get() == NO_ARTICLES_TEXT
        assert sel.css("#gsc_bpf_more").attrib.get("disabled") is not None
        assert sel.css("#gsc_a_nn::text").get() is None
        assert sel.css("#gsc_prf_in::text").get() == profile.header.name
    h = empty.header
    assert (h.citations_all, h.h_index_all, h.i10_all, h.cites_per_year) == (0, 0, 0, {})
    assert "gsc_g_hist_wrp" not in render_profile_page(empty)


def test_sort_by_pubdate_and_title(big: GeneratedProfile) -> None:
    rows = big.sorted_publications("pubdate")
    years = [r.year for r in rows]
    dated = [y for y in years if y is not None]
    assert dated == sorted(dated, reverse=True)
    assert years[len(dated) :] == [None] * (len(years) - len(dated))
    assert [r.position for r in rows] == list(range(1, len(rows) + 1))
    assert {r.scholar_pub_key for r in rows} == {r.scholar_pub_key for r in big.publications}
    sel = _sel(render_profile_page(big, 0, 100, "pubdate"))
    shown = [int(y) if y else None for y in sel.css("td.gsc_a_y span").xpath("string()").getall()]
    assert shown == years[:100]
    assert sel.css("a.gsc_dd_sort-sel::text").get() == "Sort by year"
    titles = [r.title.casefold() for r in big.sorted_publications("title")]
    assert titles == sorted(titles)
    default = [r.citations for r in big.publications]
    assert default == sorted(default, reverse=True)


# ------------------------------------------------------------------ markup


def test_rows_markup_escaping_and_markers(big: GeneratedProfile) -> None:
    html = render_profile_page(big, 0, 100) + "".join(
        render_profile_page(big, c, 100) for c in (100, 200)
    )
    special = next(r for r in big.publications if set("&<>") & set(r.title))
    assert escape(special.title) in html
    assert "<research>" not in html.lower()  # an affiliation with "<Research>" is escaped
    assert "\u200e(BERT-" in html  # the left-to-right mark stays in the raw page
    assert "\u00a0…" in html  # a venue line cut by Scholar
    assert '<span class="gs_oph">, 0</span>' in html  # a row without year, with venue
    assert '<a href="" class="gsc_a_ac gs_ibl"></a>' in html  # no citations
    assert re.search(r'class="gsc_a_ac gs_ibl gsc_a_acm" data-eid="[^"]+" data-eud="[^"]+"', html)
    assert re.search(r'<span class="gsc_a_m"><a href="javascript:void\(0\)" class="gsc_a_am"', html)
    assert re.search(r"cites=\d+,\d+", html)
    assert "<i>" in html
    assert '<span class="gsc_a_h gsc_a_hc gs_ibl"></span>' in html


def test_pages_parse_back_to_the_ground_truth(demo: Corpus) -> None:
    for profile in (demo.profile_at(i) for i in range(3)):
        for sortby in (None, "pubdate"):
            for cstart in range(0, len(profile.publications), 100):
                html = render_profile_page(profile, cstart, 100, sortby)
                page = parse_profile_page(_sel(html), cstart=cstart)
                assert page == profile.expected_page(cstart, 100, sortby)


def test_chart_geometry_places_bars_by_position(big: GeneratedProfile) -> None:
    cpy = big.header.cites_per_year
    labels, bars, axis_max, _ = chart_geometry(cpy)
    n = len(cpy)
    assert [y for y, _ in labels] == sorted(cpy)
    assert [y for y, *_ in bars] == [y for y in sorted(cpy) if cpy[y]]
    for year, count, right, height, z in bars:
        slot = 2026 - year
        assert (right, z) == (8 + 32 * slot, slot + 1)
        assert height == count * 160 // axis_max
    assert len(bars) < n  # zero years have no bar
    html = render_profile_page(big)
    assert html.count('class="gsc_g_a"') == len(bars)
    assert html.count('class="gsc_g_t"') == n


# ------------------------------------------------------------------ against real 2026 pages


def _real_chart(html: str) -> tuple[dict[int, int], list[tuple[int, int, int, int]]]:
    sel = _sel(html)
    spans = sel.css(".gsc_md_hist_b span.gsc_g_t")
    years = [int(s.css("::text").get() or 0) for s in spans]
    bars = []
    for a in sel.css(".gsc_md_hist_b a.gsc_g_a"):
        m = re.fullmatch(
            r"right:(\d+)px;top:(\d+)px;height:(\d+)px;z-index:(\d+)", a.attrib["style"]
        )
        assert m, a.attrib["style"]
        bars.append((int(m[1]), int(m[2]), int(m[3]), int(m[4])))
    counts = dict.fromkeys(years, 0)
    for a, (_, _, _, z) in zip(sel.css(".gsc_md_hist_b a.gsc_g_a"), bars, strict=True):
        counts[years[-z]] = int(a.css("span.gsc_g_al::text").get() or 0)
    return counts, bars


@needs_shared
@pytest.mark.parametrize(
    "name",
    [
        "profile_RxmmtT8AAAAJ_cstart0_2026.html",
        "profile_amIMrIEAAAAJ_cstart0_2026.html",
        "profile_P1RwlvoAAAAJ_cstart0_2026_5rows.html",
        "profile_cIn8pGEAAAAJ_pagesize999.html",
        "profile_ngT8wRgAAAAJ_2020_splash_rendered_showmore.html",
    ],
)
def test_chart_matches_real_pages_pixel_for_pixel(name: str) -> None:
    html = _real(name)
    counts, real_bars = _real_chart(html)
    labels, bars, axis_max, div = chart_geometry(counts)
    assert [(r, 160 - h, h, z) for _, _, r, h, z in bars] == real_bars
    real_labels = re.findall(r'class="gsc_g_t" style="right:(\d+)px">(\d{4})<', html)
    assert [(int(r), int(y)) for r, y in real_labels] == [(r, y) for y, r in labels]
    ticks = re.findall(r'class="gsc_g_xtl" style="top:(-?\d+)px;">(\d+)<', html)
    assert max(int(v) for _, v in ticks) == axis_max and len(ticks) == div + 1


@needs_shared
def test_structure_matches_the_real_2026_page(big: GeneratedProfile) -> None:
    real = _sel(_real("profile_RxmmtT8AAAAJ_cstart0_2026.html"))
    ours = _sel(render_profile_page(big))
    # every data-bearing id of the real page, except the parts left out on purpose
    omitted = re.compile(
        r"^(gsc_md_cod|gsc_cod|gsc_cods|gsc_md_fol|gsc_fol|gs_md_cita|gs_hdr_drw|gs_hdr_mnu|"
        r"gs_hdr_sre|gs_hdr_tsc|gs_hdr_tsb|gsc_rsb_mnd|gsc_prf_t-mnd|gsc_lwp_mndt|gsc_hist_opn|"
        r"gsc_rsb-|gs_hdr_drw)"
    )
    real_ids = {i for i in real.xpath("//@id").getall() if not omitted.match(i)}
    our_ids = set(ours.xpath("//@id").getall())
    assert real_ids - our_ids == set()
    # the same nesting for everything a parser reads
    for css in [
        "html > head > title",
        'head > meta[http-equiv="Content-Type"][content="text/html;charset=UTF-8"]',
        'head > link[rel="canonical"]',
        "#gsc_prf_w > #gsc_prf #gsc_prf_i > #gsc_prf_inw > #gsc_prf_in",
        "#gsc_prf_i > div.gsc_prf_il:not([id])",
        "#gsc_prf_i > div.gsc_prf_il#gsc_prf_ivh",
        "#gsc_prf_int > a.gsc_prf_inta.gs_ibl",
        "#gsc_prf_pua > img#gsc_prf_pup-img",
        ".gsc_rsb > #gsc_rsb_cit > table#gsc_rsb_st > thead > tr > th.gsc_rsb_sth",
        "#gsc_rsb_st > tbody > tr > td.gsc_rsb_sc1 + td.gsc_rsb_std + td.gsc_rsb_std",
        "#gsc_rsb_cit > .gsc_g_hist_wrp > .gsc_md_hist_w > .gsc_md_hist_b > span.gsc_g_t",
        ".gsc_md_hist_b > a.gsc_g_a > span.gsc_g_al",
        ".gsc_g_hist_wrp > .gsc_g_hist_xl > .gsc_g_xtl",
        "#gsc_rsb_co > ul.gsc_rsb_a > li > .gsc_rsb_aa > .gsc_rsb_a_desc > a",
        ".gsc_rsb_a_desc > span.gsc_rsb_a_ext + span.gsc_rsb_a_ext.gsc_rsb_a_ext2",
        "#gsc_art > form > #gsc_a_tw > table#gsc_a_t > tbody#gsc_a_b > tr.gsc_a_tr",
        "tr.gsc_a_tr > td.gsc_a_t > a.gsc_a_at + div.gs_gray + div.gs_gray > span.gs_oph",
        "tr.gsc_a_tr > td.gsc_a_c > a.gsc_a_ac.gs_ibl",
        "tr.gsc_a_tr > td.gsc_a_y > span.gsc_a_h.gsc_a_hc.gs_ibl",
        "#gsc_a_tw > div#gsc_a_err.gs_alrt",
        "#gs_md_err",
        "#gsc_art > form > #gsc_lwp > span#gsc_a_nn + #gsc_bpf > button#gsc_bpf_more",
    ]:
        assert real.css(css), css
        assert ours.css(css), css
    for sel in (real, ours):
        assert sel.css("#gsc_a_err::text").get() == (
            "The system can't perform the operation now. Try again later."
        )
        assert (sel.css("title::text").get() or "").startswith("\u202a")
        canonical = sel.css('link[rel="canonical"]').attrib["href"]
        assert canonical.startswith("https://scholar.google.com/citations?user=")
        hrefs = sel.css("a.gsc_a_at::attr(href)").getall()
        assert all(
            re.fullmatch(
                r"/citations\?view_op=view_citation&hl=en&user=([\w-]{12})"
                r"&citation_for_view=\1:[\w-]{12}",
                h,
            )
            for h in hrefs
        )
        cites = sel.css("a.gsc_a_ac::attr(href)").getall()
        assert all(
            re.fullmatch(r"https://scholar.google.com/scholar\?oi=bibs&hl=en&cites=[\d,]+", c)
            for c in cites
            if c
        )


@needs_shared
def test_show_more_attribute_forms_match_real_pages(demo: Corpus) -> None:
    disabled = '<button type="button" id="gsc_bpf_more" disabled class="gs_btnPD'
    enabled = '<button type="button" id="gsc_bpf_more" class="gs_btnPD'
    assert disabled in _real("profile_P1RwlvoAAAAJ_cstart0_2026_5rows.html")
    assert enabled in _real("profile_RxmmtT8AAAAJ_cstart0_2026.html")
    small = demo.profile_at(2)
    assert disabled in render_profile_page(small, 0, 100)
    assert enabled in render_profile_page(small, 0, 20)
    assert '<span id="gsc_a_nn">Articles 1&ndash;20</span>' in render_profile_page(small)


def test_rendering_100_rows_is_fast(big: GeneratedProfile) -> None:
    render_profile_page(big, 0, 100)
    best = min(_timed(lambda: render_profile_page(big, 100, 100, "pubdate")) for _ in range(5))
    assert best < 0.005


def _timed(fn: object) -> float:
    assert callable(fn)
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


# ------------------------------------------------------------------ full author lists


def _shorts(names: tuple[str, ...]) -> list[str]:
    """The row form of detail-page names: "Jason B Ernst" -> "JB Ernst"."""
    out = []
    for name in names:
        words = name.split()
        out.append(words[0][0] + "".join(words[1:-1]) + " " + words[-1])
    return out


def test_row_author_lines_are_the_full_lists_as_scholar_cuts_them() -> None:
    corpus = Corpus(CorpusSpec.uniform(3, 300, seed=17))
    rows = cut = 0
    for profile in (corpus.profile_at(i) for i in range(3)):
        for row in profile.publications:
            detail = profile.detail(row.scholar_pub_key or "")
            assert detail is not None and detail.authors
            shorts = _shorts(detail.authors)
            if len(shorts) > 6:
                assert row.authors == ", ".join(shorts[:6]) + ", ..."
                cut += 1
            else:
                assert row.authors == ", ".join(shorts)
            rows += 1
    # a fair share of rows is cut, as on real profiles with long author lists
    assert 0.15 <= cut / rows <= 0.30, cut / rows


def test_the_owner_is_named_in_full_on_every_detail_page(demo: Corpus) -> None:
    for i in range(3):
        profile = demo.profile_at(i)
        given, middle, surname = demo.owner_name_parts(i)
        full = f"{given} {middle} {surname}" if middle else f"{given} {surname}"
        short = f"{given[0]}{middle or ''} {surname}"
        for row in profile.publications:
            detail = profile.detail(row.scholar_pub_key or "")
            assert detail is not None
            assert full in detail.authors, (row.title, detail.authors)
            assert short in (row.authors or "").split(", ")


def test_cut_rows_keep_everything_but_their_author_line() -> None:
    """The authors a row hides are drawn apart from the paper's own draws: making a list
    longer changes the row's author line and nothing else. Pinned: every row of this
    profile but its authors hashes as it did before full author lists existed."""
    spec = CorpusSpec(seed=11, sizes=(250, 40, 12), shared_per_pair=1)
    rows = Corpus(spec).profile_at(0).publications
    canonical = "\n".join(
        f"{r.position}|{r.title}|{r.venue}|{r.year}|{r.citations}|{','.join(r.cluster_ids)}"
        f"|{r.scholar_pub_key}"
        for r in rows
    )
    assert hashlib.sha256(canonical.encode()).hexdigest() == (
        "ee1e876806f0273b9c1470237c76749dca517ad45849428d638eb367f6013161"
    )
    cut = [r for r in rows if (r.authors or "").endswith(", ...")]
    assert len(cut) > 30
    assert all(len((r.authors or "").split(", ")) == 7 for r in cut)


# ------------------------------------------------------------------ detail ground truth


def _venue_line(d: PublicationDetail) -> str | None:
    """The venue line a row writes from a detail's fields (before Scholar cuts it)."""
    if d.journal and d.issue:
        return f"{d.journal} {d.volume} ({d.issue}), {d.pages}"
    name = d.journal or d.conference or d.book or d.source
    if name and d.volume:
        return f"{name} {d.volume}, {d.pages}"
    if name and d.pages:
        return f"{name}, {d.pages}"
    return name or d.publisher


def test_detail_agrees_with_its_row(demo: Corpus) -> None:
    cy = DEMO_SPEC.current_year
    for profile in (demo.profile_at(i) for i in range(3)):
        for row in profile.publications:
            d = profile.detail(row.scholar_pub_key or "")
            assert d is not None
            assert d.title == row.title and d.year == row.year
            assert d.scholar_pub_key == row.scholar_pub_key
            assert d.cluster_ids == row.cluster_ids
            if row.citations:
                assert d.citations == row.citations and d.cluster_id == row.cluster_ids[0]
                years = sorted(d.cites_per_year)
                assert years == list(range(years[0], cy + 1))
                assert d.cites_per_year[years[0]] > 0
                assert sum(d.cites_per_year.values()) <= row.citations
            else:
                assert (d.citations, d.cluster_id, d.cites_per_year) == (None, None, {})
            if row.year is None:
                assert d.publication_date is None
            else:
                assert re.fullmatch(
                    rf"{row.year}(/([1-9]|1[0-2])(/([1-9]|[12]\d))?)?", str(d.publication_date)
                )
            kinds = [k for k in ("journal", "conference", "book", "source") if getattr(d, k)]
            assert len(kinds) <= 1
            line = _venue_line(d)
            if row.venue is None:
                assert line is None and d.publisher is None
            elif row.venue.endswith(" …"):  # Scholar cut the line; the detail has it whole
                assert line is not None and line.startswith(row.venue[:-2])
            else:
                assert line == row.venue, (line, row.venue)
            assert d.fulltext_kind in (None, "pdf", "html")
            assert (d.fulltext_url is None) == (d.fulltext_kind is None)


def test_details_vary_like_real_ones(big: GeneratedProfile) -> None:
    details = [big.detail(r.scholar_pub_key or "") for r in big.publications]
    assert all(d is not None for d in details)
    ds = [d for d in details if d is not None]
    dates = {len((d.publication_date or "").split("/")) for d in ds if d.publication_date}
    assert dates == {1, 2, 3}
    for name in ("journal", "conference", "book", "source", "issue", "volume", "publisher"):
        assert any(getattr(d, name) for d in ds), name
    assert any(d.publisher and not (d.journal or d.conference or d.book or d.source) for d in ds)
    assert {d.fulltext_kind for d in ds} == {None, "pdf", "html"}
    assert any(d.title_url is None for d in ds) and any(d.description is None for d in ds)
    assert any(d.description and "&" in d.description and "<" in d.description for d in ds)
    # some bars add up to less than "Cited by N"; some years inside the span have no bar
    assert any(d.citations and sum(d.cites_per_year.values()) < d.citations for d in ds)
    assert any(0 in list(d.cites_per_year.values())[:-1] for d in ds)
    assert any(len(d.cluster_ids) > 1 for d in ds)
    assert {a for d in ds for a in d.authors if re.search(r" [A-Z] ", a)}  # middle initials


def test_a_shared_paper_has_one_detail(demo: Corpus) -> None:
    for k in range(2):
        left, right = demo.profile_at(k), demo.profile_at(k + 1)
        for cid in demo.shared_cluster_ids(k):
            (a,) = [r for r in left.publications if cid in r.cluster_ids]
            (b,) = [r for r in right.publications if cid in r.cluster_ids]
            da = left.detail(a.scholar_pub_key or "")
            db = right.detail(b.scholar_pub_key or "")
            assert da is not None and db is not None
            assert replace(da, scholar_pub_key=None) == replace(db, scholar_pub_key=None)


def test_details_are_deterministic_and_unknown_keys_have_none(demo: Corpus) -> None:
    fresh = Corpus(DEMO_SPEC).profile_at(1)
    kept = demo.profile_at(1)
    for row in fresh.publications:
        key = row.scholar_pub_key or ""
        assert fresh.detail(key) == kept.detail(key)
        assert fresh.detail_markup(key) == kept.detail_markup(key)
    other = demo.profile_at(0).publications[0].scholar_pub_key or ""
    assert kept.detail(other) is None and kept.detail_markup(other) is None
    assert kept.detail(f"{kept.scholar_id}:nope") is None


# ------------------------------------------------------------------ full co-author lists


def test_some_profiles_have_more_than_twenty_coauthors() -> None:
    corpus = Corpus(CorpusSpec.uniform(30, 3, seed=8))
    profiles = [corpus.profile_at(i) for i in range(30)]
    longer = [p for p in profiles if p.more_coauthors]
    assert profiles[0] in longer and len(longer) >= 2
    for p in profiles:
        ids = [c.scholar_id for c in p.all_coauthors]
        assert len(ids) == len(set(ids)) and p.scholar_id not in ids
        assert p.all_coauthors[:20] == p.header.coauthors
        assert len(p.all_coauthor_emails) == len(p.all_coauthors)
        assert p.more_coauthors == (len(p.all_coauthors) > 20)
        assert [replace(c, email_domain=None) for c in p.colleagues] == list(p.all_coauthors)
        for co in p.all_coauthors:
            j = corpus.index_of(co.scholar_id)
            if j is not None:  # a corpus profile: its real id, name and affiliation
                other = corpus.profile_at(j).header
                assert (co.name, co.affiliation) == (other.name, other.affiliation)
    # the full lists reach corpus profiles the sidebars do not show
    beyond = {c.scholar_id for p in longer for c in p.all_coauthors[20:]} & set(corpus.ids)
    assert beyond
    emails = [c.email_domain for p in longer for c in p.colleagues]
    assert None in emails and any(e and "." in e for e in emails)
    assert any(c.affiliation is None for p in longer for c in p.all_coauthors)
