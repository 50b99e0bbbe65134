"""Detail pages and full co-author lists through the real item pipelines: validation,
identifier resolution with the replay server's mock arXiv and Crossref (never a real host),
the PDF queue and the store.

Profile rows are stored by a first crawl; their detail pages come in a second one, as the
scholar spider asks for them once the rows are stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from scholarcrawl.fingerprint import publication_fingerprint
from scholarcrawl.items import CoauthorsItem, PublicationDetailItem, PublicationItem
from scholarcrawl.pipelines.fingerprint import FingerprintPipeline
from scholarcrawl.pipelines.pdf_queue import PdfQueuePipeline
from scholarcrawl.pipelines.store import StorePipeline
from scholarcrawl.pipelines.validate import ValidatePipeline
from scholarcrawl.replay.apis import ApiCatalogue, CrossrefWork, Person
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.server import ReplayServer
from scholarcrawl.store.db import make_engine, upgrade
from scholarcrawl.store.models import CrawlRun, PdfQueueEntry, Publication, Scholar
from scholarcrawl.store.repository import Repository
from tests.support.crawl import api_settings
from tests.support.itemfeed import feed

ADA = "AAAAAAAAAAAJ"

# A paper whose Crossref record lists its authors from the fourth on (the corresponding
# authors first, the first author missing): the profile's cut line names only the first
# three, so the record's first author is nowhere in it and matching refuses it
# (author_mismatch); the detail page's full list holds her (first_author_elsewhere, 0.6).
CUT_TITLE = "Entropy bounds for sparse graph codes in distributed storage"
CUT_LINE = "W Cai, Z Wang, JB Ernst, ..."
FULL_LIST = ["Wei Cai", "Zehua Wang", "Jason B Ernst", "Zhen Hong", "Chen Feng", "Victor CM Leung"]
CUT_DOI = "10.5555/sgc.2018.17"
RECORD = CrossrefWork(
    doi=CUT_DOI,
    title=CUT_TITLE,
    authors=(Person("Hong", "Zhen"), Person("Feng", "Chen"), Person("Leung", "Victor C. M.")),
    container_title="IEEE Access",
    issued=(2018, 9, 16),
)
# Papers the mock APIs do not know.
LINKED_TITLE = "Cache-oblivious layouts for persistent skip lists under contention"
LINKED_DOI = "10.1145/3366423.3380001"
RESOLVED_TITLE = "A resolved paper on wavelet packet denoising of seismic records"


def row(title: str, position: int, authors: str, venue: str, **fields: Any) -> dict[str, Any]:
    return {
        "item_type": "publication",
        "scholar_id": ADA,
        "title": title,
        "authors": authors,
        "venue": venue,
        "year": 2018,
        "citations": 3,
        "merged": False,
        "cluster_ids": [f"{9000 + position}"],
        "scholar_pub_key": f"{ADA}:key{position:08d}",
        "position": position,
        **fields,
    }


ROWS = [
    row(CUT_TITLE, 1, CUT_LINE, "IEEE Access 6, 53019-53033"),
    row(LINKED_TITLE, 2, "Q Lin, ...", "Proceedings of The Web Conference 2020, 1-12"),
    row(RESOLVED_TITLE, 3, "R Sato, T Mori", "Journal of Seismic Tests 4, 1-9, doi:10.9999/jst.4"),
]


def detail(stored: dict[str, Any], repo: Repository, **fields: Any) -> dict[str, Any]:
    """The detail item the spider would yield for a stored row (``publication_id`` and the
    stored ``fingerprint`` carried)."""
    (publication, _), *_ = (
        (pub, auth)
        for pub, auth in repo.publications_of(ADA)
        if auth.scholar_pub_key == stored["scholar_pub_key"]
    )
    return {
        "item_type": "publication_detail",
        "scholar_id": ADA,
        "scholar_pub_key": stored["scholar_pub_key"],
        "title": stored["title"],
        "authors": stored["authors"],
        "author_list": [],
        "venue": None,
        "year": 2018,
        "publication_id": publication.id,
        "fingerprint": publication.fingerprint,
        **fields,
    }


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    catalogue = ApiCatalogue.from_works([RECORD])
    with ReplayServer(Corpus(CorpusSpec(seed=5, sizes=(1,))), apis=catalogue, oa=False) as server:
        yield server


def api_requests(server: ReplayServer) -> list[str]:
    return [r.path for r in server.requests if r.path.startswith(("/api/query", "/works"))]


def last_stats(database_url: str) -> dict[str, Any]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            stats = connection.execute(
                select(CrawlRun.stats).order_by(CrawlRun.created_at.desc()).limit(1)
            ).scalar_one()
        return dict(stats or {})
    finally:
        engine.dispose()


@pytest.mark.slow
def test_detail_pages_resolve_what_profile_rows_could_not(
    replay: ReplayServer, database_url: str, tmp_path: Path
) -> None:
    settings = {
        "SCHOLARCRAWL_DATABASE_URL": database_url,
        "SCHOLARCRAWL_CONTACT_EMAIL": "ops@example.org",
        **api_settings(replay.base_url),
    }
    first = feed(ROWS, tmp_path, settings)
    assert first.returncode == 0, first.stderr[-3000:]
    engine = make_engine(database_url)
    repo = Repository(engine)
    try:
        before = {pub.title: pub for pub, _ in repo.publications_of(ADA)}
        # the cut line could not settle the paper Crossref knows: its first author is missing
        assert before[CUT_TITLE].identifier_status == "no_match"
        assert before[LINKED_TITLE].identifier_status == "no_match"
        assert before[RESOLVED_TITLE].identifier_status == "resolved"
        assert any(path.startswith("/works?") for path in api_requests(replay))
        replay.reset_requests()

        details = [
            detail(
                ROWS[0],
                repo,
                authors=", ".join(FULL_LIST),
                author_list=FULL_LIST,
                venue="IEEE Access",
                journal="IEEE Access",
                volume="6",
                pages="53019-53033",
                citations=485,
            ),
            detail(
                ROWS[1],
                repo,
                authors="Qi Lin, Rana Ortiz",
                venue="Proceedings of The Web Conference 2020",
                conference="Proceedings of The Web Conference 2020",
                link_url=f"https://dl.acm.org/doi/abs/{LINKED_DOI}",
                fulltext_url="https://arxiv.org/pdf/2001.01234v2",
                fulltext_kind="pdf",
            ),
            detail(ROWS[2], repo, authors="Rie Sato, Taro Mori", venue="Journal of Seismic Tests"),
            # invalid, and one whose publication is not stored: dropped, each counted
            detail(ROWS[2], repo, scholar_pub_key=""),
            {
                **detail(ROWS[2], repo),
                "scholar_pub_key": f"{ADA}:gone00000000",
                "publication_id": None,
            },
            {"item_type": "coauthors", "scholar_id": ADA, "coauthors": [{"scholar_id": "nope"}]},
            {
                "item_type": "coauthors",
                "scholar_id": ADA,
                "coauthors": [
                    {"scholar_id": "BBBBBBBBBBBJ", "name": "Bob Other", "affiliation": None}
                ],
            },
        ]
        second = feed(details, tmp_path, settings)
        assert second.returncode == 0, second.stderr[-3000:]
        after = {pub.title: pub for pub, _ in repo.publications_of(ADA)}

        cut = after[CUT_TITLE]
        assert (cut.identifier_status, cut.authors) == ("resolved", ", ".join(FULL_LIST))
        assert (cut.fingerprint, cut.details_status, cut.detail_citations) == (
            before[CUT_TITLE].fingerprint,
            "fetched",
            485,
        )
        (found,) = repo.identifiers_of(cut.id)
        assert (found.kind, found.value, found.role, found.source) == (
            "doi",
            CUT_DOI,
            "self",
            "crossref",
        )
        assert found.evidence["author"] == 0.6
        assert "first_author_elsewhere" in found.evidence["notes"]

        # the DOI in the title link is the paper's own, found without asking anyone; the
        # arXiv [PDF] link of a conference paper is its preprint (another version)
        linked = after[LINKED_TITLE]
        assert linked.identifier_status == "resolved"
        identifiers = {(i.kind, i.value): i for i in repo.identifiers_of(linked.id)}
        assert set(identifiers) == {("doi", LINKED_DOI), ("arxiv", "2001.01234")}
        own = identifiers[("doi", LINKED_DOI)]
        assert (own.role, own.source, own.confidence, own.evidence["field"]) == (
            "self",
            "local",
            1.0,
            "link",
        )
        assert identifiers[("arxiv", "2001.01234")].role == "version"

        # resolved before: asked again of nobody; its detail page is still written
        resolved = after[RESOLVED_TITLE]
        assert (resolved.details_status, resolved.authors) == ("fetched", "R Sato, T Mori")

        # the cut paper was the only one the APIs were asked about
        asked = api_requests(replay)
        assert asked and all("Entropy" in path or "entropy" in path for path in asked), asked

        with engine.connect() as connection:
            queued = dict(
                connection.execute(select(PdfQueueEntry.publication_id, PdfQueueEntry.doi)).all()
            )
            coauthors_full = connection.execute(
                select(Scholar.coauthors_full).where(Scholar.scholar_id == ADA)
            ).scalar_one()
        assert queued[cut.id] == CUT_DOI and queued[linked.id] == LINKED_DOI
        assert coauthors_full == [
            {"scholar_id": "BBBBBBBBBBBJ", "name": "Bob Other", "affiliation": None}
        ]
    finally:
        engine.dispose()

    stats = last_stats(database_url)
    assert stats["scholarcrawl/store/details/merged"] == 3
    assert stats["scholarcrawl/store/details/missing"] == 1
    assert stats["scholarcrawl/store/details/authors_replaced"] == 2
    assert stats["scholarcrawl/store/coauthors/stored"] == 1
    assert stats["scholarcrawl/identifiers/skipped/already_resolved"] == 1
    assert stats["scholarcrawl/identifiers/skipped/no_publication"] == 1
    assert stats["scholarcrawl/validate/dropped/empty_key"] == 1
    assert stats["scholarcrawl/validate/dropped/bad_coauthors"] == 1


# --- the pipelines one by one (no crawl) -----------------------------------------------------


def _crawler(**settings: Any) -> Any:
    crawler = get_crawler(Spider, settings)
    crawler.spider = Spider("scholar")
    crawler.stats.open_spider()  # type: ignore[union-attr]
    return crawler


def _detail_item(**fields: Any) -> PublicationDetailItem:
    values: dict[str, Any] = {
        "scholar_id": ADA,
        "scholar_pub_key": f"{ADA}:key00000001",
        "title": "A paper",
        "authors": "Ada Author",
        "author_list": ["Ada Author"],
        "venue": None,
        "year": 2020,
        "fingerprint": "f" * 32,
    }
    values.update(fields)
    return PublicationDetailItem(**values)


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (_detail_item(scholar_id="short"), "bad_scholar_id"),
        (_detail_item(scholar_pub_key=" "), "empty_key"),
        (_detail_item(title=""), "empty_title"),
        (_detail_item(citations=-1), "bad_citations"),
        (_detail_item(citations=True), "bad_citations"),
        (_detail_item(citations="12"), "bad_citations"),
        (CoauthorsItem(scholar_id="BAD", coauthors=[]), "bad_scholar_id"),
        (CoauthorsItem(scholar_id=ADA, coauthors="AAAAAAAAAAAJ"), "bad_coauthors"),  # type: ignore[arg-type]
        (CoauthorsItem(scholar_id=ADA, coauthors=["BBBBBBBBBBBJ"]), "bad_coauthors"),  # type: ignore[list-item]
        (CoauthorsItem(scholar_id=ADA, coauthors=[{"name": "No id"}]), "bad_coauthors"),
    ],
)
def test_validate_drops_detail_and_coauthor_items_with_a_counted_reason(
    item: Any, reason: str
) -> None:
    crawler = _crawler()
    with pytest.raises(DropItem, match=reason):
        ValidatePipeline.from_crawler(crawler).process_item(item)
    assert crawler.stats.get_value(f"scholarcrawl/validate/dropped/{reason}") == 1


@pytest.mark.parametrize(
    "item",
    [
        _detail_item(),
        _detail_item(citations=None),
        _detail_item(citations=0),
        CoauthorsItem(scholar_id=ADA, coauthors=[]),
        CoauthorsItem(scholar_id=ADA, coauthors=[{"scholar_id": "BBBBBBBBBBBJ", "name": "B"}]),
    ],
)
def test_validate_passes_good_detail_and_coauthor_items(item: Any) -> None:
    assert ValidatePipeline.from_crawler(_crawler()).process_item(item) is item


def test_a_detail_item_keeps_its_carried_fingerprint_and_queues_its_pdf() -> None:
    item = _detail_item(authors="Zed Last, Ada Author", year=1999)
    FingerprintPipeline().process_item(item)
    assert item.fingerprint == "f" * 32
    PdfQueuePipeline.from_crawler(_crawler()).process_item(item)
    assert item.queue_pdf is True


def test_the_store_drops_a_detail_page_whose_publication_is_gone(tmp_path: Path) -> None:
    """Also: a detail page waits for the rows handed over before it (its publication may be
    one of them), and a co-author list is stored on its profile."""
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    run_id = Repository(engine).start_run("scholar", {})
    crawler = _crawler(SCHOLARCRAWL_DATABASE_URL=url, SCHOLARCRAWL_STORE_BATCH_WAIT_SECONDS=5)
    crawler.spider.run_id = run_id
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider(crawler.spider)
    values = row("A paper", 1, "A Author, ...", "Journal")
    values.pop("item_type")
    publication = PublicationItem(
        **values, fingerprint=publication_fingerprint("A paper", 2018, "A Author, ...")
    )
    page_detail = _detail_item(scholar_pub_key=values["scholar_pub_key"])
    gone = _detail_item(scholar_pub_key=f"{ADA}:gone00000000")
    coauthors = CoauthorsItem(scholar_id=ADA, coauthors=[{"scholar_id": "BBBBBBBBBBBJ"}])

    async def run() -> list[Any]:
        # the row would wait 5 s for more rows; the detail page behind it makes it go now
        return await asyncio.wait_for(
            asyncio.gather(
                pipeline.process_item(publication),
                pipeline.process_item(page_detail),
                pipeline.process_item(gone),
                pipeline.process_item(coauthors),
                return_exceptions=True,
            ),
            timeout=3,
        )

    results = asyncio.run(run())
    assert results[:2] == [publication, page_detail] and results[3] is coauthors
    assert isinstance(results[2], DropItem) and "gone00000000" in str(results[2])
    stats = crawler.stats
    assert stats.get_value("scholarcrawl/store/details/merged") == 1
    assert stats.get_value("scholarcrawl/store/details/missing") == 1
    assert stats.get_value("scholarcrawl/store/details/authors_replaced") == 1
    assert stats.get_value("scholarcrawl/store/coauthors/stored") == 1
    with engine.connect() as connection:
        stored = connection.execute(select(Publication.authors, Publication.details_status)).one()
    assert tuple(stored) == ("Ada Author", "fetched")
    pipeline.close_spider()
    engine.dispose()
