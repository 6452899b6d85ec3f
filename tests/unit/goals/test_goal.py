"""The goal aggregate: decide returns events, evolve folds them; `now` is always given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from goalstream_contracts.common import Metric
from goalstream_contracts.events import GoalAchieved, GoalSet, GoalStatusChanged, MeasurementRecorded
from goalstream_goals.domain.define import decide_set
from goalstream_goals.domain.goal import DomainError, Goal, Measurement, evolve, fold
from goalstream_goals.domain.measure import decide_measurement
from goalstream_rules.status import Tolerances

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _goal(aggregation: str = "sum", target: float = 100, baseline: float = 0, days_in: int = 10) -> Goal:
    definition = GoalSet(
        goal_id="g1",
        kind="hard",
        title="t",
        metric=Metric(key="k", aggregation=aggregation),  # type: ignore[arg-type]
        baseline=baseline,
        target=target,
        start_at=NOW - timedelta(days=days_in),
        deadline=NOW + timedelta(days=90 - days_in),
    )
    goal = fold(decide_set(definition, NOW, Tolerances()))
    assert goal is not None
    return goal


def _m(value: float, days_ago: float, mid: str = "m") -> Measurement:
    return Measurement(measurement_id=mid, metric="k", value=value, observed_at=NOW - timedelta(days=days_ago))


def _apply(goal: Goal, *measurements: Measurement) -> tuple[Goal, list[object]]:
    events: list[object] = []
    for m in measurements:
        new = decide_measurement(goal, m, NOW, Tolerances())
        events += new
        for event in new:
            goal = evolve(goal, event)
    return goal, events


def test_setting_a_goal_emits_goal_set_and_its_first_status() -> None:
    definition = GoalSet(
        goal_id="g",
        kind="hard",
        title="t",
        target=10,
        start_at=NOW - timedelta(days=45),
        deadline=NOW + timedelta(days=45),
    )
    events = decide_set(definition, NOW, Tolerances())
    assert events[0] == definition
    assert isinstance(events[1], GoalStatusChanged) and events[1].status == "off_track"  # expected 0.5, actual 0


@pytest.mark.parametrize(
    ("change", "field"),
    [({"target": 0}, "target"), ({"deadline": NOW - timedelta(days=60)}, "deadline"), ({"weight": 0}, "weight")],
)
def test_an_impossible_goal_is_refused_naming_the_field(change: dict[str, object], field: str) -> None:
    fields: dict[str, object] = {
        "goal_id": "g",
        "kind": "hard",
        "title": "t",
        "target": 10,
        "start_at": NOW - timedelta(days=45),
        "deadline": NOW + timedelta(days=45),
    }
    with pytest.raises(DomainError) as refused:
        decide_set(GoalSet(**{**fields, **change}), NOW, Tolerances())  # type: ignore[arg-type]
    assert refused.value.field == field


def test_a_counter_sums_values_observed_since_start() -> None:
    goal, events = _apply(_goal("sum"), _m(30, 5, "a"), _m(20, 2, "b"), _m(99, 20, "before-start"))
    assert goal.current == 50
    recorded = [e for e in events if isinstance(e, MeasurementRecorded)]
    assert [r.counted for r in recorded] == [True, True, False]
    assert recorded[1].progress == pytest.approx(0.5)


def test_a_late_gauge_value_is_recorded_but_does_not_replace_a_newer_one() -> None:
    goal, events = _apply(_goal("latest", target=15000, baseline=10000), _m(12500, 1, "new"), _m(11000, 3, "old"))
    assert goal.current == 12500
    recorded = [e for e in events if isinstance(e, MeasurementRecorded)]
    assert recorded[1].counted is False and recorded[1].current_value == 12500


def test_achieved_once_at_the_observed_time_of_the_achieving_measurement() -> None:
    goal, events = _apply(_goal("sum"), _m(60, 3, "a"), _m(50, 2, "b"), _m(10, 1, "c"))
    achieved = [e for e in events if isinstance(e, GoalAchieved)]
    assert len(achieved) == 1
    assert achieved[0].achieved_at == NOW - timedelta(days=2)
    assert achieved[0].value == 110 and achieved[0].progress == pytest.approx(1.1)
    assert goal.achieved and goal.status == "achieved"


def test_status_changes_are_emitted_only_on_change() -> None:
    goal = _goal("sum", days_in=45)  # expected 0.5 now
    assert goal.status == "off_track"
    goal, events = _apply(goal, _m(45, 1, "a"), _m(1, 1, "b"))
    changes = [e for e in events if isinstance(e, GoalStatusChanged)]
    assert [(c.previous_status, c.status) for c in changes] == [("off_track", "on_track")]


def test_an_archived_goal_ignores_measurements() -> None:
    from dataclasses import replace

    goal = replace(_goal(), archived=True)
    assert decide_measurement(goal, _m(5, 1), NOW, Tolerances()) == []


@pytest.mark.parametrize("rollup", ["weighted_mean", "worst"])
def test_a_weighted_mean_or_worst_parent_may_leave_its_target_out(rollup: str) -> None:
    parent = GoalSet(
        goal_id="p",
        kind="hard",
        title="p",
        rollup=rollup,
        start_at=NOW,
        deadline=NOW + timedelta(days=30),  # type: ignore[arg-type]
    )
    events = decide_set(parent, NOW, Tolerances())
    assert isinstance(events[0], GoalSet) and events[0].target == 1.0  # achieved when every child is


@pytest.mark.parametrize("fields", [{"rollup": "sum"}, {"metric": Metric(key="k")}])
def test_a_sum_parent_or_a_measured_goal_still_needs_a_target(fields: dict[str, object]) -> None:
    goal = GoalSet(goal_id="p", kind="hard", title="p", start_at=NOW, deadline=NOW + timedelta(days=30), **fields)  # type: ignore[arg-type]
    with pytest.raises(DomainError, match="needs a target") as refused:
        decide_set(goal, NOW, Tolerances())
    assert refused.value.field == "target"
