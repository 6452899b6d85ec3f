"""Consuming goalstream events from Kafka: exactly one effect per event, offsets after commit.

Each event is applied in one database transaction together with its "processed" marker, so a
redelivered event changes nothing. The subscriber's ack policy commits the Kafka offset only
after the handler returned, i.e. after that transaction committed. A record that can never be
applied (not our contract, or rejected by the projection) goes to the topic's DLQ with the
reason, and consumption goes on; an outage (database or broker) is retried by redelivery.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

import asyncpg
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from goalstream_contracts.base import Payload
from goalstream_contracts.cloudevents import ContractError, from_kafka
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.topics import dlq
from goalstream_runtime import metrics
from goalstream_runtime.db import Connection
from goalstream_runtime.logs import event_id_var, org_id_var
from goalstream_runtime.telemetry import parent_context, tracer

log = logging.getLogger(__name__)

# Apache Kafka's lowest accepted session timeout by default (group.min.session.timeout.ms). Shorter
# than the client default of 10 s: a dead instance's partitions move sooner, and Tansu, which
# holds a group's first join for half the session timeout, assigns partitions in 3 s, not 5 s.
SESSION_TIMEOUT_MS = 6000
HEARTBEAT_INTERVAL_MS = 2000

Apply = Callable[[Connection, Envelope[Payload]], Awaitable[None]]
Once = Callable[[asyncpg.Pool, Envelope[Payload]], Awaitable[bool]]  # apply unless applied before
TRANSIENT = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.CannotConnectNowError)


class Rejected(Exception):
    """The projection refuses this event for good (it can never apply); it goes to the DLQ."""


async def apply_once(pool: asyncpg.Pool, envelope: Envelope[Payload], apply: Apply) -> bool:
    """Apply `envelope` unless it was applied before; False for a repeat."""
    async with pool.acquire() as conn, conn.transaction():
        fresh = await conn.fetchval(
            "INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING true",
            envelope.event_id,
        )
        if not fresh:
            return False
        await apply(conn, envelope)
        return True


async def _raw_body(msg: Any) -> Any:
    # Keep the bytes: decoding is ours, so a malformed record reaches the handler (and the DLQ)
    # instead of failing inside the framework and being redelivered forever.
    return msg.body


def subscribe(
    broker: KafkaBroker,
    topic: str,
    group_id: str,
    pool: asyncpg.Pool,
    apply: Apply | Once,
    *,
    retry_delay: float = 1.0,
    owns_marker: bool = False,
    span_name: str | None = None,
) -> None:
    """Register a projection of `topic` under consumer group `group_id`.

    Each apply runs in a span named `span_name` (default `<group_id> apply`), a child of the
    record's `traceparent` (through FastStream's consumer span when the broker has the middleware).

    `apply` runs inside `apply_once`, unless `owns_marker`: then it is a `Once` that opens its own
    transaction and writes its own processed marker (tracking's read-model generations).
    """

    async def apply_event(envelope: Envelope[Payload]) -> bool:
        if owns_marker:
            return await cast(Once, apply)(pool, envelope)
        return await apply_once(pool, envelope, cast(Apply, apply))

    @broker.subscriber(
        topic,
        group_id=group_id,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        decoder=_raw_body,
        title=f"{group_id}:{topic}",
        session_timeout_ms=SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
    )
    @metrics.instrument_handler(topic, group_id)
    async def handle(body: bytes, msg: KafkaMessage) -> None:
        record = msg.raw_message
        assert not isinstance(record, tuple)
        try:
            envelope = from_kafka(record.headers, record.value)
        except ContractError as exc:
            await dead_letter(broker, msg, str(exc), consumer=group_id)
            return
        org_id_var.set(envelope.org_id)
        event_id_var.set(str(envelope.event_id))
        try:
            with tracer.start_as_current_span(
                span_name or f"{group_id} apply",
                context=parent_context(record.headers),
                attributes={
                    "goalstream.event_id": str(envelope.event_id),
                    "goalstream.event_type": envelope.event_type,
                    "goalstream.org_id": envelope.org_id,
                },
            ):
                if not await apply_event(envelope):
                    metrics.mark("repeat")
        except TRANSIENT:
            log.warning("transient failure applying event; it will be redelivered", exc_info=True)
            await asyncio.sleep(retry_delay)
            raise
        except Rejected as exc:
            await dead_letter(broker, msg, str(exc), consumer=group_id)


async def dead_letter(broker: KafkaBroker, msg: KafkaMessage, reason: str, *, consumer: str) -> None:
    """Publish the record as it came to `<topic>.dlq`, with why and where from, and which consumer refused it
    (several groups read one topic: each dead-letters what it cannot apply)."""
    record = msg.raw_message
    assert not isinstance(record, tuple)
    headers = {k: v.decode(errors="replace") for k, v in record.headers or ()}
    headers |= {
        "dlq_reason": reason[:2000],
        "dlq_topic": record.topic,
        "dlq_partition": str(record.partition),
        "dlq_offset": str(record.offset),
        "dlq_consumer": consumer,
    }
    metrics.mark("dead_lettered")
    log.error("record dead-lettered", extra={"reason": reason, "topic": record.topic, "offset": record.offset})
    await broker.publish(record.value or b"", topic=dlq(record.topic), key=record.key, headers=headers)
