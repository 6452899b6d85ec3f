"""Kafka topic names. A topic's name carries its contract's major version."""

from typing import Final

GOAL_EVENTS: Final = "goalstream.goals.events.v1"
MEASUREMENTS: Final = "goalstream.measurements.v1"
NOTIFICATION_EVENTS: Final = "goalstream.notifications.events.v1"
IDENTITY_EVENTS: Final = "goalstream.identity.v1"


def dlq(topic: str) -> str:
    """The dead-letter topic of `topic`."""
    return f"{topic}.dlq"


ALL_TOPICS: Final = (
    GOAL_EVENTS,
    MEASUREMENTS,
    NOTIFICATION_EVENTS,
    IDENTITY_EVENTS,
    dlq(GOAL_EVENTS),
    dlq(MEASUREMENTS),
    dlq(NOTIFICATION_EVENTS),
    dlq(IDENTITY_EVENTS),
)
