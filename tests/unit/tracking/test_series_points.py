"""A goal's series (issue 20): each point is the goal's value as of its observed time, its values counted in
observed order, however late they were imported; the point at a time is what observed mode answers then."""

from __future__ import annotations

from datetime import datetime

from goalstream_contracts.base import Payload
from goalstream_contracts.common import Metric
from goalstream_contracts.events import GoalRevised
from goalstream_tracking.domain.observed import observed
from goalstream_tracking.domain.series import points
from tests.unit.tracking.builders import DAY, ORG, T0, hard, measured

NOW = T0 + 60 * DAY  # every event is recorded now: history imported into a goal, newest first
START, DEADLINE = T0, T0 + 30 * DAY


def _log(*events: Payload) -> list[tuple[Payload, datetime]]:
    return [(e, NOW) for e in events]


def _value(value: float, day: int, **fields: object) -> Payload:
    return measured("g", -1.0, value=value, observed_at=T0 + day * DAY, measurement_id=f"m{day}", **fields)


def _goal(aggregation: str = "sum", **fields: object) -> Payload:
    return hard("g", metric=Metric(key="kpi.g", aggregation=aggregation), start_at=START, deadline=DEADLINE, **fields)


def _values(log: list[tuple[Payload, datetime]], until: datetime | None = None) -> list[tuple[datetime, float | None]]:
    return [(p.at, p.value) for p in points(log, ORG, "g", until) if p.event_type == "MeasurementRecorded"]


def test_a_sum_imported_out_of_order_runs_its_total_in_observed_order() -> None:
    log = _log(_goal(), _value(40.0, 20, source="crm"), _value(20.0, 5), _value(10.0, 10, comment="on it"))
    found = points(log, ORG, "g")
    assert [(p.at, p.value, p.progress) for p in found if p.event_type == "MeasurementRecorded"] == [
        (T0 + 5 * DAY, 20.0, 0.2),
        (T0 + 10 * DAY, 30.0, 0.3),
        (T0 + 20 * DAY, 70.0, 0.7),
    ]
    assert [(p.source, p.kind) for p in found[:3]] == [
        (None, "measurement"),
        (None, "check_in"),
        ("crm", "measurement"),
    ]
    set_ = found[-1]  # recorded now, after every value it folded
    assert (set_.event_type, set_.at, set_.value, set_.status) == ("GoalSet", NOW, 70.0, "missed")
    for p in found:  # every point is what observed mode answers at its time
        then = observed(log, ORG, p.at)[0]["g"]
        assert (p.value, p.progress, p.status) == (then.current, then.own_progress, then.status)


def test_observed_mode_keeps_the_values_observed_by_then() -> None:
    log = _log(_goal(), _value(40.0, 20), _value(20.0, 5))
    assert _values(log, T0 + 12 * DAY) == [(T0 + 5 * DAY, 20.0)]
    assert [p.event_type for p in points(log, ORG, "g", T0 + 12 * DAY)] == ["MeasurementRecorded"]  # set later


def test_a_late_gauge_value_does_not_replace_a_newer_one_at_its_own_time() -> None:
    log = _log(_goal("latest"), _value(70.0, 8), _value(20.0, 3), _value(50.0, 6))
    assert _values(log) == [(T0 + 3 * DAY, 20.0), (T0 + 6 * DAY, 50.0), (T0 + 8 * DAY, 70.0)]


def test_a_windowed_goal_means_the_values_in_its_window_as_of_each() -> None:
    log = _log(_goal("latest", window="P7D"), _value(30.0, 10), _value(10.0, 2), _value(20.0, 4))
    assert _values(log) == [(T0 + 2 * DAY, 10.0), (T0 + 4 * DAY, 15.0), (T0 + 10 * DAY, 25.0)]


def test_a_revision_of_what_counts_counts_the_values_goals_records_again_once() -> None:
    """goals empties the count and records the kept values again after the revision: counted once, not twice."""
    revised = GoalRevised(goal_id="g", start_at=T0 + 4 * DAY, changed=("start_at",))
    log = _log(_goal(), _value(20.0, 5), _value(10.0, 2), revised, _value(20.0, 5))
    assert _values(log) == [(T0 + 5 * DAY, 20.0)]
    assert observed(log, ORG, T0 + 6 * DAY)[0]["g"].current == 20.0
    assert [p.event_type for p in points(log, ORG, "g")][-2:] == ["GoalSet", "GoalRevised"]


def test_a_goal_without_a_metric_has_no_points_of_its_own() -> None:
    assert points(_log(hard("g", metric=None)), ORG, "g") == []
