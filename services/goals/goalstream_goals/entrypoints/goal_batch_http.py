"""`POST /v1/goals/batch`: a goal tree (or any goals) in one request, all or nothing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import BaseModel, Field

from goalstream_contracts.common import GoalStatus
from goalstream_goals.entrypoints.http import Correlation, Service, _errors
from goalstream_goals.entrypoints.schemas import GoalBatch
from goalstream_goals.service_layer.batch_permits import BatchPermits
from goalstream_goals.service_layer.goal_batch import BatchItem, BatchRecord, create_goals
from goalstream_runtime.auth import Writer

router = APIRouter(prefix="/v1", tags=["goals"])


def _permits(request: Request) -> BatchPermits:
    permits: BatchPermits = request.app.state.batch_permits
    return permits


class CreatedGoal(BaseModel):
    """A compact view of one created goal; `GET /v1/goals/{goal_id}` gives the whole of it."""

    index: int = Field(description="the item's position in the request")
    ref: str | None = Field(description="the item's `ref`, if it had one")
    goal_id: str = Field(description="the goal's id")
    version: int = Field(description="send it back in If-Match to revise")
    parent_id: str | None = Field(description="its parent: named by parent_id, or the goal its parent_ref made")
    status: GoalStatus | None = Field(description="its first status")


class GoalBatchCreated(BaseModel):
    goals: list[CreatedGoal] = Field(description="in the order of the request")


@router.post(
    "/goals/batch",
    status_code=201,
    response_model=GoalBatchCreated,
    responses={
        200: {"model": GoalBatchCreated, "description": "Replayed: this Idempotency-Key made these goals already"},
        404: {"description": "An item's parent_id or guards names no goal of the organisation (`goals.3.parent_id`)"},
        422: {"description": "Invalid; `errors` names the item and field (`goals.3.target`, `goals.3.parent_ref`)"},
    },
)
async def create_goal_batch(
    body: GoalBatch,
    caller: Writer,
    service: Service,
    correlation: Correlation,
    response: Response,
    permits: Annotated[BatchPermits, Depends(_permits)],
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> GoalBatchCreated:
    """Create up to 5,000 goals in one transaction: all of them, or none when any item is refused.

    An item may name its parent inside the batch by that item's `ref` (`parent_ref`) or an existing
    goal by `parent_id`, not both; items come in any order, parents are created first. Each item is
    validated as `POST /v1/goals` validates one goal. With an `Idempotency-Key`, the same batch sent
    again answers 200 with the goals it made (`Idempotent-Replayed: true`); another batch under the
    key is refused (422). Batches beyond the process's bound on goals decided at once wait their turn.
    """
    items = [
        BatchItem(item.model_dump(exclude_none=True, exclude={"ref", "parent_ref"}), item.ref, item.parent_ref)
        for item in body.goals
    ]
    async with permits.hold(len(items)):  # held until the decided goals are down to the answer
        with _errors():
            record = await create_goals(service, caller.org_id, items, correlation, idempotency_key)
        if record.replayed:
            response.status_code = 200
            response.headers["Idempotent-Replayed"] = "true"
        return _answer(items, record)


def _answer(items: list[BatchItem], record: BatchRecord) -> GoalBatchCreated:
    return GoalBatchCreated(
        goals=[
            CreatedGoal(
                index=i,
                ref=item.ref,
                goal_id=goal.goal_id,
                version=goal.version,
                parent_id=goal.definition.parent_id,
                status=goal.status,
            )
            for i, (item, goal) in enumerate(zip(items, record.goals, strict=True))
        ]
    )
