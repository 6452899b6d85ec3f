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
    id: str
    kind: str
    title: str
    version: int = Field(description="send it back in If-Match to revise")
    status: GoalStatus | None
    current_value: float | None
    progress: float | None = Field(description="raw progress (may exceed 1); a parent's is its rollup")
    achieved: bool
    missed: bool
    archived: bool
    active: bool = Field(description="false when archived or a ladder rung not yet unlocked")
    breached: bool | None = Field(description="an anti-goal's open breach")
    milestones: list[Milestone]
    milestones_hit: list[int]
    milestones_missed: list[int]
    definition: dict[str, Any]

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
            progress=record.progress,
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
    goal_id: str
    version: int
    milestones: list[Milestone]


class RungView(BaseModel):
    index: int
    goal_id: str
    title: str
    state: RungState
    progress: float | None


class LadderView(BaseModel):
    id: str
    title: str
    owner: str | None
    version: int
    current_rung: int | None = Field(description="index of the active rung; null once the top rung is achieved")
    progress: float = Field(description="(achieved rungs + clamped progress of the current rung) / rungs")
    rungs: list[RungView]

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
    index: int
    id: str
    status: Literal["accepted", "duplicate", "rejected"]
    goals: int = Field(description="how many goals this measurement moved")
    reason: str | None = None


class BatchAccepted(BaseModel):
    accepted: int = Field(description="new measurements, kept in their metric's series (unmatched ones too)")
    duplicate: int
    rejected: int
    unmatched: int = Field(description="of the accepted, those no active goal used yet: kept for goals to come")
    results: list[MeasurementResult]

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
    key: str
    last_value: float | None = Field(description="the value with the newest observed_at; null: nothing measured yet")
    last_observed_at: AwareDatetime | None
    last_recorded_at: AwareDatetime | None = Field(description="when goals accepted the last value")
    count: int = Field(description="measurements kept for this metric")
    goals: list[str] = Field(description="ids of the active goals bound to it")

    @classmethod
    def of(cls, m: MetricSummary) -> MetricView:
        return cls.model_validate(m, from_attributes=True)  # the summary's fields, by name


class MetricPage(BaseModel):
    items: list[MetricView]
    next_after: str | None = Field(description="pass as `after` for the next page; null on the last page")


class EventView(BaseModel):
    event_id: str
    type: str
    schema_version: int
    stream_version: int
    occurred_at: AwareDatetime
    correlation_id: str
    causation_id: str | None
    payload: dict[str, Any]

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
