"""Alert events of the notifications service, published on `goalstream.notifications.events.v1`."""

from __future__ import annotations

from typing import ClassVar, Literal

from goalstream_contracts import topics
from goalstream_contracts.base import Payload, Timestamp

Channel = Literal["webhook", "slack", "email"]


class AlertEvent(Payload):
    """An event about one delivery of one goal event to one subscription; its subject is the delivery."""

    topic: ClassVar[str] = topics.NOTIFICATION_EVENTS
    delivery_id: str
    subscription_id: str
    channel: Channel
    alerted_event_id: str
    alerted_event_type: str
    attempts: int

    def subject(self) -> str:
        return self.delivery_id


class AlertDelivered(AlertEvent):
    event_type: ClassVar[str] = "AlertDelivered"
    delivered_at: Timestamp
    status_code: int | None = None


class AlertDeliveryFailed(AlertEvent):
    event_type: ClassVar[str] = "AlertDeliveryFailed"
    failed_at: Timestamp
    last_error: str
    status_code: int | None = None
