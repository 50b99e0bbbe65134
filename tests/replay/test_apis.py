"""The mock arXiv and Crossref APIs of the replay server, and their catalogue's ground truth."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from lxml import etree

from scholarcrawl.replay.apis import (
    ApiCatalogue,
    ArxivPaper,
    CrossrefWork,
    Person,
    QuerySyntaxError,
    Truth,
    parse_search_query,
    split_arxiv_id,
    title_key,
)
from scholarcrawl.replay.faults import parse_fault
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.server import ReplayServer, serve
from scholarcrawl.replay.templates import render_profile_html

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(__file__).resolve().parents[3] / "shared"
SAMPLES = SHARED / "api-samples"
needs_samples = pytest.mark.skipif(
    not (SAMPLES / "arxiv").is_dir() or not (SAMPLES / "crossref").is_dir(),
    reason="../shared/api-samples (the real 2026 answers) is not present",
)

SPEC = CorpusSpec(seed=11, sizes=(140, 70, 50), shared_per_pair=2)
WIDE = CorpusSpec.uniform(8, 150, seed=23)  # enough rows for every kind of distractor
FIXED = datetime(2026, 4, 12, 22, 9, 26, tzinfo=UTC)
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def clock() -> datetime:
    return FIXED


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(SPEC)


@pytest.fixture(scope="module")
def catalogue(corpus: Corpus) -> ApiCatalogue:
    return ApiCatalogue.from_corpus(corpus, clock=clock).prepare()


@pytest.fixture(scope="module")
def wide() -> ApiCatalogue:
    return ApiCatalogue.from_corpus(Corpus(WIDE), clock=clock).prepare()


@pytest.fixture(scope="module")
def server(corpus: Corpus, catalogue: ApiCatalogue) -> Iterator[ReplayServer]:
    with ReplayServer(corpus, apis=catalogue) as srv:
        yield srv


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:  # type: ignore[type-arg]
        return json.loads(self.body)  # type: ignore[no-any-return]

    def feed(self) -> etree._Element:
        return etree.fromstring(self.body, SAFE)


def get(server: ReplayServer, target: str) -> Answer:
    try:
        with urllib.request.urlopen(server.base_url + target, timeout=5) as response:
            headers = {k.lower(): v for k, v in response.getheaders()}
            return Answer(response.status, headers, response.read())
    except urllib.error.HTTPError as error:
        headers = {k.lower(): v for k, v in error.headers.items()}
        return Answer(error.code, headers, error.read())


def arxiv(server: ReplayServer, **params: object) -> Answer:
    return get(server, "/api/query?" + urlencode(params))


def works(server: ReplayServer, **params: object) -> Answer:
    return get(server, "/works?" + urlencode(params))


def entry_ids(feed: etree._Element) -> list[str]:
    return [e.findtext(f"{ATOM}id") for e in feed.iter(f"{ATOM}entry")]


def total_results(feed: etree._Element) -> int:
    return int(feed.findtext(f"{OPENSEARCH}totalResults"))


def plain_rows(corpus: Corpus) -> list:  # type: ignore[type-arg]
    """Rows with an ASCII title an arXiv phrase can quote, and an author line."""
    rows = [r for i in range(len(corpus)) for r in corpus.profile_at(i).default_rows]
    return [r for r in rows if r.title.isascii() and '"' not in r.title and r.authors]


def first_surname(authors: str) -> str:
    return authors.split(",")[0].strip().split(" ", 1)[-1]


# ------------------------------------------------------------------ catalogue and truth


def test_most_rows_have_a_doi_some_an_arxiv_id_some_neither(wide: ApiCatalogue) -> None:
    stats = wide.stats
    assert stats.papers > 1000
    assert 0.7 <= stats.doi_fraction <= 0.88
    assert 0.1 <= stats.arxiv_fraction <= 0.25
    assert 0 < stats.with_both < stats.with_arxiv
    assert 0.05 <= stats.neither_fraction <= 0.2
    assert stats.works > stats.with_doi  # distractors and background works besides


def test_every_row_has_a_truth_and_shared_papers_have_one(corpus: Corpus) -> None:
    catalogue = ApiCatalogue.from_corpus(corpus)
    rows = [r for i in range(len(corpus)) for r in corpus.profile_at(i).default_rows]
    for row in rows:
        truth = catalogue.truth_for_row(row)
        assert truth is not None, row.title
        if truth.doi:
            work = catalogue.work(truth.doi)
            assert work is not None and truth.doi == work.doi.lower()
            assert title_key(row.title).startswith(title_key(work.title))
        if truth.arxiv_id:
            paper = catalogue.arxiv_paper(truth.arxiv_id)
            assert paper is not None and title_key(paper.title) == title_key(row.title)
            if truth.doi and paper.doi:
                assert paper.doi.lower() == truth.doi
    assert catalogue.truth_for("A title no profile holds", 2020) is None
    # a paper shared by neighbours is one paper
    shared = set(corpus.shared_cluster_ids(0))
    twins = [
        r for i in (0, 1) for r in corpus.profile_at(i).default_rows if shared & set(r.cluster_ids)
    ]
    assert len(twins) == 2 * len(shared)
    assert len({catalogue.truth_for_row(r) for r in twins}) == len(shared)


def test_arxiv_preprint_venues_exist_on_arxiv_with_that_id(wide: ApiCatalogue) -> None:
    corpus = Corpus(WIDE)
    found = 0
    for i in range(len(corpus)):
        for row in corpus.profile_at(i).default_rows:
            m = re.fullmatch(r"arXiv preprint arXiv:(\d{4}\.\d{5})", row.venue or "")
            if not m:
                continue
            truth = wide.truth_for_row(row)
            assert truth is not None and truth.arxiv_id is not None
            if "scholar_arxiv_id_of_another_paper" not in truth.notes:
                assert truth.arxiv_id == m[1]
                found += 1
    assert found > 50


def test_records_differ_from_scholar_as_real_ones_do(wide: ApiCatalogue) -> None:
    notes = {n for _, _, t in wide.truths() for n in t.notes}
    for expected in (
        "subtitle_split",
        "title_case",
        "online_first",
        "year_plus_1",
        "initials_only",
        "no_authors",
        "no_date",
        "venue_expanded",
        "more_authors_than_scholar",
    ):
        assert expected in notes
    # Scholar's "K Srinivasan" is a full name on Crossref
    full = [
        w for w in wide.works if w.authors and w.authors[0].given and len(w.authors[0].given) > 3
    ]
    assert len(full) > len(wide.works) // 2
    assert any(w.type == "proceedings-article" for w in wide.works)
    assert {"journal-article", "book-chapter", "posted-content", "reference-entry"} <= {
        w.type for w in wide.works
    }


def test_null_dates_and_missing_authors_exist(wide: ApiCatalogue) -> None:
    undated = [w for w in wide.works if w.issued is None]
    authorless = [w for w in wide.works if not w.authors]
    assert undated and authorless
    record = undated[0].to_json()
    assert record["issued"] == {"date-parts": [[None]]}
    assert "published" not in record
    assert "author" not in authorless[0].to_json()


def test_distractors_errata_and_same_title_other_year(wide: ApiCatalogue) -> None:
    kinds = dict(wide.stats.distractors)
    for kind in ("near_title", "arxiv_near_title", "same_title_other_year", "preprint"):
        assert kinds.get(kind, 0) > 0, kind
    assert kinds.get("erratum", 0) + kinds.get("correction", 0) > 0
    for notice in wide.distractors("erratum") + wide.distractors("correction"):
        work = wide.work(notice.identifier)
        assert work is not None and notice.of_doi is not None
        assert re.match(r"(Erratum|Erratum to|Correction|Correction to): ", work.title)
        assert [u.doi.lower() for u in work.update_to] == [notice.of_doi]
        assert work.to_json()["update-to"][0]["DOI"] == notice.of_doi
    for twin in wide.distractors("same_title_other_year"):
        work = wide.work(twin.identifier)
        assert work is not None and work.title == twin.of_title
        truth = wide.truth_for(twin.of_title)
        assert truth is not None and truth.doi != twin.identifier
    for pre in wide.distractors("preprint"):
        posted = wide.work(pre.identifier)
        assert posted is not None and pre.of_doi is not None
        published = wide.work(pre.of_doi)
        assert published is not None
        assert posted.type == "posted-content"
        assert posted.to_json()["relation"]["is-preprint-of"][0]["id"] == pre.of_doi
        assert published.to_json()["relation"]["has-preprint"][0]["id"] == pre.identifier


def test_building_the_catalogue_leaves_scholar_pages_unchanged() -> None:
    before = [render_profile_html(Corpus(SPEC).profile_at(i), 0, 100, None) for i in range(3)]
    built = Corpus(SPEC)
    ApiCatalogue.from_corpus(built).prepare()
    after = [render_profile_html(built.profile_at(i), 0, 100, None) for i in range(3)]
    assert before == after


def test_same_spec_same_answers() -> None:
    one = ApiCatalogue.from_corpus(Corpus(SPEC), clock=clock)
    two = ApiCatalogue.from_corpus(Corpus(SPEC), clock=clock)
    row = plain_rows(Corpus(SPEC))[3]
    queries = [
        ("/api/query", {"search_query": [f'ti:"{row.title}"']}),
        ("/api/query", {"search_query": ["all:learning"], "max_results": ["50"]}),
        ("/works", {"query.bibliographic": [row.title], "rows": ["40"]}),
        ("/works", {"query.author": ["Srinivasan"], "rows": ["100"]}),
    ]
    for path, query in queries:
        a, b = one.answer(path, query), two.answer(path, query)
        assert a is not None and a == b
    assert [w.doi for w in one.works] == [w.doi for w in two.works]
    assert one.truths() == two.truths()


def test_from_works_and_truth_for() -> None:
    work = CrossrefWork("10.1000/ABC.1", "A hand built work", authors=(Person("Tosatto", "L."),))
    paper = ArxivPaper("2101.00001", "A hand built work", ("Laura Tosatto",), FIXED)
    catalogue = ApiCatalogue.from_works(
        [work, paper], {("A hand built work", 2021): Truth("10.1000/abc.1", "2101.00001")}
    )
    assert catalogue.work("10.1000/abc.1") is work
    assert catalogue.arxiv_paper("2101.00001v1") is paper
    assert catalogue.truth_for("A Hand-Built Work.", 2021) == Truth("10.1000/abc.1", "2101.00001")
    assert work.to_json()["DOI"] == "10.1000/abc.1"  # Crossref answers DOIs lower-cased


def test_arxiv_id_syntax() -> None:
    assert split_arxiv_id("2202.12139v1") == ("2202.12139", 1)
    assert split_arxiv_id("0704.0001") == ("0704.0001", None)
    assert split_arxiv_id("astro-ph/0601001") == ("astro-ph/0601001", None)
    assert split_arxiv_id("math.GT/0309136v2") == ("math.GT/0309136", 2)
    for bad in ("abc", "2202.123", "arXiv:2202.12139", "2202.12139v", "astro-ph/060100"):
        assert split_arxiv_id(bad) is None


@pytest.mark.parametrize(
    "query",
    ['ti:"unbalanced', "xx:foo", "ti:foo AND", "(ti:foo", "ti:foo)", "AND ti:foo", "ti:"],
)
def test_malformed_search_queries(query: str) -> None:
    with pytest.raises(QuerySyntaxError):
        parse_search_query(query)


# ------------------------------------------------------------------ arXiv over HTTP


def test_title_and_author_search_finds_the_true_paper_first(
    server: ReplayServer, corpus: Corpus, catalogue: ApiCatalogue
) -> None:
    checked = 0
    for row in plain_rows(corpus):
        truth = catalogue.truth_for_row(row)
        if truth is None or truth.arxiv_id is None:
            continue
        answer = arxiv(server, search_query=f'ti:"{row.title}" AND au:{first_surname(row.authors)}')
        assert answer.status == 200
        assert answer.headers["content-type"] == "application/atom+xml; charset=utf-8"
        ids = entry_ids(answer.feed())
        assert ids and re.fullmatch(
            rf"http://arxiv\.org/abs/{re.escape(truth.arxiv_id)}v\d+", ids[0]
        )
        checked += 1
    assert checked >= 10
    # a title phrase alone, and a word search, find it too
    row = next(r for r in plain_rows(corpus) if (t := catalogue.truth_for_row(r)) and t.arxiv_id)
    truth = catalogue.truth_for_row(row)
    assert truth is not None and truth.arxiv_id is not None
    alone = arxiv(server, search_query=f'ti:"{row.title.lower()}"', max_results=50).feed()
    assert any(truth.arxiv_id in i for i in entry_ids(alone))
    word = max(row.title.split(), key=len).strip(":?")
    broad = arxiv(server, search_query=f"all:{word}", max_results=500).feed()
    assert total_results(broad) >= 1 and any(truth.arxiv_id in i for i in entry_ids(broad))


def test_author_search_ignores_diacritics_and_reads_underscores() -> None:
    paper = ArxivPaper(
        "1201.4869",
        "A Luttinger Liquid Core Inside Helium-4 Filled Nanopores",
        ("Adrian Del Maestro", "Jürgen Müller"),
        datetime(2012, 1, 23, 21, 15, 2, tzinfo=UTC),
        doi="10.1142/S021797921244002X",
    )
    other = ArxivPaper(
        "1201.0001", "Helium in nanopores", ("Ann Maestro",), datetime(2013, 1, 1, tzinfo=UTC)
    )
    newer = ArxivPaper("2301.00002", "Helium in nanopores revisited", ("Bo Li",), FIXED)
    catalogue = ApiCatalogue.from_works([paper, other, newer], clock=clock)

    def ids(q: str) -> list[str]:
        answer = catalogue.answer("/api/query", {"search_query": [q]})
        assert answer is not None and answer.status == 200, q
        return entry_ids(etree.fromstring(answer.body, SAFE))

    assert ids("au:del_maestro") == ["http://arxiv.org/abs/1201.4869v1"]
    assert ids("au:muller") == ids("au:Müller") == ["http://arxiv.org/abs/1201.4869v1"]
    assert ids("au:maestro") == [  # no title words to rank by: newest first
        "http://arxiv.org/abs/1201.0001v1",
        "http://arxiv.org/abs/1201.4869v1",
    ]
    assert ids('ti:"helium-4 filled"') == ["http://arxiv.org/abs/1201.4869v1"]
    assert ids("ti:helium ANDNOT au:del_maestro") == [  # same overlap: newest first
        "http://arxiv.org/abs/2301.00002v1",
        "http://arxiv.org/abs/1201.0001v1",
    ]
    assert ids('ti:"helium in nanopores"') == [  # the exact title first
        "http://arxiv.org/abs/1201.0001v1",
        "http://arxiv.org/abs/2301.00002v1",
    ]
    assert ids("ti:luttinger OR au:nobody") == ["http://arxiv.org/abs/1201.4869v1"]
    assert ids('ti:"filled helium"') == []  # a phrase is contiguous


def test_id_list_with_and_without_versions(server: ReplayServer, catalogue: ApiCatalogue) -> None:
    multi = next(p for p in catalogue.arxiv_papers if p.version > 1)
    single = next(p for p in catalogue.arxiv_papers if p.version == 1)
    feed = arxiv(server, id_list=f"{multi.arxiv_id},{single.arxiv_id}v1").feed()
    assert entry_ids(feed) == [
        f"http://arxiv.org/abs/{multi.arxiv_id}v{multi.version}",
        f"http://arxiv.org/abs/{single.arxiv_id}v1",
    ]
    assert total_results(feed) == 2
    first = arxiv(server, id_list=f"{multi.arxiv_id}v1").feed()
    assert entry_ids(first) == [f"http://arxiv.org/abs/{multi.arxiv_id}v1"]
    entry = first.find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}updated") == entry.findtext(f"{ATOM}published")


def test_nonexistent_id_is_an_empty_feed(server: ReplayServer) -> None:
    answer = arxiv(server, id_list="0000.0000")
    assert answer.status == 200
    feed = answer.feed()
    assert total_results(feed) == 0 and entry_ids(feed) == []
    assert feed.findtext(f"{ATOM}title").startswith("arXiv Query: search_query=&id_list=0000.0000")


def test_malformed_id_is_a_400_error_feed(server: ReplayServer) -> None:
    answer = arxiv(server, id_list="abc")
    assert answer.status == 400
    assert answer.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = answer.feed()
    entry = feed.find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}id") == "https://arxiv.org/api/errors#incorrect_id_format_for_abc"
    assert entry.findtext(f"{ATOM}title") == "Error"
    assert entry.findtext(f"{ATOM}summary") == "incorrect id format for abc"
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "arXiv api core"
    assert total_results(feed) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"search_query": 'ti:"no closing quote'},
        {"search_query": "xx:foo"},
        {"search_query": "ti:foo AND"},
        {"start": "x", "search_query": "all:x"},
        {"max_results": "-1", "search_query": "all:x"},
    ],
)
def test_bad_query_is_a_400_error_feed(server: ReplayServer, params: dict[str, str]) -> None:
    answer = arxiv(server, **params)
    assert answer.status == 400
    entry = answer.feed().find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Error"
    assert entry.findtext(f"{ATOM}id").startswith("https://arxiv.org/api/errors#")


def test_paging_and_sorting(server: ReplayServer) -> None:
    everything = arxiv(server, search_query="all:learning", max_results=1000).feed()
    total = total_results(everything)
    assert total > 3 and len(entry_ids(everything)) == total
    page = arxiv(server, search_query="all:learning", start=2, max_results=2).feed()
    assert entry_ids(page) == entry_ids(everything)[2:4]
    assert page.findtext(f"{OPENSEARCH}startIndex") == "2"
    assert page.findtext(f"{OPENSEARCH}itemsPerPage") == "2"
    newest = arxiv(server, search_query="all:learning", sortBy="submittedDate", max_results=1000)
    dates = [e.findtext(f"{ATOM}published") for e in newest.feed().iter(f"{ATOM}entry")]
    assert dates == sorted(dates, reverse=True)


def test_entries_carry_doi_and_journal_ref_when_published(
    server: ReplayServer, catalogue: ApiCatalogue
) -> None:
    paper = next(p for p in catalogue.arxiv_papers if p.doi and p.journal_ref)
    entry = arxiv(server, id_list=paper.arxiv_id).feed().find(f"{ATOM}entry")
    assert entry.findtext(f"{ARXIV}doi") == paper.doi
    assert entry.findtext(f"{ARXIV}journal_ref") == paper.journal_ref
    links = {
        (link.get("rel"), link.get("title")): link.get("href") for link in entry.iter(f"{ATOM}link")
    }
    assert links[("related", "doi")] == f"https://doi.org/{paper.doi}"
    assert links[("related", "pdf")].startswith("https://arxiv.org/pdf/" + paper.arxiv_id)
    assert [a.findtext(f"{ATOM}name") for a in entry.iter(f"{ATOM}author")] == list(paper.authors)


def _shape(element: etree._Element) -> list[str]:
    """Child element names, runs collapsed (author, author -> author)."""
    names: list[str] = []
    for child in element:
        name = etree.QName(child).localname
        if name == "link":
            name += f"[{child.get('rel')},{child.get('title')}]"
        if not names or names[-1] != name:
            names.append(name)
    return names


@needs_samples
def test_feeds_have_the_structure_of_the_2026_samples(
    server: ReplayServer, catalogue: ApiCatalogue
) -> None:
    real_search = etree.parse(
        str(SAMPLES / "arxiv/arxiv_2026_search_testing_start0_max10.xml"), SAFE
    )
    real_error = etree.parse(str(SAMPLES / "arxiv/arxiv_2026_id_list_abc_http400_error.xml"), SAFE)
    real_empty = etree.parse(str(SAMPLES / "arxiv/arxiv_2026_id_list_0000.0000_empty.xml"), SAFE)
    ours_search = arxiv(server, search_query="all:learning", max_results=10).feed()
    ours_error = arxiv(server, id_list="abc").feed()
    ours_empty = arxiv(server, id_list="0000.0000").feed()
    for real, ours in (
        (real_search, ours_search),
        (real_error, ours_error),
        (real_empty, ours_empty),
    ):
        root = real.getroot()
        assert ours.nsmap == root.nsmap
        assert ours.tag == root.tag
        assert _shape(ours) == _shape(root)
    assert _shape(ours_error.find(f"{ATOM}entry")) == _shape(
        real_error.getroot().find(f"{ATOM}entry")
    )
    # every entry: the sample's element order, optional parts where the sample has them
    real_shapes = [_shape(e) for e in real_search.getroot().iter(f"{ATOM}entry")]
    optional = {"comment", "journal_ref", "doi", "link[related,doi]"}
    full = max(real_shapes, key=len)
    entries = list(catalogue.arxiv_papers)
    feed = arxiv(server, id_list=",".join(p.arxiv_id for p in entries[:40]), max_results=40).feed()
    for entry in feed.iter(f"{ATOM}entry"):
        shape = _shape(entry)
        assert [n for n in full if n in shape] == shape
        assert set(full) - set(shape) <= optional
        assert entry.find(f"{ATOM}category").get("scheme") == "http://arxiv.org/schemas/atom"
    real_id = real_search.getroot().findtext(f"{ATOM}id")
    assert re.fullmatch(r"https://arxiv\.org/api/[\w+/]{27}", real_id)
    assert re.fullmatch(r"https://arxiv\.org/api/[\w+/]{27}", ours_search.findtext(f"{ATOM}id"))


# ------------------------------------------------------------------ Crossref over HTTP


def test_bibliographic_and_author_query_ranks_the_true_work_first(
    server: ReplayServer, corpus: Corpus, catalogue: ApiCatalogue
) -> None:
    lookalike = {
        d.of_title
        for d in catalogue.distractors()
        if d.kind in ("same_title_other_year", "preprint")
    }
    checked = 0
    for row in plain_rows(corpus)[:60]:
        truth = catalogue.truth_for_row(row)
        if truth is None or truth.doi is None or row.title in lookalike:
            continue
        answer = works(
            server,
            **{"query.bibliographic": row.title, "query.author": first_surname(row.authors)},
            rows=5,
            mailto="test@example.org",
        )
        assert answer.status == 200 and answer.headers["content-type"] == "application/json"
        items = answer.json()["message"]["items"]
        assert items[0]["DOI"] == truth.doi, row.title
        assert items[0]["score"] > items[-1]["score"] > 0
        checked += 1
    assert checked >= 20


def test_work_list_envelope_select_and_rows(server: ReplayServer) -> None:
    answer = works(
        server, **{"query.bibliographic": "learning networks"}, rows=3, select="DOI,title,score"
    )
    body = answer.json()
    assert (body["status"], body["message-type"], body["message-version"]) == (
        "ok",
        "work-list",
        "1.0.0",
    )
    message = body["message"]
    assert list(message) == ["facets", "total-results", "items", "items-per-page", "query"]
    assert message["facets"] == {} and message["items-per-page"] == 3
    assert message["query"] == {"start-index": 0, "search-terms": None}
    assert len(message["items"]) == 3 and message["total-results"] > 3
    assert all(set(item) == {"DOI", "title", "score"} for item in message["items"])
    assert isinstance(message["items"][0]["score"], float)
    assert b"\\/" in answer.body  # Crossref escapes slashes
    default = works(server, query="learning").json()["message"]
    assert default["items-per-page"] == 20 and len(default["items"]) == 20
    assert default["query"]["search-terms"] == "learning"
    assert "author" in default["items"][0] or default["items"][0]["type"] == "reference-entry"


def test_offset_cursor_and_filters(server: ReplayServer) -> None:
    ranked = [i["DOI"] for i in works(server, query="learning", rows=10).json()["message"]["items"]]
    shifted = works(server, query="learning", rows=4, offset=3).json()["message"]
    assert [i["DOI"] for i in shifted["items"]] == ranked[3:7]
    first = works(server, query="learning", rows=4, cursor="*").json()["message"]
    following = works(server, query="learning", rows=4, cursor=first["next-cursor"]).json()[
        "message"
    ]
    assert [i["DOI"] for i in first["items"] + following["items"]] == ranked[:8]
    typed = works(
        server, query="learning", rows=100, filter="type:journal-article,from-pub-date:2015"
    )
    items = typed.json()["message"]["items"]
    assert items and all(i["type"] == "journal-article" for i in items)
    assert all(i["issued"]["date-parts"][0][0] >= 2015 for i in items)


@pytest.mark.parametrize(
    ("params", "kind", "value"),
    [
        ({"rows": "1001"}, "integer-not-valid", "1001"),
        ({"rows": "ten"}, "integer-not-valid", "ten"),
        ({"select": "DOI,doi"}, "select-not-available", "doi"),
        ({"select": "DOI,nonsense"}, "select-not-available", "nonsense"),
        ({"flavour": "vanilla"}, "parameter-not-allowed", "flavour"),
        ({"filter": "colour:blue"}, "filter-not-available", "colour"),
    ],
)
def test_work_list_validation_failures(
    server: ReplayServer, params: dict[str, str], kind: str, value: str
) -> None:
    answer = works(server, query="learning", **params)
    assert answer.status == 400 and answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["status"] == "failed" and body["message-type"] == "validation-failure"
    assert [(m["type"], m["value"]) for m in body["message"]] == [(kind, value)]
    if kind == "integer-not-valid":
        assert body["message"][0]["message"] == (
            f"Integer specified as {value} but must be a positive integer less than or "
            "equal to 1000. "
        )


def test_single_work_found(server: ReplayServer, catalogue: ApiCatalogue) -> None:
    work = next(w for w in catalogue.works if any(c.isupper() for c in w.doi))
    answer = get(server, "/works/" + work.doi)
    assert answer.status == 200 and answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert (body["status"], body["message-type"], body["message-version"]) == (
        "ok",
        "work",
        "1.0.0",
    )
    message = body["message"]
    assert (
        message["DOI"] == work.doi.lower()
        and message["URL"] == "https://doi.org/" + work.doi.lower()
    )
    assert message["score"] == 1
    assert get(server, "/works/" + quote(work.doi.lower(), safe="")).json() == body
    if work.authors:
        assert message["author"][0] == {
            **({"given": work.authors[0].given} if work.authors[0].given else {}),
            "family": work.authors[0].family,
            "sequence": "first",
            "affiliation": [],
        }
        assert all(a["sequence"] == "additional" for a in message["author"][1:])


def test_single_work_not_found_is_plain_text(server: ReplayServer) -> None:
    answer = get(server, "/works/10.1371/notarealdoi")
    assert answer.status == 404
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.body == b"Resource not found."


def test_field_query_on_a_single_work_is_refused(
    server: ReplayServer, catalogue: ApiCatalogue
) -> None:
    answer = get(server, f"/works/{catalogue.works[0].doi}?query.author=x")
    assert answer.status == 400
    expected = {
        "status": "failed",
        "message-type": "validation-failure",
        "message": [
            {
                "type": "parameter-not-allowed",
                "value": "query.*",
                "message": "This route does not support field query parameters",
            }
        ],
    }
    sample = (
        SAMPLES / "crossref/crossref_work_with_query_param_http400_validation_failure_2026.json"
    )
    if sample.exists():
        expected = json.loads(sample.read_text())
        assert answer.body == sample.read_bytes().strip()
    assert answer.json() == expected


@needs_samples
def test_work_records_use_the_fields_of_the_2026_samples(wide: ApiCatalogue) -> None:
    real_keys: set[str] = set()
    real_author_keys: set[str] = set()
    for path in (SAMPLES / "crossref").glob("*.json"):
        message = json.loads(path.read_text())["message"]
        if isinstance(message, dict):
            for item in message.get("items", [message]):
                real_keys |= set(item)
                for author in item.get("author", []):
                    real_author_keys |= set(author)
    ours: set[str] = set()
    for work in wide.works:
        record = work.to_json(12.5)
        ours |= set(record)
        for author in record.get("author", []):
            assert set(author) <= real_author_keys
    assert ours - real_keys == {"update-to"}  # a field the samples (no errata) cannot show
    assert {"DOI", "type", "title", "issued", "container-title", "publisher", "URL"} <= ours


# ------------------------------------------------------------------ server wiring


@pytest.mark.parametrize(
    ("spec", "target", "status"),
    [
        ("429:paths=/api/query,retry_after=5", "/api/query?search_query=all:learning", 429),
        ("503:paths=/works,retry_after=7", "/works?query=learning", 503),
        ("500:paths=/works", "/works?query=learning", 500),
    ],
)
def test_error_faults_apply_to_api_paths(
    corpus: Corpus, catalogue: ApiCatalogue, spec: str, target: str, status: int
) -> None:
    fault = parse_fault(spec + ",times=1")
    with ReplayServer(corpus, apis=catalogue, faults=[fault]) as srv:
        faulted = get(srv, target)
        assert faulted.status == status
        if fault.retry_after is not None:
            assert faulted.headers["retry-after"] == str(fault.retry_after)
        assert get(srv, target).status == 200  # times=1
        assert get(srv, "/citations?user=" + corpus.ids[0] + "&hl=en").status == 200
    assert fault.fired == 1


def test_truncated_fault_breaks_json_and_xml(corpus: Corpus, catalogue: ApiCatalogue) -> None:
    doi = catalogue.works[0].doi
    faults = [
        parse_fault("truncated:paths=/works"),
        parse_fault(f"truncated:paths=/api/query;/works/{doi}"),
    ]
    with ReplayServer(corpus, apis=catalogue, faults=faults) as srv:
        listing = get(srv, "/works?query=learning")
        assert listing.status == 200 and int(listing.headers["content-length"]) == len(listing.body)
        with pytest.raises(json.JSONDecodeError):
            json.loads(listing.body)
        single = get(srv, f"/works/{doi}")
        with pytest.raises(json.JSONDecodeError):
            json.loads(single.body)
        feed = get(srv, "/api/query?search_query=all:learning")
        with pytest.raises(etree.XMLSyntaxError):
            etree.fromstring(feed.body, SAFE)
        assert get(srv, "/works/10.1371/notarealdoi").status == 404  # non-200 passes unchanged


def test_reset_and_slow_faults_apply_to_api_paths(corpus: Corpus, catalogue: ApiCatalogue) -> None:
    faults = [
        parse_fault("reset:paths=/works,times=1"),
        parse_fault("slow:paths=/api/query,delay=0.2,times=1"),
    ]
    with ReplayServer(corpus, apis=catalogue, faults=faults) as srv:
        with pytest.raises((ConnectionError, urllib.error.URLError)):
            urllib.request.urlopen(srv.base_url + "/works?query=x", timeout=5)
        assert get(srv, "/works?query=x").status == 200
        started = time.monotonic()
        assert get(srv, "/api/query?id_list=0000.0000").status == 200
        assert time.monotonic() - started >= 0.2
        assert [r.status for r in srv.requests][:2] == [0, 200]


def test_request_log_records_api_requests(corpus: Corpus, catalogue: ApiCatalogue) -> None:
    with ReplayServer(corpus, apis=catalogue) as srv:
        targets = [
            "/api/query?search_query=ti:%22x%22%20AND%20au:y&max_results=1",
            "/works?query.bibliographic=a+b&rows=2&mailto=me%40example.org",
            "/works/10.1371/notarealdoi",
        ]
        for target in targets:
            get(srv, target)
        log = srv.requests
        assert [r.path for r in log] == targets
        assert [r.status for r in log] == [200, 200, 404]
        assert all(r.method == "GET" and r.scholar_id is None for r in log)
        assert srv.request_count("/api/query") == 1 and srv.request_count("/works") == 2
        assert log[0].monotonic <= log[1].monotonic <= log[2].monotonic


def test_apis_off_and_default_catalogue(corpus: Corpus) -> None:
    with ReplayServer(corpus, apis=False) as srv:
        assert get(srv, "/works?query=x").status == 404
        assert get(srv, "/api/query?id_list=0000.0000").status == 404
    with ReplayServer(corpus) as srv:  # default: the corpus's own catalogue, built on first use
        assert srv.apis is not None
        assert get(srv, "/api/query?id_list=0000.0000").status == 200
        assert srv.arxiv_api_url == srv.base_url + "/api/query"
        assert srv.crossref_api_url == srv.base_url


def test_serve_calls_on_listening_with_the_server() -> None:
    out, stop = io.StringIO(), threading.Event()
    seen: list[ReplayServer] = []

    def listening(server: ReplayServer) -> None:
        seen.append(server)
        stop.set()

    serve(CorpusSpec(sizes=(5, 5)), out=out, stop=stop, on_listening=listening)
    assert len(seen) == 1 and seen[0].apis is not None
    assert out.getvalue() == f"replay: serving 2 profiles on {seen[0].base_url}\n"


def test_replay_command_prints_the_api_urls(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "scholarcrawl.cli", "replay", "--port", "0"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        assert process.stdout is not None
        serving = process.stdout.readline()
        base = re.fullmatch(r"replay: serving 3 profiles on (http://127\.0\.0\.1:\d+)\n", serving)
        assert base is not None
        assert process.stdout.readline() == f"ARXIV_API_URL={base[1]}/api/query\n"
        assert process.stdout.readline() == f"CROSSREF_API_URL={base[1]}\n"
        with urllib.request.urlopen(f"{base[1]}/works?rows=0", timeout=10) as response:
            assert json.loads(response.read())["message"]["items"] == []
        with urllib.request.urlopen(f"{base[1]}/api/query?id_list=0000.0000", timeout=10) as r:
            assert total_results(etree.fromstring(r.read(), SAFE)) == 0
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_search_is_fast(wide: ApiCatalogue) -> None:
    rows = [r for i in range(3) for r in Corpus(WIDE).profile_at(i).default_rows[:40]]
    started = time.perf_counter()
    for row in rows:
        wide.answer("/works", {"query.bibliographic": [row.title], "query.author": ["Srinivasan"]})
        wide.answer("/api/query", {"search_query": [f"ti:{row.title.split()[0]}"]})
    assert (time.perf_counter() - started) / len(rows) < 0.02
