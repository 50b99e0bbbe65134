"""Profile pages parsed per second, against raw lxml reading the same fields (bench/README.md).

``python -m bench.parser [--output bench/results.json] [--repeat 3] [--seconds 2] [--pages 5]``

Ours: ``parse_profile_page(Selector(text=html), cstart=0)``, building the parsel Selector as the
spider pays for it. The floor, measured in the same run on the same pages: :func:`floor_extract`,
``lxml.html.fromstring`` and precompiled XPath reading the fields the spider stores and nothing
else (header: name, affiliation, interests, citation indices, cites per year; per row: title,
``citation_for_view`` key, authors, venue, year, citations, cluster ids, merged). The pages are
what the crawl downloads: the first 100-row page (``cstart=0``, ``pagesize=100``) of generated
300-publication profiles. Target: ours >= 0.5 x the floor's pages/s.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import lxml.html
from lxml import etree
from parsel import Selector

from bench.common import (
    DEFAULT_OUTPUT,
    DEFAULT_REPEAT,
    all_met,
    environment,
    figure,
    median,
    merge_into,
    now_utc,
)
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.replay.templates import render_profile_html
from scholarcrawl.scholar.parser import parse_profile_page

SECTION = "parser"
TARGET_RATIO = 0.5
PAGE_SIZE = 100
PUBLICATIONS = 300

# --------------------------------------------------------------------------- the floor

_INVISIBLE = dict.fromkeys(map(ord, "\u061c\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e"))
_CFV = re.compile(r"citation_for_view=([^&#]+)")
_CITES = re.compile(r"cites=([^&#]*)")
_Z_INDEX = re.compile(r"z-index\s*:\s*(\d+)")


def _xp(expr: str) -> Any:
    return etree.XPath(expr, smart_strings=False)


_NAME = _xp("string(//div[@id='gsc_prf_in'])")
_AFFILIATION = _xp("string(//div[@id='gsc_prf_i']/div[@class='gsc_prf_il'][not(@id)])")
_INTERESTS = _xp("//div[@id='gsc_prf_int']/a")
_INDICES = _xp("//table[@id='gsc_rsb_st']//td[@class='gsc_rsb_std']/text()")
_YEARS = _xp("//span[@class='gsc_g_t']/text()")
_BARS = _xp("//a[@class='gsc_g_a']")
_ROWS = _xp("//tbody[@id='gsc_a_b']/tr[@class='gsc_a_tr']")
_TITLE_LINK = _xp("td[@class='gsc_a_t']/a[@class='gsc_a_at']")
_GRAY = _xp("td[@class='gsc_a_t']/div[@class='gs_gray']")
_CITED = _xp("td[@class='gsc_a_c']/a[contains(@class, 'gsc_a_ac')]")
_STAR = _xp("td[@class='gsc_a_c']/span[@class='gsc_a_m']/a[@class='gsc_a_am']")
_YEAR = _xp("string(td[@class='gsc_a_y']/span)")


def _clean(text: str | None) -> str:
    return " ".join((text or "").translate(_INVISIBLE).split())


def floor_extract(html: str) -> dict[str, Any]:
    """The fields the spider stores, read with raw lxml and nothing else (no layout checks,
    no other markup generations, no fallbacks): the floor of the parser benchmark."""
    root = lxml.html.fromstring(html)
    indices = [int(text) for text in _INDICES(root)]
    years = [int(text) for text in _YEARS(root)]
    cites_per_year = dict.fromkeys(range(min(years), max(years) + 1), 0) if years else {}
    newest_first = sorted(years, reverse=True)
    for bar in _BARS(root):  # z-index counts years back from the newest, gaps included
        z_index = int(_Z_INDEX.search(bar.get("style")).group(1))  # type: ignore[union-attr]
        cites_per_year[newest_first[z_index - 1]] = int(bar.text_content())
    rows = []
    for tr in _ROWS(root):
        link = _TITLE_LINK(tr)[0]
        gray = _GRAY(tr)
        cited = _CITED(tr)[0]
        cites = _CITES.search(cited.get("href") or "")
        year = _YEAR(tr)
        key = _CFV.search(link.get("href"))
        rows.append(
            {
                "title": _clean(link.text_content()),
                "key": unquote(key.group(1)) if key else None,
                "authors": _clean(gray[0].text) or None,
                "venue": _clean(gray[1].text).rstrip(" ,") or None,
                "year": int(year) if year else None,
                "citations": int(cited.text) if cited.text else 0,
                "cluster_ids": tuple(unquote(cites.group(1)).split(",")) if cites else (),
                "merged": bool(_STAR(tr)) or "gsc_a_acm" in cited.get("class"),
            }
        )
    return {
        "name": _clean(_NAME(root)),
        "affiliation": _clean(_AFFILIATION(root)) or None,
        "interests": tuple(_clean(a.text_content()) for a in _INTERESTS(root)),
        "indices": tuple(indices),
        "cites_per_year": cites_per_year,
        "rows": rows,
    }


def ours_extract(html: str, cstart: int = 0) -> dict[str, Any]:
    """What the spider reads off a page, in the floor's shape (for the honesty test)."""
    page = parse_profile_page(Selector(text=html), cstart=cstart)
    h = page.header
    return {
        "name": h.name,
        "affiliation": h.affiliation,
        "interests": h.interests,
        "indices": (
            h.citations_all,
            h.citations_since,
            h.h_index_all,
            h.h_index_since,
            h.i10_all,
            h.i10_since,
        ),
        "cites_per_year": h.cites_per_year,
        "rows": [
            {
                "title": r.title,
                "key": r.scholar_pub_key,
                "authors": r.authors,
                "venue": r.venue,
                "year": r.year,
                "citations": r.citations,
                "cluster_ids": r.cluster_ids,
                "merged": r.merged,
            }
            for r in page.rows
        ],
    }


# --------------------------------------------------------------------------- measuring


def sample_pages(count: int, seed: int = 2026) -> list[str]:
    """The first 100-row page of ``count`` generated 300-publication profiles."""
    corpus = Corpus(CorpusSpec.uniform(count, PUBLICATIONS, seed=seed))
    pages = []
    for scholar_id in corpus.ids:
        profile = corpus.profile(scholar_id)
        assert profile is not None
        pages.append(render_profile_html(profile, 0, PAGE_SIZE))
    return pages


def _ours(html: str) -> object:
    return parse_profile_page(Selector(text=html), cstart=0)


def pages_per_second(parse: Callable[[str], object], pages: Sequence[str], seconds: float) -> float:
    """Parse the pages in turn for at least ``seconds`` (and at least every page once)."""
    done = 0
    started = time.perf_counter()
    while True:
        for html in pages:
            parse(html)
        done += len(pages)
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return done / elapsed


def run(repeat: int, seconds: float, n_pages: int, seed: int = 2026) -> dict[str, Any]:
    started = time.perf_counter()
    pages = sample_pages(n_pages, seed)
    for html in pages:  # warm both (imports, compiled XPath) outside the timings
        _ours(html)
        floor_extract(html)
    ours: list[float] = []
    floor: list[float] = []
    for _ in range(repeat):  # interleaved, so that a slow moment hits both
        ours.append(pages_per_second(_ours, pages, seconds))
        floor.append(pages_per_second(floor_extract, pages, seconds))
    ours_pps, floor_pps = median(ours), median(floor)
    figures = [
        figure("ours", round(ours_pps, 1), "pages/s"),
        figure("floor (raw lxml)", round(floor_pps, 1), "pages/s"),
        figure("ours / floor", round(ours_pps / floor_pps, 3), "x", at_least=TARGET_RATIO),
    ]
    return {
        "generated_at": now_utc(),
        "definitions": {
            "ours": "parse_profile_page(Selector(text=html), cstart=0) per page, Selector included",
            "floor": "lxml.html.fromstring + precompiled XPath reading the same fields only "
            "(bench/parser.py floor_extract; tests/bench/test_parser.py checks it reads the "
            "same values)",
            "pages": f"first page (cstart=0, pagesize={PAGE_SIZE}) of generated "
            f"{PUBLICATIONS}-publication profiles, as the replay serves it",
        },
        "parameters": {
            "pages": n_pages,
            "page_bytes": round(sum(len(p.encode()) for p in pages) / len(pages)),
            "rows_per_page": PAGE_SIZE,
            "seconds_per_measurement": seconds,
            "repeat": repeat,
            "seed": seed,
        },
        "runs": {"ours_pages_per_second": ours, "floor_pages_per_second": floor},
        "ours_pages_per_second": ours_pps,
        "floor_pages_per_second": floor_pps,
        "ours_ms_per_page": 1000 / ours_pps,
        "floor_ms_per_page": 1000 / floor_pps,
        "ratio": ours_pps / floor_pps,
        "targets": {"ratio": f">= {TARGET_RATIO}"},
        "met": ours_pps / floor_pps >= TARGET_RATIO,
        "figures": figures,
        "all_met": all_met(figures),
        "elapsed_seconds": round(time.perf_counter() - started, 1),
        "environment": environment(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.parser", description=__doc__)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT)
    parser.add_argument(
        "--seconds", type=float, default=2.0, help="how long each measurement parses pages"
    )
    parser.add_argument("--pages", type=int, default=5, help="distinct profile pages parsed")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    section = run(args.repeat, args.seconds, args.pages, args.seed)
    print(
        f"parser: {section['ours_pages_per_second']:.1f} pages/s "
        f"({section['ours_ms_per_page']:.2f} ms/page); raw lxml floor "
        f"{section['floor_pages_per_second']:.1f} pages/s "
        f"({section['floor_ms_per_page']:.2f} ms/page); ratio {section['ratio']:.3f} "
        f"(target >= {TARGET_RATIO}: {'met' if section['met'] else 'NOT met'})"
    )
    merge_into(args.output, section, SECTION)
    print(f"wrote the '{SECTION}' section of {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
