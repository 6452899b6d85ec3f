"""The goals API's response bodies."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

from goalstream_contracts.base import Payload
from goalstream_contracts.common import GoalStatus, Milestone
from goalstream_contracts.envelope import Envelope
from goalstream_goals.adapters.metric_list import MetricSummary
from goalstream_goals.service_layer.goals import GoalRecord
from goalstream_goals.service_layer.ladders import LadderRecord
from goalstream_goals.service_layer.measurements import BatchResult
from goalstream_rules.ladder import RungState, rung_shown_progress, rung_state


class GoalView(BaseModel):
    id: str = Field(description="the goal's id")
    kind: str = Field(description="`hard` or `anti`")
    title: str = Field(description="what the goal is, for people")
    version: int = Field(description="send it back in If-Match to revise")
    status: GoalStatus | None = Field(
        description="its status band (on_track, at_risk, off_track, achieved, missed); null when it has none"
    )
    current_value: float | None = Field(
        description="its value from its metric, or a `sum` parent's children's total; null: nothing measured yet"
    )
    progress: float | None = Field(description="raw progress (may exceed 1); a parent's is its rollup")
    achieved: bool = Field(description="the target was reached")
    missed: bool = Field(description="the deadline passed short of the target")
    archived: bool = Field(description="archived (DELETE); an archived goal changes no more")
    active: bool = Field(description="false when archived or a ladder rung not yet unlocked")
    breached: bool | None = Field(description="an anti-goal's open breach")
    milestones: list[Milestone] = Field(description="its backward plan (POST /v1/goals/{goal_id}/plan), oldest first")
    milestones_hit: list[int] = Field(description="indexes of the milestones reached by their due time")
    milestones_missed: list[int] = Field(description="indexes of the milestones not reached by their due time")
    definition: dict[str, Any] = Field(
        description="the goal as defined (its GoalSet and revisions), fields left unset omitted"
    )

    @classmethod
    def of(cls, record: GoalRecord) -> GoalView:
        goal, d = record.goal, record.goal.definition
        return cls(
            id=d.goal_id,
            kind=d.kind,
            title=d.title,
            version=goal.version,
            status=goal.status,
            current_value=record.current,
            # A hard goal with no value yet has made no progress: 0, as tracking shows it; only an anti-goal has none.
            progress=0.0 if record.progress is None and d.kind == "hard" else record.progress,
            achieved=goal.achieved,
            missed=goal.missed,
            archived=goal.archived,
            active=goal.active,
            breached=goal.breached_at is not None if d.kind == "anti" else None,
            milestones=list(goal.milestones),
            milestones_hit=sorted(goal.milestones_hit),
            milestones_missed=sorted(goal.milestones_missed),
            definition=d.model_dump(mode="json", exclude_none=True),
        )


class PlanView(BaseModel):
    goal_id: str = Field(description="the goal's id")
    version: int = Field(description="the goal's version after the plan; send it in If-Match to revise")
    milestones: list[Milestone] = Field(description="the plan's milestones, oldest first")


class RungView(BaseModel):
    index: int = Field(description="1-based position from the bottom rung")
    goal_id: str = Field(description="the rung's goal id")
    title: str = Field(description="what the rung is, for people")
    state: RungState = Field(description="locked, active, achieved, missed or archived")
    progress: float | None = Field(description="the rung's progress; null while locked")


class LadderView(BaseModel):
    id: str = Field(description="the ladder's id")
    title: str = Field(description="what the ladder is, for people")
    owner: str | None = Field(description="who answers for it")
    version: int = Field(description="the ladder's stream version")
    current_rung: int | None = Field(description="index of the active rung; null once the top rung is achieved")
    progress: float = Field(description="(achieved rungs + clamped progress of the current rung) / rungs")
    rungs: list[RungView] = Field(description="its rungs from the bottom")

    @classmethod
    def of(cls, record: LadderRecord) -> LadderView:
        ladder = record.ladder
        rungs = [
            RungView(
                index=r.index,
                goal_id=r.goal_id,
                title=r.title,
                state=state,
                progress=rung_shown_progress(state, g.raw_progress),
            )
            for r, g in zip(ladder.rungs, record.rungs, strict=True)
            for state in [rung_state(achieved=g.achieved, missed=g.missed, archived=g.archived, locked=g.locked)]
        ]
        top_done = record.rungs[-1].achieved
        return cls(
            id=ladder.ladder_id,
            title=ladder.definition.title,
            owner=ladder.definition.owner,
            version=ladder.version,
            current_rung=None if top_done else ladder.current_rung,
            progress=record.progress,
            rungs=rungs,
        )


class MeasurementResult(BaseModel):
    index: int = Field(description="the measurement's position in the request")
    id: str = Field(description="its id: the one sent, or one given to it")
    status: Literal["accepted", "duplicate", "rejected"] = Field(
        description="accepted, duplicate (its id was seen before) or rejected (`reason` says why)"
    )
    goals: int = Field(description="how many goals this measurement moved")
    reason: str | None = Field(default=None, description="why it was rejected")


class BatchAccepted(BaseModel):
    accepted: int = Field(description="new measurements, kept in their metric's series (unmatched ones too)")
    duplicate: int = Field(description="measurements whose id was seen before: no effect")
    rejected: int = Field(description="measurements that could not apply (`results` says why)")
    unmatched: int = Field(description="of the accepted, those no active goal used yet: kept for goals to come")
    results: list[MeasurementResult] = Field(description="one per measurement, in the order of the request")

    @classmethod
    def of(cls, result: BatchResult) -> BatchAccepted:
        return cls(
            accepted=result.count("accepted"),
            duplicate=result.count("duplicate"),
            rejected=result.count("rejected"),
            unmatched=result.unmatched,
            results=[
                MeasurementResult(index=o.index, id=o.measurement_id, status=o.status, goals=o.goals, reason=o.reason)
                for o in result.outcomes
            ],
        )


class MetricView(BaseModel):
    key: str = Field(description="the metric's key")
    last_value: float | None = Field(description="the value with the newest observed_at; null: nothing measured yet")
    last_observed_at: AwareDatetime | None = Field(description="when the last value was true")
    last_recorded_at: AwareDatetime | None = Field(description="when goals accepted the last value")
    count: int = Field(description="measurements kept for this metric")
    goals: list[str] = Field(description="ids of the active goals bound to it")

    @classmethod
    def of(cls, m: MetricSummary) -> MetricView:
        return cls.model_validate(m, from_attributes=True)  # the summary's fields, by name


class MetricPage(BaseModel):
    items: list[MetricView] = Field(description="metrics by key")
    next_after: str | None = Field(description="pass as `after` for the next page; null on the last page")


class EventView(BaseModel):
    event_id: str = Field(description="the event's id (CloudEvents `id`)")
    type: str = Field(description="the event type, e.g. GoalSet")
    schema_version: int = Field(description="the version of the event type's schema")
    stream_version: int = Field(description="the position of the event in its stream, from 1")
    occurred_at: AwareDatetime = Field(description="when it happened")
    correlation_id: str = Field(description="the request or message that led to it")
    causation_id: str | None = Field(description="the event that caused it, if one did")
    payload: dict[str, Any] = Field(description="the event's data, as on its topic (docs/events/)")

    @classmethod
    def of(cls, e: Envelope[Payload]) -> EventView:
        return cls(
            event_id=str(e.event_id),
            type=e.event_type,
            schema_version=e.schema_version,
            stream_version=e.stream_version,
            occurred_at=e.occurred_at,
            correlation_id=str(e.correlation_id),
            causation_id=str(e.causation_id) if e.causation_id else None,
            payload=e.payload.model_dump(mode="json"),
        )
