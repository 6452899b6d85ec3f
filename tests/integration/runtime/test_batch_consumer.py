"""The runtime consumer on the real broker and database: records applied in batches, one transaction each;
a refused event or a malformed record goes to the DLQ while the rest of its batch applies, each once; the
per-record counts say what became of every record."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from faststream.kafka import KafkaBroker

from goalstream_contracts.base import Payload
from goalstream_contracts.cloudevents import to_kafka
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import GoalSet
from goalstream_contracts.topics import dlq
from goalstream_runtime.consumers import Rejected, subscribe
from goalstream_runtime.db import Connection
from tests.integration.runtime.rig import Rig, goal_set, rig_parts
from tests.support.infra import Endpoints
from tests.support.polling import eventually

SCHEMA = "batchtest"


@dataclass
class Consumer(Rig):
    async def applied(self) -> list[asyncpg.Record]:
        return list(await self.pool.fetch("SELECT event_id, txid FROM applied ORDER BY seq"))


async def apply(conn: Connection, envelope: Envelope[Payload]) -> None:
    payload = envelope.payload
    assert isinstance(payload, GoalSet)
    await conn.execute("INSERT INTO applied (event_id, txid) VALUES ($1, txid_current())", envelope.event_id)
    if payload.title == "poison":
        raise Rejected("this one never applies")


@pytest.fixture
async def consumer(database_url: str, infra: Endpoints) -> AsyncIterator[Consumer]:
    async with rig_parts(
        database_url, infra, SCHEMA, "test-batch", "event_id uuid NOT NULL, txid bigint NOT NULL"
    ) as parts:
        yield Consumer(*parts)


async def _dead_letters(c: Consumer, wanted: int) -> list[dict[str, str]]:
    reader = AIOKafkaConsumer(dlq(c.topic), bootstrap_servers=c.bootstrap, auto_offset_reset="earliest")
    await reader.start()
    found: list[dict[str, str]] = []
    try:

        async def probe() -> list[dict[str, str]] | None:
            for records in (await reader.getmany(timeout_ms=500)).values():
                found.extend({k: v.decode() for k, v in r.headers} for r in records)
            return found if len(found) >= wanted else None

        return await eventually(probe, 60, f"{wanted} dead letters")
    finally:
        await reader.stop()


async def test_batches_apply_in_one_transaction_and_a_refused_event_leaves_the_rest_applied(consumer: Consumer) -> None:
    c = consumer
    first = [goal_set(f"goal {i}") for i in range(200)]
    await c.publish(*first)  # all waiting before the consumer starts: its polls return full batches
    broker = KafkaBroker(c.bootstrap)
    subscribe(broker, c.topic, c.group, c.pool, apply, retry_delay=0.1)
    await broker.start()
    try:

        async def applied(n: int) -> list[asyncpg.Record] | None:
            rows = await c.applied()
            return rows if len(rows) >= n else None

        rows = await eventually(lambda: applied(200), 60, "the first 200 events applied")
        assert [r["event_id"] for r in rows] == [e.event_id for e in first]  # each once, in order
        assert len({r["txid"] for r in rows}) < 20  # batches of many events, one transaction each
        assert (c.count("applied"), c.count("repeat"), c.count("dead_lettered")) == (200, 0, 0)

        poison = goal_set("poison")
        second = [goal_set(f"more {i}") for i in range(50)]
        await c.publish(*second[:25], first[3], poison, first[7], *second[25:])
        malformed = to_kafka(goal_set("malformed"))
        await c.producer.send_and_wait(c.topic, json.dumps({"goal_id": 5}).encode(), headers=list(malformed.headers))
        letters = await _dead_letters(c, 2)
        rows = await eventually(lambda: applied(250), 60, "the events around the poison applied")
    finally:
        await broker.stop()

    reasons = {h["ce_id"]: h["dlq_reason"] for h in letters}
    assert reasons[str(poison.event_id)] == "this one never applies"
    assert "invalid GoalSet" in reasons[dict(malformed.headers)["ce_id"].decode()]
    ids = [r["event_id"] for r in rows]
    assert ids[:200] == [e.event_id for e in first] and set(ids[200:]) == {e.event_id for e in second}
    assert len(ids) == len(set(ids)) == 250  # the repeats and the poison left nothing behind
    assert (c.count("applied"), c.count("repeat"), c.count("dead_lettered"), c.count("retried")) == (250, 2, 2, 0)
