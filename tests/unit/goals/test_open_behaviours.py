"""What goalstream decided where the contract is silent (docs/decisions.md, "Revisions, late values and milestones").

Revising a deadline, start_at or window; a missed goal whose deadline is extended; a gauge value older than the
newest; MilestoneHit.value for a rolled-up parent; a plan's milestone targets after a target revision. Each is
checked on goals' decisions and, where tracking folds the same events, on tracking's read model too.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from goalstream_contracts.events import (
    GoalAchieved,
    GoalMissed,
    GoalRevised,
    GoalStatusChanged,
    MeasurementRecorded,
    MilestoneHit,
)
from goalstream_goals.domain.define import decide_plan, decide_revise, decide_set
from goalstream_goals.domain.goal import Goal, Measurement, fold
from goalstream_goals.domain.measure import decide_rollup
from goalstream_goals.domain.timing import decide_time, next_due
from goalstream_tracking.domain.node import GoalNode, evolve_node
from tests.unit.goals.builders import (
    DAY,
    T0,
    TOL,
    anti_goal,
    hard_goal,
    measure,
    of_type,
    recount,
    rolled_up_parent,
    then,
)

MINUTE = timedelta(minutes=1)


def tracked(goal: Goal, events: list[object]) -> GoalNode:
    """Tracking's node after the goal's whole stream (goals' decisions, as published)."""
    node: GoalNode | None = None
    for k, event in enumerate(events):
        node = evolve_node(node, event, T0 + k * MINUTE, "acme")  # type: ignore[arg-type]
    assert node is not None
    return node


# -- revising deadline and start_at: status and expected progress follow the new span --------------------------


@pytest.mark.parametrize(
    ("change", "status", "expected"),
    [
        ({"deadline": T0 + 200 * DAY}, "on_track", 0.2),  # day 40 of 200: 30 % done, 20 % expected
        ({"deadline": T0 + 50 * DAY}, "off_track", 0.8),  # day 40 of 50
    ],
)
def test_revising_the_span_recomputes_status_and_expected_progress(
    change: dict[str, object], status: str, expected: float
) -> None:
    goal = hard_goal(start_at=T0, deadline=T0 + 100 * DAY)
    goal, _ = measure(goal, 30, T0 + DAY, T0 + 40 * DAY)
    assert goal.status == "at_risk"  # day 40 of 100: 30 % done, 40 % expected
    events = decide_revise(goal, change, T0 + 40 * DAY, TOL)
    (moved,) = of_type(events, GoalStatusChanged)
    assert (moved.previous_status, moved.status) == ("at_risk", status)
    assert moved.expected_progress == pytest.approx(expected)


def test_a_start_at_revision_recounts_and_takes_its_status_from_the_new_span() -> None:
    """A gauge keeps its newest value through the recount; the status follows day 10 of 70 from the new start."""
    goal = hard_goal(start_at=T0, deadline=T0 + 100 * DAY)
    goal, _ = measure(goal, 30, T0 + DAY, T0 + 40 * DAY)
    assert goal.status == "at_risk"
    kept = [Measurement("m", "k", 30, T0 + DAY)]  # a gauge folds its newest value, whatever its start_at
    goal, events = recount(goal, {"start_at": T0 + 30 * DAY}, kept, T0 + 40 * DAY)
    assert [type(e) for e in events] == [GoalRevised, MeasurementRecorded, GoalStatusChanged]  # one move, no detour
    (moved,) = of_type(events, GoalStatusChanged)
    assert (moved.previous_status, moved.status) == ("at_risk", "on_track")
    assert moved.expected_progress == pytest.approx(1 / 7)
    assert goal.current == 30.0


def test_moving_a_sum_goals_start_at_later_uncounts_the_values_before_it() -> None:
    """The count starts again at the revision; the values kept from the new start are summed again."""
    goal = hard_goal(aggregation="sum", start_at=T0, deadline=T0 + 100 * DAY)
    goal, _ = measure(goal, 10, T0 + DAY, T0 + 40 * DAY, "early")
    goal, _ = measure(goal, 20, T0 + 35 * DAY, T0 + 40 * DAY, "late")
    assert goal.current == 30.0
    emptied = then(goal, decide_revise(goal, {"start_at": T0 + 30 * DAY}, T0 + 40 * DAY, TOL))
    assert (emptied.current, emptied.latest_observed_at, emptied.by_deadline) == (None, None, None)
    kept = [Measurement("late", "k", 20, T0 + 35 * DAY)]  # observed at or after the new start
    after, _ = recount(goal, {"start_at": T0 + 30 * DAY}, kept, T0 + 40 * DAY)
    assert after.current == 20.0 and after.definition.start_at == T0 + 30 * DAY
    later, events = measure(after, 5, T0 + 20 * DAY, T0 + 41 * DAY, "before-the-new-start")
    assert of_type(events, MeasurementRecorded)[0].counted is False and later.current == 20.0


def test_a_window_revision_takes_the_mean_again_over_the_new_window() -> None:
    """The mean is taken again over the kept values the new window holds, and the next value is averaged in it."""
    goal = anti_goal(comparator="above", threshold=50.0, window="PT2H")
    goal, _ = measure(goal, 10.0, T0, T0 + DAY, "a")
    goal, _ = measure(goal, 30.0, T0 + 90 * MINUTE, T0 + DAY, "b")
    assert goal.current == 20.0
    kept = [Measurement("b", "k", 30.0, T0 + 90 * MINUTE)]  # within an hour of the newest: not the 10 at 0:00
    goal, events = recount(goal, {"window": "PT1H"}, kept, T0 + DAY)
    assert [type(e) for e in events] == [GoalRevised, MeasurementRecorded]
    assert goal.current == 30.0
    goal, _ = measure(goal, 40.0, T0 + 100 * MINUTE, T0 + DAY, "c")
    assert goal.current == 35.0  # 30 and 40


# -- a missed goal whose deadline is extended is live again ------------------------------------------------------


def _missed() -> tuple[Goal, list[object]]:
    goal = fold(decide_set(hard_goal(start_at=T0, deadline=T0 + 100 * DAY).definition, T0, TOL))
    assert goal is not None
    stream: list[object] = [goal.definition, *decide_set(goal.definition, T0, TOL)[1:]]
    goal, events = measure(goal, 30, T0 + DAY, T0 + DAY)
    stream += events
    events = decide_time(goal, T0 + 101 * DAY, TOL)
    assert of_type(events, GoalMissed)
    stream += events
    return then(goal, events), stream


def test_extending_a_missed_goals_deadline_makes_it_live_again() -> None:
    goal, stream = _missed()
    assert goal.missed and goal.status == "missed" and next_due(goal, T0 + 101 * DAY, TOL) is None
    now = T0 + 102 * DAY
    events = decide_revise(goal, {"deadline": T0 + 400 * DAY}, now, TOL)
    (revised, moved) = events
    assert isinstance(revised, GoalRevised) and isinstance(moved, GoalStatusChanged)
    assert (moved.previous_status, moved.status) == ("missed", "on_track")  # day 102 of 400: 30 % done
    goal = then(goal, events)
    assert not goal.missed and goal.status == "on_track"
    assert next_due(goal, now, TOL) is not None  # the scheduler watches it again
    node = tracked(goal, [*stream, *events])
    assert (node.missed, node.status) == (False, "on_track")
    # ...and it is missed again at the new deadline
    again = decide_time(goal, T0 + 400 * DAY, TOL)
    assert [type(e) for e in again] == [GoalStatusChanged, GoalMissed]


def test_a_missed_goal_whose_value_meets_the_target_is_achieved_when_its_deadline_is_extended() -> None:
    goal, _ = _missed()
    goal, events = measure(goal, 120, T0 + 101 * DAY, T0 + 102 * DAY, "after-the-deadline")
    assert not of_type(events, GoalAchieved)  # observed after the deadline: it cannot achieve the goal
    now = T0 + 103 * DAY
    events = decide_revise(goal, {"deadline": T0 + 200 * DAY}, now, TOL)
    (achieved,) = of_type(events, GoalAchieved)
    assert (achieved.value, achieved.achieved_at) == (120.0, now)
    goal = then(goal, events)
    assert goal.achieved and not goal.missed


def test_a_deadline_still_behind_now_misses_the_goal_again_against_it() -> None:
    goal, _ = _missed()
    new_deadline = T0 + 100 * DAY + MINUTE
    events = decide_revise(goal, {"deadline": new_deadline}, T0 + 102 * DAY, TOL)
    assert [type(e) for e in events] == [GoalRevised, GoalMissed]  # one GoalMissed per deadline; status unchanged
    assert isinstance(events[1], GoalMissed) and events[1].deadline == new_deadline
    after = then(goal, events)
    assert after.missed and after.status == "missed"


# -- a gauge value older than the newest is recorded, not counted ---------------------------------------------------


def test_an_older_gauge_value_is_recorded_but_not_counted_on_either_side() -> None:
    goal = hard_goal(start_at=T0, deadline=T0 + 100 * DAY)
    stream: list[object] = [goal.definition]
    goal, events = measure(goal, 40, T0 + 10 * DAY, T0 + 10 * DAY, "new")
    stream += events
    goal, events = measure(goal, 100, T0 + 5 * DAY, T0 + 11 * DAY, "old")  # would achieve it, were it newest
    stream += events
    (recorded,) = events  # recorded, and nothing else: no status, no achievement
    assert isinstance(recorded, MeasurementRecorded) and recorded.counted is False
    assert (recorded.current_value, goal.current, goal.achieved) == (40.0, 40.0, False)
    assert goal.last_measured_at == T0 + 11 * DAY  # it still counts as a check-in
    node = tracked(goal, stream)
    assert (node.current, node.own_progress) == (40.0, 0.4)


# -- MilestoneHit.value for a rolled-up parent ------------------------------------------------------------------------


def _planned_parent(rollup: str) -> Goal:
    goal = rolled_up_parent(rollup)
    return then(goal, decide_plan(goal, T0, TOL, milestones=2))


@pytest.mark.parametrize("rollup", ["weighted_mean", "worst"])
def test_a_mean_parents_milestone_value_is_what_its_progress_stands_for(rollup: str) -> None:
    events = decide_rollup(_planned_parent(rollup), T0 + DAY, TOL, raw=0.6)
    (hit,) = of_type(events, MilestoneHit)
    assert (hit.milestone_index, hit.target, hit.value) == (1, 150.0, 160.0)  # 100 + 0.6 * (200 - 100)


def test_a_sum_parents_milestone_value_is_its_total() -> None:
    events = decide_rollup(_planned_parent("sum"), T0 + DAY, TOL, raw=0.55, current=155.0)
    (hit,) = of_type(events, MilestoneHit)
    assert hit.value == 155.0


# -- a plan's milestone targets after a target revision --------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "targets"),
    [({"target": 300.0}, [200.0, 300.0]), ({"baseline": 0.0}, [100.0, 200.0]), ({"title": "t"}, [150.0, 200.0])],
)
def test_milestones_keep_their_fractions_and_follow_a_new_target(
    change: dict[str, object], targets: list[float]
) -> None:
    parent = _planned_parent("weighted_mean")
    stream: list[object] = [parent.definition, GoalStatusChanged(goal_id="p", status="on_track")]
    stream += decide_plan(parent, T0, TOL, milestones=2)
    events = decide_revise(parent, change, T0 + DAY, TOL)
    revised = then(parent, events)
    assert [(m.fraction, m.target) for m in revised.milestones] == [(0.5, targets[0]), (1.0, targets[1])]
    node = tracked(revised, [*stream, *events])
    assert [(m.fraction, m.target) for m in node.milestones] == [(0.5, targets[0]), (1.0, targets[1])]
