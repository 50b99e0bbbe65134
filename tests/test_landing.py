"""Golden tests of the landing-page readers on hand-made pages (``tests/fixtures/landing``).

Each fixture follows the real structure of one kind of publisher or repository page (see
``fixtures/landing/README.md``); the expected candidates are listed in full, best first, so a
scoring change that reorders or adds a candidate fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from parsel import Selector
from scrapy.http import HtmlResponse

from scholarcrawl.landing import (
    PdfCandidate,
    find_pdf_candidates,
    is_challenge,
    needs_scripts,
    parse_page,
    pick_pdf,
)

FIXTURES = Path(__file__).parent / "fixtures" / "landing"

HIGHWIRE_URL = "https://www.jneuro-example.org/content/40/12/2345"
ELSEVIER_URL = "https://www.sciencedirect-example.com/science/article/pii/S0043135420300011"
OJS_URL = "https://revistas.example.edu/index.php/rca/article/view/1234"
DSPACE_URL = "https://repository.example-univ.edu/handle/20.500.99999/4321"
EPRINTS_URL = "https://eprints.example.ac.uk/id/eprint/5521/"
BULLETIN_URL = "https://bulletin.ornithology-example.org/bulletin/77/101/"
PLAIN_URL = "https://journal.example.org/article/1"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def edited(name: str, old: str, new: str) -> bytes:
    """The fixture with ``old`` (which must occur once) replaced by ``new``."""
    text = fixture_bytes(name).decode("utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {name}"
    return text.replace(old, new).encode("utf-8")


def urls_and_kinds(candidates: list[PdfCandidate]) -> list[tuple[str, str]]:
    return [(c.url, c.kind) for c in candidates]


def assert_well_formed(candidates: list[PdfCandidate]) -> None:
    scores = [c.score for c in candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert len({c.url for c in candidates}) == len(candidates)
    for c in candidates:
        assert c.url.startswith(("http://", "https://")) and "#" not in c.url


# ---------------------------------------------------------------------------------------------
# golden pages


def test_highwire_relative_citation_pdf_url_resolves_against_base_tag() -> None:
    found = find_pdf_candidates(fixture_bytes("highwire_base_relative.html"), HIGHWIRE_URL)

    assert_well_formed(found)
    assert urls_and_kinds(found) == [
        # The meta tag; the sidebar's "Download PDF" anchor to the same file merges into it.
        ("https://www.jneuro-example.org/content/40/12/2345.full.pdf", "citation_pdf_url"),
        # The "PDF" tab (Highwire's pdf+html frame).
        ("https://www.jneuro-example.org/content/40/12/2345.full.pdf+html", "anchor"),
        # Reference list and related articles: other articles' PDFs.
        ("https://www.jneuro-example.org/content/38/2/123.full.pdf", "anchor"),
        ("https://www.example-publisher.com/articles/35044552.pdf", "anchor"),
        ("https://www.jneuro-example.org/content/39/44/8765.full.pdf", "anchor"),
        # Footer licence, data supplement, the site header's author instructions.
        ("https://www.jneuro-example.org/content/jneuro-license-terms.pdf", "anchor"),
        (
            "https://www.jneuro-example.org/content/suppl/2020/03/18/"
            "JNEUROEX.1234-19.2020.DC1/Extended_Data.pdf",
            "anchor",
        ),
        ("https://www.jneuro-example.org/about/instructions-authors.pdf", "anchor"),
    ]
    assert found[0] == PdfCandidate(
        "https://www.jneuro-example.org/content/40/12/2345.full.pdf", "citation_pdf_url", 1.0, None
    )
    assert found[1].score == pytest.approx(0.8)
    assert found[1].text == "PDF"
    assert all(c.score < 0.5 for c in found[2:])
    assert pick_pdf(found) == found[0]


def test_base_tag_changes_what_relative_urls_mean() -> None:
    body = edited(
        "highwire_base_relative.html", '<base href="https://www.jneuro-example.org/" />', ""
    )

    found = find_pdf_candidates(body, HIGHWIRE_URL)

    picked = pick_pdf(found)
    assert picked is not None
    assert (picked.url, picked.kind) == (
        "https://www.jneuro-example.org/content/40/12/content/40/12/2345.full.pdf",
        "citation_pdf_url",
    )


def test_elsevier_link_alternate() -> None:
    found = find_pdf_candidates(fixture_bytes("elsevier_link_alternate.html"), ELSEVIER_URL)

    main = (
        "https://www.sciencedirect-example.com/science/article/pii/S0043135420300011/pdfft"
        "?md5=6d3c0a51f1&pid=1-s2.0-S0043135420300011-main.pdf"
    )
    assert_well_formed(found)
    assert urls_and_kinds(found) == [
        # "View PDF" in the toolbar links to the same file: one candidate, the better kind.
        (main, "link_alternate"),
        (
            "https://www.sciencedirect-example.com/science/article/pii/S0043135419309876/pdfft"
            "?md5=aa11&pid=1-s2.0-S0043135419309876-main.pdf",
            "anchor",
        ),
        (
            "https://ars.els-cdn-example.com/content/image/1-s2.0-S0043135420300011-mmc1.pdf",
            "anchor",
        ),
        ("https://service-example.elsevier.com/app/answers/detail/a_id/1234/", "anchor"),
    ]
    assert found[0] == PdfCandidate(
        main, "link_alternate", 0.9, "Microplastic retention in estuarine sediments (PDF)"
    )
    assert all(c.score < 0.5 for c in found[1:])
    assert pick_pdf(found) == found[0]


def test_elsevier_toolbar_anchor_alone_is_still_found() -> None:
    body = edited(
        "elsevier_link_alternate.html",
        '<link rel="alternate" type="application/pdf"',
        '<link rel="preload" type="application/pdf"',
    )

    picked = pick_pdf(find_pdf_candidates(body, ELSEVIER_URL))

    assert picked is not None
    assert picked.kind == "anchor"
    assert picked.url.endswith(
        "/S0043135420300011/pdfft?md5=6d3c0a51f1&pid=1-s2.0-S0043135420300011-main.pdf"
    )
    assert picked.text == "View PDF"
    assert picked.score == pytest.approx(0.8)


def test_ojs_pdf_galley_points_at_the_file() -> None:
    found = find_pdf_candidates(fixture_bytes("ojs_galley.html"), OJS_URL)

    assert_well_formed(found)
    assert urls_and_kinds(found) == [
        ("https://revistas.example.edu/index.php/rca/article/download/1234/2987", "anchor"),
        ("https://other-journal.example.org/files/alvarez2015.pdf", "anchor"),
        ("https://revistas.example.edu/public/journals/7/author_guidelines_2021.pdf", "anchor"),
        ("https://revistas.example.edu/index.php/rca/article/download/1234/2990", "anchor"),
    ]
    assert found[0] == PdfCandidate(
        "https://revistas.example.edu/index.php/rca/article/download/1234/2987",
        "anchor",
        0.85,
        "PDF",
    )
    assert all(c.score < 0.5 for c in found[1:])
    assert pick_pdf(found) == found[0]


def test_dspace_main_bitstream_beats_supplementary_bitstream() -> None:
    found = find_pdf_candidates(fixture_bytes("dspace_repository.html"), DSPACE_URL)

    main = (
        "https://repository.example-univ.edu/bitstream/handle/20.500.99999/4321/"
        "Haddad_thesis_2019.pdf?sequence=1&isAllowed=y"
    )
    supplementary = (
        "https://repository.example-univ.edu/bitstream/handle/20.500.99999/4321/"
        "Supplementary_tables.pdf?sequence=2&isAllowed=y"
    )
    assert_well_formed(found)
    # The thumbnail and file-list anchors to the main file merge into the meta tag; the
    # spreadsheet bitstream is no candidate at all.
    assert urls_and_kinds(found) == [(main, "citation_pdf_url"), (supplementary, "anchor")]
    assert found[0].score == 1.0
    assert found[1].score < 0.5
    assert pick_pdf(found) == found[0]


def test_dspace_without_meta_still_prefers_the_main_bitstream() -> None:
    body = edited("dspace_repository.html", 'name="citation_pdf_url"', 'name="x_pdf_url"')

    found = find_pdf_candidates(body, DSPACE_URL)

    picked = pick_pdf(found)
    assert picked is not None
    assert picked.kind == "anchor"
    assert "/Haddad_thesis_2019.pdf?" in picked.url
    assert next(c for c in found if "Supplementary_tables" in c.url).score < 0.5


def test_eprints_document_urls_in_latin1_page() -> None:
    body = fixture_bytes("eprints_repository.html")
    assert b"\xd3 Briain" in body  # really Latin-1 bytes, as the meta charset says

    found = find_pdf_candidates(body, EPRINTS_URL)

    assert_well_formed(found)
    assert urls_and_kinds(found) == [
        (
            "https://eprints.example.ac.uk/id/eprint/5521/1/OBriain_2018_wave_energy_AAM.pdf",
            "citation_pdf_url",
        ),
        (
            "https://eprints.example.ac.uk/id/eprint/5521/2/"
            "OBriain_2018_supplementary_material.pdf",
            "citation_pdf_url",
        ),
        ("https://eprints.example.ac.uk/takedown_policy.pdf", "anchor"),
    ]
    assert [c.score for c in found[:2]] == [0.95, 0.475]
    assert pick_pdf(found) == found[0]


def test_anchors_only_download_pdf_beats_supplementary_pdf() -> None:
    found = find_pdf_candidates(fixture_bytes("anchors_only.html"), BULLETIN_URL)

    assert_well_formed(found)
    # javascript:, mailto:, data: and "#pdf" links are ignored whatever their text says.
    assert urls_and_kinds(found) == [
        ("https://bulletin.ornithology-example.org/bulletin/77/101/file?format=print", "anchor"),
        ("https://bulletin.ornithology-example.org/media/bulletin/77/101/table-s1.pdf", "anchor"),
        ("https://bulletin.ornithology-example.org/static/docs/privacy-notice.pdf", "anchor"),
        ("http://archive.example-birds.org/papers/rossi2015.pdf", "anchor"),
    ]
    assert [c.text for c in found] == [
        "Download PDF",
        "Table S1",
        "Privacy notice (PDF)",
        "[PDF]",
    ]
    assert found[0].score == pytest.approx(0.6)
    picked = pick_pdf(found)
    assert picked == found[0]


def test_supplementary_heading_is_what_demotes_the_typed_pdf_link() -> None:
    # The supplementary link says PDF twice (.pdf and type=application/pdf): only its section
    # heading keeps it below the labelled main link.
    body = edited("anchors_only.html", "<h3>Supplementary material</h3>", "<h3>Tracking data</h3>")

    picked = pick_pdf(find_pdf_candidates(body, BULLETIN_URL))

    assert picked is not None
    assert picked.url.endswith("/table-s1.pdf")
    assert picked.score == pytest.approx(0.84)


def test_reference_heading_is_what_demotes_other_articles() -> None:
    body = edited("anchors_only.html", "<h3>References</h3>", "<h3>Notes</h3>")

    found = find_pdf_candidates(body, BULLETIN_URL)

    rossi = next(c for c in found if c.url.endswith("/rossi2015.pdf"))
    assert rossi.score == pytest.approx(0.84)


def test_page_without_any_pdf() -> None:
    body = fixture_bytes("no_pdf.html")

    assert find_pdf_candidates(body, "https://coastal-letters.example.org/articles/2022/0042") == []
    assert pick_pdf([]) is None
    # Analytics, a download-tracking handler, Cloudflare's passive script and a reCAPTCHA
    # comment form: still a static article, and not a challenge.
    assert needs_scripts(body) is False
    assert is_challenge(body) is False
    assert is_challenge(body, status=403) is False


def test_spa_shell_needs_scripts() -> None:
    body = fixture_bytes("spa_shell.html")

    assert find_pdf_candidates(body, PLAIN_URL) == []
    assert needs_scripts(body) is True
    assert is_challenge(body) is False


def test_script_inserted_pdf_link() -> None:
    body = fixture_bytes("script_inserted_link.html")

    assert find_pdf_candidates(body, PLAIN_URL) == []
    assert needs_scripts(body) is True
    assert is_challenge(body) is False


def test_script_inserted_link_page_is_static_without_that_script() -> None:
    text = fixture_bytes("script_inserted_link.html").decode("utf-8")
    static = text[: text.index("<script>")] + "</body></html>"

    assert needs_scripts(static) is False


@pytest.mark.parametrize("status", [200, 403, 503])
def test_cloudflare_challenge(status: int) -> None:
    body = fixture_bytes("cloudflare_challenge.html")

    assert is_challenge(body, status) is True
    assert find_pdf_candidates(body, OJS_URL) == []


@pytest.mark.parametrize("status", [200, 403])
def test_akamai_access_denied(status: int) -> None:
    assert is_challenge(fixture_bytes("access_denied.html"), status) is True


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("highwire_base_relative.html", HIGHWIRE_URL),
        ("elsevier_link_alternate.html", ELSEVIER_URL),
        ("ojs_galley.html", OJS_URL),
        ("dspace_repository.html", DSPACE_URL),
        ("eprints_repository.html", EPRINTS_URL),
        ("anchors_only.html", BULLETIN_URL),
    ],
)
def test_static_article_pages(name: str, url: str) -> None:
    body = fixture_bytes(name)

    assert needs_scripts(body) is False
    assert is_challenge(body) is False
    assert is_challenge(body, status=403) is False
    assert pick_pdf(find_pdf_candidates(body, url)) is not None


# ---------------------------------------------------------------------------------------------
# inputs


def test_str_bytes_and_selector_agree() -> None:
    body = fixture_bytes("highwire_base_relative.html")
    selector = HtmlResponse(url=HIGHWIRE_URL, body=body).selector

    from_bytes = find_pdf_candidates(body, HIGHWIRE_URL)

    assert find_pdf_candidates(body.decode("utf-8"), HIGHWIRE_URL) == from_bytes
    assert find_pdf_candidates(selector, HIGHWIRE_URL) == from_bytes
    assert needs_scripts(selector) is False
    assert is_challenge(selector) is False


def test_bytes_are_decoded_as_the_meta_charset_says() -> None:
    body = (
        '<html><head><meta charset="iso-8859-1"></head><body>'
        '<a href="/files/article.pdf">Télécharger le PDF</a></body></html>'
    ).encode("latin-1")

    found = find_pdf_candidates(body, PLAIN_URL)

    assert [(c.url, c.text) for c in found] == [
        ("https://journal.example.org/files/article.pdf", "Télécharger le PDF")
    ]


def test_undeclared_bytes_are_utf8_with_replacement() -> None:
    body = b'<a href="/a.pdf">PDF \xe9t\xc3\xa9</a>'

    assert [c.text for c in find_pdf_candidates(body, PLAIN_URL)] == ["PDF \ufffdt\u00e9"]


# ---------------------------------------------------------------------------------------------
# URL rules


def test_url_rules() -> None:
    html = """<html><head><title>x</title></head><body>
    <a href="javascript:openPdf('a.pdf')">PDF</a>
    <a href="JavaScript:void(0)" class="pdf">PDF</a>
    <a href="mailto:x@example.org?subject=a.pdf">PDF</a>
    <a href="data:application/pdf;base64,JVBERi0=">PDF</a>
    <a href="ftp://ftp.example.org/pub/a.pdf">PDF</a>
    <a href="tel:+3312345">PDF</a>
    <a href="#">PDF</a>
    <a href="#download-pdf">PDF</a>
    <a href="">PDF</a>
    <a>PDF</a>
    <a href="  /files/\n\tpaper.pdf#page=2  ">Full text (PDF)</a>
    <a href="//cdn.example.net/x/other.pdf">Download PDF</a>
    <a href="http://[::1/broken.pdf">PDF</a>
    </body></html>"""

    found = find_pdf_candidates(html, "https://journal.example.org/article/1?lang=en")

    assert urls_and_kinds(found) == [
        ("https://journal.example.org/files/paper.pdf", "anchor"),
        ("https://cdn.example.net/x/other.pdf", "anchor"),
    ]


def test_relative_base_href_and_unusable_base_href() -> None:
    relative = '<base href="/repo/"><meta name="citation_pdf_url" content="items/1/a.pdf">'
    unusable = '<base href="javascript:alert(1)"><meta name="citation_pdf_url" content="a.pdf">'
    second = '<base target="_blank"><base href="https://cdn.example.net/"><a href="b.pdf">PDF</a>'

    assert [c.url for c in find_pdf_candidates(relative, PLAIN_URL)] == [
        "https://journal.example.org/repo/items/1/a.pdf"
    ]
    assert [c.url for c in find_pdf_candidates(unusable, PLAIN_URL)] == [
        "https://journal.example.org/article/a.pdf"
    ]
    # The first <base> *with an href* counts.
    assert [c.url for c in find_pdf_candidates(second, PLAIN_URL)] == [
        "https://cdn.example.net/b.pdf"
    ]


def test_relative_links_need_an_absolute_base() -> None:
    html = '<meta name="citation_pdf_url" content="/a.pdf"><a href="b.pdf">PDF</a>'

    assert find_pdf_candidates(html, "") == []
    assert [c.url for c in find_pdf_candidates(html + '<base href="https://x.org/">', "")] == [
        "https://x.org/a.pdf",
        "https://x.org/b.pdf",
    ]


def test_meta_variants_and_scores() -> None:
    html = """<head>
    <meta name="bepress_citation_pdf_url" content="https://a.example.org/viewcontent.cgi?article=1&amp;context=x">
    <meta name="wkhealth_pdf_url" content="https://b.example.org/pdf/x">
    <meta property="citation_pdf_url" content="https://c.example.org/c.pdf">
    <meta name="CITATION_PDF_URL" content=" https://d.example.org/d.pdf ">
    <meta name="citation_pdf_url" content="https://e.example.org/e_supplementary.pdf">
    <meta name="citation_pdf_url" content="https://f.example.org/f.docx">
    <meta name="citation_pdf_url" content="javascript:void(0)">
    <meta name="eprints.document_url" content="https://g.example.org/id/eprint/1/7/thesis">
    <meta name="citation_fulltext_html_url" content="https://h.example.org/full.pdf">
    </head>"""

    found = find_pdf_candidates(html, PLAIN_URL)

    assert [(c.url, c.kind, c.score) for c in found] == [
        (
            "https://a.example.org/viewcontent.cgi?article=1&context=x",
            "citation_pdf_url",
            1.0,
        ),
        ("https://c.example.org/c.pdf", "citation_pdf_url", 1.0),
        ("https://d.example.org/d.pdf", "citation_pdf_url", 1.0),
        ("https://b.example.org/pdf/x", "citation_pdf_url", 0.95),
        ("https://g.example.org/id/eprint/1/7/thesis", "citation_pdf_url", 0.6),
        ("https://e.example.org/e_supplementary.pdf", "citation_pdf_url", 0.5),
    ]


def test_link_alternate_needs_the_pdf_type() -> None:
    html = """<head>
    <link rel="alternate" type="application/rss+xml" href="/feed.pdf">
    <link rel="stylesheet" type="application/pdf" href="/x.pdf">
    <link rel="Alternate" type="Application/PDF" href="/article/1.pdf" title="  PDF
      version ">
    </head>"""

    found = find_pdf_candidates(html, PLAIN_URL)

    assert found == [
        PdfCandidate(
            "https://journal.example.org/article/1.pdf", "link_alternate", 0.9, "PDF version"
        )
    ]


def test_anchor_signals() -> None:
    html = """<body><div class="article-tools">
    <a href="/a">Download</a>
    <a href="/b" class="btn">Read article</a>
    <a href="/c" class="btn-pdf"><img src="/i.png"></a>
    <a href="/d/pdf/10.1000/xyz">Article</a>
    <a href="/e" type="application/pdf">Article</a>
    <a href="/f" title="Download PDF"><i class="icon"></i></a>
    <a href="/g"><img src="/pdf.png" alt="PDF"></a>
    <a href="/h" download="paper.pdf">Get it</a>
    <a href="/i/epdf">Enhanced PDF reader</a>
    <a href="/j/pdfft?md5=1">Full text</a>
    <a href="/k.PDF?x=1"></a>
    </div></body>"""

    found = {c.url.rsplit("/", 1)[-1]: c for c in find_pdf_candidates(html, PLAIN_URL)}

    # "Download" alone and "Read article" are no signal; a pdf class alone is too weak to pick.
    assert set(found) == {"c", "xyz", "e", "f", "g", "h", "epdf", "pdfft?md5=1", "k.PDF?x=1"}
    assert found["c"].score == pytest.approx(0.4)
    assert found["xyz"].score == pytest.approx(0.5)
    assert found["e"].score == pytest.approx(0.6)
    assert (found["f"].score, found["f"].text) == (pytest.approx(0.6), "Download PDF")
    assert (found["g"].score, found["g"].text) == (pytest.approx(0.6), "PDF")
    assert found["h"].score == pytest.approx(0.5)
    assert found["epdf"].score == pytest.approx(0.6)  # the label says PDF, the URL does not
    assert found["pdfft?md5=1"].score == pytest.approx(0.6)  # 0.5 URL, 0.2 "Full text"
    assert (found["k.PDF?x=1"].score, found["k.PDF?x=1"].text) == (pytest.approx(0.6), None)


def test_anchor_decoys() -> None:
    html = """<body><main>
    <p><a href="/x/paper.pdf">PDF</a></p>
    <p><a href="/x/paper_SI.pdf">PDF</a></p>
    <p><a href="/x/12345_2020_678_MOESM1_ESM.pdf">PDF</a></p>
    <p><a href="/x/journal.pone.0123456.s001.pdf">PDF</a></p>
    <p><a href="/x/a.pdf">SI Appendix (PDF)</a></p>
    <p><a href="/x/b.pdf">Poster (PDF)</a></p>
    <p><a href="/x/c.pdf">Peer review file (PDF)</a></p>
    <div class="c-article-references"><a href="/y/ref.pdf">PDF</a></div>
    <div id="supplementary-material"><a href="/y/data.pdf">PDF</a></div>
    </main></body>"""

    found = find_pdf_candidates(html, PLAIN_URL)

    assert found[0].url == "https://journal.example.org/x/paper.pdf"
    assert found[0].score == pytest.approx(0.84)
    assert len(found) == 9
    assert all(c.score < 0.5 for c in found[1:])
    assert pick_pdf(found) == found[0]


def test_section_heading_stops_at_sectioning_elements() -> None:
    # A sidebar placed after the references in the markup is not part of them.
    html = """<body><main><h2>References</h2><ol><li>x</li></ol></main>
    <aside><div><a href="/article.pdf">Download PDF</a></div></aside></body>"""

    found = find_pdf_candidates(html, PLAIN_URL)

    assert found[0].score == pytest.approx(0.84)


def test_dedup_keeps_the_best_scored_kind_and_anchor() -> None:
    html = """<head><link rel="alternate" type="application/pdf" href="/a.pdf"></head>
    <body><a href="/a.pdf#page=3">Download PDF</a><a href="/b.pdf">x</a><a href="/b.pdf">PDF</a>
    <a href="https://journal.example.org/article/1#pdf">PDF</a></body>"""

    found = find_pdf_candidates(html, "https://journal.example.org/article/1")

    assert [(c.url, c.kind, c.score, c.text) for c in found] == [
        ("https://journal.example.org/a.pdf", "link_alternate", 0.9, None),
        ("https://journal.example.org/b.pdf", "anchor", 0.84, "PDF"),
    ]


# ---------------------------------------------------------------------------------------------
# pick_pdf


def test_pick_pdf_threshold_and_order() -> None:
    anchor = PdfCandidate("https://x.org/a.pdf", "anchor", 0.6, "PDF")
    weak = PdfCandidate("https://x.org/b.pdf", "anchor", 0.4, None)
    meta = PdfCandidate("https://x.org/c.pdf", "citation_pdf_url", 0.6, None)

    assert pick_pdf([]) is None
    assert pick_pdf([weak]) is None
    assert pick_pdf([weak], min_score=0.4) == weak
    assert pick_pdf([weak, anchor]) == anchor  # not assumed sorted
    assert pick_pdf([anchor, meta]) == meta  # equal scores: the declared kind
    assert pick_pdf([anchor, meta], min_score=0.7) is None


# ---------------------------------------------------------------------------------------------
# needs_scripts / is_challenge on small pages


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        # Next.js shell with a little chrome text.
        (
            '<body><nav>Home About Journals</nav><div id="__next"></div>'
            '<script src="/_next/static/chunks/main.js"></script></body>',
            True,
        ),
        # Angular root element.
        ("<body><app-root></app-root><script src='main.js'></script></body>", True),
        # Thin page asking for JavaScript, with some footer text.
        (
            "<body><noscript>Please enable JavaScript to view this site.</noscript>"
            + "<footer>"
            + "Copyright Example Press, all rights reserved. " * 6
            + "</footer><script src='/bundle.js'></script></body>",
            True,
        ),
        # jQuery writing the link.
        (
            "<body><p>" + "Long abstract text. " * 100 + "</p><script>"
            "$('#tools').append('<a href=\"/pdf/' + id + '\">PDF</a>');</script></body>",
            True,
        ),
        # Reading hrefs to track PDF downloads is not writing them.
        (
            "<body><p>" + "Long abstract text. " * 100 + "</p><script>"
            "for (var a of document.links) { if (a.href.endsWith('.pdf')) track(a); }"
            "</script></body>",
            False,
        ),
        # No scripts at all: nothing could build the page.
        ('<body><div id="root"></div></body>', False),
        # Scripts, but JSON data only.
        (
            '<body><div id="app"></div><script type="application/ld+json">{}</script></body>',
            False,
        ),
    ],
)
def test_needs_scripts_small_pages(html: str, expected: bool) -> None:
    assert needs_scripts(html) is expected


@pytest.mark.parametrize(
    ("html", "status", "expected"),
    [
        (
            "<title>Attention Required! | Cloudflare</title><h1>Sorry, you have been blocked</h1>",
            403,
            True,
        ),
        ("<body><p>Checking your browser before accessing example.org.</p></body>", 200, True),
        (
            "<title>Security check</title><body><form><div class='h-captcha' data-sitekey='x'>"
            "</div></form></body>",
            200,
            True,
        ),
        ("<title>429 Too Many Requests</title><h1>Too Many Requests</h1>", 429, True),
        (
            '<div id="px-captcha"></div><p>Press &amp; Hold to confirm you are a human</p>',
            200,
            True,
        ),
        # Only a status: not enough to call it a challenge.
        ("<title>Article</title><p>Some text</p>", 403, False),
        # An article about access control, with its metadata.
        (
            '<meta name="citation_title" content="Access denied: auditing ACLs">'
            "<title>Access denied: auditing ACLs</title><p>We audit...</p>",
            200,
            False,
        ),
    ],
)
def test_is_challenge_small_pages(html: str, status: int, expected: bool) -> None:
    assert is_challenge(html, status) is expected


# ---------------------------------------------------------------------------------------------
# junk never raises


JUNK: list[str | bytes] = [
    b"\x00\xff",
    b"",
    "",
    "   \n ",
    "<html",
    "</a></a><a href=",
    "<a href='x.pdf'>PDF\ud800</a>",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8,
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
    "<a href='" + "x" * 2_000_000 + ".pdf'>PDF</a>",
    "<div title='" + "PDF " * 500_000 + "'><a href='/a.pdf'>" + "PDF " * 100_000 + "</a></div>",
    "<div>" * 5000 + "<a href='/deep.pdf'>PDF</a>",
    "<meta charset='no-such-charset'><a href='/a.pdf'>PDF</a>",
    "<base href='http://[::1'><a href='/a.pdf'>PDF</a>",
]


@pytest.mark.parametrize("junk", JUNK, ids=range(len(JUNK)))
def test_junk_never_raises(junk: str | bytes) -> None:
    found = find_pdf_candidates(junk, PLAIN_URL)

    assert isinstance(found, list)
    assert_well_formed(found)
    pick_pdf(found)
    assert isinstance(needs_scripts(junk), bool)
    assert isinstance(is_challenge(junk, 403), bool)


@pytest.mark.parametrize("junk", [b"\x00\xff", b"", "", "<html"])
def test_empty_junk_gives_nothing(junk: str | bytes) -> None:
    assert find_pdf_candidates(junk, PLAIN_URL) == []
    assert needs_scripts(junk) is False
    assert is_challenge(junk) is False


def test_non_html_selector_gives_nothing() -> None:
    selector = Selector(text='{"pdf": "https://x.org/a.pdf"}', type="json")

    assert find_pdf_candidates(selector, PLAIN_URL) == []
    assert needs_scripts(selector) is False
    assert is_challenge(selector, 403) is False


def test_wrong_base_url_type_is_not_fatal() -> None:
    assert find_pdf_candidates("<a href='/a.pdf'>PDF</a>", "not a url") == []


@pytest.mark.parametrize(
    "name", sorted(p.name for p in FIXTURES.glob("*.html")), ids=lambda name: name
)
def test_one_parse_answers_every_reader_as_the_text_does(name: str) -> None:
    text = fixture_bytes(name)  # bytes: one fixture is not UTF-8
    page = parse_page(text)
    assert page is not None
    assert find_pdf_candidates(page, PLAIN_URL) == find_pdf_candidates(text, PLAIN_URL)
    assert needs_scripts(page) == needs_scripts(text)
    for status in (200, 403):
        assert is_challenge(page, status) == is_challenge(text, status)


@pytest.mark.parametrize("text", ["", "   \n", b""])
def test_nothing_readable_parses_to_none_and_reads_as_nothing(text: str | bytes) -> None:
    page = parse_page(text)
    assert page is None
    assert find_pdf_candidates(page, PLAIN_URL) == []
    assert not needs_scripts(page) and not is_challenge(page, 403)
