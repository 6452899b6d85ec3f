"""Status, achievement and deadline decisions for hard goals: shared by every decide function."""

from __future__ import annotations

from datetime import datetime

from goalstream_contracts.base import Payload
from goalstream_contracts.common import GoalStatus
from goalstream_contracts.events import GoalAchieved, GoalMissed, GoalStatusChanged, MilestoneHit
from goalstream_goals.domain.goal import Goal, evolve
from goalstream_rules.expected import expected_progress
from goalstream_rules.plan import late
from goalstream_rules.progress import goal_value, progress, reached
from goalstream_rules.status import Tolerances, achieves, past_deadline, status_for


def then(goal: Goal, events: list[Payload]) -> Goal:
    for event in events:
        goal = evolve(goal, event)
    return goal


def status_events(
    goal: Goal,
    now: datetime,
    tolerances: Tolerances,
    *,
    observed_at: datetime | None = None,
    raw: float | None = None,
    worst: GoalStatus | None = None,
) -> list[Payload]:
    """What the goal's status is now: achieved (only by a value observed by the deadline), missed, or a band.

    `raw` overrides the goal's own progress (a parent's rollup); `worst` is a `worst` parent's status.
    """
    d = goal.definition
    raw = goal.raw_progress if raw is None else raw
    if d.kind != "hard" or not goal.active or goal.achieved:
        return []
    raw = 0.0 if raw is None else raw  # a parent with nothing to roll up yet has made no progress
    if d.target is None or d.start_at is None or d.deadline is None:
        return []
    expected = expected_progress(now, d.start_at, d.deadline, goal.plan)
    measured = d.metric is not None
    if measured:  # only what was observed by the deadline can achieve it
        value = goal.by_deadline if goal.by_deadline is not None else goal.baseline
    else:  # a rolled-up parent: its `sum` total, or the value its rollup progress stands for
        value = goal_value(goal.current, raw, goal.baseline, d.target)
    achieved_progress = progress(value, goal.baseline, d.target) if measured else raw
    achieving = worst == "achieved" if worst is not None else reached(achieved_progress)
    if achieves(achieving, observed_at, d.deadline):
        return [
            GoalStatusChanged(
                goal_id=d.goal_id, previous_status=goal.status, status="achieved", progress=raw, expected_progress=None
            ),
            GoalAchieved(
                goal_id=d.goal_id,
                value=value,
                target=d.target,
                progress=achieved_progress,
                achieved_at=observed_at,
                ladder_id=d.ladder_id,
            ),
        ]
    if goal.missed and past_deadline(now, d.deadline):
        return []  # missed for good; a missed goal whose deadline was extended past now is live again (below)
    if past_deadline(now, d.deadline):
        at_deadline = goal.current if measured else value  # a parent's value as it stands, like GoalAchieved's
        missed = GoalMissed(goal_id=d.goal_id, value=at_deadline, target=d.target, progress=raw, deadline=d.deadline)
        if goal.status == "missed":  # a `worst` parent already shows its missed child's status: no change to report
            return [missed]
        return [
            GoalStatusChanged(
                goal_id=d.goal_id, previous_status=goal.status, status="missed", progress=raw, expected_progress=1.0
            ),
            missed,
        ]
    status = status_for(raw, expected, tolerances) if worst is None or worst == "achieved" else worst
    if status == goal.status:
        return []
    return [
        GoalStatusChanged(
            goal_id=d.goal_id, previous_status=goal.status, status=status, progress=raw, expected_progress=expected
        )
    ]


def milestone_hits(goal: Goal, hit_at: datetime, *, raw: float | None = None) -> list[Payload]:
    """MilestoneHit for each planned milestone the goal's progress has now reached for the first time.

    `raw` overrides the goal's own progress (a parent's rollup), as in `status_events`.
    """
    raw = goal.raw_progress if raw is None else raw
    target = goal.definition.target
    if raw is None or target is None:
        return []
    value = goal_value(goal.current, raw, goal.baseline, target)
    return [
        MilestoneHit(
            goal_id=goal.goal_id,
            milestone_index=m.index,
            due=m.due,
            target=m.target,
            value=value,
            hit_at=hit_at,
            late=late(hit_at, m.due),
        )
        for m in goal.milestones
        if m.index not in goal.milestones_hit and reached(raw, m.fraction)
    ]
