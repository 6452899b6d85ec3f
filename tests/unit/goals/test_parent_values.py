"""A rolled-up parent's events report its value as it stands (goalstream_rules.progress.goal_value): a `sum`
parent's total, a `weighted_mean` or `worst` parent's baseline + progress * (target - baseline). GoalAchieved,
GoalMissed and MilestoneHit agree on it."""

from __future__ import annotations

import pytest

from goalstream_contracts.events import GoalAchieved, GoalMissed, MilestoneHit
from goalstream_goals.domain.define import decide_plan
from goalstream_goals.domain.measure import decide_rollup
from goalstream_goals.domain.timing import decide_time
from tests.unit.goals.builders import DAY, T0, TOL, hard_goal, measure, of_type, rolled_up_parent, then

DEADLINE = T0 + 90 * DAY


@pytest.mark.parametrize(("rollup", "worst"), [("weighted_mean", None), ("worst", "achieved")])
def test_a_mean_or_worst_parents_achievement_reports_the_value_its_progress_stands_for(
    rollup: str, worst: str | None
) -> None:
    events = decide_rollup(rolled_up_parent(rollup), T0 + DAY, TOL, raw=1.0, worst=worst)  # type: ignore[arg-type]
    (achieved,) = of_type(events, GoalAchieved)
    assert (achieved.value, achieved.progress) == (200.0, 1.0)  # 100 + 1.0 * (200 - 100), not the baseline


def test_a_sum_parents_achievement_reports_its_total() -> None:
    events = decide_rollup(rolled_up_parent("sum"), T0 + DAY, TOL, raw=1.1, current=210.0)
    (achieved,) = of_type(events, GoalAchieved)
    assert achieved.value == 210.0


@pytest.mark.parametrize(("rollup", "raw", "value"), [("weighted_mean", 0.4, 140.0), ("sum", 0.55, 155.0)])
def test_a_parent_missed_by_time_reports_its_value(rollup: str, raw: float, value: float) -> None:
    events = decide_time(rolled_up_parent(rollup), DEADLINE, TOL, rollup=raw)
    (missed,) = of_type(events, GoalMissed)
    assert missed.value == pytest.approx(value)  # was null: a parent has no value of its own


def test_a_sum_parent_missed_when_its_children_move_reports_its_total() -> None:
    events = decide_rollup(rolled_up_parent("sum"), DEADLINE + DAY, TOL, raw=0.3, current=130.0)
    (missed,) = of_type(events, GoalMissed)
    assert missed.value == 130.0


def test_achievement_missed_and_milestone_values_agree_for_arolled_up_parent() -> None:
    parent = rolled_up_parent("weighted_mean")
    parent = then(parent, decide_plan(parent, T0, TOL, milestones=1))
    events = decide_rollup(parent, T0 + DAY, TOL, raw=1.0)
    (hit,) = of_type(events, MilestoneHit)
    (achieved,) = of_type(events, GoalAchieved)
    assert hit.value == achieved.value == 200.0


def test_a_measured_goal_still_reports_its_own_values() -> None:
    _, events = measure(hard_goal(), 100.0, T0 + DAY, T0 + DAY)
    assert of_type(events, GoalAchieved)[0].value == 100.0
    (missed,) = of_type(decide_time(hard_goal(), DEADLINE, TOL), GoalMissed)
    assert missed.value is None  # nothing measured: no value to report
