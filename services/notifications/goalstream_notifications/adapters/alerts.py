"""Alert events (AlertDelivered, AlertDeliveryFailed): the Kafka records the outbox takes with a delivery's outcome."""

from __future__ import annotations

from datetime import datetime
from typing import get_args

from goalstream_contracts.alerts import AlertDelivered, AlertDeliveryFailed, AlertEvent, Channel
from goalstream_contracts.cloudevents import KafkaRecord, to_kafka
from goalstream_contracts.envelope import Envelope
from goalstream_notifications.adapters.deliveries import ClaimedDelivery

SOURCE = "/goalstream/notifications"
OUTBOX_CHANNEL = "notifications_outbox"
# Held here: pydantic caches a parametrised generic only while something refers to it, so an
# inline `Envelope[AlertEvent]` could build the model class anew after a garbage collection.
ALERT_ENVELOPE = Envelope[AlertEvent]


def _channel(delivery: ClaimedDelivery) -> Channel:
    for channel in get_args(Channel):
        if channel == delivery.channel:
            return channel  # type: ignore[no-any-return]
    raise ValueError(f"unknown channel {delivery.channel!r}")


def _record(delivery: ClaimedDelivery, alert: AlertEvent, at: datetime) -> KafkaRecord:
    envelope = ALERT_ENVELOPE.new(
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
    return to_kafka(envelope)


def delivered(delivery: ClaimedDelivery, attempts: int, status_code: int | None, at: datetime) -> KafkaRecord:
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
    return _record(delivery, alert, at)


def failed(
    delivery: ClaimedDelivery,
    attempts: int,
    status_code: int | None,
    last_error: str,
    at: datetime,
) -> KafkaRecord:
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
    return _record(delivery, alert, at)
