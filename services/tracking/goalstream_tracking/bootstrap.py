"""The composition root of the tracking service."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import asyncpg
from fastapi import FastAPI

from goalstream_contracts.topics import GOAL_EVENTS
from goalstream_runtime import metrics
from goalstream_runtime.consumers import subscribe
from goalstream_runtime.db import create_pool, migrate, pings
from goalstream_runtime.http import create_app
from goalstream_runtime.identity import subscribe_identity
from goalstream_runtime.lag import LagMonitor
from goalstream_runtime.ratelimit import RateLimiter
from goalstream_runtime.settings import kafka_broker, start_broker
from goalstream_tracking.adapters import generations, view_refresh
from goalstream_tracking.adapters.projection import apply_live
from goalstream_tracking.entrypoints import dashboard, http, http_dashboard, lag
from goalstream_tracking.entrypoints.metrics import add_breach_metrics
from goalstream_tracking.service_layer.committed import CommittedMemory
from goalstream_tracking.service_layer.queries import Tracking
from goalstream_tracking.settings import TrackingSettings

SCHEMA = "tracking"


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_app(settings: TrackingSettings, clock: Callable[[], datetime] = utc_now) -> FastAPI:
    broker = kafka_broker(settings, "tracking")

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await migrate(settings.database_url, SCHEMA, "goalstream_tracking")
        pool = await create_pool(settings.database_url, SCHEMA, settings.db_pool_max)
        app.state.pool = pool
        async with pool.acquire() as conn:
            async with conn.transaction():
                live = await generations.ensure_live(conn)
            await view_refresh.refresh(conn, live)  # the views a migration cleared (0004)
        app.state.tracking = Tracking(pool=pool, clock=clock)
        prefix = settings.consumer_group_prefix
        apply = functools.partial(apply_live, memory=CommittedMemory(settings.memory_max_rows))
        subscribe(broker, GOAL_EVENTS, f"{prefix}-tracking", pool, apply, owns_marker=True, span_name="tracking apply")
        subscribe_identity(broker, "tracking", pool, prefix)
        await start_broker(broker, settings)
        app.state.lag_monitor = LagMonitor(
            settings.kafka_bootstrap, f"{prefix}-tracking", [GOAL_EVENTS], cache_seconds=settings.lag_cache_seconds
        )
        metrics.add_database(app.state.metrics, pool)
        metrics.add_lag(app.state.metrics, app.state.lag_monitor)
        add_breach_metrics(app.state.metrics, pool)
        try:
            yield
        finally:
            await broker.stop()
            await pool.close()
            await app.state.lag_monitor.close()

    async def readiness() -> dict[str, bool]:
        pool: asyncpg.Pool | None = getattr(app.state, "pool", None)
        return {"database": await pings(pool), "broker": broker.running}

    app = create_app("goalstream tracking", "0.1.0", settings.max_body_bytes, readiness, lifespan=lifespan)
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
    app.include_router(http.router)
    app.include_router(http_dashboard.router)
    app.include_router(lag.router)
    app.include_router(dashboard.router)
    return app
