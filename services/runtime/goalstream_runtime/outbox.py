"""The transactional outbox and its relay to Kafka.

A service writes its facts and their Kafka records in one transaction (`enqueue`); the relay
publishes unpublished records in position order and then marks them published. It selects by
"not yet published" rather than "after the last position", so a transaction that commits after
a later-numbered one is never skipped. One relay per database publishes (a session advisory lock
elects it); if its connection drops, another instance takes over. Delivery is at least once.

Rows are never deleted, so a broker that loses records can be refilled: with each batch the relay
stores per partition what the broker acknowledged (`watermarks`), and when it becomes leader and
every `check_interval` seconds it checks that the broker still holds it. When it does not, the
relay recreates the topics, marks every record of the lost topics unpublished and republishes
them in position order; consumers drop the duplicates by event id.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import logging
import time
from collections.abc import Iterable, Sequence

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import RecordMetadata
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind

from goalstream_contracts.cloudevents import TYPE_PREFIX, KafkaRecord, KafkaTextRecord
from goalstream_runtime import kafka_clients, watermarks
from goalstream_runtime import telemetry_messaging as messaging
from goalstream_runtime.db import Connection, connect, lock_key
from goalstream_runtime.kafka_admin import ensure_topics
from goalstream_runtime.settings import RelaySettings
from goalstream_runtime.telemetry import current_headers, extract, header_map, tracer

log = logging.getLogger(__name__)

COPY_FROM = 50  # records in one enqueue from which COPY beats a pipelined INSERT (it costs a round trip more)


async def enqueue(
    conn: Connection,
    records: Iterable[KafkaRecord | KafkaTextRecord],
    channel: str,
    *,
    notify: bool = True,
    traces: Sequence[dict[str, str]] | None = None,
) -> None:
    """Add records to the outbox inside the caller's transaction and wake the relay on commit.

    `notify=False` when the transaction has already notified (one NOTIFY per transaction is enough).
    The current trace context (W3C `traceparent`, `tracestate`) is stored with each record, so the
    relay's publish continues the trace of the request that wrote it; `traces` gives each record its
    own (a batch decided under several traces and written at once). A `KafkaTextRecord`'s headers are
    stored as they are; a `KafkaRecord`'s are decoded first (the outbox keeps text).
    """
    records = list(records)
    current = current_headers()
    contexts = traces if traces is not None else [current] * len(records)
    rows = [(r.topic, r.key, r.value, _with_trace(_text(r), t)) for r, t in zip(records, contexts, strict=True)]
    if not rows:
        return
    if len(rows) >= COPY_FROM:
        await conn.copy_records_to_table("outbox", records=rows, columns=["topic", "message_key", "value", "headers"])
    else:
        await conn.executemany("INSERT INTO outbox (topic, message_key, value, headers) VALUES ($1, $2, $3, $4)", rows)
    if notify:
        await conn.execute(f"NOTIFY {channel}")


def _text(record: KafkaRecord | KafkaTextRecord) -> list[Sequence[str]]:
    if isinstance(record, KafkaTextRecord):
        return list(record.headers)
    return [[k, v.decode()] for k, v in record.headers]


def _with_trace(headers: list[Sequence[str]], trace_headers: dict[str, str]) -> list[Sequence[str]]:
    if not trace_headers or header_map(headers):  # a record that names its own trace keeps it
        return headers
    return headers + [[k, v] for k, v in trace_headers.items()]


Parents = dict[tuple[tuple[str, str], ...], Context]


async def _send(
    producer: AIOKafkaProducer, row: asyncpg.Record, parents: Parents | None = None
) -> asyncio.Future[RecordMetadata]:
    """Queue one outbox row on the producer; a row with a stored trace gets a `send <topic>` span in it.

    `parents` keeps the contexts a batch has already read from stored traces: the events of one request
    or one measurement share their trace, and reading it costs more than the rest of the row.
    """
    headers: list[list[str]] = row["headers"]
    stored = header_map(headers)
    if not stored:
        return await _produce(producer, row, [(k, v.encode()) for k, v in headers])
    key = tuple(stored.items())
    parent = parents.get(key) if parents is not None else None
    if parent is None:
        parent = extract(stored)
        if parents is not None:
            parents[key] = parent
    topic, ce_id = row["topic"], next((v for k, v in headers if k == "ce_id"), None)
    attributes = messaging.send_attributes(topic, bytes(row["message_key"]), ce_id)
    span = tracer.start_span(
        messaging.span_name(messaging.SEND, topic), context=parent, kind=SpanKind.PRODUCER, attributes=attributes
    )
    # The span lasts until the broker answers, which says the partition and offset (`_acknowledged`).
    with trace.use_span(span, end_on_exit=False):
        # The record names the send span, so consumers' spans hang below it in the same trace.
        own = [(k, v.encode()) for k, v in headers if k.lower() not in stored]
        try:
            future = await _produce(producer, row, own + [(k, v.encode()) for k, v in current_headers().items()])
        except BaseException as exc:
            messaging.failed(span, exc)
            span.end()
            raise
    future.add_done_callback(functools.partial(_acknowledged, span))
    return future


def _acknowledged(span: Span, future: asyncio.Future[RecordMetadata]) -> None:
    """End a send span when the broker has answered: with where it put the record, or why it did not."""
    if not future.cancelled():
        if (exc := future.exception()) is not None:
            messaging.failed(span, exc)
        else:
            messaging.acknowledged(span, future.result().partition, future.result().offset)
    span.end()


async def _produce(
    producer: AIOKafkaProducer, row: asyncpg.Record, headers: list[tuple[str, bytes]]
) -> asyncio.Future[RecordMetadata]:
    future: asyncio.Future[RecordMetadata] = await producer.send(
        row["topic"], value=bytes(row["value"]), key=bytes(row["message_key"]), headers=headers
    )
    return future


def _event_type(headers: list[list[str]]) -> str:
    ce_type = next((v for k, v in headers if k == "ce_type"), "")
    return ce_type.removeprefix(TYPE_PREFIX) or "unknown"


class OutboxRelay:
    """Publishes the outbox; `published`, `republished` (records) and `broker_losses` count what it did."""

    def __init__(
        self,
        dsn: str,
        schema: str,
        bootstrap: str,
        *,
        channel: str,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        check_interval: float = 5.0,
        partitions: int = 3,
    ) -> None:
        self.dsn, self.schema, self.bootstrap = dsn, schema, bootstrap
        self.channel, self.batch_size, self.poll_interval = channel, batch_size, poll_interval
        self.check_interval, self.partitions = check_interval, partitions
        self.is_leader = False
        self.published = self.republished = self.broker_losses = 0
        self.published_types: collections.Counter[str] = collections.Counter()  # by ce_type, prefix dropped
        self._wake = asyncio.Event()

    @classmethod
    def for_service(cls, settings: RelaySettings, schema: str, channel: str) -> OutboxRelay:
        return cls(
            settings.database_url,
            schema,
            settings.kafka_bootstrap,
            channel=channel,
            batch_size=settings.relay_batch_size,
            poll_interval=settings.relay_poll_seconds,
            check_interval=settings.relay_check_seconds,
            partitions=settings.topic_partitions,
        )

    async def run(self) -> None:
        """Publish forever; survives database and broker outages by reconnecting and checking again."""
        while True:
            try:
                await self._lead()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # A broker outage is expected and repeats every second until it ends: no traceback.
                log.warning(
                    "outbox relay failed; retrying",
                    extra={"error": repr(exc)},
                    exc_info=not isinstance(exc, KafkaError),
                )
                self.is_leader = False
                await asyncio.sleep(1.0)

    async def _lead(self) -> None:
        client_id = f"goalstream-{self.schema}-relay"
        async with contextlib.AsyncExitStack() as stack:
            conn = await connect(self.dsn, self.schema)
            stack.push_async_callback(conn.close)
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock_key(f"relay:{self.schema}")):
                self.is_leader = False
                await asyncio.sleep(self.poll_interval)
            stack.callback(setattr, self, "is_leader", False)
            producer = kafka_clients.producer(
                self.bootstrap, acks="all", enable_idempotence=False, linger_ms=2, client_id=client_id
            )
            stack.push_async_callback(producer.stop)
            await producer.start()
            probe = watermarks.BrokerProbe(self.bootstrap, client_id)
            stack.push_async_callback(probe.stop)
            await probe.start()
            await conn.add_listener(self.channel, lambda *_: self._wake.set())
            self.is_leader = True
            log.info("outbox relay leading", extra={"schema": self.schema})
            next_check = 0.0
            while True:
                if time.monotonic() >= next_check:
                    await self._check(conn, probe)
                    next_check = time.monotonic() + self.check_interval
                self._wake.clear()  # before the fetch: a NOTIFY during publishing is not lost
                if await self._publish_batch(conn, producer) < self.batch_size:
                    wait = min(self.poll_interval, max(next_check - time.monotonic(), 0.0))
                    # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
                    # meets the wake-up, and the relay would then never stop.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(wait):
                            await self._wake.wait()

    async def _check(self, conn: Connection, probe: watermarks.BrokerProbe) -> None:
        """Republish every topic the broker lost since it acknowledged it."""
        marks = await watermarks.load(conn)
        lost = await probe.lost(marks) if marks else {}
        if lost:
            await ensure_topics(self.bootstrap, sorted(lost), self.partitions)
            async with conn.transaction():
                reset = await watermarks.reset(conn, lost)
            self._lost(lost, reset)

    def _lost(self, lost: dict[str, str], reset: int) -> None:
        self.broker_losses += 1
        self.republished += reset
        log.warning(
            "the broker lost published records; republishing them from the outbox",
            extra={"schema": self.schema, "lost": lost, "republishing": reset},
        )

    async def _publish_batch(self, conn: Connection, producer: AIOKafkaProducer) -> int:
        rows = await conn.fetch(
            "SELECT position, topic, message_key, value, headers FROM outbox"
            " WHERE published_at IS NULL ORDER BY position LIMIT $1",
            self.batch_size,
        )
        if not rows:
            return 0
        # Sent in position order: aiokafka keeps per-partition order, and the key is the organisation.
        parents: Parents = {}
        futures = [await _send(producer, r, parents) for r in rows]
        acked = await asyncio.gather(*futures)
        async with conn.transaction():
            await conn.execute(
                "UPDATE outbox SET published_at = now() WHERE position = ANY($1::bigint[])",
                [r["position"] for r in rows],
            )
            lost = await watermarks.record(conn, acked)
            reset = await watermarks.reset(conn, lost) if lost else 0
        self.published += len(rows)
        self.published_types.update(_event_type(r["headers"]) for r in rows)
        if lost:  # the broker started again since the last check: these records went to a new log
            self._lost(lost, reset)
        return len(rows)

    async def backlog(self, pool: asyncpg.Pool) -> int:
        return int(await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
