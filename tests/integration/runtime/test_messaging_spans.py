"""Spans after the OpenTelemetry messaging conventions, on the real broker and database: the relay's
`send <topic>` (PRODUCER), each consumed record's `process <topic>` (CONSUMER) below it, the poll's
`process <topic>` linking them all, and the SQL statements of each (asyncpg CLIENT spans)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from goalstream_contracts.base import Payload
from goalstream_contracts.cloudevents import to_kafka
from goalstream_contracts.envelope import Envelope
from goalstream_goals.adapters.event_store import OUTBOX_CHANNEL
from goalstream_runtime import consumer_batch, consumers, outbox, telemetry, telemetry_clients
from goalstream_runtime.consumers import subscribe
from goalstream_runtime.db import Connection, create_pool, migrate
from goalstream_runtime.outbox import OutboxRelay
from tests.integration.runtime.rig import Rig, goal_set, rig_parts
from tests.support.infra import Endpoints
from tests.support.polling import eventually

SCHEMA = "spanstest"
EVENTS = 3


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """An SDK tracer in place of the process's, and the asyncpg and httpx instrumentations on it."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    for module in (telemetry, outbox, consumers, consumer_batch):
        monkeypatch.setattr(module, "tracer", tracer)
    telemetry_clients.instrument_clients(provider)
    yield exporter
    telemetry_clients.uninstrument_clients()
    provider.shutdown()


@pytest.fixture
async def rig(database_url: str, infra: Endpoints) -> AsyncIterator[Rig]:
    async with rig_parts(database_url, infra, SCHEMA, "test-spans", "event_id uuid NOT NULL") as parts:
        yield Rig(*parts)


@pytest.fixture
async def goals_pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(database_url, "goals", "goalstream_goals")  # an outbox, as every service has
    pool = await create_pool(database_url, "goals")
    yield pool
    await pool.close()


async def apply(conn: Connection, envelope: Envelope[Payload]) -> None:
    await conn.execute("INSERT INTO applied (event_id) VALUES ($1)", envelope.event_id)


@contextlib.asynccontextmanager
async def relaying(database_url: str, bootstrap: str) -> AsyncIterator[None]:
    relay = OutboxRelay(database_url, "goals", bootstrap, channel=OUTBOX_CHANNEL, poll_interval=0.2)
    task = asyncio.create_task(relay.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def span_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return span.context.span_id


async def test_send_and_process_spans_follow_the_messaging_conventions_and_connect(
    spans: InMemorySpanExporter, rig: Rig, goals_pool: asyncpg.Pool, database_url: str
) -> None:
    events = [goal_set(f"goal {i}", org_id="org-spans") for i in range(EVENTS)]
    with telemetry.tracer.start_as_current_span("POST /v1/goals", kind=SpanKind.SERVER) as request:
        async with goals_pool.acquire() as conn, conn.transaction():
            records = [dataclasses.replace(to_kafka(e), topic=rig.topic) for e in events]
            await outbox.enqueue(conn, records, OUTBOX_CHANNEL)
    broker = KafkaBroker(rig.bootstrap)
    subscribe(broker, rig.topic, rig.group, rig.pool, apply, span_name="test apply")
    await broker.start()
    try:
        async with relaying(database_url, rig.bootstrap):

            async def all_applied() -> bool:
                return await rig.pool.fetchval("SELECT count(*) FROM applied") == EVENTS

            await eventually(all_applied, 60, "every event applied")
            await asyncio.sleep(0.2)  # the poll's span ends once its handler returns
    finally:
        await broker.stop()

    finished = spans.get_finished_spans()
    trace_id = request.get_span_context().trace_id
    by_id = {e.event_id: e for e in events}

    # The relay's send: a PRODUCER span in the request's trace, with where the broker put the record.
    sends = {s.attributes["messaging.message.id"]: s for s in finished if s.name == f"send {rig.topic}"}  # type: ignore[index]
    assert set(sends) == {str(e.event_id) for e in events}
    for message_id, send in sends.items():
        assert send.kind == SpanKind.PRODUCER and send.context is not None and send.context.trace_id == trace_id
        assert send.parent is not None and send.parent.span_id == span_id(request)  # type: ignore[arg-type]
        assert dict(send.attributes or {}) == {
            "messaging.system": "kafka",
            "messaging.operation.type": "send",
            "messaging.operation.name": "send",
            "messaging.destination.name": rig.topic,
            "messaging.destination.partition.id": "0",
            "messaging.kafka.offset": send.attributes["messaging.kafka.offset"],  # type: ignore[index]
            "messaging.kafka.message.key": "org-spans",
            "messaging.message.id": message_id,
        }

    # Each record's process span: CONSUMER, a child of its send, with the consumer's attributes and ours.
    processed = [s for s in finished if s.name == f"process {rig.topic}"]
    records_spans = [s for s in processed if "messaging.message.id" in (s.attributes or {})]
    assert len(records_spans) == EVENTS
    for span in records_spans:
        attributes = dict(span.attributes or {})
        send = sends[str(attributes["messaging.message.id"])]
        assert span.kind == SpanKind.CONSUMER
        assert span.parent is not None and span.parent.span_id == span_id(send)
        assert attributes["messaging.kafka.offset"] == send.attributes["messaging.kafka.offset"]  # type: ignore[index]
        envelope = by_id[next(i for i in by_id if str(i) == attributes["messaging.message.id"])]
        assert attributes == {
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.operation.name": "process",
            "messaging.destination.name": rig.topic,
            "messaging.destination.partition.id": "0",
            "messaging.kafka.offset": attributes["messaging.kafka.offset"],
            "messaging.kafka.message.key": "org-spans",
            "messaging.consumer.group.name": rig.group,
            "messaging.message.id": str(envelope.event_id),
            "goalstream.event_id": str(envelope.event_id),
            "goalstream.event_type": "GoalSet",
            "goalstream.org_id": "org-spans",
            "goalstream.handler": "test apply",
        }

    # The polls' spans: CONSUMER, counting their records and linking every record's send.
    polls = [s for s in processed if "messaging.batch.message_count" in (s.attributes or {})]
    assert polls and all(p.kind == SpanKind.CONSUMER for p in polls)
    assert sum(int(p.attributes["messaging.batch.message_count"]) for p in polls) == EVENTS  # type: ignore[index, arg-type]
    assert all(p.attributes["messaging.consumer.group.name"] == rig.group for p in polls)  # type: ignore[index]
    linked = {link.context.span_id for p in polls for link in p.links}
    assert linked == {span_id(s) for s in sends.values()}

    # SQL: the request's INSERT and each apply's statement are CLIENT spans in their traces; the relay's
    # and the consumer's polling outside any trace make none.
    sql = [s for s in finished if s.kind == SpanKind.CLIENT and (s.attributes or {}).get("db.system") == "postgresql"]
    assert any(s.parent is not None and s.parent.span_id == span_id(request) for s in sql)
    applied = [s for s in sql if "INSERT INTO applied" in str((s.attributes or {}).get("db.statement"))]
    assert {s.parent.span_id for s in applied if s.parent} == {span_id(s) for s in records_spans}
    assert all(s.parent is not None for s in sql)
