"""Precision and recall of the identifier matcher on the labelled set (bench/README.md).

``python -m bench.matching [--output bench/results.json] [--grid] [--seed 4] [--cases N]``

Builds :func:`scholarcrawl.matchset.build_cases`, runs the matcher with ``DEFAULT_POLICY`` on
every case, prints a table per category (cases, precision, recall, wrong accepts by id) and
merges a ``"matching"`` section into the JSON file, keeping every other top-level key.
``--grid`` also prints the dev-half grid search the default thresholds were chosen with.

precision = correct accepts / all accepts; recall = correct accepts / cases whose expected
identifier is not None.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import DEFAULT_OUTPUT, environment, merge_into
from scholarcrawl.matching import DEFAULT_POLICY, MatchPolicy
from scholarcrawl.matchset import (
    CATEGORIES,
    DEFAULT_SIZE,
    MIN_TITLE_GRID,
    GridResult,
    Outcome,
    Tally,
    build_cases,
    dev_test_split,
    evaluate,
    grid_search,
    tally,
)

TARGET_PRECISION = 0.98
TARGET_RECALL = 0.90
SECTION = "matching"


def _meets(t: Tally) -> bool:
    return (t.precision or 0.0) >= TARGET_PRECISION and (t.recall or 0.0) >= TARGET_RECALL


def _splits(outcomes: Sequence[Outcome], dev_ids: set[str]) -> dict[str, list[Outcome]]:
    return {
        "all": list(outcomes),
        "dev": [o for o in outcomes if o.case.case_id in dev_ids],
        "test": [o for o in outcomes if o.case.case_id not in dev_ids],
    }


def build_section(
    outcomes: Sequence[Outcome],
    dev_ids: set[str],
    policy: MatchPolicy,
    *,
    seed: int,
    elapsed: float,
) -> dict[str, Any]:
    """The JSON ``"matching"`` section."""
    splits = _splits(outcomes, dev_ids)
    tallies = {name: tally(items) for name, items in splits.items()}
    categories = {
        category: {
            name: tally(o for o in items if o.case.category == category).as_dict()
            for name, items in splits.items()
        }
        for category in CATEGORIES
    }
    return {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "definitions": {
            "precision": "correct accepts / all accepts",
            "recall": "correct accepts / cases whose expected identifier is not None",
            "dev/test": "halves of the set by a hash of the case id; thresholds chosen on dev",
        },
        "set": {"seed": seed, "cases": len(outcomes), "dev": len(splits["dev"])},
        "policy": policy.as_dict(),
        "targets": {"precision": TARGET_PRECISION, "recall": TARGET_RECALL},
        "meets_targets": {name: _meets(t) for name, t in tallies.items()},
        "splits": {name: t.as_dict() for name, t in tallies.items()},
        "categories": categories,
        "wrong_accepts": [
            {
                "id": o.case.case_id,
                "split": "dev" if o.case.case_id in dev_ids else "test",
                "expected": o.case.expected,
                "accepted": o.accepted,
            }
            for o in outcomes
            if o.wrong_accept
        ],
        "missed": [{"id": o.case.case_id, "reason": o.reason} for o in outcomes if o.missed],
        "elapsed_seconds": round(elapsed, 3),
        "environment": environment(),
    }


def _ratio(value: float | None) -> str:
    return "    -" if value is None else f"{value:5.3f}"


def format_table(outcomes: Sequence[Outcome], dev_ids: set[str]) -> str:
    splits = _splits(outcomes, dev_ids)
    header = (
        f"{'category':<24} {'cases':>5} {'expect':>6} {'accept':>6} {'wrong':>5} "
        f"{'prec':>5} {'recall':>6}   {'dev P/R':>11}   {'test P/R':>11}"
    )
    lines = [header, "-" * len(header)]

    def row(label: str, predicate: Any) -> str:
        every = tally(o for o in splits["all"] if predicate(o))
        dev = tally(o for o in splits["dev"] if predicate(o))
        test = tally(o for o in splits["test"] if predicate(o))
        return (
            f"{label:<24} {every.cases:>5} {every.positives:>6} {every.accepts:>6} "
            f"{every.wrong_accepts:>5} {_ratio(every.precision)} {_ratio(every.recall):>6}   "
            f"{_ratio(dev.precision)}/{_ratio(dev.recall)}   "
            f"{_ratio(test.precision)}/{_ratio(test.recall)}"
        )

    for category in CATEGORIES:
        lines.append(row(category, lambda o, c=category: o.case.category == c))
    lines.append("-" * len(header))
    lines.append(row("all", lambda o: True))
    wrong = [o for o in outcomes if o.wrong_accept]
    lines.append("")
    lines.append(f"wrong accepts ({len(wrong)}):")
    for o in wrong:
        side = "dev" if o.case.case_id in dev_ids else "test"
        lines.append(
            f"  {o.case.case_id} [{side}] expected {o.case.expected} accepted {o.accepted}"
        )
    missed = [o for o in outcomes if o.missed]
    lines.append(f"missed ({len(missed)}): " + ", ".join(o.case.case_id for o in missed))
    return "\n".join(lines)


def format_grid(result: GridResult, policy: MatchPolicy) -> str:
    """Recall where dev precision reaches the floor ('.' where it does not), every other
    min_title column; '*' marks the choice, '+' DEFAULT_POLICY when it differs."""
    titles = MIN_TITLE_GRID[::2]
    lines = [
        f"dev grid: recall with precision >= {result.min_precision} (weights, margin fixed)",
        "accept\\min_title " + " ".join(f"{t:>5.2f}" for t in titles),
    ]
    cells = {(p.accept_threshold, p.min_title): p for p in result.points}
    accepts = sorted({p.accept_threshold for p in result.points})
    for accept in accepts:
        row = []
        for title in titles:
            point = cells.get((accept, title))
            if point is None:
                row.append("    ?")
                continue
            feasible = (point.tally.precision or 0.0) >= result.min_precision
            text = f"{point.tally.recall or 0.0:.3f}"[1:] if feasible else "."
            mark = " "
            if result.best is not None and (accept, title) == (
                result.best.accept_threshold,
                result.best.min_title,
            ):
                mark = "*"
            elif (accept, title) == (policy.accept_threshold, policy.min_title):
                mark = "+"
            row.append(f"{mark}{text:>4}")
        lines.append(f"{accept:>16.2f} " + " ".join(row))
    if result.best is None:
        lines.append("no point reaches the precision floor")
        return "\n".join(lines)
    best = result.best
    lines.append(
        f"chosen: accept_threshold={best.accept_threshold} min_title={best.min_title} "
        f"(dev precision {_ratio(best.tally.precision)}, recall {_ratio(best.tally.recall)}; "
        f"{len(result.tied)} grid points tie)"
    )
    same = (best.accept_threshold, best.min_title) == (policy.accept_threshold, policy.min_title)
    lines.append(
        "DEFAULT_POLICY uses these thresholds"
        if same
        else f"DEFAULT_POLICY differs: accept_threshold={policy.accept_threshold} "
        f"min_title={policy.min_title} (update scholarcrawl/matching.py and the docs)"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.matching", description=__doc__)
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="JSON file to merge the 'matching' section into (default: bench/results.json)",
    )
    parser.add_argument("--seed", type=int, default=4, help="seed of the labelled set")
    parser.add_argument("--cases", type=int, default=DEFAULT_SIZE, help="size of the set")
    parser.add_argument(
        "--grid", action="store_true", help="also print the dev grid search of the thresholds"
    )
    args = parser.parse_args(argv)
    policy = DEFAULT_POLICY
    started = time.perf_counter()
    cases = build_cases(seed=args.seed, n=args.cases)
    dev, _test = dev_test_split(cases)
    dev_ids = {case.case_id for case in dev}
    outcomes = evaluate(cases, policy)
    elapsed = time.perf_counter() - started
    print(
        f"matching set: {len(cases)} cases (seed {args.seed}), dev {len(dev)}, "
        f"test {len(cases) - len(dev)}; policy {policy.as_dict()}"
    )
    print(format_table(outcomes, dev_ids))
    section = build_section(outcomes, dev_ids, policy, seed=args.seed, elapsed=elapsed)
    met = section["meets_targets"]
    print(
        f"targets precision >= {TARGET_PRECISION}, recall >= {TARGET_RECALL}: "
        f"all {'met' if met['all'] else 'MISSED'}, test {'met' if met['test'] else 'MISSED'}"
    )
    if args.grid:
        print()
        print(format_grid(grid_search(dev, policy), policy))
    merge_into(args.output, section, SECTION)
    print(f"wrote the '{SECTION}' section of {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
