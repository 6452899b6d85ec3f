"""The goals API's request and response bodies; validation here names the field at fault."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from goalstream_contracts.common import Aggregation, GoalStatus, Level, Rollup
from goalstream_contracts.measurements import MeasurementSubmitted
from goalstream_goals.domain.goal import Goal, Measurement

MAX_BATCH = 10_000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class MetricIn(Strict):
    key: str = Field(min_length=1, max_length=200, examples=["crm.leads.qualified"])
    aggregation: Aggregation = "latest"


class GoalCreate(Strict):
    kind: Literal["hard"] = "hard"
    title: str = Field(min_length=1, max_length=200)
    owner: str | None = Field(default=None, max_length=200)
    level: Level | None = None
    parent_id: str | None = Field(default=None, max_length=100)
    weight: float = Field(default=1.0, gt=0)
    rollup: Rollup | None = None
    metric: MetricIn | None = None
    unit: str | None = Field(default=None, max_length=50)
    baseline: float = 0.0
    target: float
    start_at: AwareDatetime | None = Field(default=None, description="default: now")
    deadline: AwareDatetime
    checkin_every: str | None = Field(default=None, max_length=50, description="ISO-8601 duration")


class MeasurementIn(Strict):
    id: str | None = Field(default=None, min_length=1, max_length=200, description="idempotency key")
    metric: str = Field(min_length=1, max_length=200)
    value: float
    observed_at: AwareDatetime
    source: str | None = Field(default=None, max_length=200)
    goal_id: str | None = Field(default=None, max_length=100, description="only this goal: a manual check-in")
    comment: str | None = Field(default=None, max_length=2000)
    confidence: float | None = Field(default=None, ge=0, le=1)


def to_measurement(m: MeasurementIn | MeasurementSubmitted, default_id: str) -> Measurement:
    """The domain's measurement from the API's or the topic's; without an id, `default_id` is its id."""
    return Measurement(
        measurement_id=m.id or default_id,
        metric=m.metric,
        value=m.value,
        observed_at=m.observed_at,
        source=m.source,
        comment=m.comment,
        confidence=m.confidence,
    )


class MeasurementBatch(Strict):
    measurements: list[MeasurementIn] = Field(min_length=1, max_length=MAX_BATCH)


class MeasurementResult(BaseModel):
    index: int
    id: str
    status: Literal["accepted", "duplicate", "rejected"]
    goals: int = Field(description="how many goals this measurement moved")
    reason: str | None = None


class BatchAccepted(BaseModel):
    accepted: int
    duplicate: int
    rejected: int
    results: list[MeasurementResult]


class GoalView(BaseModel):
    id: str
    kind: str
    title: str
    version: int
    status: GoalStatus | None
    current_value: float | None
    progress: float | None
    achieved: bool
    archived: bool
    definition: dict[str, Any]

    @classmethod
    def of(cls, goal: Goal) -> GoalView:
        d = goal.definition
        return cls(
            id=d.goal_id,
            kind=d.kind,
            title=d.title,
            version=goal.version,
            status=goal.status,
            current_value=goal.current,
            progress=goal.raw_progress,
            achieved=goal.achieved,
            archived=goal.archived,
            definition=d.model_dump(mode="json", exclude_none=True),
        )


class EventView(BaseModel):
    event_id: str
    type: str
    schema_version: int
    stream_version: int
    occurred_at: AwareDatetime
    correlation_id: str
    causation_id: str | None
    payload: dict[str, Any]
