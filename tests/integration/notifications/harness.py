"""The notifications service in-process on real PostgreSQL and Kafka, a real webhook receiver, and Kafka I/O."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from goalstream_contracts.base import Payload
from goalstream_contracts.cloudevents import from_kafka, to_kafka
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.identity import ApiKeyIssued
from goalstream_notifications.bootstrap import build_app
from goalstream_notifications.settings import NotificationsSettings
from goalstream_runtime.auth import hash_key, new_api_key, visible_prefix
from goalstream_runtime.embedded.ports import free_port

T = TypeVar("T")
FAST_SCHEDULE = [0.0, 0.2, 0.2]
# The local receivers listen on loopback, which the egress guard refuses unless allow-listed.
LOOPBACK_ALLOWED = ["127.0.0.0/8", "::1/128"]


async def eventually(probe: Callable[[], Awaitable[T | None]], timeout: float = 15.0, what: str = "condition") -> T:
    """Poll `probe` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        found = await probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(0.1)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook endpoint that records every request and answers from `script` (then `default`)."""

    port: int = field(default_factory=free_port)
    script: list[int] = field(default_factory=list)
    default: int = 200
    requests: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _hook(self, request: Request) -> Response:
        self.requests.append(Received(dict(request.headers), await request.body()))
        return Response(status_code=self.script.pop(0) if self.script else self.default)

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[Receiver]:
        app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        task = asyncio.create_task(server.serve())
        await eventually(lambda: _true(server.started), 10, "the receiver to start")
        try:
            yield self
        finally:
            server.should_exit = True
            await task


async def _true(value: bool) -> bool:
    return value


class Kafka:
    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False)

    async def publish(self, envelope: Envelope[Any]) -> None:
        record = to_kafka(envelope)
        await self.producer.send_and_wait(record.topic, record.value, key=record.key, headers=list(record.headers))

    async def find(
        self, topic: str, match: Callable[[Envelope[Payload]], bool], timeout: float = 15.0
    ) -> Envelope[Payload]:
        """The first event on `topic` (read from the beginning) that `match` accepts."""
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=self.bootstrap, auto_offset_reset="earliest")
        await consumer.start()
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for r in records:
                        envelope = from_kafka(r.headers, r.value)
                        if match(envelope):
                            return envelope
            raise AssertionError(f"no matching event on {topic} after {timeout:.0f}s")
        finally:
            await consumer.stop()


def goal_event(payload: Payload, org_id: str, version: int = 1) -> Envelope[Payload]:
    return Envelope[Payload].new(
        payload,
        org_id=org_id,
        stream_id=payload.subject(),
        stream_version=version,
        occurred_at=datetime.now(UTC),
        source="/goalstream/goals",
    )


@dataclass
class Service:
    """The running service and one organisation's authenticated client."""

    api: httpx.AsyncClient
    kafka: Kafka
    org_id: str
    api_key: str

    def as_org(self, api_key: str) -> dict[str, str]:
        return {"authorization": f"Bearer {api_key}"}

    async def issue_key(self, org_id: str) -> str:
        """Publish an API key on the identity topic, as goals does, and wait until this service accepts it."""
        key = new_api_key()
        issued = ApiKeyIssued(
            key_id=f"key_{uuid.uuid4().hex[:12]}",
            key_hash=hash_key(key),
            prefix=visible_prefix(key),
            scopes=("read", "write"),
        )
        await self.kafka.publish(
            Envelope[Payload].new(
                issued,
                org_id=org_id,
                stream_id=f"org-{org_id}",
                stream_version=1,
                occurred_at=datetime.now(UTC),
                source="/goalstream/goals",
            )
        )

        async def accepted() -> bool:
            response = await self.api.get("/v1/subscriptions", headers=self.as_org(key))
            return response.status_code == 200

        await eventually(accepted, 20, "the API key to arrive over the identity topic")
        return key

    async def subscribe(self, **body: Any) -> dict[str, Any]:
        response = await self.api.post("/v1/subscriptions", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def deliveries(self, status: str | None = None) -> list[dict[str, Any]]:
        response = await self.api.get("/v1/deliveries", params={"status": status} if status else {})
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        return found


@contextlib.asynccontextmanager
async def running_service(database_url: str, kafka_bootstrap: str, **overrides: Any) -> AsyncIterator[Service]:
    settings = NotificationsSettings(
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        instance_id=f"-test-{uuid.uuid4().hex[:6]}",
        **{
            "retry_schedule_seconds": FAST_SCHEDULE,
            "retry_jitter": 0.0,
            "webhook_timeout_seconds": 3.0,
            "delivery_poll_seconds": 0.2,
            "relay_poll_seconds": 0.2,
            "egress_allow": LOOPBACK_ALLOWED,
            **overrides,
        },
    )
    app = build_app(settings)
    kafka = Kafka(kafka_bootstrap)
    await kafka.producer.start()
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notifications") as api,
        ):
            service = Service(api=api, kafka=kafka, org_id=f"org-{uuid.uuid4().hex[:12]}", api_key="")
            service.api_key = await service.issue_key(service.org_id)
            api.headers["authorization"] = f"Bearer {service.api_key}"
            yield service
    finally:
        await kafka.producer.stop()
