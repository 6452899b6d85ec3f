"""The goals service's use cases on a fresh real PostgreSQL database, with a clock the test moves."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from goalstream_goals.adapters import organisations
from goalstream_goals.domain.goal import Measurement
from goalstream_goals.service_layer.goal_cache import GoalCache
from goalstream_goals.service_layer.goals import GoalRecord, GoalsService
from goalstream_goals.service_layer.measurements import BatchResult, record_measurements
from goalstream_goals.service_layer.tree_memory import TreeMemory
from goalstream_runtime.auth import new_api_key
from goalstream_runtime.db import create_pool, migrate

START = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


@dataclass
class MovableClock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Goals:
    """The service under test for one fresh organisation."""

    service: GoalsService
    clock: MovableClock
    org_id: str

    async def create(self, **fields: Any) -> GoalRecord:
        fields.setdefault("title", "a goal")
        fields.setdefault("kind", "hard")
        return await self.service.set_goal(self.org_id, fields, uuid.uuid4())

    async def measure(self, metric: str, value: float, days: float = 0, **kw: Any) -> BatchResult:
        goal_id = kw.pop("goal_id", None)
        m = Measurement(
            measurement_id=kw.pop("measurement_id", str(uuid.uuid4())),
            metric=metric,
            value=value,
            observed_at=self.clock.now + timedelta(days=days),
            **kw,
        )
        return await record_measurements(self.service, self.org_id, [(goal_id, m)], uuid.uuid4())

    async def get(self, goal_id: str) -> GoalRecord:
        return await self.service.get_goal(self.org_id, goal_id)

    async def types(self, goal_id: str, first_type: str = "GoalSet") -> list[str]:
        return [e.event_type for e in await self.service.stream_events(self.org_id, goal_id, first_type)]

    def at(self, days: float) -> datetime:
        return self.clock.now + timedelta(days=days)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(database_url, "goals", "goalstream_goals")
    pool = await create_pool(database_url, "goals")
    yield pool
    await pool.close()


@pytest.fixture
async def goals(pool: asyncpg.Pool) -> Goals:
    clock = MovableClock()
    org_id = f"org-{uuid.uuid4().hex[:8]}"
    async with pool.acquire() as conn, conn.transaction():
        await organisations.create_organisation(conn, org_id, "Test org", new_api_key(), ("read", "write"), clock())
    # With a goal cache and tree memory, as the service runs: every use case here also covers reading from them.
    service = GoalsService(pool=pool, clock=clock, cache=GoalCache(1_000), tree_memory=TreeMemory(10_000))
    return Goals(service, clock, org_id)
