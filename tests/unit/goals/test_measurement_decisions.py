"""Hard goals meeting data (DESIGN §2): gauges and counters, GoalAchieved once, MilestoneHit once (late or not)."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from goalstream_contracts.events import GoalAchieved, GoalMissed, MeasurementRecorded, MilestoneHit
from goalstream_goals.domain.define import decide_plan
from goalstream_goals.domain.timing import decide_time
from tests.unit.goals.builders import DAY, T0, TOL, US, hard_goal, measure, of_type, then

START, DEADLINE = T0, T0 + 90 * DAY
NOW = DEADLINE - DAY  # data is decided before the deadline unless a test says otherwise
hours = st.integers(min_value=-20 * 24, max_value=90 * 24)  # observed_at, hours from start_at (some before it)


@given(data=st.lists(st.tuples(st.integers(-20, 60), hours), min_size=1, max_size=25))
def test_a_counter_sums_values_observed_from_start_at_and_is_achieved_once(data: list[tuple[int, int]]) -> None:
    goal = hard_goal(aggregation="sum", target=100.0, start_at=START, deadline=DEADLINE)
    current: int | None = None  # reference: the sum of the values observed at or after start_at
    achieved_by = None
    achieved: list[GoalAchieved] = []
    for i, (value, h) in enumerate(data):
        at = START + h * DAY / 24
        goal, events = measure(goal, value, at, NOW, f"m{i}")
        (recorded,) = of_type(events, MeasurementRecorded)
        assert recorded.counted is (at >= START)
        if at >= START:
            current = (current or 0) + value
        assert recorded.current_value == current == goal.current
        if current is not None and current >= 100 and achieved_by is None:
            achieved_by = at
        achieved += of_type(events, GoalAchieved)
    assert [a.achieved_at for a in achieved] == ([] if achieved_by is None else [achieved_by])
    assert goal.achieved is (achieved_by is not None)


@given(
    data=st.lists(st.tuples(st.integers(0, 200), hours), min_size=1, max_size=25),
    decreasing=st.booleans(),
)
def test_a_gauge_keeps_the_newest_observation_and_is_achieved_once(
    data: list[tuple[int, int]], decreasing: bool
) -> None:
    baseline, target = (150.0, 50.0) if decreasing else (50.0, 150.0)
    goal = hard_goal(aggregation="latest", baseline=baseline, target=target, start_at=START, deadline=DEADLINE)
    newest: datetime | None = None
    current: float | None = None
    achieved_by = None
    achieved: list[GoalAchieved] = []
    for i, (value, h) in enumerate(data):
        at = START + h * DAY / 24
        goal, events = measure(goal, value, at, NOW, f"m{i}")
        (recorded,) = of_type(events, MeasurementRecorded)
        takes = newest is None or at >= newest  # equal or newer replaces, older is only recorded
        assert recorded.counted is takes
        if takes:
            newest, current = at, float(value)
        assert recorded.current_value == current == goal.current
        there = current is not None and (current <= target if decreasing else current >= target)
        if there and achieved_by is None:
            achieved_by = at
        achieved += of_type(events, GoalAchieved)
    assert [a.achieved_at for a in achieved] == ([] if achieved_by is None else [achieved_by])


def test_gauge_worked_example_equal_time_replaces_older_does_not() -> None:
    goal = hard_goal(aggregation="latest", baseline=10000.0, target=15000.0)
    goal, _ = measure(goal, 12500.0, T0 + 10 * DAY, NOW, "a")
    goal, events = measure(goal, 11000.0, T0 + 10 * DAY - US, NOW, "older")
    assert of_type(events, MeasurementRecorded)[0].counted is False and goal.current == 12500.0
    goal, events = measure(goal, 13000.0, T0 + 10 * DAY, NOW, "same-time")
    (recorded,) = of_type(events, MeasurementRecorded)
    assert recorded.counted is True and recorded.current_value == 13000.0 and recorded.progress == 0.6


def test_counter_worked_example_counts_from_start_at_inclusive() -> None:
    goal = hard_goal(aggregation="sum", target=400.0)
    goal, events = measure(goal, 99.0, START - US, NOW, "before")
    assert of_type(events, MeasurementRecorded)[0].counted is False and goal.current is None
    goal, _ = measure(goal, 100.0, START, NOW, "at-start")
    goal, events = measure(goal, 200.0, START + DAY, NOW, "later")
    assert goal.current == 300.0 and of_type(events, MeasurementRecorded)[0].progress == 0.75
    goal, events = measure(goal, 100.0, START + 2 * DAY, NOW, "done")
    (achieved,) = of_type(events, GoalAchieved)
    assert (achieved.value, achieved.progress, achieved.achieved_at) == (400.0, 1.0, START + 2 * DAY)
    goal, events = measure(goal, 50.0, START + 3 * DAY, NOW, "more")
    assert of_type(events, GoalAchieved) == [] and goal.current == 450.0


@given(
    n=st.integers(1, 8),
    step=st.integers(1, 50),
    data=st.lists(st.tuples(st.integers(0, 120), st.integers(0, 90 * 24)), min_size=1, max_size=20),
)
def test_each_milestone_is_hit_once_when_first_reached_and_late_after_its_due(
    n: int, step: int, data: list[tuple[int, int]]
) -> None:
    goal = hard_goal(aggregation="sum", target=float(n * step), start_at=START, deadline=DEADLINE)
    goal = then(goal, decide_plan(goal, START, TOL, milestones=n))
    dues = {m.index: m.due for m in goal.milestones}
    total, expected_hits, hits = 0, [], []
    for i, (value, h) in enumerate(data):
        at = START + h * DAY / 24
        before, total = total, total + value
        expected_hits += [(k, at, at > dues[k]) for k in range(1, n + 1) if before < k * step <= total]
        goal, events = measure(goal, value, at, NOW, f"m{i}")
        hits += [(e.milestone_index, e.hit_at, e.late) for e in of_type(events, MilestoneHit)]
    assert hits == expected_hits
    assert len({k for k, _, _ in hits}) == len(hits)


def test_a_late_old_value_does_not_achieve_a_goal_missed_at_its_deadline() -> None:
    """A gauge missed at its deadline, then a value observed after the deadline reaches the target (too late),
    then an older value (40, observed before the deadline) arrives: it does not count, and 40 is not the target."""
    goal = hard_goal(aggregation="latest", target=100.0, start_at=START, deadline=DEADLINE)
    later = DEADLINE + 2 * DAY
    goal = then(goal, decide_time(goal, later, TOL))
    assert goal.missed
    goal, _ = measure(goal, 150.0, DEADLINE + DAY, later, "after-deadline")
    goal, events = measure(goal, 40.0, DEADLINE - DAY, later, "late-old")
    assert of_type(events, MeasurementRecorded)[0].counted is False
    assert of_type(events, GoalAchieved) == []
    assert goal.missed and not goal.achieved and goal.status == "missed"


def test_a_value_observed_after_the_deadline_does_not_achieve() -> None:
    goal = hard_goal(aggregation="latest", target=100.0)
    goal = then(goal, decide_time(goal, DEADLINE, TOL))
    goal, events = measure(goal, 120.0, DEADLINE + US, DEADLINE + DAY, "late")
    assert of_type(events, GoalAchieved) == [] and of_type(events, GoalMissed) == []
    assert goal.missed and goal.current == 120.0


def test_a_counter_achieves_only_with_what_was_observed_by_the_deadline() -> None:
    """100 observed after the deadline and 1 observed before it: by the deadline the count was 1, not 101."""
    goal = hard_goal(aggregation="sum", target=100.0, start_at=START, deadline=DEADLINE)
    later = DEADLINE + 2 * DAY
    goal = then(goal, decide_time(goal, later, TOL))
    goal, _ = measure(goal, 100.0, DEADLINE + DAY, later, "after")
    goal, events = measure(goal, 1.0, DEADLINE - DAY, later, "before")
    assert of_type(events, GoalAchieved) == []
    assert goal.current == 101.0 and goal.missed
    goal, events = measure(goal, 99.0, DEADLINE - DAY, later, "before-2")
    assert [(a.value, a.achieved_at) for a in of_type(events, GoalAchieved)] == [(100.0, DEADLINE - DAY)]
