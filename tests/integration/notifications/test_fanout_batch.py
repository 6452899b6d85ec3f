"""Fan-out reads an organisation's subscriptions once per consumer transaction, never across transactions."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import cast

import asyncpg
import pytest

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import GoalAchieved
from goalstream_notifications.adapters import subscriptions
from goalstream_notifications.domain.retry import RetrySchedule
from goalstream_notifications.service_layer.fanout import FanOut
from goalstream_runtime.consumer_batch import Item, apply_each
from goalstream_runtime.db import connect, migrate
from tests.integration.notifications.harness import goal_event

pytestmark = pytest.mark.timeout(60)
ORG = "org-fanout"


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    await migrate(database_url, "notifications", "goalstream_notifications")
    connection = await connect(database_url, "notifications")
    try:
        yield connection
    finally:
        await connection.close()


def achieved(goal_id: str) -> GoalAchieved:
    return GoalAchieved(goal_id=goal_id, value=1, target=1, progress=1.0, achieved_at=datetime.now(UTC))


async def subscribe(conn: asyncpg.Connection) -> None:
    await subscriptions.insert(
        conn, org_id=ORG, channel="webhook", target="https://hooks.example/x", event_types=[],
        root_goal_id=None, min_severity=None, secret="whsec_" + "A" * 32,
    )  # fmt: skip


class OneConnection:
    """The pool port over one connection, so the test sees every query the consumer's transaction sends."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        yield self.conn


async def consume(conn: asyncpg.Connection, fan_out: FanOut, events: list[Envelope[Payload]]) -> None:
    """The events as one consumer batch: one transaction, as the runtime applies them."""
    items = [Item(record=None, envelope=e) for e in events]
    await apply_each(cast(asyncpg.Pool, OneConnection(conn)), items, fan_out)
    assert [i.outcome for i in items] == ["applied"] * len(items)


async def delivered_events(conn: asyncpg.Connection) -> set[str]:
    return {str(r["event_id"]) for r in await conn.fetch("SELECT event_id FROM deliveries")}


async def test_one_read_of_the_subscriptions_per_transaction_and_organisation(conn: asyncpg.Connection) -> None:
    await subscribe(conn)
    reads: list[str] = []
    conn.add_query_logger(lambda q: reads.append(q.query) if "FOR SHARE" in q.query else None)
    fan_out = FanOut(RetrySchedule((0.0,)))
    events = [goal_event(achieved(f"g{n}"), ORG) for n in range(5)] + [goal_event(achieved("g"), "org-other")]
    await consume(conn, fan_out, events)
    assert len(reads) == 2, reads  # ORG's and org-other's, not one per event
    assert await delivered_events(conn) == {str(e.event_id) for e in events[:5]}


async def test_a_subscription_created_between_two_batches_gets_the_second_batch(conn: asyncpg.Connection) -> None:
    fan_out = FanOut(RetrySchedule((0.0,)))
    before, after = goal_event(achieved("g1"), ORG), goal_event(achieved("g2"), ORG)
    await consume(conn, fan_out, [before])  # none yet: nothing to deliver
    await subscribe(conn)
    await consume(conn, fan_out, [after])  # the same connection and FanOut, a new transaction: read again
    assert await delivered_events(conn) == {str(after.event_id)}
    async with conn.transaction():  # a redelivered event still makes a single delivery
        await fan_out(conn, after)
    assert await conn.fetchval("SELECT count(*) FROM deliveries") == 1
