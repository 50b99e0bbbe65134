"""Precision and recall of identifier resolution end to end, against the replay's ground truth.

``python -m bench.resolution [--output bench/results.json] [--profiles 20] [--publications 100]``

The labelled matching set (``bench.matching``) measures the matcher on candidate lists built for
it. This benchmark measures the whole resolver (local ids, arXiv search, Crossref search, the
match, roles) on the rows of a replay corpus, asking the replay's mock APIs (a catalogue built
independently of the matching set, with near-identical titles, errata, the same title in
another year, preprints and works without authors or dates) through their real request URLs and
parsers, without HTTP, and compares every ``self`` DOI and arXiv id with the catalogue's truth.

Every DOI and arXiv id given is compared with the truth, whatever its role (a preprint row's
published DOI is a ``version`` identifier and still must be the right one). precision = right
identifiers / identifiers given; recall = rows given at least one of their true identifiers /
rows whose truth has one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from bench.common import DEFAULT_OUTPUT, environment, merge_into, now_utc
from scholarcrawl.apis.client import ApiAnswer
from scholarcrawl.apis.config import ApiConfig, ServiceConfig
from scholarcrawl.matching import DEFAULT_POLICY
from scholarcrawl.replay.apis import ApiCatalogue
from scholarcrawl.replay.generator import Corpus, CorpusSpec
from scholarcrawl.resolver import IdentifierResolver, ResolverSettings, local_identifiers

T = TypeVar("T")
SECTION = "resolution"
TARGET_PRECISION = 0.98
TARGET_RECALL = 0.90


class CatalogueClient:
    """Answers API URLs from the catalogue directly (the same answers the HTTP mock sends)."""

    def __init__(self, catalogue: ApiCatalogue) -> None:
        self.catalogue = catalogue
        self.requests: dict[str, int] = {}

    async def fetch(self, service: ServiceConfig, url: str, parse: Callable[[ApiAnswer], T]) -> T:
        self.requests[service.name] = self.requests.get(service.name, 0) + 1
        parts = urlsplit(url)
        answer = self.catalogue.answer(parts.path, parse_qs(parts.query))
        assert answer is not None, url
        return parse(ApiAnswer(answer.status, answer.body, answer.content_type, False, url))


def run(profiles: int, publications: int, seed: int) -> dict[str, Any]:
    corpus = Corpus(CorpusSpec(seed=seed, sizes=(publications,) * profiles))
    catalogue = ApiCatalogue.from_corpus(corpus).prepare()
    client = CatalogueClient(catalogue)
    config = ApiConfig.from_settings(
        {
            "SCHOLARCRAWL_CONTACT_EMAIL": "bench@example.org",
            "ARXIV_API_URL": "http://mock/api/query",
            "CROSSREF_API_URL": "http://mock",
        }
    )
    resolver = IdentifierResolver(client, config, DEFAULT_POLICY, ResolverSettings())  # type: ignore[arg-type]
    seen: set[tuple[str, int | None, str | None]] = set()
    rows = given = right = wrong = known = found = 0
    statuses: dict[str, int] = {}
    wrong_examples: list[dict[str, Any]] = []
    started = time.perf_counter()
    for scholar_id in corpus.ids:
        profile = corpus.profile(scholar_id)
        assert profile is not None
        for row in profile.default_rows:
            key = (row.title, row.year, row.authors)
            if key in seen:
                continue  # a paper shared by two profiles counts once
            seen.add(key)
            truth = catalogue.truth_for_row(row)
            if truth is None:
                continue
            rows += 1
            local = local_identifiers(row.title, row.authors, row.venue)
            result = asyncio.run(
                resolver.resolve(row.title, row.authors, row.venue, row.year, local)
            )
            statuses[result.status] = statuses.get(result.status, 0) + 1
            mine = {
                ident["kind"]: ident["value"]
                for ident in result.identifiers
                if ident["kind"] in ("doi", "arxiv")
            }
            for kind, value in mine.items():
                given += 1
                expected = truth.doi if kind == "doi" else truth.arxiv_id
                if value == expected:
                    right += 1
                else:
                    wrong += 1
                    if len(wrong_examples) < 10:
                        wrong_examples.append(
                            {"title": row.title, "kind": kind, "given": value, "truth": expected}
                        )
            if truth.found:
                known += 1
                if (truth.doi and mine.get("doi") == truth.doi) or (
                    truth.arxiv_id and mine.get("arxiv") == truth.arxiv_id
                ):
                    found += 1
    seconds = time.perf_counter() - started
    precision = right / given if given else None
    recall = found / known if known else None
    return {
        "generated_at": now_utc(),
        "corpus": {"profiles": profiles, "publications": publications, "seed": seed},
        "rows": rows,
        "rows_with_truth": known,
        "identifiers_given": given,
        "right": right,
        "wrong": wrong,
        "precision": precision,
        "recall": recall,
        "statuses": statuses,
        "api_requests": client.requests,
        "api_requests_per_row": {k: v / rows for k, v in client.requests.items()} if rows else {},
        "seconds": round(seconds, 2),
        "wrong_examples": wrong_examples,
        "targets": {"precision": TARGET_PRECISION, "recall": TARGET_RECALL},
        "met": precision is not None
        and recall is not None
        and precision >= TARGET_PRECISION
        and recall >= TARGET_RECALL,
        "environment": environment(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.resolution", description=__doc__)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--profiles", type=int, default=20)
    parser.add_argument("--publications", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    section = run(args.profiles, args.publications, args.seed)
    print(
        f"resolution: {section['rows']} unique rows of {args.profiles} replay profiles; "
        f"{section['rows_with_truth']} known to the mock APIs"
    )
    print(
        f"  identifiers given {section['identifiers_given']}: right {section['right']}, "
        f"wrong {section['wrong']}; precision {section['precision']:.3f}, "
        f"recall {section['recall']:.3f} (targets {TARGET_PRECISION} / {TARGET_RECALL}: "
        f"{'met' if section['met'] else 'NOT met'})"
    )
    print(f"  outcomes: {json.dumps(section['statuses'], sort_keys=True)}")
    print(
        "  API requests per row: "
        + ", ".join(f"{k} {v:.2f}" for k, v in sorted(section["api_requests_per_row"].items()))
    )
    for example in section["wrong_examples"]:
        print(f"  wrong: {example}")
    merge_into(args.output, section, SECTION)
    print(f"wrote the '{SECTION}' section of {args.output}")
    return 0 if section["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
