"""Kafka topic names. A topic's name carries its contract's major version."""

from typing import Final

GOAL_EVENTS: Final = "goalstream.goals.events.v1"
MEASUREMENTS: Final = "goalstream.measurements.v1"
NOTIFICATION_EVENTS: Final = "goalstream.notifications.events.v1"
IDENTITY_EVENTS: Final = "goalstream.identity.v1"


def dlq(topic: str) -> str:
    """The dead-letter topic of `topic`."""
    return f"{topic}.dlq"


def dlq_replays(topic: str) -> str:
    """Where `goalstream dlq replay` records each replay of `topic`'s dead letters (not a contract topic: the
    CLI creates it when it first replays, so it is not in ALL_TOPICS)."""
    return f"{dlq(topic)}.replayed"


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
