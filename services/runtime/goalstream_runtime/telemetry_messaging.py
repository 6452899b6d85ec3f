"""Span names and attributes of the OpenTelemetry semantic conventions for messaging, Kafka flavour.

The relay's span is `send <topic>` (PRODUCER); a consumer makes `process <topic>` (CONSUMER) for each
record, a child of the context the record carries that also links it, and one for each poll it handles, linking every
record's context and counting them (`messaging.batch.message_count`). The attribute names are the
constants of the pinned `opentelemetry-semantic-conventions` (the messaging ones are still incubating
there, so they are read from its `_incubating` module, as its own instrumentations do).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.semconv._incubating.attributes import messaging_attributes as m
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.trace import Link, Span, Status, StatusCode
from opentelemetry.util.types import AttributeValue

Attributes = dict[str, AttributeValue]

SEND = m.MessagingOperationTypeValues.SEND.value
PROCESS = m.MessagingOperationTypeValues.PROCESS.value
_KAFKA = m.MessagingSystemValues.KAFKA.value


def span_name(operation: str, topic: str) -> str:
    """`{messaging.operation.name} {messaging.destination.name}`: the topic names are few and fixed."""
    return f"{operation} {topic}"


def _common(operation: str, topic: str) -> Attributes:
    return {
        m.MESSAGING_SYSTEM: _KAFKA,
        m.MESSAGING_OPERATION_TYPE: operation,
        m.MESSAGING_OPERATION_NAME: operation,
        m.MESSAGING_DESTINATION_NAME: topic,
    }


def _key(key: bytes | None) -> str | None:
    """The key as text; a key that is not UTF-8 has no canonical text form, so it is left out."""
    try:
        return key.decode() if key is not None else None
    except UnicodeDecodeError:
        return None


def send_attributes(topic: str, key: bytes | None, message_id: str | None) -> Attributes:
    """A `send` span's attributes known before the broker answers (the partition and offset come with it)."""
    found = _common(SEND, topic)
    if (text := _key(key)) is not None:
        found[m.MESSAGING_KAFKA_MESSAGE_KEY] = text
    if message_id:
        found[m.MESSAGING_MESSAGE_ID] = message_id
    return found


def acknowledged(span: Span, partition: int | None, offset: int | None) -> None:
    """Where the broker put the record; a span still open then records it."""
    if partition is not None:
        span.set_attribute(m.MESSAGING_DESTINATION_PARTITION_ID, str(partition))
    if offset is not None:
        span.set_attribute(m.MESSAGING_KAFKA_OFFSET, offset)


def failed(span: Span, exc: BaseException) -> None:
    span.set_status(Status(StatusCode.ERROR, str(exc)[:200]))
    span.set_attribute(ERROR_TYPE, type(exc).__qualname__)


def record_attributes(record: Any, group: str, message_id: str) -> Attributes:
    """A consumed record's `process` span attributes (`record` is aiokafka's ConsumerRecord)."""
    found = _common(PROCESS, record.topic)
    found[m.MESSAGING_DESTINATION_PARTITION_ID] = str(record.partition)
    found[m.MESSAGING_KAFKA_OFFSET] = record.offset
    found[m.MESSAGING_MESSAGE_ID] = message_id
    if group:
        found[m.MESSAGING_CONSUMER_GROUP_NAME] = group
    if (text := _key(record.key)) is not None:
        found[m.MESSAGING_KAFKA_MESSAGE_KEY] = text
    return found


def batch_attributes(records: Sequence[Any], topic: str, group: str) -> Attributes:
    """A poll's `process` span attributes: the count, and the partition when all come from one."""
    found = _common(PROCESS, topic)
    found[m.MESSAGING_CONSUMER_GROUP_NAME] = group
    found[m.MESSAGING_BATCH_MESSAGE_COUNT] = len(records)
    partitions = {r.partition for r in records}
    if len(partitions) == 1:
        found[m.MESSAGING_DESTINATION_PARTITION_ID] = str(partitions.pop())
    return found


def links(parents: Sequence[Context | None]) -> list[Link]:
    """A link to each record's producer context (records without one have none)."""
    found = []
    for parent in parents:
        if parent is not None and (ctx := trace.get_current_span(parent).get_span_context()).is_valid:
            found.append(Link(ctx))
    return found
