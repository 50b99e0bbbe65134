"""The ``pdfs`` spider when a publication it holds is excluded (deleted) while it resolves it:
nothing crashes, nothing is written, the run goes on; on SQLite and the real PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy import Engine

from scholarcrawl.pdfresolve import Deferral
from scholarcrawl.spiders.pdfs import PdfsSpider
from scholarcrawl.store.db import make_engine, upgrade
from scholarcrawl.store.exclusions import ExclusionStore
from scholarcrawl.store.pdfqueue import DONE, PdfOutcome, PdfQueue, PdfTask
from scholarcrawl.store.repository import Repository
from scholarcrawl.store.runs import RunStore
from tests.store.test_identifiers_store import A, ident
from tests.store.test_repository import pub


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


class ExcludingResolver:
    """Excludes the row's publication while "resolving" it, then answers ``result``."""

    def __init__(self, engine: Engine, result: PdfOutcome | Deferral) -> None:
        self.engine = engine
        self.result = result

    async def resolve(self, task: PdfTask) -> PdfOutcome | Deferral:
        ExclusionStore(self.engine).add_publication(task.publication_id, "retracted")
        return self.result


def spider_with_claims(engine: Engine, n: int) -> tuple[PdfsSpider, list[PdfTask]]:
    repository = Repository(engine)
    RunStore(engine).create("scholar", {}, status="running", run_id="run-1")
    for k in range(n):
        values = pub(A, f"Open paper {k}", identifiers=[ident("doi", f"10.5555/open-{k}")])
        repository.upsert_publication({**values, "queue_pdf": True}, "run-1")
    crawler = get_crawler(
        PdfsSpider,
        {
            "UNPAYWALL_EMAIL": "oa@example.org",
            "SCHOLARCRAWL_DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "PDF_BROWSER_ENABLED": False,
        },
    )
    spider = PdfsSpider.from_crawler(crawler)
    crawler.spider = spider
    assert crawler.stats is not None
    crawler.stats.open_spider()
    spider.queue = PdfQueue(engine)
    tasks = spider.queue.claim_due(spider.owner, 60, limit=n)
    assert len(tasks) == n
    return spider, tasks


def stats(spider: PdfsSpider) -> dict[str, Any]:
    assert spider.crawler.stats is not None
    return {
        key.removeprefix("scholarcrawl/pdfs/"): value
        for key, value in spider.crawler.stats.get_stats().items()
        if key.startswith("scholarcrawl/pdfs/")
    }


@pytest.mark.parametrize(
    "result",
    [
        PdfOutcome(DONE, pdf_url="https://oa.example.org/a.pdf", source="unpaywall"),
        Deferral("cooldown", "unpaywall"),
    ],
    ids=["outcome", "deferral"],
)
def test_a_row_whose_publication_vanishes_while_resolving_is_let_go(
    engine: Engine, result: PdfOutcome | Deferral, caplog: pytest.LogCaptureFixture
) -> None:
    spider, [gone, kept] = spider_with_claims(engine, 2)
    caplog.set_level(logging.INFO)
    asyncio.run(spider._resolve(ExcludingResolver(engine, result), gone))
    # the other row is still resolved and written as usual
    done = PdfOutcome(DONE, pdf_url="https://oa.example.org/b.pdf", source="unpaywall")
    asyncio.run(spider._resolve(_Answer(done), kept))
    assert spider.queue is not None
    assert spider.queue.get(gone.publication_id) is None
    entry = spider.queue.get(kept.publication_id)
    assert entry is not None and entry.status == DONE
    counted = stats(spider)
    assert counted.get("outcome/done") == 1  # the kept row's only
    assert "database_error" not in counted
    if isinstance(result, PdfOutcome):
        assert counted["claim_lost"] == 1
    assert "pdf.row_gone" in caplog.text and "pdf.claim_lost" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    spider.closed("finished")  # gives back what it holds: nothing of the vanished row


class _Answer:
    def __init__(self, result: PdfOutcome) -> None:
        self.result = result

    async def resolve(self, task: PdfTask) -> PdfOutcome:
        return self.result
