"""What time alone decides (DESIGN §2 "Time"): bands, missed milestones, the deadline and check-in lapses."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from goalstream_contracts.events import GoalCheckInDue, GoalMissed, GoalStatusChanged, MilestoneMissed
from goalstream_goals.domain.define import decide_plan, decide_revise, decide_set
from goalstream_goals.domain.goal import Goal
from goalstream_goals.domain.timing import decide_time, next_due
from tests.unit.goals.builders import DAY, T0, TOL, US, hard_goal, measure, of_type, rolled_up_parent, then
from tests.unit.goals.stateful_scenarios import check_stream

START, DEADLINE = T0, T0 + 90 * DAY
HOUR = timedelta(hours=1)


def _expected(t: datetime, corners: list[tuple[datetime, Fraction]]) -> Fraction:
    """Reference expected progress: exact piecewise-linear interpolation through the corners."""
    if t <= corners[0][0]:
        return Fraction(0)
    for (t0, f0), (t1, f1) in itertools.pairwise(corners):
        if t <= t1:
            return f0 + (f1 - f0) * Fraction(
                (t - t0) // timedelta(microseconds=1), (t1 - t0) // timedelta(microseconds=1)
            )
    return Fraction(1)


def _bands(gap: Fraction) -> set[str]:
    """Acceptable bands for an exact gap; within float noise of a tolerance both neighbours are acceptable."""
    near = Fraction(1, 10**9)
    out = set()
    for g in (gap - near, gap, gap + near):
        out.add("off_track" if g > Fraction(1, 4) else "at_risk" if g > Fraction(1, 10) else "on_track")
    return out


def _planned_goal(value: int, milestones: int) -> Goal:
    goal = hard_goal(aggregation="latest", target=100.0, start_at=START, deadline=DEADLINE)
    if milestones:
        goal = then(goal, decide_plan(goal, START, TOL, milestones=milestones))
    goal, _ = measure(goal, float(value), START, START)
    return goal


@given(
    value=st.integers(0, 120),
    milestones=st.integers(0, 6),
    ticks=st.lists(st.integers(1, 100 * 24), min_size=1, max_size=30, unique=True).map(sorted),
)
def test_time_passing_moves_bands_misses_milestones_and_the_deadline_once(
    value: int, milestones: int, ticks: list[int]
) -> None:
    goal = _planned_goal(value, milestones)
    corners = [(START, Fraction(0)), *[(m.due, Fraction(m.index, milestones)) for m in goal.milestones]]
    corners.append((DEADLINE, Fraction(1)))
    raw = Fraction(value, 100)
    missed_milestones: list[tuple[int, datetime]] = []
    goal_missed: list[datetime] = []
    for h in ticks:
        now = START + h * HOUR
        before = goal.status
        events = decide_time(goal, now, TOL)
        goal = then(goal, events)
        assert decide_time(goal, now, TOL) == []  # nothing is said twice
        missed_milestones += [(e.milestone_index, now) for e in of_type(events, MilestoneMissed)]
        goal_missed += [now for _ in of_type(events, GoalMissed)]
        changes = of_type(events, GoalStatusChanged)
        assert len(changes) == (goal.status != before)
        assert all(c.previous_status == before and c.status == goal.status for c in changes)
        if value >= 100:
            assert goal.status == "achieved"
        elif now >= DEADLINE:
            assert goal.status == "missed"
        else:
            assert goal.status in _bands(_expected(now, corners) - raw)
    # reference: milestone k is missed at the first tick at or after its due, unless its target was reached
    times = [START + h * HOUR for h in ticks]
    reference = [
        (m.index, next(t for t in times if t >= m.due))
        for m in goal.milestones
        if value < m.target and any(t >= m.due for t in times)
    ]
    assert sorted(missed_milestones) == sorted(reference)
    at_deadline = [t for t in times if t >= DEADLINE][:1]
    assert goal_missed == (at_deadline if value < 100 else [])


def test_deadline_worked_example() -> None:
    goal = _planned_goal(60, milestones=3)  # milestones 33.3.., 66.6.., 100 due day 30, 60, 90
    events = decide_time(goal, START + 30 * DAY, TOL)
    assert [type(e).__name__ for e in events] == []  # milestone 1 was hit when 60 arrived
    events = decide_time(goal, START + 60 * DAY, TOL)
    goal = then(goal, events)
    assert [(e.milestone_index, e.value) for e in of_type(events, MilestoneMissed)] == [(2, 60.0)]
    events = decide_time(goal, DEADLINE, TOL)
    goal = then(goal, events)
    (changed,) = of_type(events, GoalStatusChanged)
    (missed,) = of_type(events, GoalMissed)
    assert [m.milestone_index for m in of_type(events, MilestoneMissed)] == [3]
    assert (changed.status, changed.expected_progress) == ("missed", 1.0)
    assert (missed.value, missed.target, missed.progress, missed.deadline) == (60.0, 100.0, 0.6, DEADLINE)
    assert decide_time(goal, DEADLINE + DAY, TOL) == []


def test_status_moves_as_time_passes_without_data() -> None:
    goal = _planned_goal(25, milestones=0)
    seen = []
    for day in range(0, 90):
        events = decide_time(goal, START + day * DAY, TOL)
        goal = then(goal, events)
        seen += [(day, e.status) for e in of_type(events, GoalStatusChanged)]
    # expected passes 0.35 after day 31.5, and 0.5 after day 45
    assert seen == [(32, "at_risk"), (46, "off_track")]


@given(
    actions=st.lists(st.tuples(st.sampled_from(["tick", "measure"]), st.integers(1, 300 * 24)), max_size=30).map(
        lambda xs: sorted(xs, key=lambda a: a[1])
    )
)
def test_check_in_due_is_signalled_once_per_lapse(actions: list[tuple[str, int]]) -> None:
    goal = hard_goal(aggregation="sum", target=1e9, start_at=START, deadline=START + 365 * DAY, checkin_every="P7D")
    last, signalled = START, None  # reference: a lapse starts 7 days after the last arrival (or start_at)
    for i, (action, h) in enumerate(actions):
        now = START + h * HOUR
        if action == "measure":
            goal, _ = measure(goal, 1.0, now - 3 * DAY, now, f"m{i}")  # observed earlier, recorded now
            last = now
            continue
        events = decide_time(goal, now, TOL)
        goal = then(goal, events)
        due = last + 7 * DAY
        expected = [due] if now >= due and signalled != due else []
        if expected:
            signalled = due
        assert [e.due_since for e in of_type(events, GoalCheckInDue)] == expected


def test_check_in_worked_example() -> None:
    goal = hard_goal(aggregation="sum", target=1e9, start_at=START, deadline=START + 365 * DAY, checkin_every="P7D")
    assert of_type(decide_time(goal, START + 6 * DAY, TOL), GoalCheckInDue) == []
    events = decide_time(goal, START + 7 * DAY, TOL)
    goal = then(goal, events)
    assert [(e.due_since, e.last_measurement_at) for e in of_type(events, GoalCheckInDue)] == [(START + 7 * DAY, None)]
    assert of_type(decide_time(goal, START + 8 * DAY, TOL), GoalCheckInDue) == []
    goal, _ = measure(goal, 5.0, START + 8 * DAY, START + 9 * DAY)  # recorded on day 9: a new lapse
    assert of_type(decide_time(goal, START + 15 * DAY, TOL), GoalCheckInDue) == []
    (due,) = of_type(decide_time(goal, START + 16 * DAY, TOL), GoalCheckInDue)
    assert (due.due_since, due.last_measurement_at) == (START + 16 * DAY, START + 9 * DAY)


def test_a_lapse_that_began_before_the_deadline_is_still_reported_with_the_miss() -> None:
    goal = hard_goal(aggregation="sum", target=100.0, start_at=START, deadline=START + 10 * DAY, checkin_every="P7D")
    events = decide_time(goal, START + 11 * DAY, TOL)
    assert [e.due_since for e in of_type(events, GoalCheckInDue)] == [START + 7 * DAY]
    assert len(of_type(events, GoalMissed)) == 1
    assert decide_time(then(goal, events), START + 30 * DAY, TOL) == []  # closed: no later lapses


def test_next_due_wakes_just_after_the_crossing() -> None:
    goal = hard_goal(start_at=T0, deadline=T0 + 100 * DAY)
    goal, _ = measure(goal, 25, T0 + DAY, T0 + DAY)
    due = next_due(goal, T0 + DAY, TOL)
    assert due is not None and T0 + 35 * DAY < due <= T0 + 35 * DAY + 2 * US


def test_a_worst_parent_missed_again_after_its_deadline_moves_keeps_status_missed_and_the_stream_holds() -> None:
    """Found by the stateful test in CI: a `worst` parent whose child is missed stays `missed` when its own deadline
    is extended, so no status change marks the reopening, yet it is missed once more at the new deadline."""
    parent = rolled_up_parent("worst")
    created = decide_set(parent.definition, T0, TOL)
    stream = list(decide_time(parent, T0 + 91 * DAY, TOL, rollup=0.1, worst="missed"))
    parent = then(parent, stream)
    assert parent.missed and parent.status == "missed"
    revision = decide_revise(parent, {"deadline": T0 + 95 * DAY}, T0 + 91 * DAY, TOL)
    parent = then(parent, revision)
    assert not parent.missed and not of_type(revision, GoalStatusChanged)  # the worst child keeps it `missed`
    again = decide_time(parent, T0 + 95 * DAY, TOL, rollup=0.1, worst="missed")
    assert len(of_type(again, GoalMissed)) == 1
    check_stream([*created, *stream, *revision, *again])  # missed twice, once per deadline
