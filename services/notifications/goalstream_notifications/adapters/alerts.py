"""Alert events (AlertDelivered, AlertDeliveryFailed) written to the outbox with the delivery's outcome."""

from __future__ import annotations

from datetime import datetime
from typing import get_args

from goalstream_contracts.alerts import AlertDelivered, AlertDeliveryFailed, AlertEvent, Channel
from goalstream_contracts.cloudevents import to_kafka
from goalstream_contracts.envelope import Envelope
from goalstream_notifications.adapters.deliveries import ClaimedDelivery
from goalstream_runtime.db import Connection
from goalstream_runtime.outbox import enqueue

SOURCE = "/goalstream/notifications"
OUTBOX_CHANNEL = "notifications_outbox"


def _channel(delivery: ClaimedDelivery) -> Channel:
    for channel in get_args(Channel):
        if channel == delivery.channel:
            return channel  # type: ignore[no-any-return]
    raise ValueError(f"unknown channel {delivery.channel!r}")


async def _enqueue(conn: Connection, delivery: ClaimedDelivery, alert: AlertEvent, at: datetime) -> None:
    envelope = Envelope[AlertEvent].new(
        alert,
        org_id=delivery.org_id,
        stream_id=str(delivery.id),
        # A delivery concludes at most once per attempt count, so the count orders its alert stream.
        stream_version=alert.attempts,
        occurred_at=at,
        source=SOURCE,
        correlation_id=delivery.correlation_id,
        causation_id=delivery.event_id,
    )
    await enqueue(conn, [to_kafka(envelope)], OUTBOX_CHANNEL)


async def delivered(
    conn: Connection, delivery: ClaimedDelivery, attempts: int, status_code: int | None, at: datetime
) -> None:
    alert = AlertDelivered(
        delivery_id=str(delivery.id),
        subscription_id=str(delivery.subscription_id),
        channel=_channel(delivery),
        alerted_event_id=str(delivery.event_id),
        alerted_event_type=delivery.event_type,
        attempts=attempts,
        delivered_at=at,
        status_code=status_code,
    )
    await _enqueue(conn, delivery, alert, at)


async def failed(
    conn: Connection,
    delivery: ClaimedDelivery,
    attempts: int,
    status_code: int | None,
    last_error: str,
    at: datetime,
) -> None:
    alert = AlertDeliveryFailed(
        delivery_id=str(delivery.id),
        subscription_id=str(delivery.subscription_id),
        channel=_channel(delivery),
        alerted_event_id=str(delivery.event_id),
        alerted_event_type=delivery.event_type,
        attempts=attempts,
        failed_at=at,
        last_error=last_error,
        status_code=status_code,
    )
    await _enqueue(conn, delivery, alert, at)
