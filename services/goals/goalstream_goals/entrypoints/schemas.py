"""The goals API's request bodies; validation here names the field at fault (views are in `views.py`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from goalstream_contracts.common import Aggregation, Comparator, Level, Rollup, Severity
from goalstream_contracts.measurements import MeasurementSubmitted
from goalstream_goals.domain.goal import Measurement
from goalstream_runtime.http import IsoTime

MAX_BATCH = 10_000


class Strict(BaseModel):
    """No unknown fields, no NaN or Infinity, and no coercion: `true` or `"5"` is not a number, `1839` not a time."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class MetricIn(Strict):
    key: str = Field(min_length=1, max_length=200, examples=["crm.leads.qualified"])
    aggregation: Aggregation = "latest"


class GoalFields(Strict):
    """Fields a goal is defined by; on PATCH, the ones sent are changed (null clears an optional one)."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    owner: str | None = Field(default=None, max_length=200)
    level: Level | None = None
    parent_id: str | None = Field(default=None, max_length=100)
    weight: StrictFloat | None = Field(default=None, gt=0)
    rollup: Rollup | None = Field(default=None, description="how a parent combines its children")
    metric: MetricIn | None = None
    unit: str | None = Field(default=None, max_length=50)
    baseline: StrictFloat | None = None
    target: StrictFloat | None = None
    start_at: IsoTime | None = None
    deadline: IsoTime | None = None
    checkin_every: str | None = Field(default=None, max_length=50, description="ISO-8601 duration, e.g. P7D")
    comparator: Comparator | None = Field(default=None, description="anti-goal: breached above or below")
    threshold: StrictFloat | None = None
    recovery_threshold: StrictFloat | None = Field(default=None, description="anti-goal hysteresis; default threshold")
    window: str | None = Field(default=None, max_length=50, description="anti-goal: ISO-8601 duration to average")
    severity: Severity | None = None
    guards: str | None = Field(default=None, max_length=100, description="id of the hard goal an anti-goal protects")


class GoalCreate(GoalFields):
    kind: Literal["hard", "anti"] = "hard"
    title: str = Field(min_length=1, max_length=200)
    start_at: IsoTime | None = Field(default=None, description="default: now")


class GoalPatch(GoalFields):
    pass


class CheckpointIn(Strict):
    due: IsoTime
    target: StrictFloat


class PlanIn(Strict):
    milestones: StrictInt | None = Field(default=None, ge=1, le=366, description="n equal steps back from the deadline")
    checkpoints: list[CheckpointIn] | None = Field(default=None, min_length=1, max_length=366)


class RungIn(Strict):
    title: str = Field(min_length=1, max_length=200)
    owner: str | None = Field(default=None, max_length=200)
    metric: MetricIn
    unit: str | None = Field(default=None, max_length=50)
    baseline: StrictFloat | None = None
    target: StrictFloat
    start_at: IsoTime | None = Field(default=None, description="first rung only; default now")
    deadline: IsoTime
    checkin_every: str | None = Field(default=None, max_length=50)


class LadderIn(Strict):
    title: str = Field(min_length=1, max_length=200)
    owner: str | None = Field(default=None, max_length=200)
    rungs: list[RungIn] = Field(min_length=1, max_length=50)


class MeasurementIn(Strict):
    id: str | None = Field(default=None, min_length=1, max_length=200, description="idempotency key")
    metric: str = Field(min_length=1, max_length=200)
    value: StrictFloat
    observed_at: IsoTime
    source: str | None = Field(default=None, max_length=200)
    goal_id: str | None = Field(default=None, max_length=100, description="only this goal: a manual check-in")
    comment: str | None = Field(default=None, max_length=2000)
    confidence: StrictFloat | None = Field(default=None, ge=0, le=1)


class MeasurementBatch(Strict):
    measurements: list[MeasurementIn] = Field(min_length=1, max_length=MAX_BATCH)


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
