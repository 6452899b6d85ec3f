"""The outbox relay against a broker that loses everything: it republishes from the database.

Each test runs its own embedded broker (never the session's, which other tests use) and a fresh
database with the goals schema.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from goalstream_contracts.events import GoalArchived, GoalSet
from goalstream_contracts.topics import GOAL_EVENTS
from goalstream_goals.adapters import event_store
from goalstream_goals.adapters.event_store import OUTBOX_CHANNEL
from goalstream_runtime.db import create_pool, migrate
from goalstream_runtime.embedded.kafka import EmbeddedKafka
from goalstream_runtime.kafka_admin import ensure_topics
from goalstream_runtime.outbox import OutboxRelay
from tests.support.polling import eventually

NOW = datetime(2026, 3, 1, tzinfo=UTC)
VERSIONS = 4  # events per goal
GOALS = 3  # goals per organisation
PARTITIONS = 3  # of the goal events topic, as the relay creates it (its default)

Seen = tuple[str, str]  # (key, event id)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(database_url, "goals", "goalstream_goals")
    pool = await create_pool(database_url, "goals")
    yield pool
    await pool.close()


@pytest.fixture
async def kafka(tmp_path: Path) -> AsyncIterator[EmbeddedKafka]:
    broker = EmbeddedKafka(tmp_path / "kafka")
    await asyncio.to_thread(broker.start)
    await ensure_topics(broker.bootstrap, [GOAL_EVENTS], PARTITIONS)
    yield broker
    await asyncio.to_thread(broker.stop)


@contextlib.asynccontextmanager
async def _relay(database_url: str, bootstrap: str) -> AsyncIterator[OutboxRelay]:
    relay = OutboxRelay(
        database_url, "goals", bootstrap, channel=OUTBOX_CHANNEL, batch_size=5, poll_interval=0.2, check_interval=0.3
    )
    task = asyncio.create_task(relay.run())
    try:
        yield relay
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _append_one(pool: asyncpg.Pool, org: str, goal: str, expected: int) -> None:
    payload = GoalSet(goal_id=goal, kind="hard", title="t", target=10) if expected == 0 else GoalArchived(goal_id=goal)
    async with pool.acquire() as conn, conn.transaction():
        await event_store.append(
            conn,
            org_id=org,
            stream_id=goal,
            expected_version=expected,
            payloads=[payload],
            occurred_at=NOW,
            correlation_id=uuid.uuid4(),
        )


async def _append_history(pool: asyncpg.Pool) -> list[str]:
    """Two organisations' streams, appended interleaved; returns the organisations."""
    orgs = [f"org-{uuid.uuid4()}" for _ in range(2)]
    goals = {org: [str(uuid.uuid4()) for _ in range(GOALS)] for org in orgs}
    for version in range(VERSIONS):
        for goal_index in range(GOALS):
            for org in orgs:
                await _append_one(pool, org, goals[org][goal_index], version)
    return orgs


async def _stored(pool: asyncpg.Pool) -> list[Seen]:
    """Every event as the broker must carry it: in global position (= stream version) order per key."""
    rows = await pool.fetch("SELECT org_id, event_id FROM events ORDER BY global_position")
    return [(r["org_id"], str(r["event_id"])) for r in rows]


async def _read(bootstrap: str, until: int) -> list[Seen]:
    """Everything on the goal events topic as a new consumer sees it, once `until` records arrived."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    # Assigned, not subscribed: no group to join. All PARTITIONS: a topic the relay recreated with
    # another partition count would hide records from this reader.
    consumer.assign([TopicPartition(GOAL_EVENTS, partition) for partition in range(PARTITIONS)])
    seen: list[Seen] = []

    async def collected() -> list[Seen] | None:
        for records in (await consumer.getmany(timeout_ms=300)).values():
            seen.extend((r.key.decode(), dict(r.headers)["ce_id"].decode()) for r in records)
        return seen if len(seen) >= until else None

    try:
        return await eventually(collected, 30, f"{until} records on the broker")
    finally:
        await consumer.stop()


def _per_key(seen: list[Seen]) -> dict[str, list[str]]:
    keyed: dict[str, list[str]] = {}
    for key, event_id in seen:
        keyed.setdefault(key, []).append(event_id)
    return keyed


async def _watermarked(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT coalesce(sum(next_offset), 0) FROM relay_watermarks"))


async def _settled(pool: asyncpg.Pool, published: int, *relays: OutboxRelay) -> bool:
    """The relays have published (and recorded) `published` records, and nothing is left to publish."""
    unpublished = await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
    return sum(relay.published for relay in relays) >= published and unpublished == 0


async def _leader(*relays: OutboxRelay) -> OutboxRelay | None:
    return next((relay for relay in relays if relay.is_leader), None)


async def _not_leading(relay: OutboxRelay) -> bool:
    return not relay.is_leader


@pytest.mark.parametrize("outage", ["noticed", "unnoticed"])
async def test_after_a_broker_loss_the_relay_republishes_everything_in_order(
    pool: asyncpg.Pool, database_url: str, kafka: EmbeddedKafka, outage: str
) -> None:
    """`noticed`: the relay's check fails while the broker is down, it drops its clients and
    reconnects. `unnoticed`: the broker is back at once, and whichever way the relay finds out
    (a failed check, or the check comparing offsets), the outcome is the same."""
    await _append_history(pool)
    stored = await _stored(pool)
    n = len(stored)
    async with _relay(database_url, kafka.bootstrap) as relay:
        first = await _read(kafka.bootstrap, n)
        assert sorted(first) == sorted(stored)
        assert _per_key(first) == _per_key(stored)
        await eventually(lambda: _settled(pool, n, relay), 30, "the first publication recorded")
        assert await _watermarked(pool) == n  # a fresh broker: offsets 0..k-1 per partition, n in all
        assert (relay.broker_losses, relay.republished) == (0, 0)

        port = kafka.port
        kafka.kill()  # everything the broker held is gone
        if outage == "noticed":
            await eventually(lambda: _not_leading(relay), 30, "the relay noticing the outage")
        await asyncio.to_thread(kafka.start, port=port)

        await eventually(lambda: _settled(pool, 2 * n, relay), 30, "the republication")
        again = await _read(kafka.bootstrap, n)
        assert sorted(again) == sorted(stored)  # every event id again, each once
        assert _per_key(again) == _per_key(stored)  # in stream-version order per organisation
        assert (relay.broker_losses, relay.republished, relay.published) == (1, n, 2 * n)
        assert await _watermarked(pool) == n


async def test_a_restarted_relay_publishes_nothing_again(
    pool: asyncpg.Pool, database_url: str, kafka: EmbeddedKafka
) -> None:
    orgs = await _append_history(pool)
    n = len(await _stored(pool))
    async with _relay(database_url, kafka.bootstrap) as first:
        await _read(kafka.bootstrap, n)
        await eventually(lambda: _settled(pool, n, first), 30, "the first publication recorded")
    async with _relay(database_url, kafka.bootstrap) as second:
        await eventually(lambda: _leader(second), 30, "the second relay leading")
        marker = str(uuid.uuid4())
        await _append_one(pool, orgs[0], marker, 0)  # published after the restart's check
        seen = await _read(kafka.bootstrap, n + 1)
        assert len(seen) == n + 1 == len(set(seen))  # nothing twice
        await eventually(lambda: _settled(pool, 1, second), 30, "the marker recorded as published")
        assert _per_key(seen)[orgs[0]][-1] == (await _stored(pool))[-1][1]  # the marker came last
        assert (second.published, second.republished, second.broker_losses) == (1, 0, 0)


async def test_two_relays_publish_every_record_exactly_once(
    pool: asyncpg.Pool, database_url: str, kafka: EmbeddedKafka
) -> None:
    async with _relay(database_url, kafka.bootstrap) as a, _relay(database_url, kafka.bootstrap) as b:
        await eventually(lambda: _leader(a, b), 30, "one relay leading")
        orgs = await _append_history(pool)
        stored = await _stored(pool)
        await _read(kafka.bootstrap, len(stored))
        await _append_one(pool, orgs[1], str(uuid.uuid4()), 0)  # a marker: whatever came before it is in
        stored = await _stored(pool)
        seen = await _read(kafka.bootstrap, len(stored))
        assert sorted(seen) == sorted(stored)  # each record exactly once
        assert _per_key(seen) == _per_key(stored)
        await eventually(lambda: _settled(pool, len(stored), a, b), 30, "the marker recorded as published")
        assert a.published + b.published == len(stored)
        assert a.is_leader != b.is_leader
