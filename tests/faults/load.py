"""A steady load, as a CRM pipeline and an operator would make it: measurements over HTTP and on the
measurements topic, and subscriptions being created and deleted. It keeps count of what the
platform acknowledged; a refused or unanswered request is retried as it was (same measurement ids),
as a client that wants its data in would.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from goalstream_contracts.cloudevents import to_kafka
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.measurements import MeasurementSubmitted
from tests.faults.platform import FaultPlatform

ALERT_TYPES = ["AntiGoalBreached", "AntiGoalRecovered"]
HTTP_EVERY, HTTP_BATCH = 0.2, 10  # seconds, measurements: 50 a second over HTTP
TOPIC_EVERY = 0.25  # one measurement on the topic each time: 4 a second
SUBSCRIPTION_EVERY, SUBSCRIPTIONS_KEPT = 1.5, 3
RETRY_AFTER = 0.3


@dataclass(frozen=True)
class Workload:
    """The goals the load moves: hard goals (cascading under one parent) and anti-goals that flip."""

    hard_metrics: tuple[str, ...]
    anti_metrics: tuple[str, ...]


@dataclass
class Load:
    platform: FaultPlatform
    workload: Workload
    hook_url: str
    prefix: str
    acknowledged: set[str] = field(default_factory=set)
    retried_batches: int = 0
    subscriptions_created: list[str] = field(default_factory=list)
    topic_enabled: asyncio.Event = field(default_factory=asyncio.Event)
    _seq: itertools.count[int] = field(default_factory=itertools.count)
    background: list[asyncio.Task[None]] = field(default_factory=list)  # one-off batches that must finish
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def measurement(self) -> dict[str, Any]:
        n = next(self._seq)
        if n % 5 == 4:  # a fifth of the values go to anti-goals, each alternately over and under its threshold
            anti = self.workload.anti_metrics
            metric, value = anti[n // 5 % len(anti)], 15.0 if n // (5 * len(anti)) % 2 else 5.0
        else:
            metric, value = self.workload.hard_metrics[n % len(self.workload.hard_metrics)], 1.0
        at = datetime.now(UTC).isoformat()
        return {"id": f"{self.prefix}-{n}", "metric": metric, "value": value, "observed_at": at}

    async def send_batch(self, size: int) -> None:
        """One batch over HTTP, retried until it is acknowledged (202)."""
        batch = [self.measurement() for _ in range(size)]
        async with httpx.AsyncClient(base_url=self.platform.url("goals"), headers=self.platform.auth) as client:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    response = await client.post("/v1/measurements", json={"measurements": batch}, timeout=30)
                    if response.status_code == 202:
                        self.acknowledged.update(m["id"] for m in batch)
                        return
                    assert response.status_code >= 500 or response.status_code == 429, response.text
                self.retried_batches += 1
                await asyncio.sleep(RETRY_AFTER)

    async def _http(self) -> None:
        while True:
            await self.send_batch(HTTP_BATCH)
            await asyncio.sleep(HTTP_EVERY)

    async def _topic(self) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.platform.bootstrap, acks="all", enable_idempotence=False)
        await producer.start()
        try:
            while True:
                await self.topic_enabled.wait()
                m = self.measurement()
                submitted = MeasurementSubmitted.model_validate(m)
                envelope = Envelope[MeasurementSubmitted].new(
                    submitted,
                    org_id=self.platform.org_id,
                    stream_id=m["id"],
                    stream_version=1,
                    occurred_at=datetime.now(UTC),
                    source="/crm/faults",
                )
                record = to_kafka(envelope)
                while True:
                    try:
                        await producer.send_and_wait(
                            record.topic, record.value, key=record.key, headers=list(record.headers)
                        )
                        self.acknowledged.add(m["id"])
                        break
                    except KafkaError:
                        await asyncio.sleep(RETRY_AFTER)
                await asyncio.sleep(TOPIC_EVERY)
        finally:
            await producer.stop()

    async def _subscriptions(self) -> None:
        body = {"channel": "webhook", "target": self.hook_url, "event_types": ALERT_TYPES}
        async with httpx.AsyncClient(base_url=self.platform.url("notifications"), headers=self.platform.auth) as c:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    created = await c.post("/v1/subscriptions", json=body, timeout=10)
                    if created.status_code == 201:
                        self.subscriptions_created.append(created.json()["id"])
                    for old in self.subscriptions_created[:-SUBSCRIPTIONS_KEPT]:
                        if (await c.delete(f"/v1/subscriptions/{old}", timeout=10)).status_code in (204, 404):
                            self.subscriptions_created.remove(old)
                await asyncio.sleep(SUBSCRIPTION_EVERY)

    def start(self) -> None:
        self.topic_enabled.set()
        self._tasks = [asyncio.create_task(loop()) for loop in (self._http, self._topic, self._subscriptions)]

    async def stop(self) -> None:
        if self.background:
            await asyncio.wait_for(asyncio.gather(*self.background), 60)
        for task in self._tasks:
            task.cancel()
        outcomes = await asyncio.gather(*self._tasks, return_exceptions=True)
        errors = [o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, asyncio.CancelledError)]
        assert not errors, f"the load generator failed: {errors!r}"
