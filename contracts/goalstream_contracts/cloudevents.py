"""CloudEvents 1.0 Kafka protocol binding: binary mode written, binary and structured mode read.

Attributes travel as `ce_*` headers, the value is the payload JSON with `content-type:
application/json`, and the key is the organisation id (per-organisation order), also written as
`ce_partitionkey` (the Partitioning extension, which the SDKs' key mappers turn into the key).
goalstream's envelope fields that CloudEvents has no attribute for are extension attributes
(`ce_orgid`, `ce_streamid`, `ce_streamversion`, `ce_schemaversion`, `ce_correlationid`,
`ce_causationid`). A reader takes any record a CloudEvents producer may send: see `cloudevents_read`.

Both ways are on every event's path, so each does its work once: the payload is serialised once by
its frozen model's own serializer (the same bytes serve the event store), the headers are made as text
for a writer that stores text (`to_kafka_text`); a record is decoded from its raw bytes by the
payload's validator (`cloudevents_read`), with no dict in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from goalstream_contracts.base import Payload
from goalstream_contracts.cloudevents_read import (
    CONTENT_TYPE,
    SPEC_VERSION,
    TYPE_PREFIX,
    ContractError,
    from_header_map,
)
from goalstream_contracts.envelope import Envelope

__all__ = [
    "CONTENT_TYPE",
    "SCHEMA_BASE",
    "SPEC_VERSION",
    "TYPE_PREFIX",
    "ContractError",
    "KafkaRecord",
    "KafkaTextRecord",
    "dataschema",
    "from_header_map",
    "from_kafka",
    "from_record",
    "read_headers",
    "to_kafka",
    "to_kafka_text",
]

SCHEMA_BASE = "https://goalstream.io/schemas/events"


@dataclass(frozen=True)
class KafkaRecord:
    topic: str
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class KafkaTextRecord:
    """A record whose header values are still text: what a writer keeps before sending (an outbox stores text).

    The same record as `to_kafka`'s, header for header; building it skips encoding headers only to decode them.
    """

    topic: str
    key: bytes
    value: bytes
    headers: tuple[tuple[str, str], ...]


def dataschema(event_type: str, version: int) -> str:
    return f"{SCHEMA_BASE}/{event_type}/v{version}.json"


@cache
def _type_headers(event_type: str, version: int) -> tuple[str, str, str]:
    """`ce_type`, `ce_dataschema` and `ce_schemaversion` of a type and version: the same text every time."""
    return TYPE_PREFIX + event_type, dataschema(event_type, version), str(version)


def to_kafka_text(envelope: Envelope[Any]) -> KafkaTextRecord:
    """The record of `envelope`, headers as text. Their order and every byte are the contract's (wire tests)."""
    payload: Payload = envelope.payload
    ce_type, schema, version = _type_headers(envelope.event_type, envelope.schema_version)
    headers = [
        ("ce_specversion", SPEC_VERSION),
        ("ce_id", str(envelope.event_id)),
        ("ce_source", envelope.source),
        ("ce_type", ce_type),
        ("ce_time", envelope.occurred_at.isoformat()),
        ("ce_subject", payload.subject()),
        ("ce_dataschema", schema),
        ("ce_orgid", envelope.org_id),
        ("ce_partitionkey", envelope.org_id),  # = the key: what the SDKs' key mapper reads
        ("ce_streamid", envelope.stream_id),
        ("ce_streamversion", str(envelope.stream_version)),
        ("ce_schemaversion", version),
        ("ce_correlationid", str(envelope.correlation_id)),
        ("content-type", CONTENT_TYPE),
    ]
    if envelope.causation_id is not None:
        headers.append(("ce_causationid", str(envelope.causation_id)))
    # The frozen model's own serializer, straight to bytes: once per event, for Kafka and the event store alike.
    value = payload.__pydantic_serializer__.to_json(payload)
    return KafkaTextRecord(topic=payload.topic, key=envelope.org_id.encode(), value=value, headers=tuple(headers))


def to_kafka(envelope: Envelope[Any]) -> KafkaRecord:
    """The record of `envelope`, as a Kafka client sends it."""
    r = to_kafka_text(envelope)
    return KafkaRecord(r.topic, r.key, r.value, tuple((name, value.encode()) for name, value in r.headers))


def read_headers(headers: Any) -> dict[str, str]:
    """A record's headers by lower-case name, as text (names are case-insensitive on read)."""
    found: dict[str, str] = {}
    for name, value in headers or ():
        found[name.lower()] = value.decode() if isinstance(value, bytes | bytearray) else str(value)
    return found


def from_kafka(
    headers: Any, value: bytes | None, key: bytes | str | None = None, timestamp_ms: int | None = None
) -> Envelope[Payload]:
    """Decode a record (binary or structured mode); raises ContractError naming what is wrong.

    `key` and `timestamp_ms` are the record's: the organisation and the time when the event names neither.
    """
    return from_header_map(read_headers(headers), value, key, timestamp_ms)


def from_record(record: Any) -> Envelope[Payload]:
    """Decode a consumed record (aiokafka's ConsumerRecord: headers, value, key, timestamp in ms)."""
    return from_kafka(record.headers, record.value, record.key, record.timestamp)
