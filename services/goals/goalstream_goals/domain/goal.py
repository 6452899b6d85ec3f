"""The goal aggregate's state and `evolve`, which folds one event into it. Pure: no I/O, no clock."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from goalstream_contracts.base import Payload
from goalstream_contracts.common import GoalStatus, Milestone
from goalstream_contracts.events import (
    AntiGoalBreached,
    AntiGoalRecovered,
    GoalAchieved,
    GoalArchived,
    GoalCheckInDue,
    GoalMissed,
    GoalPlanned,
    GoalRevised,
    GoalSet,
    GoalStatusChanged,
    MeasurementRecorded,
    MilestoneHit,
    MilestoneMissed,
)
from goalstream_goals.domain.durations import parse_duration
from goalstream_goals.domain.errors import DomainError
from goalstream_rules.anti import window_values
from goalstream_rules.counting import Since, counts_since
from goalstream_rules.lifecycle import Lifecycle, lifecycle_after
from goalstream_rules.plan import milestone_target
from goalstream_rules.progress import progress
from goalstream_rules.recount import recounts
from goalstream_rules.status import missed_after_revision

__all__ = ["DomainError", "Goal", "Measurement", "evolve", "fold"]


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
    definition: GoalSet  # as revised so far
    version: int
    status: GoalStatus | None = None
    current: float | None = None
    latest_observed_at: datetime | None = None  # newest counted observation: a gauge keeps this one
    last_measured_at: datetime | None = None  # when the last measurement was recorded (check-in cadence)
    window: tuple[tuple[datetime, float], ...] = ()  # an anti-goal's values inside its window
    achieved: bool = False
    missed: bool = False
    archived: bool = False
    milestones: tuple[Milestone, ...] = ()
    milestones_hit: tuple[int, ...] = ()
    milestones_missed: tuple[int, ...] = ()
    breached_at: datetime | None = None  # an anti-goal's open breach
    checkin_due_since: datetime | None = None  # the lapse already signalled
    # The current value counting only what was observed by the deadline: only it can achieve the goal.
    by_deadline: float | None = None
    by_deadline_observed_at: datetime | None = None

    @property
    def goal_id(self) -> str:
        return self.definition.goal_id

    @property
    def baseline(self) -> float:
        return self.definition.baseline or 0.0

    @property
    def locked(self) -> bool:
        """A ladder rung after the first stays locked until the rung before it is achieved."""
        d = self.definition
        return d.ladder_id is not None and (d.rung_index or 1) > 1 and d.start_at is None

    @property
    def counts_since(self) -> Since:
        """From which observed time its metric's values count (`goalstream_rules.counting`)."""
        d = self.definition
        aggregation = d.metric.aggregation if d.metric is not None else "latest"
        later_rung = d.ladder_id is not None and (d.rung_index or 1) > 1
        return counts_since(aggregation, d.start_at, later_rung=later_rung)

    @property
    def active(self) -> bool:
        return not self.archived and not self.locked

    @property
    def closed(self) -> bool:
        return self.achieved or self.missed

    @property
    def raw_progress(self) -> float | None:
        d = self.definition
        if d.kind != "hard" or d.target is None:
            return None
        return progress(self.baseline if self.current is None else self.current, self.baseline, d.target)

    @property
    def plan(self) -> tuple[tuple[datetime, float], ...]:
        return tuple((m.due, m.fraction) for m in self.milestones)


def evolve(state: Goal | None, event: Payload) -> Goal:
    if isinstance(event, GoalSet):
        return Goal(definition=event, version=1)
    if state is None:
        raise ValueError(f"{event.event_type} before GoalSet")
    state = replace(state, version=state.version + 1)
    match event:
        case MeasurementRecorded():
            return _measured(state, event)
        case GoalRevised():
            return _revised(state, event)
        case GoalStatusChanged() | GoalAchieved() | GoalMissed():
            after = lifecycle_after(
                Lifecycle(state.status, state.achieved, state.missed), event.event_type, getattr(event, "status", None)
            )
            return replace(state, status=after.status, achieved=after.achieved, missed=after.missed)
        case GoalArchived():
            return replace(state, archived=True)
        case GoalPlanned():
            return replace(state, milestones=event.milestones, milestones_hit=(), milestones_missed=())
        case MilestoneHit():
            return replace(state, milestones_hit=(*state.milestones_hit, event.milestone_index))
        case MilestoneMissed():
            return replace(state, milestones_missed=(*state.milestones_missed, event.milestone_index))
        case AntiGoalBreached():
            return replace(state, breached_at=event.breached_at)
        case AntiGoalRecovered():
            return replace(state, breached_at=None)
        case GoalCheckInDue():
            return replace(state, checkin_due_since=event.due_since)
    return state


def _measured(state: Goal, event: MeasurementRecorded) -> Goal:
    state = replace(state, last_measured_at=event.recorded_at)
    if not event.counted:
        return state
    latest = state.latest_observed_at
    window = state.window
    if state.definition.window is not None:
        span = parse_duration(state.definition.window, "window")
        window = window_values((*window, (event.observed_at, event.value)), span)
    d = state.definition
    by_deadline, by_deadline_at = state.by_deadline, state.by_deadline_observed_at
    if d.kind == "hard" and (d.deadline is None or event.observed_at <= d.deadline):
        if d.metric is not None and d.metric.aggregation == "sum":
            by_deadline = (by_deadline or 0.0) + event.value
        elif by_deadline_at is None or event.observed_at >= by_deadline_at:
            by_deadline, by_deadline_at = event.value, event.observed_at
    return replace(
        state,
        by_deadline=by_deadline,
        by_deadline_observed_at=by_deadline_at,
        current=event.current_value,
        latest_observed_at=event.observed_at if latest is None else max(latest, event.observed_at),
        window=window,
    )


def _revised(state: Goal, event: GoalRevised) -> Goal:
    """A revision changes the definition, and what follows from it at once:

    - a new deadline: no longer missed (`goalstream_rules.status.missed_after_revision`), judged against it again;
    - a new baseline or target: the plan's milestones keep their fractions, their targets are worked out again;
    - a deadline that now lies after every counted observation: all of them were observed by it, so they all
      count towards achieving the goal (a deadline moved before some of them keeps the old count: only the
      measurement series could say which values were observed by it);
    - a new metric, start_at or window (`goalstream_rules.recount`): the running aggregate starts again, empty;
      the service refolds the kept values for the new definition right after, in the same transaction. Status,
      achievement and milestones already hit are facts that happened: they stay.
    """
    definition = state.definition.model_copy(update={name: getattr(event, name) for name in event.changed})
    state = replace(state, definition=definition, missed=missed_after_revision(state.missed, event.changed))
    if recounts(event.changed):
        state = replace(
            state, current=None, latest_observed_at=None, window=(), by_deadline=None, by_deadline_observed_at=None
        )
    if {"baseline", "target"} & set(event.changed) and definition.target is not None:
        baseline, target = state.baseline, definition.target
        milestones = tuple(
            m.model_copy(update={"target": milestone_target(baseline, target, m.fraction)}) for m in state.milestones
        )
        state = replace(state, milestones=milestones)
    latest, deadline = state.latest_observed_at, definition.deadline
    if "deadline" in event.changed and latest is not None and deadline is not None and latest <= deadline:
        state = replace(state, by_deadline=state.current, by_deadline_observed_at=latest)
    return state


def fold(events: list[Payload], state: Goal | None = None) -> Goal | None:
    for event in events:
        state = evolve(state, event)
    return state
