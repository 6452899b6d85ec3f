"""The composition root of the tracking service."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg
from fastapi import FastAPI

from goalstream_contracts.topics import GOAL_EVENTS
from goalstream_runtime.consumers import subscribe
from goalstream_runtime.db import create_pool, migrate, pings
from goalstream_runtime.http import create_app
from goalstream_runtime.identity import subscribe_identity
from goalstream_runtime.settings import kafka_broker, start_broker
from goalstream_tracking.adapters.projection import apply_goal_event
from goalstream_tracking.entrypoints import http
from goalstream_tracking.settings import TrackingSettings

SCHEMA = "tracking"


def build_app(settings: TrackingSettings) -> FastAPI:
    broker = kafka_broker(settings, "tracking")

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await migrate(settings.database_url, SCHEMA, "goalstream_tracking")
        pool = await create_pool(settings.database_url, SCHEMA, settings.db_pool_max)
        app.state.pool = pool
        prefix = settings.consumer_group_prefix
        subscribe(broker, GOAL_EVENTS, f"{prefix}-tracking", pool, apply_goal_event)
        subscribe_identity(broker, "tracking", pool, prefix)
        await start_broker(broker, settings)
        try:
            yield
        finally:
            await broker.stop()
            await pool.close()

    async def readiness() -> dict[str, bool]:
        pool: asyncpg.Pool | None = getattr(app.state, "pool", None)
        return {"database": await pings(pool), "broker": broker.running}

    app = create_app("goalstream tracking", "0.1.0", settings.max_body_bytes, readiness, lifespan=lifespan)
    app.include_router(http.router)
    return app
