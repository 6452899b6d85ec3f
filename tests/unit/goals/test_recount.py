"""A revision of what counts (metric key or aggregation, start_at, window) starts the goal's count again: goals
forgets its running aggregate and the service refolds the kept values; tracking, folding the same events, shows the
same numbers (docs/decisions.md, "Revisions recount")."""

from __future__ import annotations

from datetime import timedelta

import pytest

from goalstream_contracts.common import Metric
from goalstream_contracts.events import (
    GoalAchieved,
    GoalRevised,
    GoalStatusChanged,
    MeasurementRecorded,
)
from goalstream_goals.domain.define import decide_plan, decide_recounted, decide_revise
from goalstream_goals.domain.goal import Goal, Measurement
from goalstream_tracking.domain.node import GoalNode, evolve_node
from tests.unit.goals.builders import DAY, T0, TOL, anti_goal, hard_goal, measure, of_type, recount, then

MINUTE = timedelta(minutes=1)
NOW = T0 + 40 * DAY


def tracked(events: list[object]) -> GoalNode:
    node: GoalNode | None = None
    for k, event in enumerate(events):
        node = evolve_node(node, event, T0 + k * MINUTE, "acme")  # type: ignore[arg-type]
    assert node is not None
    return node


def _sum_goal() -> tuple[Goal, list[object]]:
    goal = hard_goal(aggregation="sum", start_at=T0, deadline=T0 + 100 * DAY)
    stream: list[object] = [goal.definition]
    for mid, value, day in (("a", 10, 1), ("b", 20, 35)):
        goal, events = measure(goal, value, T0 + day * DAY, NOW, mid)
        stream += events
    assert goal.current == 30.0
    return goal, stream


@pytest.mark.parametrize(
    "changes",
    [
        {"metric": Metric(key="other", aggregation="sum")},
        {"metric": Metric(key="k", aggregation="latest")},
        {"start_at": T0 + 10 * DAY},
        {"start_at": T0 - 30 * DAY},
    ],
)
def test_a_recount_revision_empties_the_count_and_waits_for_the_refold(changes: dict[str, object]) -> None:
    goal, stream = _sum_goal()
    events = decide_revise(goal, changes, NOW, TOL)
    assert [type(e) for e in events] == [GoalRevised]  # no status for the empty count in between
    emptied = then(goal, events)
    assert (emptied.current, emptied.latest_observed_at, emptied.window) == (None, None, ())
    assert (emptied.by_deadline, emptied.by_deadline_observed_at) == (None, None)
    assert (emptied.status, emptied.last_measured_at) == (goal.status, goal.last_measured_at)
    # Nothing kept for the new definition: both services show no value and no progress, and the status follows.
    status = decide_recounted(emptied, NOW, TOL)
    (moved,) = of_type(status, GoalStatusChanged)
    assert (moved.previous_status, moved.status) == ("at_risk", "off_track")
    node = tracked([*stream, *events, *status])
    assert (node.current, node.own_progress, node.status) == (None, 0.0, "off_track")
    assert then(emptied, status).raw_progress == node.own_progress == 0.0


def test_a_metric_change_does_not_mix_the_old_numbers_with_the_new() -> None:
    goal, stream = _sum_goal()
    kept = [Measurement("x", "other", 7, T0 + 2 * DAY), Measurement("y", "other", 5, T0 + 3 * DAY)]
    after, events = recount(goal, {"metric": Metric(key="other", aggregation="sum")}, kept, NOW)
    assert after.current == 12.0  # not 30 + 12
    node = tracked([*stream, *events])
    assert (node.current, node.own_progress) == (after.current, after.raw_progress)


def test_a_window_change_takes_the_mean_again_on_both_sides() -> None:
    goal = anti_goal(comparator="above", threshold=50.0, window="PT2H")
    stream: list[object] = [goal.definition]
    for mid, value, minutes in (("a", 80.0, 0), ("b", 40.0, 90)):
        goal, events = measure(goal, value, T0 + minutes * MINUTE, T0 + DAY, mid)
        stream += events
    assert goal.current == 60.0 and goal.breached_at is not None
    after, events = recount(goal, {"window": "PT1H"}, [Measurement("b", "k", 40.0, T0 + 90 * MINUTE)], T0 + DAY)
    assert after.current == 40.0 and after.breached_at is None  # the new mean recovers it
    node = tracked([*stream, *events])
    assert (node.current, node.breached) == (40.0, False)


def test_an_achieved_goal_stays_achieved_and_its_milestones_stay_hit() -> None:
    goal = hard_goal(aggregation="sum", start_at=T0, deadline=T0 + 100 * DAY)
    goal = then(goal, decide_plan(goal, T0, TOL, milestones=2))
    goal, _ = measure(goal, 100, T0 + DAY, NOW, "a")
    assert goal.achieved and goal.milestones_hit == (1, 2)
    kept = [Measurement("x", "other", 30, T0 + 2 * DAY)]
    after, events = recount(goal, {"metric": Metric(key="other", aggregation="sum")}, kept, NOW)
    assert not of_type(events, GoalAchieved) and not of_type(events, GoalStatusChanged)  # GoalAchieved is once
    assert (after.achieved, after.status, after.milestones_hit, after.current) == (True, "achieved", (1, 2), 30.0)


def test_a_recount_whose_kept_values_meet_the_target_achieves_at_their_observed_time() -> None:
    goal, _ = _sum_goal()
    kept = [Measurement("x", "other", 60, T0 + 2 * DAY), Measurement("y", "other", 50, T0 + 3 * DAY)]
    after, events = recount(goal, {"metric": Metric(key="other", aggregation="sum")}, kept, NOW)
    (achieved,) = of_type(events, GoalAchieved)
    assert (achieved.value, achieved.achieved_at, after.achieved) == (110.0, T0 + 3 * DAY, True)
    assert [type(e) for e in events][:2] == [GoalRevised, MeasurementRecorded]


def test_other_revisions_keep_the_count() -> None:
    goal, _ = _sum_goal()
    for changes in ({"title": "renamed"}, {"target": 200.0}, {"deadline": T0 + 120 * DAY}, {"baseline": 5.0}):
        assert then(goal, decide_revise(goal, changes, NOW, TOL)).current == 30.0, changes
