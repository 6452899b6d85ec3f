"""The tracking HTTP API: read models, scoped to the caller's organisation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from goalstream_runtime.auth import Reader
from goalstream_runtime.http import ApiError
from goalstream_tracking.domain.numbers import clamp01

router = APIRouter(prefix="/v1", tags=["tracking"])


class Source(BaseModel):
    kind: str = Field(description="measurement or check_in")
    measurement_id: str
    source: str | None
    observed_at: datetime
    value: float


class GoalProgress(BaseModel):
    goal_id: str
    title: str
    kind: str
    parent_id: str | None
    weight: float
    metric: str | None
    unit: str | None
    baseline: float | None
    target: float | None
    current_value: float | None
    progress: float | None = Field(description="raw progress: (current - baseline) / (target - baseline)")
    progress_clamped: float | None = Field(description="progress clamped to [0, 1], as it feeds rollups")
    expected_progress: float | None
    status: str | None
    achieved: bool
    archived: bool
    source: Source | None = Field(description="where the current value came from")
    version: int = Field(description="the goal's stream version this answer reflects")
    as_of_event_time: datetime


@router.get("/goals/{goal_id}/progress", response_model=GoalProgress)
async def goal_progress(goal_id: str, caller: Reader, request: Request) -> GoalProgress:
    row = await request.app.state.pool.fetchrow(
        "SELECT * FROM goal_progress WHERE goal_id = $1 AND org_id = $2", goal_id, caller.org_id
    )
    if row is None:
        raise ApiError(404, "not_found", f"goal {goal_id} not found")
    return _view(dict(row))


def _view(row: dict[str, Any]) -> GoalProgress:
    progress = row["progress"]
    if progress is None and row["target"] is not None:
        progress = 0.0  # no measurement yet: the goal stands at its baseline
    return GoalProgress(
        goal_id=row["goal_id"],
        title=row["title"],
        kind=row["kind"],
        parent_id=row["parent_id"],
        weight=row["weight"],
        metric=row["metric_key"],
        unit=row["unit"],
        baseline=row["baseline"],
        target=row["target"],
        current_value=row["current_value"],
        progress=progress,
        progress_clamped=None if progress is None else clamp01(progress),
        expected_progress=row["expected_progress"],
        status=row["status"],
        achieved=row["achieved"],
        archived=row["archived"],
        source=Source(**row["source"]) if row["source"] else None,
        version=row["stream_version"],
        as_of_event_time=row["event_time"],
    )
