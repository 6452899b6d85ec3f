"""The goals HTTP API: translates requests into use cases and results into responses, nothing more."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from goalstream_goals.domain.goal import DomainError
from goalstream_goals.entrypoints.schemas import (
    BatchAccepted,
    EventView,
    GoalCreate,
    GoalView,
    MeasurementBatch,
    MeasurementResult,
    to_measurement,
)
from goalstream_goals.service_layer.goals import GoalsService, NotFound
from goalstream_runtime.auth import Reader, Writer
from goalstream_runtime.http import ApiError


def _service(request: Request) -> GoalsService:
    service: GoalsService = request.app.state.goals
    return service


def _correlation(request: Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.headers.get("x-correlation-id", ""))
    except ValueError:
        return uuid.uuid4()


Service = Annotated[GoalsService, Depends(_service)]
router = APIRouter(prefix="/v1", tags=["goals"])


@router.post("/goals", status_code=201, response_model=GoalView)
async def create_goal(
    body: GoalCreate, caller: Writer, service: Service, request: Request, response: Response
) -> GoalView:
    try:
        goal = await service.set_goal(caller.org_id, body.model_dump(exclude_none=True), _correlation(request))
    except DomainError as exc:
        raise ApiError(422, "invalid_goal", str(exc), exc.field) from exc
    except NotFound as exc:
        raise ApiError(422, "unknown_parent", f"parent goal {exc} does not exist", "parent_id") from exc
    response.headers["ETag"] = f'"{goal.version}"'
    response.headers["Location"] = f"/v1/goals/{goal.goal_id}"
    return GoalView.of(goal)


@router.get("/goals/{goal_id}", response_model=GoalView)
async def get_goal(goal_id: str, caller: Reader, service: Service, response: Response) -> GoalView:
    try:
        goal = await service.get_goal(caller.org_id, goal_id)
    except NotFound as exc:
        raise ApiError(404, "not_found", f"goal {goal_id} not found") from exc
    response.headers["ETag"] = f'"{goal.version}"'
    return GoalView.of(goal)


@router.get("/goals/{goal_id}/events", response_model=list[EventView])
async def goal_events(goal_id: str, caller: Reader, service: Service) -> list[EventView]:
    try:
        envelopes = await service.goal_events(caller.org_id, goal_id)
    except NotFound as exc:
        raise ApiError(404, "not_found", f"goal {goal_id} not found") from exc
    return [
        EventView(
            event_id=str(e.event_id),
            type=e.event_type,
            schema_version=e.schema_version,
            stream_version=e.stream_version,
            occurred_at=e.occurred_at,
            correlation_id=str(e.correlation_id),
            causation_id=str(e.causation_id) if e.causation_id else None,
            payload=e.payload.model_dump(mode="json"),
        )
        for e in envelopes
    ]


@router.post("/measurements", status_code=202, response_model=BatchAccepted)
async def record_measurements(
    body: MeasurementBatch, caller: Writer, service: Service, request: Request
) -> BatchAccepted:
    batch = [(m.goal_id, to_measurement(m, str(uuid.uuid4()))) for m in body.measurements]
    result = await service.record_measurements(caller.org_id, batch, _correlation(request))
    return BatchAccepted(
        accepted=result.count("accepted"),
        duplicate=result.count("duplicate"),
        rejected=result.count("rejected"),
        results=[
            MeasurementResult(
                index=o.index,
                id=o.measurement_id,
                status=o.status,
                goals=o.goals,
                reason=o.reason,
            )
            for o in result.outcomes
        ],
    )
