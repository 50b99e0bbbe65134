"""The mock Unpaywall, doi.org and publisher sites of the replay server."""

from __future__ import annotations

import json
import math
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests
from parsel import Selector

from scholarcrawl.replay import oa
from scholarcrawl.replay.apis import ApiCatalogue
from scholarcrawl.replay.faults import Fault
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.oa import (
    DEFAULT_WEIGHTS,
    SCENARIOS,
    OaCatalogue,
    OaRecord,
    ReplayRedirect,
    doi_path,
    is_oa_path,
    landing_path,
    pdf_body,
    pdf_path,
    supp_path,
)
from scholarcrawl.replay.server import ReplayServer

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "api-samples" / "unpaywall"
NO_SAMPLES = f"{SAMPLES} not found: the real Unpaywall answers are not available here"

SPEC = CorpusSpec(seed=11, sizes=(140, 70, 50), shared_per_pair=2)
WIDE = CorpusSpec.uniform(20, 150, seed=23)  # about 3,000 Crossref works
EMAIL = "crawler@example.org"
OVERSIZED_BYTES = 250_000

# Unpaywall's v2 record and location keys, in the order of the 2026 answers.
TOP_KEYS = [
    "doi",
    "doi_url",
    "title",
    "genre",
    "is_paratext",
    "published_date",
    "year",
    "journal_name",
    "journal_issns",
    "journal_issn_l",
    "journal_is_oa",
    "journal_is_in_doaj",
    "publisher",
    "is_oa",
    "oa_status",
    "has_repository_copy",
    "best_oa_location",
    "first_oa_location",
    "oa_locations",
    "oa_locations_embargoed",
    "data_standard",
    "z_authors",
    "updated",
]
LOCATION_KEYS = [
    "url",
    "url_for_pdf",
    "url_for_landing_page",
    "evidence",
    "license",
    "version",
    "host_type",
    "is_best",
    "pmh_id",
    "endpoint_id",
    "repository_institution",
    "oa_date",
    "updated",
]
Z_AUTHOR_KEYS = [
    "author_position",
    "raw_author_name",
    "is_corresponding",
    "raw_affiliation_strings",
]
OPTIONAL_STR = (str, type(None))


def doi_of(scenario: str) -> str:
    return f"10.5555/replay.{scenario.replace('_', '-')}"


RECORDS = [
    OaRecord(
        doi_of(s),
        s,
        title=f"On the {s.replace('_', ' ')} scenario",
        year=2021,
        journal="Journal of Replayed Results",
        publisher="Example Press",
    )
    for s in SCENARIOS
]


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(SPEC)


@pytest.fixture(scope="module")
def apis(corpus: Corpus) -> ApiCatalogue:
    return ApiCatalogue.from_corpus(corpus).prepare()


@pytest.fixture(scope="module")
def catalogue(apis: ApiCatalogue) -> OaCatalogue:
    return OaCatalogue(RECORDS, apis=apis, oversized_bytes=OVERSIZED_BYTES)


@pytest.fixture(scope="module")
def server(corpus: Corpus, apis: ApiCatalogue, catalogue: OaCatalogue) -> Iterator[ReplayServer]:
    with ReplayServer(corpus, apis=apis, oa=catalogue) as srv:
        yield srv


def get(server: ReplayServer, target: str, **kw: Any) -> requests.Response:
    kw.setdefault("allow_redirects", False)
    return requests.get(server.base_url + target, timeout=10, **kw)


def unpaywall(server: ReplayServer, doi: str, email: str | None = EMAIL) -> requests.Response:
    query = f"?email={quote(email)}" if email is not None else ""
    return get(server, "/v2/" + quote(doi, safe="/") + query)


def record_json(server: ReplayServer, doi: str) -> dict[str, Any]:
    response = unpaywall(server, doi)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    data: dict[str, Any] = response.json()
    return data


def landing(server: ReplayServer, doi: str) -> requests.Response:
    return get(server, landing_path(doi))


def pdf_hrefs(html: str) -> list[str]:
    """Every href/src/content in the page that names a PDF."""
    sel = Selector(text=html)
    values = sel.css("a::attr(href), link::attr(href), meta::attr(content)").getall()
    return [v for v in values if ".pdf" in v]


# ------------------------------------------------------------------ Unpaywall: shape


def check_location(location: dict[str, Any]) -> None:
    assert list(location) == LOCATION_KEYS
    assert location["url"] == (location["url_for_pdf"] or location["url_for_landing_page"])
    assert isinstance(location["url_for_landing_page"], str)
    assert location["evidence"] == "deprecated" and location["updated"] == "deprecated"
    assert location["host_type"] in ("publisher", "repository")
    assert location["version"] in ("publishedVersion", "acceptedVersion", "submittedVersion")
    assert isinstance(location["is_best"], bool)
    for key in ("url_for_pdf", "license", "pmh_id", "endpoint_id", "repository_institution"):
        assert isinstance(location[key], OPTIONAL_STR), key
    assert isinstance(location["oa_date"], OPTIONAL_STR)
    if location["host_type"] == "publisher":
        assert location["pmh_id"] is location["endpoint_id"] is None
        assert location["repository_institution"] is None
    else:
        assert location["pmh_id"].startswith("oai:") and location["repository_institution"]


def check_record(data: dict[str, Any]) -> None:
    assert list(data) == TOP_KEYS
    assert data["doi"] == data["doi"].lower()
    assert data["doi_url"].endswith(doi_path(data["doi"]))
    assert isinstance(data["title"], str) and isinstance(data["genre"], str)
    assert data["is_paratext"] is False
    assert data["year"] is None or isinstance(data["year"], int)
    if data["published_date"] is not None:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", data["published_date"])
        assert int(data["published_date"][:4]) == data["year"]
    for key in ("journal_name", "journal_issns", "journal_issn_l", "publisher"):
        assert isinstance(data[key], OPTIONAL_STR), key
    assert data["journal_is_oa"] is False and data["journal_is_in_doaj"] is False
    assert data["oa_locations_embargoed"] == [] and data["data_standard"] == 2
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", data["updated"])
    locations = data["oa_locations"]
    for location in locations:
        check_location(location)
    assert data["is_oa"] is bool(locations)
    if locations:
        assert data["best_oa_location"] == data["first_oa_location"] == locations[0]
        assert [loc["is_best"] for loc in locations] == [True] + [False] * (len(locations) - 1)
        assert data["oa_status"] in ("green", "bronze", "hybrid")
        assert data["has_repository_copy"] is any(
            loc["host_type"] == "repository" for loc in locations
        )
    else:
        assert data["best_oa_location"] is data["first_oa_location"] is None
        assert data["oa_status"] == "closed" and data["has_repository_copy"] is False
    if data["z_authors"] is not None:
        assert data["z_authors"]
        for i, author in enumerate(data["z_authors"]):
            assert list(author) == Z_AUTHOR_KEYS
            assert author["is_corresponding"] is (i == 0)
            assert all(isinstance(s, str) for s in author["raw_affiliation_strings"])
        assert data["z_authors"][0]["author_position"] == "first"


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s != oa.UNKNOWN])
def test_every_scenario_answers_unpaywalls_shape(server: ReplayServer, scenario: str) -> None:
    check_record(record_json(server, doi_of(scenario)))


def test_corpus_dois_answer_unpaywalls_shape_with_crossref_metadata(
    server: ReplayServer, apis: ApiCatalogue
) -> None:
    seen: Counter[str] = Counter()
    for work in apis.works[:120]:
        data = record_json(server, work.doi)
        check_record(data)
        assert data["doi"] == work.doi.lower()
        assert (data["title"], data["year"]) == (work.title, work.year)
        assert (data["journal_name"], data["publisher"]) == (work.container_title, work.publisher)
        assert data["genre"] == work.type
        assert data["journal_issns"] == (",".join(work.issn) or None)
        if work.authors:
            names = [a["raw_author_name"] for a in data["z_authors"]]
            assert names == [p.name for p in work.authors]
            if len(names) > 1:
                assert data["z_authors"][-1]["author_position"] == "last"
        else:
            assert data["z_authors"] is None
        seen[data["oa_status"]] += 1
    assert set(seen) == {"closed", "green", "bronze", "hybrid"}


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=NO_SAMPLES)
def test_keys_conform_to_the_real_unpaywall_answers(server: ReplayServer) -> None:
    samples = sorted(SAMPLES.glob("*.json"))
    assert samples
    mocks = [record_json(server, doi_of(s)) for s in (oa.CLOSED, oa.PDF, oa.OTHER_PDF, oa.NOT_PDF)]
    mock_locations = [loc for m in mocks for loc in m["oa_locations"]]
    authors = mock_authors(server)
    for path in samples:
        real = json.loads(path.read_text(encoding="utf-8"))
        locations = [real["best_oa_location"], real["first_oa_location"], *real["oa_locations"]]
        real_locations = [loc for loc in locations if loc is not None]
        for mock in mocks:
            assert set(mock) == set(real), path.name
            for key, value in real.items():
                if value is not None and mock[key] is not None:
                    assert type(mock[key]) is type(value), (path.name, key)
        for real_location in real_locations:
            for location in mock_locations:
                assert set(location) == set(real_location), path.name
                for key, value in real_location.items():
                    if value is not None and location[key] is not None:
                        assert type(location[key]) is type(value), (path.name, key)
        if path.stem.endswith("_2026"):  # the current key order (2024's differs)
            for mock in mocks:
                assert list(mock) == list(real), path.name
            for real_location in real_locations:
                assert all(list(loc) == list(real_location) for loc in mock_locations)
            if real["z_authors"]:
                assert all(list(a) == list(real["z_authors"][0]) for a in authors), path.name
        if real["oa_status"] == "closed":
            closed = mocks[0]
            for key in ("best_oa_location", "first_oa_location", "oa_locations", "is_oa"):
                assert closed[key] == real[key], key
            assert closed["oa_locations_embargoed"] == real["oa_locations_embargoed"]


def mock_authors(server: ReplayServer) -> list[dict[str, Any]]:
    for work in server.apis.works if server.apis else ():
        if work.authors:
            authors: list[dict[str, Any]] = record_json(server, work.doi)["z_authors"]
            return authors
    raise AssertionError("no work with authors")


# ------------------------------------------------------------------ Unpaywall: scenarios


def test_closed(server: ReplayServer) -> None:
    data = record_json(server, doi_of(oa.CLOSED))
    assert (data["is_oa"], data["oa_status"], data["oa_locations"]) == (False, "closed", [])
    assert data["best_oa_location"] is None
    assert landing(server, doi_of(oa.CLOSED)).status_code == 200
    assert get(server, pdf_path(doi_of(oa.CLOSED))).status_code == 404


def test_pdf_best_location_is_a_green_repository_pdf(server: ReplayServer) -> None:
    doi = doi_of(oa.PDF)
    data = record_json(server, doi)
    best = data["best_oa_location"]
    assert (data["oa_status"], best["host_type"], data["has_repository_copy"]) == (
        "green",
        "repository",
        True,
    )
    assert best["url_for_pdf"] == server.base_url + pdf_path(doi) == best["url"]
    assert best["url_for_landing_page"] == server.base_url + doi_path(doi)
    fetched = requests.get(best["url_for_pdf"], timeout=10)
    assert fetched.status_code == 200 and fetched.headers["Content-Type"] == "application/pdf"
    assert fetched.content == pdf_body(doi)


def test_other_pdf_only_a_second_location_has_the_pdf(server: ReplayServer) -> None:
    doi = doi_of(oa.OTHER_PDF)
    data = record_json(server, doi)
    best, other = data["oa_locations"]
    assert data["oa_status"] in ("bronze", "hybrid")
    assert best["host_type"] == "publisher" and best["url_for_pdf"] is None
    assert best["url"] == best["url_for_landing_page"] == server.base_url + doi_path(doi)
    assert other["host_type"] == "repository" and other["is_best"] is False
    assert other["url_for_pdf"] == server.base_url + pdf_path(doi)
    assert requests.get(other["url_for_pdf"], timeout=10).content.startswith(b"%PDF-")
    page = landing(server, doi)
    assert page.status_code == 200 and pdf_hrefs(page.text) == []


@pytest.mark.parametrize(
    "scenario",
    [
        oa.LANDING_META,
        oa.LANDING_LINK,
        oa.LANDING_ANCHOR,
        oa.LANDING_SCRIPT,
        oa.LANDING_NONE,
        oa.LANDING_404,
        oa.BLOCKED,
    ],
)
def test_landing_only_scenarios(server: ReplayServer, scenario: str) -> None:
    doi = doi_of(scenario)
    data = record_json(server, doi)
    [location] = data["oa_locations"]
    assert location["host_type"] == "publisher" and location["url_for_pdf"] is None
    assert location["url"] == server.base_url + doi_path(doi)
    assert data["oa_status"] in ("bronze", "hybrid")
    assert (location["license"] is not None) is (data["oa_status"] == "hybrid")
    if scenario == oa.LANDING_META:  # like the 10.1016 sample
        assert data["oa_status"] == "hybrid"


def test_not_pdf_answers_a_signin_page_at_the_pdf_url(server: ReplayServer) -> None:
    doi = doi_of(oa.NOT_PDF)
    data = record_json(server, doi)
    best = data["best_oa_location"]
    assert best["url_for_pdf"] == server.base_url + pdf_path(doi)
    answer = requests.get(best["url_for_pdf"], timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert not answer.content.startswith(b"%PDF") and "Sign in" in answer.text


def test_oversized_pdf_has_the_configured_size(server: ReplayServer) -> None:
    doi = doi_of(oa.OVERSIZED)
    url = record_json(server, doi)["best_oa_location"]["url_for_pdf"]
    head = requests.head(url, timeout=10)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["Content-Length"]) == OVERSIZED_BYTES
    body = requests.get(url, timeout=10)
    assert int(body.headers["Content-Length"]) == len(body.content) == OVERSIZED_BYTES
    assert body.content.startswith(b"%PDF-1.7\n") and body.content.endswith(b"%%EOF\n")
    assert OaCatalogue().oversized_bytes == 3_000_000


def test_unknown_doi_answers_404_everywhere(server: ReplayServer) -> None:
    for doi in (doi_of(oa.UNKNOWN), "10.9999/Not.In.Any.Catalogue"):
        answer = unpaywall(server, doi)
        assert answer.status_code == 404
        assert answer.json() == {
            "HTTP_status_code": 404,
            "error": True,
            "message": f"'{doi.lower()}' is an invalid doi. See https://doi.org/{doi.lower()}",
        }
        for path in (doi_path(doi), landing_path(doi), pdf_path(doi), supp_path(doi)):
            assert get(server, path).status_code == 404, path


@pytest.mark.parametrize("email", [None, "", "nobody", "@example.org", "someone@", "  "])
def test_missing_or_invalid_email_is_422(server: ReplayServer, email: str | None) -> None:
    answer = unpaywall(server, doi_of(oa.PDF), email)
    assert answer.status_code == 422
    assert answer.headers["Content-Type"] == "application/json"
    body = answer.json()
    assert body["HTTP_status_code"] == 422 and body["error"] is True
    assert "email" in body["message"].lower()
    # the e-mail is checked before the DOI, as Unpaywall does
    assert unpaywall(server, "10.9999/unknown", email).status_code == 422


def test_doi_is_case_insensitive(server: ReplayServer, apis: ApiCatalogue) -> None:
    work = next(w for w in apis.works if w.doi != w.doi.lower())
    assert record_json(server, work.doi.upper()) == record_json(server, work.doi.lower())
    assert record_json(server, work.doi)["doi"] == work.doi.lower()


# ------------------------------------------------------------------ doi.org and landing pages


def test_resolver_redirects_to_the_landing_page(server: ReplayServer) -> None:
    doi = doi_of(oa.LANDING_META)
    answer = get(server, doi_path(doi.upper()))
    assert answer.status_code == 302
    assert answer.headers["Location"] == server.base_url + landing_path(doi)
    followed = requests.get(server.base_url + doi_path(doi), timeout=10)
    assert followed.status_code == 200 and followed.url == server.base_url + landing_path(doi)
    unknown = get(server, doi_path("10.9999/nothing"))
    assert unknown.status_code == 404 and unknown.headers["Content-Type"].startswith("text/html")
    redirect = OaCatalogue(RECORDS).answer(doi_path(doi), {}, "http://127.0.0.1:1")
    assert isinstance(redirect, ReplayRedirect)
    assert redirect.location == "http://127.0.0.1:1" + landing_path(doi)


def test_landing_pages_look_like_articles(server: ReplayServer) -> None:
    for scenario in (oa.CLOSED, oa.LANDING_META, oa.LANDING_LINK, oa.LANDING_ANCHOR):
        doi = doi_of(scenario)
        page = landing(server, doi)
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
        sel = Selector(text=page.text)
        title = f"On the {scenario.replace('_', ' ')} scenario"
        assert sel.css("title::text").get("").startswith(title)
        assert sel.css('meta[name="citation_title"]::attr(content)').get() == title
        assert sel.css('meta[name="citation_doi"]::attr(content)').get() == doi
        assert sel.css("h1::text").get() == title
        assert (
            len(" ".join(sel.css("section.abstract, section.body").xpath("string()").getall()))
            > 500
        )
        assert len(sel.css("section.references li")) >= 4


def test_landing_meta_names_the_pdf_in_citation_pdf_url(server: ReplayServer) -> None:
    doi = doi_of(oa.LANDING_META)
    page = landing(server, doi)
    sel = Selector(text=page.text)
    [meta] = sel.css('meta[name="citation_pdf_url"]::attr(content)').getall()
    assert meta in (pdf_path(doi), server.base_url + pdf_path(doi))
    assert pdf_hrefs(page.text) == [meta]
    assert not sel.css('link[type="application/pdf"]')
    assert requests.get(server.base_url + pdf_path(doi), timeout=10).content == pdf_body(doi)


def test_landing_meta_urls_are_relative_or_absolute_by_doi(apis: ApiCatalogue) -> None:
    catalogue = OaCatalogue(apis=apis, weights={oa.LANDING_META: 1})
    forms: Counter[bool] = Counter()
    for work in apis.works[:60]:
        doi = work.doi.lower()
        answer = catalogue.answer(landing_path(doi), {}, "http://127.0.0.1:9")
        assert answer is not None
        meta = Selector(text=answer.body.decode()).css('meta[name="citation_pdf_url"]')
        forms[meta.attrib["content"].startswith("http://")] += 1
    assert forms[True] > 10 and forms[False] > 10


def test_landing_link_has_a_pdf_alternate(server: ReplayServer) -> None:
    doi = doi_of(oa.LANDING_LINK)
    page = landing(server, doi)
    sel = Selector(text=page.text)
    [href] = sel.css('link[rel="alternate"][type="application/pdf"]::attr(href)').getall()
    assert href in (pdf_path(doi), server.base_url + pdf_path(doi))
    assert pdf_hrefs(page.text) == [href]


def test_landing_anchor_has_the_article_pdf_a_supplement_and_references(
    server: ReplayServer,
) -> None:
    doi = doi_of(oa.LANDING_ANCHOR)
    page = landing(server, doi)
    sel = Selector(text=page.text)
    assert not sel.css('meta[name="citation_pdf_url"], link[type="application/pdf"]')
    [download] = sel.xpath('//a[normalize-space()="Download PDF"]/@href').getall()
    assert download in (pdf_path(doi), server.base_url + pdf_path(doi))
    [supp] = sel.xpath('//a[contains(., "Supplementary")]/@href').getall()
    assert supp == supp_path(doi)
    refs = sel.css("section.references a::attr(href)").getall()
    ref_pdfs = [h for h in refs if h.endswith(".pdf")]
    assert len(ref_pdfs) >= 4 and all(doi_path(doi)[5:] not in h for h in ref_pdfs)
    article = requests.get(server.base_url + pdf_path(doi), timeout=10).content
    supplement = requests.get(server.base_url + supp, timeout=10)
    assert supplement.headers["Content-Type"] == "application/pdf"
    assert supplement.content.startswith(b"%PDF-") and supplement.content != article
    other = requests.get(server.base_url + ref_pdfs[0], timeout=10)
    assert other.status_code in (200, 404) and other.content != article


def test_landing_anchor_decoy_comes_first_for_some_dois(apis: ApiCatalogue) -> None:
    catalogue = OaCatalogue(apis=apis, weights={oa.LANDING_ANCHOR: 1})
    firsts: Counter[str] = Counter()
    for work in apis.works[:60]:
        answer = catalogue.answer(landing_path(work.doi), {}, "http://127.0.0.1:9")
        assert answer is not None
        tools = Selector(text=answer.body.decode()).css("div.article-tools a::text").getall()
        firsts[tools[0]] += 1
    assert firsts["Download PDF"] > 10 and firsts["Supplementary material (PDF, 412 KB)"] > 10


def test_landing_script_is_an_spa_shell_without_any_pdf_in_its_html(
    server: ReplayServer,
) -> None:
    doi = doi_of(oa.LANDING_SCRIPT)
    page = landing(server, doi)
    assert page.status_code == 200
    assert ".pdf" not in page.text.lower() and "pdf" not in page.text.lower()
    sel = Selector(text=page.text)
    assert sel.css("div#root").xpath("string()").get() == "" and not sel.css("div#root *")
    assert "enable JavaScript" in sel.css("noscript::text").get("")
    # the text lives in the script's data, not in the markup
    blob = json.loads(sel.css("script#__ARTICLE__::text").get(""))
    assert blob["title"] == "On the landing script scenario" and blob["abstract"]
    markup = " ".join(sel.xpath("//body/*[not(self::script)]").xpath("string()").getall())
    assert "Introduction" not in markup and blob["title"] not in markup
    script = sel.css("script:not([type])::text").get("")
    assert "DOMContentLoaded" in script and re.search(r"setTimeout\(.*\}, 50\);", script, re.S)
    # what the script writes: "/publisher/" + "pdf" + "/" + path + "." + "pdf"
    assert f"/publisher/pdf/{blob['path']}.pdf" == pdf_path(doi)


@pytest.mark.skipif(
    shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
    reason="no system Chromium for Playwright",
)
def test_landing_script_renders_the_pdf_link_in_a_browser(server: ReplayServer) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    doi = doi_of(oa.LANDING_SCRIPT)
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(server.base_url + landing_path(doi))
            assert page.locator("h1").text_content() == "On the landing script scenario"
            link = page.wait_for_selector("a.article-tools__download", timeout=5000)
            assert link.text_content() == "Download PDF"
            assert link.evaluate("a => a.href") == server.base_url + pdf_path(doi)
        finally:
            browser.close()


def test_landing_none_has_text_but_no_pdf_and_no_scripts(server: ReplayServer) -> None:
    page = landing(server, doi_of(oa.LANDING_NONE))
    assert page.status_code == 200
    assert ".pdf" not in page.text and "<script" not in page.text
    assert len(Selector(text=page.text).css("section.body").xpath("string()").get("")) > 300
    assert get(server, pdf_path(doi_of(oa.LANDING_NONE))).status_code == 404


def test_closed_and_other_pdf_landing_pages_have_no_pdf_link(server: ReplayServer) -> None:
    for scenario in (oa.CLOSED, oa.OTHER_PDF):
        page = landing(server, doi_of(scenario))
        assert page.status_code == 200 and ".pdf" not in page.text, scenario


def test_pdf_scenarios_name_the_pdf_in_their_landing_page(server: ReplayServer) -> None:
    for scenario in (oa.PDF, oa.OVERSIZED, oa.NOT_PDF):
        doi = doi_of(scenario)
        sel = Selector(text=landing(server, doi).text)
        meta = sel.css('meta[name="citation_pdf_url"]::attr(content)').get()
        assert meta in (pdf_path(doi), server.base_url + pdf_path(doi)), scenario


def test_landing_404(server: ReplayServer) -> None:
    doi = doi_of(oa.LANDING_404)
    assert get(server, doi_path(doi)).status_code == 302
    page = landing(server, doi)
    assert page.status_code == 404 and "Page not found" in page.text


def test_blocked_answers_a_cloudflare_challenge(server: ReplayServer) -> None:
    doi = doi_of(oa.BLOCKED)
    for path in (landing_path(doi), pdf_path(doi)):
        page = get(server, path)
        assert page.status_code == 403
        assert page.headers["cf-mitigated"] == "challenge" and page.headers["cf-ray"]
        sel = Selector(text=page.text)
        assert sel.css("title::text").get() == "Just a moment..."
        assert "Enable JavaScript and cookies to continue" in page.text
        assert doi not in page.text and ".pdf" not in page.text


# ------------------------------------------------------------------ PDFs


def test_pdf_bodies_are_deterministic_small_pdfs_varying_by_doi() -> None:
    sizes = set()
    for i in range(40):
        doi = f"10.5555/pdf.{i}"
        body = pdf_body(doi)
        assert body == pdf_body(doi.upper()) == pdf_body(doi)
        assert body.startswith(b"%PDF-1.7\n") and body.endswith(b"%%EOF\n")
        assert 2048 <= len(body) < 8192
        check_xref(body)
        sizes.add(len(body))
    assert len(sizes) > 30


@pytest.mark.parametrize(
    "size", [*range(15, 60), *range(600, 1300, 7), 9_995, 10_000, 10_003, 99_999, 100_000]
)
def test_pdf_body_has_exactly_the_size_asked(size: int) -> None:
    body = pdf_body("10.5555/sized", size)
    assert len(body) == size
    assert body.startswith(b"%PDF-1.7\n") and body.endswith(b"%%EOF\n")
    if b"xref" in body:
        check_xref(body)


def test_pdf_body_refuses_impossible_sizes() -> None:
    with pytest.raises(ValueError):
        pdf_body("10.5555/x", 14)
    with pytest.raises(ValueError):
        OaCatalogue(oversized_bytes=3)


def check_xref(body: bytes) -> None:
    """The cross-reference table points at each object, as a PDF reader expects."""
    match = re.search(rb"startxref\n(\d+)\n%%EOF\n$", body)
    assert match is not None
    xref = int(match[1])
    assert body[xref : xref + 5] == b"xref\n"
    header = re.match(rb"xref\n0 (\d+)\n", body[xref:])
    assert header is not None
    entries = body[xref + header.end() :].split(b"\n")[: int(header[1])]
    for number, entry in enumerate(entries):
        offset, _, kind = entry.split(b" ")[:3]
        if kind == b"n":
            start = int(offset)
            assert body[start:].startswith(b"%d 0 obj\n" % number)
    length = re.search(rb"<< /Length (\d+) >>\nstream\n", body[:xref])
    assert length is not None


# ------------------------------------------------------------------ deterministic scenarios


def test_scenarios_are_derived_deterministically(apis: ApiCatalogue) -> None:
    first, second = OaCatalogue(apis=apis), OaCatalogue(apis=apis)
    for work in apis.works[:100]:
        a, b = first.record(work.doi), second.record(work.doi.upper())
        assert a is not None and a == b
        assert a.doi == work.doi.lower() and a.title == work.title
        assert a.scenario == first.scenario_for(work.doi) != oa.UNKNOWN
    assert first.record("10.9999/unknown") is None
    assert OaCatalogue().record(apis.works[0].doi) is None  # no catalogue, no records


def test_explicit_records_win(apis: ApiCatalogue) -> None:
    work = apis.works[0]
    mine = OaRecord(work.doi.upper(), oa.BLOCKED, title="Mine")
    catalogue = OaCatalogue([mine], apis=apis)
    assert catalogue.record(work.doi) == mine and mine.doi == work.doi.lower()
    hidden = OaCatalogue([OaRecord(work.doi, oa.UNKNOWN)], apis=apis)
    answer = hidden.answer("/v2/" + work.doi, {"email": [EMAIL]}, "http://127.0.0.1:9")
    assert answer is not None and answer.status == 404


def test_default_distribution_matches_the_weights() -> None:
    apis = ApiCatalogue.from_corpus(Corpus(WIDE)).prepare()
    catalogue = OaCatalogue(apis=apis)
    dois = [w.doi for w in apis.works]
    assert len(dois) > 2500
    counts = Counter(catalogue.scenario_for(d) for d in dois)
    assert set(counts) == set(DEFAULT_WEIGHTS)
    assert abs(sum(DEFAULT_WEIGHTS.values()) - 1) < 1e-9
    for scenario, weight in DEFAULT_WEIGHTS.items():
        share = counts[scenario] / len(dois)
        # within 3.5 standard deviations of a binomial draw
        bound = 3.5 * math.sqrt(weight * (1 - weight) / len(dois))
        assert abs(share - weight) <= bound, (scenario, share, weight)


def test_custom_weights() -> None:
    dois = [f"10.5555/w.{i}" for i in range(2000)]
    only_pdf = OaCatalogue(weights={oa.PDF: 2.0})
    assert {only_pdf.scenario_for(d) for d in dois} == {oa.PDF}
    halves = OaCatalogue(weights={oa.CLOSED: 1, oa.PDF: 1, oa.BLOCKED: 0})
    counts = Counter(halves.scenario_for(d) for d in dois)
    assert set(counts) == {oa.CLOSED, oa.PDF}
    assert 0.45 < counts[oa.CLOSED] / len(dois) < 0.55
    for bad in ({"nonsense": 1.0}, {oa.PDF: -1.0}, {oa.PDF: 0.0}, {oa.PDF: float("nan")}):
        with pytest.raises(ValueError):
            OaCatalogue(weights=bad)
    with pytest.raises(ValueError):
        OaRecord("10.5555/x", "nonsense")


# ------------------------------------------------------------------ URLs


def test_landing_host_replaces_the_servers_host(corpus: Corpus) -> None:
    doi = "10.5555/elsewhere"
    records = [
        OaRecord(doi, oa.OTHER_PDF, landing_host="localhost"),
        OaRecord("10.5555/here", oa.PDF),
    ]
    with ReplayServer(corpus, apis=False, oa=OaCatalogue(records)) as srv:
        elsewhere = f"http://localhost:{srv.port}"
        data = record_json(srv, doi)
        urls = [data["doi_url"]] + [
            loc[k] for loc in data["oa_locations"] for k in ("url", "url_for_pdf")
        ]
        for url in filter(None, urls):
            parts = urlsplit(url)
            assert (parts.hostname, parts.port) == ("localhost", srv.port), url
        assert data["oa_locations"][1]["url_for_pdf"] == elsewhere + pdf_path(doi)
        answer = get(srv, doi_path(doi))
        assert answer.headers["Location"] == elsewhere + landing_path(doi)
        page = get(srv, landing_path(doi)).text
        assert srv.base_url not in page and elsewhere + landing_path(doi) in page
        # the server still answers under the other name
        assert requests.get(elsewhere + pdf_path(doi), timeout=10).content == pdf_body(doi)
        here = record_json(srv, "10.5555/here")
        assert here["best_oa_location"]["url_for_pdf"] == srv.base_url + pdf_path("10.5555/here")


ODD_DOIS = [
    "10.1002/(SICI)1097-4636(199706)35:4<513::AID-JBM12>3.0.CO;2-B",
    "10.5555/a b#c?d%e+f&g=h",
    "10.5555/ünïcödé/ä.pdf",
    "10.5555/x'y\"z",
]


@pytest.mark.parametrize("doi", ODD_DOIS)
def test_odd_dois_round_trip(corpus: Corpus, doi: str) -> None:
    key = doi.lower()
    catalogue = OaCatalogue([OaRecord(doi, oa.LANDING_META), OaRecord(doi + "x", oa.PDF)])
    with ReplayServer(corpus, apis=False, oa=catalogue) as srv:
        data = record_json(srv, doi)
        assert data["doi"] == key
        assert data["doi_url"] == srv.base_url + "/doi/" + quote(key, safe="/")
        page = requests.get(data["best_oa_location"]["url_for_landing_page"], timeout=10)
        assert page.status_code == 200 and page.url == srv.base_url + landing_path(key)
        sel = Selector(text=page.text)
        assert sel.css('meta[name="citation_doi"]::attr(content)').get() == key
        meta = sel.css('meta[name="citation_pdf_url"]::attr(content)').get()
        pdf = requests.get(requests.compat.urljoin(page.url, meta), timeout=10)
        assert pdf.status_code == 200 and pdf.content == pdf_body(key)
        best = record_json(srv, doi + "x")["best_oa_location"]["url_for_pdf"]
        assert requests.get(best, timeout=10).content == pdf_body(key + "x")


def test_is_oa_path() -> None:
    for path in ("/v2/10.1/x", "/doi/10.1/x", "/publisher/landing/10.1/x", "/publisher/pdf/x.pdf"):
        assert is_oa_path(path)
    assert is_oa_path("/publisher/supp/10.1/x.pdf")
    for path in ("/works/10.1/x", "/api/query", "/citations", "/v2", "/publisher/other"):
        assert not is_oa_path(path)
    assert OaCatalogue().answer("/works/10.1/x", {}, "http://127.0.0.1:9") is None


# ------------------------------------------------------------------ server integration


def test_oa_requests_are_logged_and_head_has_no_body(corpus: Corpus) -> None:
    with ReplayServer(corpus, oa=OaCatalogue(RECORDS)) as srv:
        doi = doi_of(oa.PDF)
        unpaywall(srv, doi)
        get(srv, doi_path(doi))
        head = requests.head(srv.base_url + pdf_path(doi), timeout=10)
        assert head.status_code == 200 and head.content == b""
        assert int(head.headers["Content-Length"]) == len(pdf_body(doi))
        log = [(r.method, r.path, r.status) for r in srv.requests]
        assert log == [
            ("GET", f"/v2/{doi}?email={quote(EMAIL)}", 200),
            ("GET", doi_path(doi), 302),
            ("HEAD", pdf_path(doi), 200),
        ]
        assert srv.unpaywall_api_url == srv.base_url


def test_faults_apply_to_oa_routes(corpus: Corpus) -> None:
    doi = doi_of(oa.PDF)
    fault = Fault("503", paths={pdf_path(doi)}, times=1)
    with ReplayServer(corpus, apis=False, oa=OaCatalogue(RECORDS), faults=[fault]) as srv:
        assert get(srv, pdf_path(doi)).status_code == 503
        assert get(srv, pdf_path(doi)).status_code == 200
        assert [r.status for r in srv.requests] == [503, 200]


def test_default_and_disabled_oa_routes(corpus: Corpus, apis: ApiCatalogue) -> None:
    with ReplayServer(corpus, apis=apis) as srv:  # default: over the API catalogue
        assert srv.oa is not None and srv.oa.apis is apis
        data = record_json(srv, apis.works[0].doi)
        assert data["title"] == apis.works[0].title
    with ReplayServer(corpus, apis=apis, oa=False) as srv:
        assert srv.oa is None
        off = unpaywall(srv, apis.works[0].doi)
        assert off.status_code == 404 and off.headers["Content-Type"].startswith("text/html")
    with ReplayServer(corpus, apis=False) as srv:  # no catalogue: every DOI is unknown
        assert unpaywall(srv, apis.works[0].doi).status_code == 404
