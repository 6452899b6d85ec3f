"""The notifications HTTP API: translates requests into use cases and results into responses, nothing more."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from goalstream_notifications.adapters.delivery_log import DeliveryStatus
from goalstream_notifications.entrypoints.schemas import (
    DeliveryView,
    SecretRotated,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionView,
)
from goalstream_notifications.service_layer.subscriptions import NotFound, Refused, SubscriptionsService
from goalstream_runtime.auth import Reader, Writer
from goalstream_runtime.http import ApiError


def _service(request: Request) -> SubscriptionsService:
    service: SubscriptionsService = request.app.state.subscriptions
    return service


def _id(value: str, kind: str) -> uuid.UUID:
    # An id that is not even a UUID names nothing: 404 like any other unknown id.
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ApiError(404, "not_found", f"{kind} {value} not found") from None


def _refused(exc: Refused) -> ApiError:
    return ApiError(exc.status, exc.code, exc.message, exc.field)


Service = Annotated[SubscriptionsService, Depends(_service)]
Limit = Annotated[int, Query(ge=1, le=1000, description="most items returned, newest first")]
router = APIRouter(prefix="/v1", tags=["notifications"])


@router.post("/subscriptions", status_code=201, response_model=SubscriptionCreated)
async def create_subscription(
    body: SubscriptionCreate, caller: Writer, service: Service, response: Response
) -> SubscriptionCreated:
    try:
        subscription, secret = await service.subscribe(
            caller.org_id,
            channel=body.channel,
            target=body.target,
            event_types=body.event_types,
            root_goal_id=body.root_goal_id,
            min_severity=body.min_severity,
        )
    except Refused as exc:
        raise _refused(exc) from exc
    response.headers["Location"] = f"/v1/subscriptions/{subscription.id}"
    response.headers["Cache-Control"] = "no-store"  # the secret is in this body
    return SubscriptionCreated(**SubscriptionView.of(subscription).model_dump(), secret=secret)


@router.get("/subscriptions", response_model=list[SubscriptionView])
async def list_subscriptions(caller: Reader, service: Service, limit: Limit = 100) -> list[SubscriptionView]:
    return [SubscriptionView.of(s) for s in await service.list_subscriptions(caller.org_id, limit)]


@router.delete("/subscriptions/{subscription_id}", status_code=204)
async def delete_subscription(subscription_id: str, caller: Writer, service: Service) -> Response:
    try:
        await service.unsubscribe(caller.org_id, _id(subscription_id, "subscription"))
    except NotFound as exc:
        raise ApiError(404, "not_found", f"subscription {subscription_id} not found") from exc
    return Response(status_code=204)


@router.post(
    "/subscriptions/{subscription_id}/rotate-secret",
    response_model=SecretRotated,
    responses={409: {"description": "`not_a_webhook` (no secret to rotate) or `subscription_disabled`"}},
)
async def rotate_secret(subscription_id: str, caller: Writer, service: Service, response: Response) -> SecretRotated:
    """A new whsec_ secret, shown only here; the previous one keeps signing until previous_secret_expires_at."""
    try:
        subscription, secret = await service.rotate_secret(caller.org_id, _id(subscription_id, "subscription"))
    except NotFound as exc:
        raise ApiError(404, "not_found", f"subscription {subscription_id} not found") from exc
    except Refused as exc:
        raise _refused(exc) from exc
    response.headers["Cache-Control"] = "no-store"
    return SecretRotated(**SubscriptionView.of(subscription).model_dump(), secret=secret)


@router.get("/deliveries", response_model=list[DeliveryView])
async def list_deliveries(
    caller: Reader,
    service: Service,
    status: DeliveryStatus | None = None,
    subscription_id: uuid.UUID | None = None,
    limit: Limit = 100,
) -> list[DeliveryView]:
    found = await service.list_deliveries(caller.org_id, status, subscription_id, limit)
    return [DeliveryView.of(d) for d in found]


@router.post(
    "/deliveries/{delivery_id}/retry",
    status_code=202,
    response_model=DeliveryView,
    responses={409: {"description": "`not_dead` (only a dead delivery is retried) or `subscription_disabled`"}},
)
async def retry_delivery(delivery_id: str, caller: Writer, service: Service) -> DeliveryView:
    try:
        delivery = await service.retry_delivery(caller.org_id, _id(delivery_id, "delivery"))
    except NotFound as exc:
        raise ApiError(404, "not_found", f"delivery {delivery_id} not found") from exc
    except Refused as exc:
        raise _refused(exc) from exc
    return DeliveryView.of(delivery)
