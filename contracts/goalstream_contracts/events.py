"""Domain events of the goals service, published on `goalstream.goals.events.v1`."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from goalstream_contracts import topics
from goalstream_contracts.base import FiniteFloat, Payload, Timestamp
from goalstream_contracts.common import (
    Comparator,
    GoalKind,
    GoalStatus,
    LadderRung,
    Level,
    Metric,
    Milestone,
    Rollup,
    Severity,
)


class GoalEvent(Payload):
    """An event about one goal; its subject is the goal."""

    topic: ClassVar[str] = topics.GOAL_EVENTS
    goal_id: str

    def subject(self) -> str:
        return self.goal_id


class GoalDefinition(Payload):
    """Fields that define a goal; shared by GoalSet (all of them) and GoalRevised (the changed ones)."""

    title: str | None = None
    owner: str | None = None
    level: Level | None = None
    parent_id: str | None = None
    weight: FiniteFloat | None = None
    rollup: Rollup | None = None
    metric: Metric | None = None
    unit: str | None = None
    baseline: FiniteFloat | None = None
    target: FiniteFloat | None = None
    start_at: Timestamp | None = None
    deadline: Timestamp | None = None
    checkin_every: str | None = Field(default=None, description="ISO-8601 duration")
    comparator: Comparator | None = None
    threshold: FiniteFloat | None = None
    recovery_threshold: FiniteFloat | None = None
    window: str | None = Field(default=None, description="ISO-8601 duration")
    severity: Severity | None = None
    guards: str | None = Field(default=None, description="id of the hard goal an anti-goal protects")


class GoalSet(GoalDefinition, GoalEvent):
    event_type: ClassVar[str] = "GoalSet"
    kind: GoalKind
    title: str
    weight: FiniteFloat = 1.0
    ladder_id: str | None = None
    rung_index: int | None = None


class GoalRevised(GoalDefinition, GoalEvent):
    event_type: ClassVar[str] = "GoalRevised"
    changed: tuple[str, ...] = Field(description="names of the fields this revision changed")


class GoalArchived(GoalEvent):
    event_type: ClassVar[str] = "GoalArchived"
    reason: str | None = None


class GoalPlanned(GoalEvent):
    event_type: ClassVar[str] = "GoalPlanned"
    milestones: tuple[Milestone, ...]


class MeasurementRecorded(GoalEvent):
    """A value reached a goal. `current_value` and `progress` are the goal's after applying it."""

    event_type: ClassVar[str] = "MeasurementRecorded"
    measurement_id: str
    metric: str
    value: FiniteFloat
    observed_at: Timestamp
    recorded_at: Timestamp
    source: str | None = None
    comment: str | None = None
    confidence: FiniteFloat | None = None
    counted: bool = Field(default=True, description="false when a late gauge value did not replace a newer one")
    current_value: FiniteFloat | None = None
    progress: FiniteFloat | None = Field(default=None, description="raw progress; may exceed 1")


class GoalStatusChanged(GoalEvent):
    event_type: ClassVar[str] = "GoalStatusChanged"
    previous_status: GoalStatus | None = None
    status: GoalStatus
    progress: FiniteFloat | None = None
    expected_progress: FiniteFloat | None = None


class MilestoneHit(GoalEvent):
    event_type: ClassVar[str] = "MilestoneHit"
    milestone_index: int
    due: Timestamp
    target: FiniteFloat
    value: FiniteFloat
    hit_at: Timestamp
    late: bool


class MilestoneMissed(GoalEvent):
    event_type: ClassVar[str] = "MilestoneMissed"
    milestone_index: int
    due: Timestamp
    target: FiniteFloat
    value: FiniteFloat | None = None


class GoalAchieved(GoalEvent):
    event_type: ClassVar[str] = "GoalAchieved"
    value: FiniteFloat
    target: FiniteFloat
    progress: FiniteFloat
    achieved_at: Timestamp = Field(description="observed time of the measurement that achieved it")
    ladder_id: str | None = None


class GoalMissed(GoalEvent):
    event_type: ClassVar[str] = "GoalMissed"
    value: FiniteFloat | None = None
    target: FiniteFloat
    progress: FiniteFloat | None = None
    deadline: Timestamp


class AntiGoalBreached(GoalEvent):
    event_type: ClassVar[str] = "AntiGoalBreached"
    value: FiniteFloat
    threshold: FiniteFloat
    comparator: Comparator
    severity: Severity
    breached_at: Timestamp
    guards: str | None = None


class AntiGoalRecovered(GoalEvent):
    event_type: ClassVar[str] = "AntiGoalRecovered"
    value: FiniteFloat
    recovery_threshold: FiniteFloat
    severity: Severity
    recovered_at: Timestamp
    breached_at: Timestamp | None = None
    guards: str | None = None


class GoalCheckInDue(GoalEvent):
    event_type: ClassVar[str] = "GoalCheckInDue"
    last_measurement_at: Timestamp | None = None
    due_since: Timestamp


class LadderEvent(Payload):
    """An event about a ladder; its subject is the ladder."""

    topic: ClassVar[str] = topics.GOAL_EVENTS
    ladder_id: str

    def subject(self) -> str:
        return self.ladder_id


class LadderSet(LadderEvent):
    event_type: ClassVar[str] = "LadderSet"
    title: str
    owner: str | None = None
    rungs: tuple[LadderRung, ...]


class LadderRungUnlocked(LadderEvent):
    event_type: ClassVar[str] = "LadderRungUnlocked"
    rung_index: int
    goal_id: str
    unlocked_at: Timestamp
    previous_goal_id: str | None = None
