"""Ladders and cascading rollups (DESIGN §2): ladder progress, rung unlocks, weighted mean, sum and worst."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goalstream_contracts.common import Metric
from goalstream_contracts.events import GoalRevised, GoalSet, LadderRungUnlocked, LadderSet, MeasurementRecorded
from goalstream_goals.domain.define import decide_set, decide_unlock
from goalstream_goals.domain.errors import DomainError
from goalstream_goals.domain.goal import fold
from goalstream_goals.domain.ladder import (
    decide_ladder,
    decide_rung_achieved,
    evolve_ladder,
    fold_ladder,
    ladder_progress,
)
from goalstream_goals.domain.rollup import Child, rollup_numbers, weighted_mean, worst_status
from tests.unit.goals.builders import DAY, T0, TOL, US, measure, of_type, then

STATUSES = ["on_track", "at_risk", "off_track", "achieved", "missed"]
fractions = st.floats(min_value=-2.0, max_value=3.0)

# -- ladders ------------------------------------------------------------------------------------------------------


def test_ladder_progress_worked_examples() -> None:
    assert ladder_progress(1, 0.5, 3) == 0.5
    assert ladder_progress(2, 1.7, 4) == 0.75  # the current rung's progress is clamped
    assert ladder_progress(2, -0.3, 4) == 0.5
    assert ladder_progress(0, None, 5) == 0.0
    assert ladder_progress(3, None, 3) == 1.0 and ladder_progress(3, 0.2, 3) == 1.0


@given(rungs=st.integers(1, 50), data=st.data())
def test_ladder_progress_is_achieved_plus_clamped_current_over_rungs(rungs: int, data: st.DataObject) -> None:
    achieved = data.draw(st.integers(0, rungs))
    current = data.draw(st.one_of(st.none(), fractions))
    value = ladder_progress(achieved, current, rungs)
    assert 0.0 <= value <= 1.0
    if achieved == rungs:
        assert value == 1.0
    else:
        part = 0.0 if current is None else min(1.0, max(0.0, current))
        assert value == pytest.approx((achieved + part) / rungs)
        assert achieved / rungs <= value <= (achieved + 1) / rungs


@given(
    rungs=st.integers(1, 8),
    claims=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 1000)), max_size=20),
)
def test_achieving_the_current_rung_unlocks_the_next_at_the_achieving_time(
    rungs: int, claims: list[tuple[int, int]]
) -> None:
    ladder = fold_ladder(decide_ladder("L", "climb", None, [(f"r{i}", f"rung {i}") for i in range(1, rungs + 1)]))
    assert ladder is not None and ladder.current_rung == 1
    current = 1  # reference pointer
    for rung, hour in claims:  # "goal r<rung> was achieved at <hour>", for current rungs, others and unknown ids
        at = T0 + hour * DAY / 24
        events = decide_rung_achieved(ladder, f"r{rung}", at)
        if rung == current and current < rungs:
            (unlocked,) = events
            assert isinstance(unlocked, LadderRungUnlocked)
            assert (unlocked.rung_index, unlocked.goal_id, unlocked.unlocked_at) == (current + 1, f"r{current + 1}", at)
            assert unlocked.previous_goal_id == f"r{current}"
            current += 1
        else:
            assert events == []  # not the current rung, or the top rung
        for event in events:
            ladder = evolve_ladder(ladder, event)
        assert ladder.current_rung == current


@pytest.mark.parametrize("count", [0, 51])
def test_a_ladder_needs_one_to_fifty_rungs(count: int) -> None:
    with pytest.raises(DomainError) as refused:
        decide_ladder("L", "t", None, [(f"r{i}", "t") for i in range(count)])
    assert refused.value.field == "rungs"
    assert isinstance(decide_ladder("L", "t", None, [("r1", "t")])[0], LadderSet)


def test_a_later_rung_counts_only_what_is_observed_after_it_unlocks() -> None:
    rung = GoalSet(
        goal_id="r2",
        kind="hard",
        title="second rung",
        metric=Metric(key="k", aggregation="latest"),
        target=10.0,
        deadline=T0 + 90 * DAY,
        ladder_id="L",
        rung_index=2,
    )
    goal = fold(decide_set(rung, T0, TOL))
    assert goal is not None and goal.locked and not goal.active
    assert measure(goal, 5.0, T0 + DAY, T0 + DAY)[1] == []  # locked: ignored
    unlocked_at = T0 + 10 * DAY
    events = decide_unlock(goal, unlocked_at, unlocked_at + DAY, TOL)
    assert isinstance(events[0], GoalRevised) and events[0].start_at == unlocked_at
    goal = then(goal, events)
    goal, recorded = measure(goal, 7.0, unlocked_at, unlocked_at + DAY, "at")
    assert of_type(recorded, MeasurementRecorded)[0].counted is False and goal.current is None
    goal, recorded = measure(goal, 7.0, unlocked_at + US, unlocked_at + DAY, "after")
    assert of_type(recorded, MeasurementRecorded)[0].counted is True and goal.current == 7.0


# -- rollups ------------------------------------------------------------------------------------------------------

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
    assert weighted_mean([Child(1.0, None, None, 0.0, None)]) is None and weighted_mean([]) is None


@given(kids=children)
def test_weighted_mean_of_clamped_children(kids: list[Child]) -> None:
    rated = [(c.weight, min(1.0, max(0.0, c.progress))) for c in kids if c.progress is not None]
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
    assert numbers.worst == expected and numbers.progress == weighted_mean(kids)


def test_worst_status_worked_example() -> None:
    def kids(*ss: str) -> list[Child]:
        return [Child(1.0, 0.5, None, 0.0, s) for s in ss]  # type: ignore[arg-type]

    assert worst_status(kids("achieved", "on_track", "at_risk")) == "at_risk"
    assert worst_status(kids("achieved", "missed", "off_track")) == "missed"
    assert worst_status(kids("achieved", "achieved")) == "achieved"
    assert rollup_numbers("weighted_mean", kids("missed"), 0.0, None).worst is None
