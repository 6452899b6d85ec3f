"""The goal aggregate: its state, `evolve` (fold an event into state) and `decide_*` (return events).

Pure: no I/O, and `now` is always an argument.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from goalstream_contracts.base import Payload
from goalstream_contracts.common import GoalStatus, Metric
from goalstream_contracts.events import (
    GoalAchieved,
    GoalArchived,
    GoalSet,
    GoalStatusChanged,
    MeasurementRecorded,
)
from goalstream_goals.domain.progress import Tolerances, expected_progress, progress, status_for


class DomainError(ValueError):
    """A command the goal refuses; `field` names the input at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Measurement:
    measurement_id: str
    metric: str
    value: float
    observed_at: datetime
    source: str | None = None
    comment: str | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class Goal:
    definition: GoalSet
    version: int
    status: GoalStatus | None = None
    current: float | None = None
    latest_observed_at: datetime | None = None
    achieved: bool = False
    archived: bool = False

    @property
    def goal_id(self) -> str:
        return self.definition.goal_id

    @property
    def baseline(self) -> float:
        return self.definition.baseline or 0.0

    @property
    def raw_progress(self) -> float | None:
        d = self.definition
        if d.target is None:
            return None
        return progress(self.baseline if self.current is None else self.current, self.baseline, d.target)


def evolve(state: Goal | None, event: Payload) -> Goal:
    if isinstance(event, GoalSet):
        return Goal(definition=event, version=1)
    assert state is not None, f"{event.event_type} before GoalSet"
    state = replace(state, version=state.version + 1)
    if isinstance(event, MeasurementRecorded) and event.counted:
        latest = state.latest_observed_at
        return replace(
            state,
            current=event.current_value,
            latest_observed_at=event.observed_at if latest is None else max(latest, event.observed_at),
        )
    if isinstance(event, GoalStatusChanged):
        return replace(state, status=event.status)
    if isinstance(event, GoalAchieved):
        return replace(state, achieved=True, status="achieved")
    if isinstance(event, GoalArchived):
        return replace(state, archived=True)
    return state


def fold(events: list[Payload]) -> Goal | None:
    state: Goal | None = None
    for event in events:
        state = evolve(state, event)
    return state


def decide_set(definition: GoalSet, now: datetime, tolerances: Tolerances) -> list[Payload]:
    """Events that set a new goal: GoalSet, then its first status."""
    if definition.kind == "hard":
        if definition.target is None or definition.deadline is None or definition.start_at is None:
            raise DomainError("a hard goal needs target, start_at and deadline", "target")
        if definition.target == (definition.baseline or 0.0):
            raise DomainError("target must differ from baseline", "target")
        if definition.deadline <= definition.start_at:
            raise DomainError("deadline must be after start_at", "deadline")
    if definition.weight <= 0:
        raise DomainError("weight must be greater than 0", "weight")
    goal = Goal(definition=definition, version=1)
    return [definition, *_status_events(goal, now, tolerances)]


def decide_measurement(goal: Goal, m: Measurement, now: datetime, tolerances: Tolerances) -> list[Payload]:
    """Events for one measurement reaching this goal (late gauge values are recorded, not counted)."""
    d = goal.definition
    if goal.archived or d.metric is None:
        return []
    counted, current = _aggregate(goal, d.metric, m)
    raw = None if d.target is None or current is None else progress(current, goal.baseline, d.target)
    recorded = MeasurementRecorded(
        goal_id=d.goal_id,
        measurement_id=m.measurement_id,
        metric=m.metric,
        value=m.value,
        observed_at=m.observed_at,
        recorded_at=now,
        source=m.source,
        comment=m.comment,
        confidence=m.confidence,
        counted=counted,
        current_value=current,
        progress=raw,
    )
    after = evolve(goal, recorded)
    return [recorded, *_status_events(after, now, tolerances, observed_at=m.observed_at)]


def _aggregate(goal: Goal, metric: Metric, m: Measurement) -> tuple[bool, float | None]:
    if metric.aggregation == "sum":
        start = goal.definition.start_at
        if start is not None and m.observed_at < start:
            return False, goal.current
        return True, (goal.current or 0.0) + m.value
    if goal.latest_observed_at is not None and m.observed_at < goal.latest_observed_at:
        return False, goal.current
    return True, m.value


def _status_events(
    goal: Goal, now: datetime, tolerances: Tolerances, observed_at: datetime | None = None
) -> list[Payload]:
    d = goal.definition
    raw = goal.raw_progress
    if goal.achieved or raw is None or d.start_at is None or d.deadline is None or d.target is None:
        return []
    if raw >= 1:
        changed = GoalStatusChanged(
            goal_id=d.goal_id, previous_status=goal.status, status="achieved", progress=raw, expected_progress=None
        )
        achieved = GoalAchieved(
            goal_id=d.goal_id,
            value=goal.current if goal.current is not None else goal.baseline,
            target=d.target,
            progress=raw,
            achieved_at=observed_at or now,
            ladder_id=d.ladder_id,
        )
        return [changed, achieved]
    expected = expected_progress(now, d.start_at, d.deadline)
    status = status_for(raw, expected, tolerances)
    if status == goal.status:
        return []
    return [
        GoalStatusChanged(
            goal_id=d.goal_id, previous_status=goal.status, status=status, progress=raw, expected_progress=expected
        )
    ]
