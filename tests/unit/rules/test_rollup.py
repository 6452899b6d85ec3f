"""Cascading rollups: weighted mean, sum and worst, and what a child with no progress yet brings to each."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goalstream_contracts.common import Rollup
from goalstream_rules.rollup import (
    Child,
    contribution,
    contributions,
    level_mean,
    rollup_numbers,
    weighted_mean,
    worst_status,
)

STATUSES = ["on_track", "at_risk", "off_track", "achieved", "missed"]
fractions = st.floats(min_value=-2.0, max_value=3.0)

children = st.lists(
    st.builds(
        Child,
        weight=st.floats(0.01, 100.0),
        progress=st.one_of(st.none(), fractions),
        current=st.one_of(st.none(), st.floats(-1e6, 1e6)),
        baseline=st.floats(-1e3, 1e3),
        status=st.one_of(st.none(), st.sampled_from(STATUSES)),
    ),
    max_size=8,
)


def test_weighted_mean_worked_example() -> None:
    kids = [Child(3.0, 0.5, None, 0.0, "on_track"), Child(1.0, 1.5, None, 0.0, "achieved")]
    assert weighted_mean(kids) == 0.625  # (3 * 0.5 + 1 * 1.0) / 4: the 1.5 is clamped to 1
    assert weighted_mean([Child(1.0, -0.5, None, 0.0, None), Child(1.0, 0.5, None, 0.0, None)]) == 0.25
    # A child with no progress yet has made none: it counts as 0 at its weight (it used to be left out: None).
    assert weighted_mean([Child(1.0, None, None, 0.0, None)]) == 0.0 and weighted_mean([]) is None


@given(kids=children)
def test_weighted_mean_of_clamped_children(kids: list[Child]) -> None:
    rated = [(c.weight, 0.0 if c.progress is None else min(1.0, max(0.0, c.progress))) for c in kids]
    value = weighted_mean(kids)
    if not rated:
        assert value is None
        return
    assert value is not None
    assert value == pytest.approx(sum(w * p for w, p in rated) / sum(w for w, _ in rated), abs=1e-12)
    assert min(p for _, p in rated) - 1e-12 <= value <= max(p for _, p in rated) + 1e-12


@given(kids=children.filter(bool), baseline=st.floats(-1e3, 1e3), target=st.floats(1e3 + 1, 1e7))
def test_a_sum_rollup_adds_the_childrens_current_values(kids: list[Child], baseline: float, target: float) -> None:
    numbers = rollup_numbers("sum", kids, baseline, target)
    total = sum(c.baseline if c.current is None else c.current for c in kids)
    assert numbers.current == pytest.approx(total, abs=1e-6)
    assert numbers.progress == pytest.approx((total - baseline) / (target - baseline), abs=1e-9)
    assert numbers.worst is None


def test_sum_rollup_worked_example() -> None:
    kids = [Child(1.0, None, 120.0, 0.0, None), Child(1.0, None, 80.0, 0.0, None), Child(1.0, None, None, 50.0, None)]
    numbers = rollup_numbers("sum", kids, 0.0, 400.0)
    assert (numbers.current, numbers.progress) == (250.0, 0.625)
    assert rollup_numbers("sum", [], 0.0, 400.0).current is None


@given(statuses=st.lists(st.one_of(st.none(), st.sampled_from(STATUSES)), max_size=8))
def test_worst_status_picks_by_design_order(statuses: list[str | None]) -> None:
    kids = [Child(1.0, 0.5, None, 0.0, s) for s in statuses]  # type: ignore[arg-type]
    present = [s for s in statuses if s is not None]
    expected = next((s for s in ["missed", "off_track", "at_risk", "on_track", "achieved"] if s in present), None)
    assert worst_status(kids) == expected
    numbers = rollup_numbers("worst", kids, 0.0, None)
    assert numbers.worst == expected and numbers.progress == (weighted_mean(kids) if kids else 0.0)


def test_worst_status_worked_example() -> None:
    def kids(*ss: str) -> list[Child]:
        return [Child(1.0, 0.5, None, 0.0, s) for s in ss]  # type: ignore[arg-type]

    assert worst_status(kids("achieved", "on_track", "at_risk")) == "at_risk"
    assert worst_status(kids("achieved", "missed", "off_track")) == "missed"
    assert worst_status(kids("achieved", "achieved")) == "achieved"
    assert rollup_numbers("weighted_mean", kids("missed"), 0.0, None).worst is None


# -- a child with no progress yet (a measured goal with no value, or no metric and no children) ---------------------

NOTHING_YET = Child(1.0, None, None, 10.0, None)  # no progress, no value, no status
DONE = Child(1.0, 1.0, 100.0, 0.0, "achieved")


def test_a_child_with_no_progress_counts_as_zero_at_its_weight() -> None:
    assert rollup_numbers("weighted_mean", [DONE, NOTHING_YET], 0.0, 1.0).progress == 0.5
    heavy = Child(3.0, None, None, 0.0, None)
    assert rollup_numbers("weighted_mean", [DONE, heavy], 0.0, 1.0).progress == 0.25


def test_a_child_with_no_value_brings_its_baseline_to_a_sum() -> None:
    numbers = rollup_numbers("sum", [DONE, NOTHING_YET], 0.0, 220.0)
    assert numbers.current == 110.0 and numbers.progress == 0.5


def test_a_child_without_a_status_takes_no_part_in_the_worst_but_counts_in_the_mean() -> None:
    numbers = rollup_numbers("worst", [DONE, NOTHING_YET], 0.0, 1.0)
    assert numbers.worst == "achieved" and numbers.progress == 0.5
    off = Child(1.0, None, None, 0.0, "off_track")  # a childless parent the goals service judged off_track
    assert rollup_numbers("worst", [DONE, off], 0.0, 1.0).worst == "off_track"


@pytest.mark.parametrize("rollup", ["weighted_mean", "worst", "sum"])
def test_a_parent_with_nothing_to_roll_up_has_made_no_progress(rollup: str) -> None:
    numbers = rollup_numbers(rollup, [], 10.0, 110.0)  # type: ignore[arg-type]
    assert (numbers.progress, numbers.current, numbers.worst) == (0.0, None, None)
    assert rollup_numbers("sum", [], 0.0, None).progress is None  # a sum needs its target


def test_a_levels_mean_is_the_plain_mean_of_clamped_progress_of_goals_that_have_one() -> None:
    assert level_mean([0.5, 1.5, None, -0.2]) == pytest.approx(0.5)  # (0.5 + 1 + 0) / 3; no progress: left out
    assert level_mean([None]) is None and level_mean([]) is None


@given(kids=children.filter(bool), rollup=st.sampled_from(["weighted_mean", "worst", "sum"]))
def test_the_childrens_contributions_add_up_to_their_parents_number(kids: list[Child], rollup: Rollup) -> None:
    """What the dashboard shows each child adding is what the parent's number is made of."""
    added = contributions(rollup, [(c.weight, contribution(rollup, c)) for c in kids])
    numbers = rollup_numbers(rollup, kids, 0.0, 1e9)
    whole = numbers.current if rollup == "sum" else numbers.progress
    assert whole is not None and sum(added) == pytest.approx(whole, rel=1e-9, abs=1e-9)


def test_contributions_worked_example() -> None:
    kids = [Child(2.0, 0.5, None, 0.0, None), Child(1.0, 1.5, None, 0.0, None), Child(1.0, None, None, 0.0, None)]
    added = contributions("weighted_mean", [(c.weight, contribution("weighted_mean", c)) for c in kids])
    assert added == [0.25, 0.25, 0.0]  # 2/4 of 0.5, 1/4 of 1 (clamped), 1/4 of nothing yet
