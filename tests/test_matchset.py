"""The labelled matching set, and the matcher's precision and recall on it (a regression test)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from scholarcrawl.matching import DEFAULT_POLICY
from scholarcrawl.matchset import (
    CATEGORIES,
    DEFAULT_SIZE,
    MatchCase,
    build_cases,
    category_sizes,
    dev_test_split,
    evaluate,
    grid_search,
    tally,
)

TARGET_PRECISION = 0.98
TARGET_RECALL = 0.90


@pytest.fixture(scope="module")
def cases() -> list[MatchCase]:
    return build_cases()


def test_the_set_is_large_and_covers_every_category(cases: list[MatchCase]) -> None:
    assert len(cases) == DEFAULT_SIZE >= 300
    counts = Counter(case.category for case in cases)
    assert set(counts) == set(CATEGORIES)
    assert min(counts.values()) >= 10, counts
    assert len({case.case_id for case in cases}) == len(cases)


def test_cases_are_well_formed(cases: list[MatchCase]) -> None:
    for case in cases:
        ids = [c.identifier.casefold() for c in case.candidates]
        assert 1 <= len(ids) <= 5, case.case_id
        assert len(set(ids)) == len(ids), case.case_id
        assert case.expected is None or case.expected.casefold() in ids, case.case_id
    by_category = Counter((case.category, case.expected is None) for case in cases)
    assert by_category[("generic_title", False)] == 0  # never identifiable
    assert by_category[("no_right_candidate", False)] == 0
    # the right candidate is not always first, and sometimes absent
    positions = Counter(
        [c.identifier for c in case.candidates].index(case.expected)
        for case in cases
        if case.expected is not None
    )
    assert positions[0] < sum(positions.values()) and len(positions) >= 3
    assert sum(1 for case in cases if case.expected is None) >= 60


def test_the_set_is_deterministic_for_a_seed(cases: list[MatchCase]) -> None:
    again = build_cases()
    assert [c.to_json() for c in again] == [c.to_json() for c in cases]
    other = build_cases(seed=5)
    assert [c.to_json() for c in other] != [c.to_json() for c in cases]


def test_json_round_trip(cases: list[MatchCase]) -> None:
    text = json.dumps([case.to_json() for case in cases], ensure_ascii=False)
    restored = [MatchCase.from_json(item) for item in json.loads(text)]
    assert restored == cases


def test_the_split_is_disjoint_complete_and_stable(cases: list[MatchCase]) -> None:
    dev, test = dev_test_split(cases)
    dev_ids, test_ids = {c.case_id for c in dev}, {c.case_id for c in test}
    assert not dev_ids & test_ids
    assert dev_ids | test_ids == {c.case_id for c in cases}
    assert 0.35 < len(dev) / len(cases) < 0.65
    # a case stays on its side whatever else is in the set
    subset = cases[::3]
    sub_dev, _ = dev_test_split(subset)
    assert {c.case_id for c in sub_dev} == dev_ids & {c.case_id for c in subset}
    assert dev_test_split(cases) == (dev, test)


def test_category_sizes() -> None:
    sizes = category_sizes(400)
    assert sum(sizes.values()) == 400 and min(sizes.values()) >= 10
    with pytest.raises(ValueError, match="at least"):
        category_sizes(50)
    assert len(build_cases(n=300)) == 300


def test_default_policy_meets_the_targets_on_the_set_and_on_the_test_half(
    cases: list[MatchCase],
) -> None:
    _, test = dev_test_split(cases)
    outcomes = evaluate(cases, DEFAULT_POLICY)
    for name, subset in (("all", outcomes), ("test", [o for o in outcomes if o.case in test])):
        result = tally(subset)
        wrong = [o.case.case_id for o in subset if o.wrong_accept]
        assert result.precision is not None and result.precision >= TARGET_PRECISION, (name, wrong)
        assert result.recall is not None and result.recall >= TARGET_RECALL, name
    # the hard rules hold on every case built to test them
    for outcome in outcomes:
        if outcome.case.category in ("negation", "number", "errata", "generic_title"):
            assert not outcome.wrong_accept, outcome.case.case_id


def test_default_thresholds_are_the_dev_grid_choice(cases: list[MatchCase]) -> None:
    dev, _ = dev_test_split(cases)
    result = grid_search(dev, DEFAULT_POLICY)
    assert result.best is not None
    assert (result.best.accept_threshold, result.best.min_title) == (
        DEFAULT_POLICY.accept_threshold,
        DEFAULT_POLICY.min_title,
    ), "re-run `python -m bench.matching --grid` and update DEFAULT_POLICY and docs/matching.md"
    assert result.best.tally.precision is not None and result.best.tally.precision >= 0.99
