"""A record whose apply raises an unexpected error (not an outage) goes to the DLQ after `ATTEMPTS` tries on its
own, with the error's type and message, while the rest of its batch applies once and the partition moves on; a
record that meets an outage (a lost connection, a serialization failure) is retried as long as it lasts and is
never dead-lettered. Each try is one log line, the traceback once. On the real broker and database, both for a
projection in the runtime's transaction and for one that owns its transaction (tracking's kind)."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream.kafka import KafkaBroker
from pydantic import TypeAdapter

from goalstream_contracts.base import FiniteFloat, Payload
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import GoalSet
from goalstream_contracts.topics import dlq
from goalstream_runtime.consumers import OwnedBatch, subscribe
from goalstream_runtime.db import Connection
from goalstream_runtime.failures import ATTEMPTS
from tests.integration.runtime.rig import Rig, goal_set, rig_parts
from tests.support.infra import Endpoints
from tests.support.polling import eventually

SCHEMA = "failurestest"
OUTAGES = ATTEMPTS + 1  # an outage outlasts the tries a record's own error gets
MARK = "INSERT INTO processed_events (event_id) SELECT unnest($1::uuid[]) ON CONFLICT DO NOTHING RETURNING event_id"


@dataclass
class Projection(Rig):
    calls: Counter[str] = field(default_factory=Counter)  # applies tried, by title

    async def apply(self, conn: Connection, envelope: Envelope[Payload]) -> None:
        title = envelope.payload.title if isinstance(envelope.payload, GoalSet) else ""
        self.calls[title] += 1
        await conn.execute("INSERT INTO applied (event_id) VALUES ($1)", envelope.event_id)
        if title == "value error":
            raise ValueError("a number the domain cannot take")
        if title == "validation error":  # as an event built from an infinite running total
            TypeAdapter(FiniteFloat).validate_python(float("inf"))
        if title == "connection lost" and self.calls[title] <= OUTAGES:
            raise ConnectionResetError("connection reset by peer")
        if title == "serialization failure" and self.calls[title] <= OUTAGES:
            raise asyncpg.exceptions.SerializationError("could not serialize access due to concurrent update")

    async def apply_owned(self, pool: asyncpg.Pool, batch: OwnedBatch) -> list[bool]:
        """The same projection, owning its transaction and markers (as tracking's does)."""
        envelopes = batch.envelopes
        async with pool.acquire() as conn, conn.transaction():
            fresh = {r["event_id"] for r in await conn.fetch(MARK, [e.event_id for e in envelopes])}
            applied = []
            for envelope in envelopes:
                applied.append(envelope.event_id in fresh)
                if envelope.event_id in fresh:
                    fresh.discard(envelope.event_id)
                    await self.apply(conn, envelope)
            return applied

    async def applied(self) -> list[uuid.UUID]:
        return [r["event_id"] for r in await self.pool.fetch("SELECT event_id FROM applied ORDER BY seq")]


@pytest.fixture
async def projection(database_url: str, infra: Endpoints) -> AsyncIterator[Projection]:
    async with rig_parts(database_url, infra, SCHEMA, "test-failures", "event_id uuid NOT NULL") as parts:
        yield Projection(*parts)


async def _dead_letters(p: Projection) -> dict[str, str]:
    """ce_id -> dlq_reason of every record on the DLQ so far (read to its end)."""
    reader = AIOKafkaConsumer(bootstrap_servers=p.bootstrap, enable_auto_commit=False)
    await reader.start()
    try:
        partition = TopicPartition(dlq(p.topic), 0)
        reader.assign([partition])
        await reader.seek_to_beginning(partition)
        end = (await reader.end_offsets([partition]))[partition]
        found: dict[str, str] = {}
        while await reader.position(partition) < end:
            for records in (await reader.getmany(partition, timeout_ms=500)).values():
                for r in records:
                    headers = {k: v.decode() for k, v in r.headers}
                    found[headers["ce_id"]] = headers["dlq_reason"]
        return found
    finally:
        await reader.stop()


@pytest.mark.parametrize("owns_marker", [False, True], ids=["runtime-transaction", "own-transaction"])
async def test_an_unexpected_error_dead_letters_its_record_and_an_outage_is_waited_out(
    projection: Projection, owns_marker: bool, caplog: pytest.LogCaptureFixture
) -> None:
    p = projection
    outages = [goal_set("connection lost"), goal_set("serialization failure")]
    value_error, validation_error = goal_set("value error"), goal_set("validation error")
    good = [goal_set(f"goal {i}") for i in range(30)]
    # Outages first: in a batch they stop it before its poison is reached, so the poison's tries are its own.
    await p.publish(*good[:10], *outages, *good[10:20], value_error, *good[20:25], validation_error, *good[25:])
    broker = KafkaBroker(p.bootstrap)
    apply = p.apply_owned if owns_marker else p.apply
    subscribe(broker, p.topic, p.group, p.pool, apply, retry_delay=0.05, owns_marker=owns_marker)
    caplog.set_level(logging.INFO, logger="goalstream_runtime")
    await broker.start()
    try:

        async def settled() -> dict[str, str] | None:
            letters = await _dead_letters(p)
            return letters if len(letters) >= 2 else None

        await eventually(settled, 30, "the two poisoned records dead-lettered")
        sentinel = goal_set("sentinel")  # what comes after is applied: nothing is stuck behind the poison
        await p.publish(sentinel)

        async def sentinel_applied() -> bool:
            return sentinel.event_id in await p.applied()

        await eventually(sentinel_applied, 30, "the record after the poison applied")
        letters = await _dead_letters(p)
    finally:
        await broker.stop()

    assert letters.keys() == {str(value_error.event_id), str(validation_error.event_id)}  # not the outages
    assert letters[str(value_error.event_id)] == "ValueError: a number the domain cannot take"
    assert letters[str(validation_error.event_id)].startswith("ValidationError: 1 validation error")
    # Each poisoned record: its tries alone, plus at most the one its batch made.
    assert ATTEMPTS <= p.calls["value error"] <= ATTEMPTS + 1, p.calls
    assert ATTEMPTS <= p.calls["validation error"] <= ATTEMPTS + 1, p.calls
    assert p.calls["connection lost"] > OUTAGES and p.calls["serialization failure"] > OUTAGES, p.calls
    ids = await p.applied()
    assert len(ids) == len(set(ids))  # each once
    assert set(ids) == {e.event_id for e in [*good, *outages, sentinel]}
    assert (p.count("dead_lettered"), p.count("applied")) == (2, len(good) + len(outages) + 1)

    # One line a try, and one traceback for each record given up on: no storm.
    tries = [r for r in caplog.records if "applying a record failed" in r.getMessage()]
    assert len(tries) == 2 * ATTEMPTS, [r.getMessage() for r in tries]
    tracebacks = [r for r in caplog.records if r.exc_info and r.name.startswith("goalstream_runtime")]
    assert len(tracebacks) == 2, [r.getMessage() for r in tracebacks]
