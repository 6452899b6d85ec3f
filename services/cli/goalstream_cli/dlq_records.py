"""Dead letters as ops read them: which DLQ a name means and what a dead letter says.

A consumer dead-letters a record as it came, with headers saying why (`dlq_reason`), from where (`dlq_topic`,
`dlq_partition`, `dlq_offset`) and who refused it (`dlq_consumer`): `goalstream_runtime.consumers`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import typer

from goalstream_contracts.topics import ALL_TOPICS, dlq, is_dlq, source_of

# Every topic that has a dead-letter topic, by the short name the CLI accepts for it.
SOURCES: dict[str, str] = {
    topic.split(".")[1]: topic for topic in ALL_TOPICS if dlq(topic) in ALL_TOPICS and not is_dlq(topic)
}
# A replayed record names the dead letter it was replayed from; a dead letter of a replay carries it on.
REPLAY_OF = "dlq_replay_of"


def dlq_topic(name: str) -> str:
    """The DLQ topic `name` means: a short name (`measurements`), a topic, or its DLQ; else a 4xx-like refusal."""
    for short, topic in SOURCES.items():
        if name in (short, dlq(short), topic, dlq(topic)):
            return dlq(topic)
    known = ", ".join(SOURCES)
    raise typer.BadParameter(f"unknown topic {name!r}: one of {known} (or its topic name)", param_hint="TOPIC")


@dataclass(frozen=True)
class DeadLetter:
    """One record of a DLQ topic, where it is on it, and what its headers say."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    @classmethod
    def of(cls, record: Any) -> DeadLetter:
        """From aiokafka's ConsumerRecord."""
        value, headers = record.value or b"", tuple(record.headers or ())
        return cls(record.topic, record.partition, record.offset, record.timestamp, record.key, value, headers)

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k == name]
        return found[-1].decode(errors="replace") if found else None

    @property
    def at(self) -> str:
        return f"{self.partition}:{self.offset}"

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp_ms / 1000, UTC)

    @property
    def source_topic(self) -> str:
        """Where a replay goes: the topic this DLQ belongs to, never a topic a header names."""
        return source_of(self.topic)

    @property
    def org(self) -> str | None:
        return self.header("ce_orgid")

    @property
    def event_type(self) -> str | None:
        kind = self.header("ce_type")
        return kind.rsplit(".", 1)[-1] if kind else None

    @property
    def origin(self) -> str:
        """The record it was refused as: `topic/partition/offset` on its source topic (or here, if unnamed)."""
        partition, offset = self.header("dlq_partition"), self.header("dlq_offset")
        if partition is None or offset is None:
            return f"{self.topic}/{self.partition}/{self.offset}"
        return f"{self.source_topic}/{partition}/{offset}"

    @property
    def replay_key(self) -> str:
        """What a replay is recorded under: the first record of its line, so a dead letter of a replay (still bad)
        is not replayed again, and a record several consumers refused is replayed once for them all."""
        return self.header(REPLAY_OF) or self.origin

    def matches(self, org: str | None, consumer: str | None) -> bool:
        return (org is None or self.org == org) and (consumer is None or self.header("dlq_consumer") == consumer)


def parse_at(text: str) -> tuple[int, int, int]:
    """`PARTITION:OFFSET` (as `list` prints it) or `PARTITION:FIRST-LAST` as (partition, first, last); else a
    refusal naming the argument."""
    partition, sep, offsets = text.partition(":")
    first, dash, last = offsets.partition("-")
    last = last if dash else first
    if not sep or not all(part.isdigit() for part in (partition, first, last)) or int(last) < int(first):
        raise typer.BadParameter(
            f"{text!r} is not PARTITION:OFFSET or PARTITION:FIRST-LAST, e.g. 0:12", param_hint="AT"
        )
    return int(partition), int(first), int(last)
