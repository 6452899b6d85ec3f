"""Kafka topic names. A topic's name carries its contract's major version."""

from typing import Final

GOAL_EVENTS: Final = "goalstream.goals.events.v1"
MEASUREMENTS: Final = "goalstream.measurements.v1"
NOTIFICATION_EVENTS: Final = "goalstream.notifications.events.v1"
IDENTITY_EVENTS: Final = "goalstream.identity.v1"


_DLQ_SUFFIX: Final = ".dlq"


def dlq(topic: str) -> str:
    """The dead-letter topic of `topic`."""
    return f"{topic}{_DLQ_SUFFIX}"


def is_dlq(topic: str) -> bool:
    """Whether `topic` is a dead-letter topic (a name `dlq` made)."""
    return topic.endswith(_DLQ_SUFFIX)


def source_of(dlq_topic: str) -> str:
    """The topic whose dead letters `dlq_topic` holds: the inverse of `dlq`."""
    if not is_dlq(dlq_topic):
        raise ValueError(f"{dlq_topic!r} is not a dead-letter topic")
    return dlq_topic.removesuffix(_DLQ_SUFFIX)


def dlq_replays(topic: str) -> str:
    """Where `goalstream dlq replay` records each replay of `topic`'s dead letters. Not in ALL_TOPICS (no service
    reads or writes it, and it has its own shape): see REPLAY_LOGS."""
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

# The replay logs, one per DLQ. One partition (one order of replays), compacted (keyed by replay key, only the last
# entry of a key is read, and an entry must outlive any retention: else `replay --all` resends old letters). The
# deployments' topic jobs create them with the cluster's replication factor; the CLI creates a missing one too.
REPLAY_LOGS: Final = tuple(dlq_replays(topic) for topic in ALL_TOPICS if dlq(topic) in ALL_TOPICS)
REPLAY_LOG_PARTITIONS: Final = 1
REPLAY_LOG_CONFIG: Final = {"cleanup.policy": "compact"}
