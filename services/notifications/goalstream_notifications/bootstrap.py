"""The composition root of the notifications service: wires settings, adapters, use cases and entrypoints."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
from fastapi import FastAPI

from goalstream_contracts.topics import GOAL_EVENTS
from goalstream_notifications.adapters.alerts import OUTBOX_CHANNEL
from goalstream_notifications.adapters.egress import EgressGuard, EgressPolicy
from goalstream_notifications.adapters.email import EmailSender, SmtpConfig
from goalstream_notifications.adapters.slack import SlackSender
from goalstream_notifications.adapters.webhook import WebhookSender, new_client
from goalstream_notifications.domain.retry import RetrySchedule
from goalstream_notifications.entrypoints import http
from goalstream_notifications.entrypoints.kafka import SERVICE, subscribe_goal_events
from goalstream_notifications.entrypoints.metrics import add_delivery_metrics
from goalstream_notifications.service_layer.delivery import Clock, DeliveryWorker
from goalstream_notifications.service_layer.fanout import FanOut
from goalstream_notifications.service_layer.subscriptions import SubscriptionsService
from goalstream_notifications.settings import NotificationsSettings
from goalstream_runtime import metrics
from goalstream_runtime.db import create_pool, migrate
from goalstream_runtime.http import create_app
from goalstream_runtime.lag import LagMonitor
from goalstream_runtime.outbox import OutboxRelay
from goalstream_runtime.ratelimit import RateLimiter
from goalstream_runtime.settings import kafka_broker, start_broker
from goalstream_runtime.tasks import cancel_all

SCHEMA = "notifications"


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_app(settings: NotificationsSettings, clock: Clock = utc_now) -> FastAPI:
    broker = kafka_broker(settings, "notifications")
    relay = OutboxRelay.for_service(settings, SCHEMA, OUTBOX_CHANNEL)
    schedule = RetrySchedule(
        tuple(settings.retry_schedule_seconds), settings.retry_jitter, settings.retry_after_max_seconds
    )
    rng = random.Random()
    egress = EgressGuard(EgressPolicy.from_allow_list(settings.egress_allow))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await migrate(settings.database_url, SCHEMA, "goalstream_notifications")
        pool = await create_pool(settings.database_url, SCHEMA, settings.db_pool_max)
        client = new_client(settings.webhook_timeout_seconds, egress)
        worker = DeliveryWorker(
            pool,
            settings.database_url,
            SCHEMA,
            WebhookSender(client, settings.webhook_timeout_seconds),
            schedule,
            clock,
            batch_size=settings.delivery_batch_size,
            # Longer than one attempt can take, so a live worker never loses its claim mid-send.
            lease_seconds=max(settings.webhook_timeout_seconds, settings.smtp_timeout_seconds)
            + settings.claim_lease_margin_seconds,
            poll_seconds=settings.delivery_poll_seconds,
            rng=rng,
            # Slack goes through the same guarded client as webhooks; SMTP goes to the operator's server.
            slack=SlackSender(client, settings.webhook_timeout_seconds),
            email=EmailSender(smtp_config(settings)),
        )
        app.state.pool = pool
        app.state.subscriptions = SubscriptionsService(
            pool, egress=egress, secret_overlap_seconds=settings.secret_rotation_overlap_seconds
        )
        fanout = FanOut(schedule, rng, public_base_url=settings.public_base_url)
        subscribe_goal_events(broker, pool, fanout, settings.consumer_group_prefix)
        await start_broker(broker, settings)
        tasks = [
            asyncio.create_task(relay.run(), name="outbox-relay"),
            asyncio.create_task(worker.run(), name="delivery-worker"),
        ]
        app.state.relay_task, app.state.worker_task = tasks
        lag_monitor = LagMonitor(settings.kafka_bootstrap, f"{settings.consumer_group_prefix}-{SERVICE}", [GOAL_EVENTS])
        metrics.add_relay(app.state.metrics, relay, pool)
        metrics.add_lag(app.state.metrics, lag_monitor)
        add_delivery_metrics(app.state.metrics, pool)
        try:
            yield
        finally:
            await cancel_all(tasks)
            await broker.stop()
            await client.aclose()
            await pool.close()
            await lag_monitor.close()

    async def readiness() -> dict[str, bool]:
        pool = getattr(app.state, "pool", None)
        database = pool is not None and await _pings(pool)
        return {
            "database": database,
            "broker": broker.running,
            "worker": _alive(getattr(app.state, "worker_task", None)),
            "relay": _alive(getattr(app.state, "relay_task", None)),
        }

    app = create_app("goalstream notifications", "0.1.0", settings.max_body_bytes, readiness, lifespan=lifespan)
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
    app.include_router(http.router)
    return app


def smtp_config(settings: NotificationsSettings) -> SmtpConfig:
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        from_=settings.smtp_from,
        timeout_seconds=settings.smtp_timeout_seconds,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        starttls=settings.smtp_starttls,
        ssl=settings.smtp_ssl,
    )


def _alive(task: asyncio.Task[None] | None) -> bool:
    return task is not None and not task.done()


async def _pings(pool: asyncpg.Pool) -> bool:
    try:
        return bool(await pool.fetchval("SELECT true"))
    except Exception:
        return False
