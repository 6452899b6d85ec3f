"""Decisions time alone makes (DESIGN §2 "Time"): status bands, missed milestones, deadlines, check-ins."""

from __future__ import annotations

from datetime import datetime, timedelta

from goalstream_contracts.base import Payload
from goalstream_contracts.common import GoalStatus
from goalstream_contracts.events import GoalCheckInDue, MilestoneMissed
from goalstream_goals.domain.durations import parse_duration
from goalstream_goals.domain.goal import Goal
from goalstream_goals.domain.status import status_events, then
from goalstream_rules.checkin import lapse_began, lapse_to_report
from goalstream_rules.plan import overdue
from goalstream_rules.status import Tolerances, next_status_change


def decide_time(
    goal: Goal,
    now: datetime,
    tolerances: Tolerances,
    *,
    rollup: float | None = None,
    worst: GoalStatus | None = None,
) -> list[Payload]:
    """Events due by `now` that no data caused; `rollup`/`worst` stand in for a parent's own progress."""
    if not goal.active:
        return []
    events: list[Payload] = [
        MilestoneMissed(goal_id=goal.goal_id, milestone_index=m.index, due=m.due, target=m.target, value=goal.current)
        for m in goal.milestones
        if overdue(m.due, now) and m.index not in goal.milestones_hit and m.index not in goal.milestones_missed
    ]
    due = checkin_due(goal)  # before the status: a lapse that began before the deadline is still reported
    if due is not None and lapse_to_report(due, now, goal.definition.deadline, goal.checkin_due_since):
        events.append(GoalCheckInDue(goal_id=goal.goal_id, last_measurement_at=goal.last_measured_at, due_since=due))
    goal = then(goal, events)
    uses_rollup = goal.definition.metric is None
    status = status_events(
        goal, now, tolerances, raw=rollup if uses_rollup else None, worst=worst if uses_rollup else None
    )
    return [*events, *status]


def checkin_due(goal: Goal) -> datetime | None:
    """When the current lapse of the goal's check-in cadence began (None: no cadence, or closed)."""
    d = goal.definition
    if d.checkin_every is None or goal.closed or not goal.active:
        return None
    return lapse_began(goal.last_measured_at, d.start_at, parse_duration(d.checkin_every, "checkin_every"))


def next_due(goal: Goal, now: datetime, tolerances: Tolerances, *, rollup: float | None = None) -> datetime | None:
    """The next time `decide_time` could have something to say about this goal (None: never, by time alone)."""
    if not goal.active:
        return None
    d = goal.definition
    times: list[datetime] = [
        m.due for m in goal.milestones if m.index not in goal.milestones_hit and m.index not in goal.milestones_missed
    ]
    due = checkin_due(goal)
    if due is not None and goal.checkin_due_since != due:
        times.append(due)
    # As status_events reads it: a parent with nothing to roll up has made no progress (its own raw_progress, 0).
    raw = rollup if d.metric is None and rollup is not None else goal.raw_progress
    if d.kind == "hard" and not goal.closed and d.start_at is not None and d.deadline is not None:
        times.append(d.deadline)
        if raw is not None:
            change = next_status_change(now, raw, d.start_at, d.deadline, tolerances, goal.plan)
            if change is not None:
                times.append(change + timedelta(microseconds=1))  # just past the crossing, so it shows
    return min(times) if times else None
