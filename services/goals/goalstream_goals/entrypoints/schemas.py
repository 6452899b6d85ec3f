"""The goals API's request bodies; validation here names the field at fault (views are in `views.py`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, WithJsonSchema
from pydantic import Strict as NoCoercion
from pydantic_core import PydanticCustomError

from goalstream_contracts.common import Aggregation, Comparator, Level, Rollup, Severity
from goalstream_contracts.inputs import Duration, Number, Text, Time
from goalstream_contracts.measurements import MeasurementSubmitted
from goalstream_goals.domain.goal import Measurement

MAX_BATCH = 10_000
MAX_GOAL_BATCH = 5_000  # goals in one `POST /v1/goals/batch`: one transaction, all or nothing
# The contracts' bounded number, without coercion: `true` or `"5"` is not a number here.
StrictNumber = Annotated[Number, NoCoercion()]


def _hard_rung(kind: str) -> str:
    if kind != "hard":
        raise PydanticCustomError("rung_kind", 'a ladder\'s rungs are hard goals: kind must be "hard" (or left out)')
    return kind


# Any text is read, so that another kind is told why rather than only "Input should be 'hard'".
RungKind = Annotated[str, AfterValidator(_hard_rung), WithJsonSchema({"type": "string", "enum": ["hard"]})]


class Strict(BaseModel):
    """No unknown fields, no NaN or Infinity, and no coercion: `true` or `"5"` is not a number, `1839` not a time.

    Numbers, times and free text are the contracts' bounded `Number`, `Time` and `Text` (goalstream_contracts.inputs).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class MetricIn(Strict):
    key: Text = Field(
        min_length=1,
        max_length=200,
        examples=["crm.leads.qualified"],
        description="the metric's key, as measurements name it",
    )
    aggregation: Aggregation = Field(
        default="latest", description="how the metric's values make the goal's current value (default `latest`)"
    )


class GoalFields(Strict):
    """Fields a goal is defined by; on PATCH, the ones sent are changed (null clears an optional one)."""

    title: Text | None = Field(default=None, min_length=1, max_length=200, description="what the goal is, for people")
    owner: Text | None = Field(
        default=None, max_length=200, description="who answers for it (a person or team, free text)"
    )
    level: Level | None = Field(default=None, description="where it sits in the organisation")
    parent_id: Text | None = Field(
        default=None, max_length=100, description="the goal it rolls up into (cascading goals); null for a root"
    )
    weight: StrictNumber | None = Field(
        default=None, gt=0, description="its weight in its parent's weighted rollup (default 1)"
    )
    rollup: Rollup | None = Field(default=None, description="how a parent combines its children")
    metric: MetricIn | None = Field(
        default=None, description="the metric that measures it; none for a parent that only rolls up its children"
    )
    unit: Text | None = Field(default=None, max_length=50, description="the unit of its values, for display")
    baseline: StrictNumber | None = Field(default=None, description="the value progress counts from (default 0)")
    target: StrictNumber | None = Field(
        default=None,
        description="the value to reach (a hard goal needs one; a weighted_mean or worst parent may leave it out)",
    )
    start_at: Time | None = Field(default=None, description="when the goal starts counting")
    deadline: Time | None = Field(default=None, description="when the target must be reached")
    checkin_every: Duration | None = Field(default=None, max_length=50, description="ISO-8601 duration, e.g. P7D")
    comparator: Comparator | None = Field(default=None, description="anti-goal: breached above or below")
    threshold: StrictNumber | None = Field(default=None, description="anti-goal: the value a breach begins past")
    recovery_threshold: StrictNumber | None = Field(default=None, description="anti-goal hysteresis; default threshold")
    window: Duration | None = Field(default=None, max_length=50, description="anti-goal: ISO-8601 duration to average")
    severity: Severity | None = Field(default=None, description="anti-goal: how bad a breach is")
    guards: Text | None = Field(default=None, max_length=100, description="id of the hard goal an anti-goal protects")


class GoalCreate(GoalFields):
    kind: Literal["hard", "anti"] = Field(
        default="hard", description="`hard`: a target to reach; `anti`: a threshold not to cross"
    )
    title: Text = Field(min_length=1, max_length=200, description="what the goal is, for people")
    start_at: Time | None = Field(default=None, description="default: now")


class GoalPatch(GoalFields):
    pass


class GoalBatchItem(GoalCreate):
    """One goal of a batch: the fields of `POST /v1/goals`, and references to place it in the batch's tree."""

    ref: Text | None = Field(default=None, min_length=1, max_length=100, description="the client's name for it")
    parent_ref: Text | None = Field(
        default=None, min_length=1, max_length=100, description="the `ref` of its parent in this batch (not parent_id)"
    )


class GoalBatch(Strict):
    goals: list[GoalBatchItem] = Field(min_length=1, max_length=MAX_GOAL_BATCH, description="in any order")


class CheckpointIn(Strict):
    due: Time = Field(description="when the checkpoint falls due")
    target: StrictNumber = Field(description="the value to reach by `due`")


class PlanIn(Strict):
    milestones: StrictInt | None = Field(default=None, ge=1, le=366, description="n equal steps back from the deadline")
    checkpoints: list[CheckpointIn] | None = Field(
        default=None, min_length=1, max_length=366, description="explicit checkpoints instead of `milestones`"
    )


class RungIn(Strict):
    kind: RungKind = Field(default="hard", exclude=True, description="a rung is a hard goal")
    title: Text = Field(min_length=1, max_length=200, description="what the rung is, for people")
    owner: Text | None = Field(default=None, max_length=200, description="who answers for it (free text)")
    metric: MetricIn = Field(description="the metric that measures it")
    unit: Text | None = Field(default=None, max_length=50, description="the unit of its values, for display")
    baseline: StrictNumber | None = Field(default=None, description="the value progress counts from (default 0)")
    target: StrictNumber = Field(description="the value to reach")
    start_at: Time | None = Field(default=None, description="first rung only; default now")
    deadline: Time = Field(description="when the target must be reached; after the previous rung's")
    checkin_every: Duration | None = Field(
        default=None, max_length=50, description="ISO-8601 duration between expected check-ins, e.g. P7D"
    )


class LadderIn(Strict):
    title: Text = Field(min_length=1, max_length=200, description="what the ladder is, for people")
    owner: Text | None = Field(default=None, max_length=200, description="who answers for it (free text)")
    rungs: list[RungIn] = Field(
        min_length=1,
        max_length=50,
        description="the rungs from the first to the top; each unlocks when the one before is achieved",
    )


class MeasurementIn(Strict):
    id: Text | None = Field(default=None, min_length=1, max_length=200, description="idempotency key")
    metric: Text = Field(min_length=1, max_length=200, description="the metric's key")
    value: StrictNumber = Field(description="the measured value")
    observed_at: Time = Field(description="when the value was true (ISO-8601 with zone)")
    source: Text | None = Field(
        default=None, max_length=200, description="where it came from (free text, shown with the number)"
    )
    goal_id: Text | None = Field(default=None, max_length=100, description="only this goal: a manual check-in")
    comment: Text | None = Field(default=None, max_length=2000, description="a check-in's comment")
    confidence: StrictNumber | None = Field(default=None, ge=0, le=1, description="how sure the sender is, from 0 to 1")


class MeasurementBatch(Strict):
    measurements: list[MeasurementIn] = Field(
        min_length=1, max_length=MAX_BATCH, description="1 to 10,000 measurements, applied in one transaction"
    )


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
