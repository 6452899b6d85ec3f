"""The goals HTTP API: translates requests into use cases and results or errors into responses, nothing more."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from goalstream_contracts.inputs import Text
from goalstream_goals.domain.errors import DomainError
from goalstream_goals.entrypoints.schemas import (
    GoalCreate,
    GoalPatch,
    LadderIn,
    MeasurementBatch,
    PlanIn,
    to_measurement,
)
from goalstream_goals.entrypoints.views import (
    BatchAccepted,
    EventView,
    GoalView,
    LadderView,
    MetricPage,
    MetricView,
    PlanView,
)
from goalstream_goals.service_layer import ladders, measurements
from goalstream_goals.service_layer.goals import ConcurrencyError, GoalRecord, GoalsService, NotFound
from goalstream_runtime import metrics
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
Correlation = Annotated[uuid.UUID, Depends(_correlation)]
router = APIRouter(prefix="/v1", tags=["goals"])
MAX_PAGE = 500
metrics.count_measurements("http", {}, 0)  # the series exist at 0 from start-up


@contextlib.contextmanager
def _errors(kind: str = "goal") -> Iterator[None]:
    """Domain and service errors as DESIGN §4 errors: 404 (never 403), 409, 422, each naming the field."""
    try:
        yield
    except NotFound as exc:
        raise ApiError(
            404, "not_found", f"{kind if exc.field is None else 'goal'} {exc.ref} not found", exc.field
        ) from exc
    except ConcurrencyError as exc:
        message = f"{kind} is at version {exc.actual}, not {exc.expected}: read it again and retry"
        raise ApiError(409, "version_conflict", message, "If-Match") from exc
    except DomainError as exc:
        raise ApiError(409 if exc.code == "archived" else 422, exc.code, str(exc), exc.field) from exc


def _if_match(value: str | None, required: bool) -> int | None:
    if value is None:
        if required:
            raise ApiError(428, "precondition_required", "send If-Match with the goal's version (its ETag)", "If-Match")
        return None
    match = re.fullmatch(r'\s*(?:W/)?"?(\d{1,9})"?\s*', value)
    if match is None:
        raise ApiError(400, "invalid_if_match", 'If-Match must be a goal version such as "3"', "If-Match")
    return int(match.group(1))


def _goal_response(record: GoalRecord, response: Response) -> GoalView:
    response.headers["ETag"] = f'"{record.goal.version}"'
    response.headers["Location"] = f"/v1/goals/{record.goal.goal_id}"
    return GoalView.of(record)


@router.post(
    "/goals",
    status_code=201,
    response_model=GoalView,
    responses={404: {"description": "`parent_id` or `guards` names no goal of the organisation"}},
)
async def create_goal(
    body: GoalCreate,
    caller: Writer,
    service: Service,
    correlation: Correlation,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> GoalView:
    with _errors():
        record = await service.set_goal(caller.org_id, body.model_dump(exclude_none=True), correlation, idempotency_key)
    if record.replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return _goal_response(record, response)


@router.get("/goals/{goal_id}", response_model=GoalView)
async def get_goal(goal_id: str, caller: Reader, service: Service, response: Response) -> GoalView:
    with _errors():
        return _goal_response(await service.get_goal(caller.org_id, goal_id), response)


@router.patch("/goals/{goal_id}", response_model=GoalView)
async def revise_goal(
    goal_id: str,
    body: GoalPatch,
    caller: Writer,
    service: Service,
    correlation: Correlation,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> GoalView:
    version = _if_match(if_match, required=True)
    assert version is not None
    with _errors():
        record = await service.revise_goal(
            caller.org_id, goal_id, version, body.model_dump(exclude_unset=True, mode="python"), correlation
        )
    return _goal_response(record, response)


ARCHIVE_IF_MATCH = (
    "optional: archive only if the goal is at this version (its ETag), else 409 `version_conflict`; "
    "a goal archived already answers 200 whatever the version, so a retried DELETE is safe"
)


@router.delete("/goals/{goal_id}", response_model=GoalView)
async def archive_goal(
    goal_id: str,
    caller: Writer,
    service: Service,
    correlation: Correlation,
    response: Response,
    if_match: Annotated[str | None, Header(description=ARCHIVE_IF_MATCH)] = None,
    reason: Text | None = None,  # shown by `goalstream tail`: no control characters
) -> GoalView:
    with _errors():
        record = await service.archive_goal(caller.org_id, goal_id, _if_match(if_match, False), reason, correlation)
    return _goal_response(record, response)


@router.post(
    "/goals/{goal_id}/plan",
    status_code=201,
    response_model=PlanView,
    responses={409: {"description": "`archived`: the goal is archived"}},
)
async def plan_goal(goal_id: str, body: PlanIn, caller: Writer, service: Service, correlation: Correlation) -> PlanView:
    checkpoints = [(c.due, c.target) for c in body.checkpoints or []]
    with _errors():
        record = await service.plan_goal(
            caller.org_id, goal_id, correlation, milestones=body.milestones, checkpoints=checkpoints
        )
    return PlanView(goal_id=goal_id, version=record.goal.version, milestones=list(record.goal.milestones))


@router.get("/goals/{goal_id}/events", response_model=list[EventView])
async def goal_events(goal_id: str, caller: Reader, service: Service) -> list[EventView]:
    with _errors():
        return [EventView.of(e) for e in await service.stream_events(caller.org_id, goal_id, "GoalSet")]


@router.post("/ladders", status_code=201, response_model=LadderView)
async def create_ladder(
    body: LadderIn, caller: Writer, service: Service, correlation: Correlation, response: Response
) -> LadderView:
    rungs = [r.model_dump(exclude_none=True) for r in body.rungs]
    with _errors("ladder"):
        record = await ladders.set_ladder(service, caller.org_id, body.title, body.owner, rungs, correlation)
    response.headers["Location"] = f"/v1/ladders/{record.ladder.ladder_id}"
    return LadderView.of(record)


@router.get("/ladders/{ladder_id}", response_model=LadderView)
async def get_ladder(ladder_id: str, caller: Reader, service: Service) -> LadderView:
    with _errors("ladder"):
        return LadderView.of(await ladders.get_ladder(service, caller.org_id, ladder_id))


@router.get("/ladders/{ladder_id}/events", response_model=list[EventView])
async def ladder_events(ladder_id: str, caller: Reader, service: Service) -> list[EventView]:
    with _errors("ladder"):
        return [EventView.of(e) for e in await service.stream_events(caller.org_id, ladder_id, "LadderSet")]


@router.post("/measurements", status_code=202, response_model=BatchAccepted)
async def record_measurements(
    body: MeasurementBatch, caller: Writer, service: Service, correlation: Correlation
) -> BatchAccepted:
    batch = [(m.goal_id, to_measurement(m, str(uuid.uuid4()))) for m in body.measurements]
    try:
        result = await measurements.record_measurements(service, caller.org_id, batch, correlation)
    except ConcurrencyError as exc:  # other writers kept winning the race for its goals: nothing was recorded
        message = "the batch's goals kept changing under it; nothing was recorded, send it again"
        raise ApiError(503, "busy", message, headers={"Retry-After": "1"}) from exc
    answer = BatchAccepted.of(result)
    counts = {"accepted": answer.accepted, "duplicate": answer.duplicate, "rejected": answer.rejected}
    metrics.count_measurements("http", counts, answer.unmatched, result.rejections())
    return answer


@router.get("/metrics", response_model=MetricPage)
async def list_metrics(
    caller: Reader,
    service: Service,
    after: Annotated[str, Query(max_length=200, description="the `next_after` of the previous page")] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> MetricPage:
    """The organisation's metrics by key: the last value (newest observed_at), how many are kept, the goals bound."""
    items = [MetricView.of(m) for m in await service.list_metrics(caller.org_id, after, limit)]
    return MetricPage(items=items, next_after=items[-1].key if len(items) == limit else None)
