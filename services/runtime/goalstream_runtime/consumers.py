"""Consuming goalstream events from Kafka: exactly one effect per event, offsets after commit.

Records come in batches (up to `MAX_RECORDS`), applied in one database transaction together with
their "processed" markers, so a redelivered event changes nothing (`consumer_batch`). The
subscriber's ack policy commits the Kafka offsets only after the handler returned, i.e. after that
transaction committed. A record that can never be applied (not our contract, refused by the
projection, or failing alone `failures.ATTEMPTS` times with any error that is not an outage) goes to
the topic's DLQ with the reason, and consumption goes on: a failed batch rolls back and is then
applied one event per transaction. An outage (database or broker, `failures.is_transient`) is
retried by redelivery of the whole batch, however long it lasts; it never dead-letters a record.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, cast

import asyncpg
from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind

from goalstream_contracts.topics import dlq
from goalstream_runtime import consumer_batch, metrics
from goalstream_runtime import telemetry_messaging as messaging
from goalstream_runtime.consumer_batch import Apply, ApplyBatch, Item, OwnedBatch, Rejected
from goalstream_runtime.failures import describe, is_transient
from goalstream_runtime.telemetry import tracer

__all__ = [
    "Apply",
    "ApplyBatch",
    "OwnedBatch",
    "Rejected",
    "batch_subscriber",
    "consume_batch",
    "dead_letter_record",
    "lenient_parser",
    "subscribe",
]

log = logging.getLogger(__name__)

# Apache Kafka's lowest accepted session timeout by default (group.min.session.timeout.ms). Shorter
# than the client default of 10 s: a dead instance's partitions move sooner, and Tansu, which
# holds a group's first join for half the session timeout, assigns partitions in 3 s, not 5 s.
SESSION_TIMEOUT_MS = 6000
HEARTBEAT_INTERVAL_MS = 2000
# A batch is what one poll returns, up to MAX_RECORDS: getmany answers at once when records are
# there, so a busy topic gives full batches and a quiet one single records without waiting. When
# nothing is there it waits BATCH_TIMEOUT_MS (and FastStream as long again) before polling anew.
MAX_RECORDS = 500
BATCH_TIMEOUT_MS = 100
# How long the broker may hold a fetch open waiting for records (aiokafka's default: 500 ms). Tansu holds
# it about half that even when a record is there, which was most of each hop's latency (one hop's p50 about
# 135 ms at 500, 7 ms at 20; Apache Kafka answers at once). The price: an idle consumer fetches 50 times a
# second, a few per cent of a core for the whole platform.
FETCH_MAX_WAIT_MS = 20


async def _raw_body(msg: Any) -> Any:
    # Keep the bytes: decoding is ours, so a malformed record reaches the handler (and the DLQ)
    # instead of failing inside the framework and being redelivered forever.
    return msg.body


async def lenient_parser(records: Any, original: Callable[[Any], Awaitable[Any]]) -> Any:
    """FastStream's parsing of a poll, on copies whose header values are read as UTF-8 leniently.

    It decodes every header strictly before our handler runs, so one record with a header that is not
    UTF-8 would fail its batch on every poll; our own decoding still sees the bytes and refuses it alone.
    """
    batch = records if isinstance(records, tuple) else (records,)
    lenient = tuple(
        dataclasses.replace(r, headers=[(k, (v or b"").decode(errors="replace").encode()) for k, v in r.headers or ()])
        for r in batch
    )
    parsed = await original(lenient if isinstance(records, tuple) else lenient[0])
    parsed.raw_message = records  # decoding, dead letters and offsets use the records as they came
    return parsed


def batch_subscriber(
    broker: KafkaBroker, topic: str, group_id: str, title: str
) -> Callable[[Callable[..., Awaitable[None]]], Any]:
    """The decorator every consumer registers its batch handler with: polls of up to `MAX_RECORDS`, offsets
    committed only after the handler returns (NACK_ON_ERROR), raw bodies (decoding is ours) and lenient headers.
    Every `goalstream_messages_consumed_total` series of the group exists from the start, at 0."""
    for outcome in metrics.OUTCOMES:
        metrics.MESSAGES.labels(topic, group_id, outcome)
    return broker.subscriber(
        topic,
        group_id=group_id,
        batch=True,
        max_records=MAX_RECORDS,
        batch_timeout_ms=BATCH_TIMEOUT_MS,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        decoder=_raw_body,
        parser=lenient_parser,
        title=title,
        session_timeout_ms=SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
    )


def subscribe(
    broker: KafkaBroker,
    topic: str,
    group_id: str,
    pool: asyncpg.Pool,
    apply: Apply | ApplyBatch,
    *,
    retry_delay: float = 1.0,
    owns_marker: bool = False,
    span_name: str | None = None,
) -> None:
    """Register a projection of `topic` under consumer group `group_id`.

    Each event is applied in its own `process <topic>` span (CONSUMER), a child of its record's
    `traceparent`, whose `goalstream.handler` attribute is `span_name` (default `<group_id> apply`).

    `apply` is an `Apply` run for each event inside one transaction per batch that writes the
    processed markers, unless `owns_marker`: then it is an `ApplyBatch` that opens its own
    transaction and writes its own markers (tracking's read-model generations).
    """

    @batch_subscriber(broker, topic, group_id, f"{group_id}:{topic}")
    async def handle(bodies: list[bytes], msg: KafkaMessage) -> None:
        async def apply_items(items: list[Item]) -> None:
            live = [item for item in items if item.envelope is not None]
            if live and owns_marker:
                await consumer_batch.apply_owned(pool, items, cast(ApplyBatch, apply))
            elif live:
                await consumer_batch.apply_each(pool, live, cast(Apply, apply))

        await consume_batch(
            broker, msg, topic, group_id, span_name or f"{group_id} apply", apply_items, retry_delay=retry_delay
        )


async def consume_batch(
    broker: KafkaBroker,
    msg: KafkaMessage,
    topic: str,
    group_id: str,
    span_name: str,
    apply_items: Callable[[list[Item]], Awaitable[None]],
    *,
    retry_delay: float = 1.0,
    transient: tuple[type[Exception], ...] = (),
) -> None:
    """A batch subscriber's step: decode the records, `apply_items`, then dead-letter what was refused.

    A batch that fails for a reason of its own is applied again one record at a time, refusing only
    the records at fault (`consumer_batch.apply_alone`). A failure left over (an outage, or `transient`,
    the service's own errors to wait out) marks every record `retried` and re-raises after `retry_delay`
    (NACK_ON_ERROR redelivers the batch). Each record is counted and timed by its outcome, and its span ends.
    """
    raw = msg.raw_message
    records = raw if isinstance(raw, tuple) else (raw,)
    parents = [consumer_batch.trace_parent(r) for r in records]
    # The poll's own `process <topic>` span links every record's producer; each record's span is a child of its own.
    with tracer.start_as_current_span(
        messaging.span_name(messaging.PROCESS, topic),
        kind=SpanKind.CONSUMER,
        links=messaging.links(parents),
        attributes=messaging.batch_attributes(records, topic, group_id),
    ):
        await _consume(broker, records, parents, topic, group_id, span_name, apply_items, retry_delay, transient)


async def _consume(
    broker: KafkaBroker,
    records: tuple[Any, ...],
    parents: list[Context | None],
    topic: str,
    group_id: str,
    span_name: str,
    apply_items: Callable[[list[Item]], Awaitable[None]],
    retry_delay: float,
    transient: tuple[type[Exception], ...],
) -> None:
    started = time.perf_counter()
    items = consumer_batch.decode(records, span_name, group_id, parents)
    try:
        try:
            await apply_items(items)
        except Exception as exc:
            if is_transient(exc, transient):
                raise
            level = logging.INFO if isinstance(exc, Rejected) else logging.WARNING
            log.log(level, "a batch of %d records failed, applying them one at a time: %s", len(items), describe(exc))
            await consumer_batch.apply_alone(items, apply_items, transient)
        for item in items:  # after the commit: a failure here redelivers the batch, as repeats
            if item.reason is not None:
                with item.context():
                    await dead_letter_record(broker, item.record, item.reason, consumer=group_id)
    except BaseException as exc:
        for item in items:
            item.outcome = "retried"
        if isinstance(exc, Exception):  # not a cancellation: wait, so that an outage is not a busy loop
            log.warning("a batch will be redelivered in %.1f s: %s", retry_delay, describe(exc))
            await asyncio.sleep(retry_delay)
        raise
    finally:
        consumer_batch.finish(items, topic, group_id, time.perf_counter() - started)


async def dead_letter_record(
    broker: KafkaBroker, record: ConsumerRecord[Any, Any], reason: str, *, consumer: str
) -> None:
    """Publish the record as it came to `<topic>.dlq`, with why and where from, and which consumer refused it
    (several groups read one topic: each dead-letters what it cannot apply)."""
    headers = {k: v.decode(errors="replace") for k, v in record.headers or ()}
    headers |= {
        "dlq_reason": reason[:2000],
        "dlq_topic": record.topic,
        "dlq_partition": str(record.partition),
        "dlq_offset": str(record.offset),
        "dlq_consumer": consumer,
    }
    metrics.mark("dead_lettered")  # inside an instrumented single-record handler; a batch counts its own
    log.error("record dead-lettered", extra={"reason": reason, "topic": record.topic, "offset": record.offset})
    await broker.publish(record.value or b"", topic=dlq(record.topic), key=record.key, headers=headers)
