"""The goals event store and the outbox relay on real PostgreSQL and Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer

from goalstream_contracts.events import GoalArchived, GoalSet
from goalstream_contracts.topics import GOAL_EVENTS
from goalstream_goals.adapters import event_store
from goalstream_goals.adapters.event_store import OUTBOX_CHANNEL, ConcurrencyError
from goalstream_runtime.outbox import OutboxRelay
from tests.support.infra import Endpoints
from tests.support.polling import eventually

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _set(goal_id: str) -> GoalSet:
    return GoalSet(goal_id=goal_id, kind="hard", title="t", target=10)


async def _append(conn: asyncpg.Connection, org: str, goal_id: str, expected: int, *payloads: object) -> None:
    await event_store.append(
        conn,
        org_id=org,
        stream_id=goal_id,
        expected_version=expected,
        payloads=list(payloads),  # type: ignore[arg-type]
        occurred_at=NOW,
        correlation_id=uuid.uuid4(),
    )


async def test_append_and_load_a_stream(pool: asyncpg.Pool) -> None:
    org, goal = f"org-{uuid.uuid4()}", str(uuid.uuid4())
    async with pool.acquire() as conn, conn.transaction():
        await _append(conn, org, goal, 0, _set(goal))
    async with pool.acquire() as conn, conn.transaction():
        await _append(conn, org, goal, 1, GoalArchived(goal_id=goal, reason="done"))
    async with pool.acquire() as conn:
        loaded = await event_store.load(conn, goal, org)
        assert [e.event_type for e in loaded] == ["GoalSet", "GoalArchived"]
        assert [e.stream_version for e in loaded] == [1, 2]
        assert loaded[0].payload == _set(goal)
        assert await event_store.load(conn, goal, "another-org") == []  # never across organisations


async def test_a_stale_expected_version_is_refused_and_writes_nothing(pool: asyncpg.Pool) -> None:
    org, goal = f"org-{uuid.uuid4()}", str(uuid.uuid4())
    async with pool.acquire() as conn, conn.transaction():
        await _append(conn, org, goal, 0, _set(goal))
    with pytest.raises(ConcurrencyError):
        async with pool.acquire() as conn, conn.transaction():
            await _append(conn, org, goal, 0, GoalArchived(goal_id=goal))
    assert await pool.fetchval("SELECT count(*) FROM events WHERE stream_id = $1", goal) == 1
    assert (
        await pool.fetchval("SELECT count(*) FROM outbox WHERE convert_from(value, 'UTF8') LIKE $1", f"%{goal}%") == 1
    )


@contextlib.asynccontextmanager
async def _relay(database_url: str, bootstrap: str) -> AsyncIterator[OutboxRelay]:
    relay = OutboxRelay(database_url, "goals", bootstrap, channel=OUTBOX_CHANNEL, poll_interval=0.2)
    task = asyncio.create_task(relay.run())
    try:
        yield relay
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_the_relay_publishes_late_commits_and_keeps_per_key_order(
    pool: asyncpg.Pool, database_url: str, infra: Endpoints
) -> None:
    slow_org, fast_org = f"slow-{uuid.uuid4()}", f"fast-{uuid.uuid4()}"
    slow_goal, fast_goals = str(uuid.uuid4()), [str(uuid.uuid4()) for _ in range(3)]
    consumer = AIOKafkaConsumer(
        GOAL_EVENTS,
        bootstrap_servers=infra.kafka_bootstrap,
        group_id=str(uuid.uuid4()),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen: list[tuple[bytes, str]] = []

    async def collected(n: int) -> list[tuple[bytes, str]] | None:
        for records in (await consumer.getmany(timeout_ms=300)).values():
            seen.extend(
                (r.key, dict(r.headers)["ce_subject"].decode())
                for r in records
                if r.key in (slow_org.encode(), fast_org.encode())
            )
        return seen if len(seen) >= n else None

    try:
        async with _relay(database_url, infra.kafka_bootstrap):
            slow = await pool.acquire()
            tx = slow.transaction()
            await tx.start()
            await _append(slow, slow_org, slow_goal, 0, _set(slow_goal))  # a lower position, not committed yet
            for goal in fast_goals:
                async with pool.acquire() as conn, conn.transaction():
                    await _append(conn, fast_org, goal, 0, _set(goal))
            await eventually(lambda: collected(3), 20, "the fast organisation's events")
            await tx.commit()  # commits after higher-numbered positions were published
            await pool.release(slow)
            await eventually(lambda: collected(4), 20, "the late-committed event")
    finally:
        await consumer.stop()
    assert [s for k, s in seen if k == fast_org.encode()] == fast_goals  # in order per key
    assert [s for k, s in seen if k == slow_org.encode()] == [slow_goal]  # not skipped
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
