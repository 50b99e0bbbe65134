"""The parser benchmark's floor reads what the spider reads (so that the floor is honest)."""

from __future__ import annotations

from bench.parser import PAGE_SIZE, floor_extract, ours_extract
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.templates import render_profile_html


def test_the_floor_extractor_reads_the_same_values_as_parse_profile_page() -> None:
    corpus = Corpus(CorpusSpec.uniform(3, 300, seed=17))
    rows = []
    for scholar_id in corpus.ids:
        profile = corpus.profile(scholar_id)
        assert profile is not None
        for cstart in (0, 100, 200):
            html = render_profile_html(profile, cstart, PAGE_SIZE)
            floor = floor_extract(html)
            assert floor == ours_extract(html, cstart)
            rows += floor["rows"]
        assert floor["cites_per_year"] and len(floor["indices"]) == 6
    assert len(rows) == 900
    # the pages hold every hard case the floor must read like the parser
    assert any(r["merged"] and len(r["cluster_ids"]) > 1 for r in rows)
    assert any(r["year"] is None for r in rows)
    assert any(r["venue"] is None for r in rows)
    assert any(r["venue"] and r["venue"].endswith(" …") for r in rows)
    assert any(r["citations"] == 0 and r["cluster_ids"] == () for r in rows)
    assert any(r["authors"] and r["authors"].endswith(", ...") for r in rows)
    assert any(not r["title"].isascii() for r in rows)
