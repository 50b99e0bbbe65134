"""Fuzzing the landing-page readers (:mod:`scholarcrawl.landing`) over mutated pages.

Seeds are the hand-made publisher and repository pages of ``tests/fixtures/landing`` and the
replay server's landing pages; the seeded markup mutator breaks them. Each mutant is read the
way the PDF resolver reads a fetched page (the response's text, one parse, then the bot-check,
candidate and script questions) and also from its raw bytes. The readers promise never to
raise: junk gives ``[]``, ``None`` or ``False``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from scrapy.http import TextResponse

from scholarcrawl.decoding import response_text
from scholarcrawl.landing import (
    PdfCandidate,
    find_pdf_candidates,
    is_challenge,
    needs_scripts,
    parse_page,
    pick_pdf,
)
from scholarcrawl.replay.apis import ApiCatalogue, ApiResponse
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.oa import OaCatalogue, landing_path
from tests.fuzz.mutator import HtmlMutator
from tests.fuzz.scholar_pages import answer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "landing"
MUTATED_PAGES = 400
PAGE_URL = "https://journal.example.org/article/1"


def landing_seeds() -> list[bytes]:
    pages = [path.read_bytes() for path in sorted(FIXTURES.glob("*.html"))]
    catalogue = ApiCatalogue.from_corpus(Corpus(CorpusSpec(seed=3, sizes=(30, 20)))).prepare()
    oa = OaCatalogue(apis=catalogue)
    for work in catalogue.works[:12]:
        page = oa.answer(landing_path(work.doi), {}, "http://127.0.0.1:1")
        if isinstance(page, ApiResponse):
            pages.append(page.body)
    return pages


def check_candidates(found: list[PdfCandidate]) -> None:
    assert isinstance(found, list)
    scores = [c.score for c in found]
    assert scores == sorted(scores, reverse=True)
    assert all(isinstance(s, float | int) and 0.0 <= s <= 1.0 for s in scores)
    assert len({c.url for c in found}) == len(found)
    for candidate in found:
        assert candidate.url.startswith(("http://", "https://")) and "#" not in candidate.url
        assert "\x00" not in candidate.url
    chosen = pick_pdf(found)
    assert chosen is None or chosen in found


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the unicode_escape charset's
def test_mutated_landing_pages_never_raise() -> None:
    mutator = HtmlMutator(seed=20260905)
    seeds = landing_seeds()
    outcomes: Counter[str] = Counter()
    for _ in range(MUTATED_PAGES):
        mutant = mutator.mutate(mutator.rng.choice(seeds), giant=mutator.rng.random() < 0.02)
        response = answer(mutant.body, mutant.status, mutant.headers)
        if isinstance(response, TextResponse):
            page = parse_page(response_text(response))
            challenge = is_challenge(page, response.status)
            found = find_pdf_candidates(page, PAGE_URL)
            scripts = needs_scripts(page)
            assert isinstance(challenge, bool) and isinstance(scripts, bool)
            check_candidates(found)
            outcomes["challenge" if challenge else "candidates" if found else "nothing"] += 1
        check_candidates(find_pdf_candidates(mutant.body, PAGE_URL))
        outcomes["pages"] += 1

    assert outcomes["pages"] == MUTATED_PAGES
    assert outcomes["candidates"] >= 100, outcomes
    assert outcomes["challenge"] > 0, outcomes
