"""A consumer under test on the real broker and database: its own schema, topic (with its DLQ), group and producer.

Shared by the batch consumer's and the failure rule's tests, whose projections differ only in what they apply.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY

from goalstream_contracts.base import Payload
from goalstream_contracts.cloudevents import to_kafka
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import GoalSet
from goalstream_contracts.topics import dlq
from goalstream_runtime.db import create_pool
from goalstream_runtime.kafka_admin import ensure_topics
from tests.support.infra import Endpoints

T0 = datetime(2026, 6, 1, tzinfo=UTC)


@dataclass
class Rig:
    pool: asyncpg.Pool
    producer: AIOKafkaProducer
    bootstrap: str
    topic: str
    group: str

    async def publish(self, *envelopes: Envelope[Payload]) -> None:
        for e in envelopes:
            r = to_kafka(e)
            await self.producer.send(self.topic, r.value, key=r.key, headers=list(r.headers))
        await self.producer.flush()

    def count(self, outcome: str) -> float:
        labels = {"topic": self.topic, "group": self.group, "outcome": outcome}
        return REGISTRY.get_sample_value("goalstream_messages_consumed_total", labels) or 0.0


def goal_set(title: str, org_id: str = "org-rig") -> Envelope[Payload]:
    """A GoalSet of a new goal: what the test projections apply (the title says how it behaves)."""
    goal_id = str(uuid.uuid4())
    payload = GoalSet(goal_id=goal_id, kind="hard", title=title, target=1, start_at=T0, deadline=T0 + timedelta(1))
    return Envelope[Payload].new(
        payload, org_id=org_id, stream_id=goal_id, stream_version=1, occurred_at=T0, source="/test"
    )


@asynccontextmanager
async def rig_parts(
    database_url: str, infra: Endpoints, schema: str, name: str, applied_columns: str
) -> AsyncIterator[tuple[asyncpg.Pool, AIOKafkaProducer, str, str, str]]:
    """(pool, producer, bootstrap, topic, group): `schema` with processed_events and an `applied` table of
    `applied_columns` beside its serial seq, a one-partition topic with its DLQ, a new group named after `name`."""
    conn = await asyncpg.connect(database_url)
    await conn.execute(
        f"CREATE SCHEMA {schema}; CREATE TABLE {schema}.processed_events (event_id uuid PRIMARY KEY);"
        f" CREATE TABLE {schema}.applied (seq serial PRIMARY KEY, {applied_columns})"
    )
    await conn.close()
    topic = f"{name}-{uuid.uuid4().hex[:10]}"
    await ensure_topics(infra.kafka_bootstrap, [topic, dlq(topic)], 1)
    pool = await create_pool(database_url, schema)
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        yield pool, producer, infra.kafka_bootstrap, topic, f"{name}-{uuid.uuid4().hex[:8]}"
    finally:
        await producer.stop()
        await pool.close()
