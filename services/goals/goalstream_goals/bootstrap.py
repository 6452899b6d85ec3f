"""The composition root of the goals service: wires settings, adapters, use cases and entrypoints."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
from fastapi import FastAPI

from goalstream_contracts.topics import MEASUREMENTS
from goalstream_goals.adapters import organisations
from goalstream_goals.adapters.event_store import OUTBOX_CHANNEL
from goalstream_goals.entrypoints import (
    admin_http,
    connections_http,
    goal_batch_http,
    goal_list_http,
    http,
    receivers_http,
    receivers_salesforce_http,
    receivers_segment_http,
)
from goalstream_goals.entrypoints.kafka import subscribe_measurements
from goalstream_goals.service_layer.batch_permits import BatchPermits
from goalstream_goals.service_layer.goal_cache import GoalCache
from goalstream_goals.service_layer.goals import Clock, GoalsService
from goalstream_goals.service_layer.scheduler import Scheduler
from goalstream_goals.service_layer.tree_memory import TreeMemory
from goalstream_goals.settings import GoalsSettings
from goalstream_runtime import metrics
from goalstream_runtime.db import create_pool, migrate, pings
from goalstream_runtime.http import create_app
from goalstream_runtime.lag import LagMonitor
from goalstream_runtime.outbox import OutboxRelay
from goalstream_runtime.ratelimit import RateLimiter
from goalstream_runtime.settings import kafka_broker, start_broker
from goalstream_runtime.tasks import cancel_all

SCHEMA = "goals"


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_app(settings: GoalsSettings, clock: Clock = utc_now) -> FastAPI:
    broker = kafka_broker(settings, "goals")
    relay = OutboxRelay.for_service(settings, SCHEMA, OUTBOX_CHANNEL)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await migrate(settings.database_url, SCHEMA, "goalstream_goals")
        pool = await create_pool(settings.database_url, SCHEMA, settings.db_pool_max)
        service = GoalsService(
            pool=pool,
            clock=clock,
            cache=GoalCache(settings.goal_cache_size),
            tree_memory=TreeMemory(settings.tree_memory_rows),
        )
        app.state.pool, app.state.goals = pool, service
        await _ensure_demo_org(pool, settings, clock())
        subscribe_measurements(broker, service, settings.consumer_group_prefix)
        await start_broker(broker, settings)
        tasks = [asyncio.create_task(relay.run(), name="outbox-relay")]
        app.state.relay_task = tasks[0]
        lag_monitor = LagMonitor(
            settings.kafka_bootstrap, f"{settings.consumer_group_prefix}-goals-measurements", [MEASUREMENTS]
        )
        metrics.add_relay(app.state.metrics, relay, pool)
        metrics.add_lag(app.state.metrics, lag_monitor)
        if settings.scheduler_enabled:
            scheduler = Scheduler(service, settings.scheduler_interval_seconds)
            tasks.append(asyncio.create_task(scheduler.run(), name="scheduler"))
        try:
            yield
        finally:
            await cancel_all(tasks)
            await broker.stop()
            await pool.close()
            await lag_monitor.close()

    async def readiness() -> dict[str, bool]:
        database = await pings(getattr(app.state, "pool", None))
        task = getattr(app.state, "relay_task", None)
        return {"database": database, "relay": task is not None and not task.done(), "broker": broker.running}

    app = create_app("goalstream goals", "0.1.0", settings.max_body_bytes, readiness, lifespan=lifespan)
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
    app.state.batch_permits = BatchPermits(settings.batch_goals_at_once)
    app.include_router(http.router)
    app.include_router(goal_batch_http.router)
    app.include_router(goal_list_http.router)
    app.include_router(admin_http.keys_router)
    app.include_router(admin_http.operator_router)
    app.include_router(connections_http.router)
    app.include_router(receivers_http.router)
    app.include_router(receivers_salesforce_http.router)
    app.include_router(receivers_segment_http.router)
    return app


async def _ensure_demo_org(pool: asyncpg.Pool, settings: GoalsSettings, now: datetime) -> None:
    if not settings.demo_api_key:
        return
    async with pool.acquire() as conn, conn.transaction():
        if await conn.fetchval("SELECT count(*) FROM organisations"):
            return
        await organisations.create_organisation(
            conn,
            settings.demo_org_id,
            "Demo organisation",
            settings.demo_api_key,
            ("read", "write", "admin"),
            now,
        )
