"""End to end: Scholar pages whose declared charset names no text encoding.

Found by fuzzing (tests/fuzz): a page served as ``text/html; charset=rot13`` made the spider's
callback raise ``LookupError`` (``response.selector`` decodes with the declared codec), so the
profile was neither stored nor given an outcome. Browsers ignore such a label; the spider now
reads the page as UTF-8, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.server import ReplayRequest, ReplayResponse, ReplayServer
from scholarcrawl.store.db import make_engine
from scholarcrawl.store.repository import Repository
from tests.support.crawl import run_scrapy

pytestmark = pytest.mark.slow

SPEC = CorpusSpec(seed=17, sizes=(12,), shared_per_pair=0)


def rot13_charset(request: ReplayRequest) -> ReplayResponse | None:
    """Every Scholar page as it is, declared in a charset that is no text encoding."""
    if request.path != "/citations":
        return None
    answer = request.route()
    return replace(answer, content_type="text/html; charset=rot13")


def test_a_page_declaring_a_non_text_charset_is_read_as_utf8(database_url: str) -> None:
    corpus = Corpus(SPEC)
    (scholar_id,) = corpus.ids
    with ReplayServer(corpus, faults=[rot13_charset]) as server:
        result = run_scrapy(
            ["crawl", "scholar", "-a", f"ids={scholar_id}"],
            {"SCHOLAR_BASE_URL": server.base_url, "SCHOLARCRAWL_DATABASE_URL": database_url},
        )
    log = result.stderr + result.stdout
    assert result.returncode == 0, log[-3000:]
    assert "Spider error processing" not in log, log[-3000:]

    repository = Repository(make_engine(database_url))
    (scholar,) = repository.scholars()
    truth = corpus.profile(scholar_id)
    assert truth is not None
    assert (scholar.scholar_id, scholar.name) == (scholar_id, truth.header.name)
    assert (scholar.crawl_status, scholar.rows_seen) == ("complete", 12)
    assert repository.counts()["authorships"] == 12
