"""The tracking service in-process on a fresh database, consuming the goal events topic, and a producer to feed it."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import httpx
from aiokafka import AIOKafkaProducer

from goalstream_tracking.bootstrap import build_app
from goalstream_tracking.settings import TrackingSettings
from tests.support.infra import Endpoints


@contextlib.asynccontextmanager
async def running_tracking(database_url: str, infra: Endpoints) -> AsyncIterator[tuple[AIOKafkaProducer, str]]:
    """(producer, consumer group prefix) while tracking runs with a consumer group of its own."""
    group_prefix = f"it-{uuid.uuid4().hex[:8]}"
    settings = TrackingSettings(
        database_url=database_url, kafka_bootstrap=infra.kafka_bootstrap, consumer_group_prefix=group_prefix
    )
    app = build_app(settings)
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all", enable_idempotence=False)
    await producer.start()
    try:
        async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app)):
            yield producer, group_prefix
    finally:
        await producer.stop()
