"""kill -9 of the notifications process in the middle of deliveries: after a restart every pending alert
is delivered, and no event is delivered successfully twice.

The notifications service runs as a real subprocess on the session's PostgreSQL and Kafka; the goal
events are published straight onto the goals topic, as the goals service would. The receiver answers
each request after a second and four deliveries are sent at a time, so the kill lands while some
attempts are in flight at the receiver, some deliveries are done and others not yet claimed.
Delivery is at least once: an attempt in flight at the kill is sent again after the restart (once
its claim lease runs out), with the same `webhook-id`; the delivery log still has one success.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from goalstream_contracts.alerts import AlertDelivered
from goalstream_contracts.cloudevents import from_kafka
from goalstream_contracts.events import GoalAchieved
from goalstream_contracts.topics import NOTIFICATION_EVENTS
from goalstream_runtime.db import connect
from goalstream_runtime.embedded.ports import free_port
from tests.integration.notifications.harness import Kafka, Service, goal_event
from tests.support.infra import Endpoints
from tests.support.polling import eventually
from tests.support.processes import ServiceProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

EVENTS = 20
BATCH = 4
ANSWER_AFTER = 1.0  # seconds the receiver takes to answer
WEBHOOK_TIMEOUT = 3.0
LEASE_MARGIN = 1.0  # an attempt in flight at the kill is claimable again WEBHOOK_TIMEOUT + this later


@dataclass
class Arrival:
    at: float
    webhook_id: str
    event_id: str
    headers: dict[str, str]
    body: bytes


@dataclass
class SlowReceiver:
    """Answers 204 after ANSWER_AFTER seconds; knows which requests are in flight (arrived, not answered)."""

    port: int = field(default_factory=free_port)
    arrivals: list[Arrival] = field(default_factory=list)
    in_flight: Counter[str] = field(default_factory=Counter)
    answered: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _hook(self, request: Request) -> Response:
        body = await request.body()
        webhook_id = request.headers["webhook-id"]
        event_id = json.loads(body)["event_id"]
        self.arrivals.append(Arrival(time.time(), webhook_id, event_id, dict(request.headers), body))
        self.in_flight[webhook_id] += 1
        try:
            await asyncio.sleep(ANSWER_AFTER)
        finally:
            self.in_flight[webhook_id] -= 1
        self.answered.append(webhook_id)
        return Response(status_code=204)

    def in_flight_ids(self) -> set[str]:
        return {webhook_id for webhook_id, n in self.in_flight.items() if n > 0}

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[SlowReceiver]:
        app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", timeout_graceful_shutdown=1)
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.02)
        try:
            yield self
        finally:
            server.should_exit = True
            await task


def notifications_env(database_url: str, kafka_bootstrap: str) -> dict[str, str]:
    return {
        "GOALSTREAM_DATABASE_URL": database_url,
        "GOALSTREAM_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "GOALSTREAM_CONSUMER_GROUP_PREFIX": f"kill9-{uuid.uuid4().hex[:8]}",
        "GOALSTREAM_RETRY_SCHEDULE_SECONDS": "[0, 0.5, 0.5, 0.5]",
        "GOALSTREAM_RETRY_JITTER": "0",
        "GOALSTREAM_WEBHOOK_TIMEOUT_SECONDS": str(WEBHOOK_TIMEOUT),
        "GOALSTREAM_CLAIM_LEASE_MARGIN_SECONDS": str(LEASE_MARGIN),
        "GOALSTREAM_DELIVERY_BATCH_SIZE": str(BATCH),
        "GOALSTREAM_DELIVERY_POLL_SECONDS": "0.2",
        "GOALSTREAM_RELAY_POLL_SECONDS": "0.2",
        # The receiver listens on loopback, which the egress guard refuses unless allow-listed.
        "GOALSTREAM_EGRESS_ALLOW": '["127.0.0.0/8", "::1/128", "localhost"]',
    }


def achieved(goal_id: str) -> GoalAchieved:
    return GoalAchieved(goal_id=goal_id, value=100, target=100, progress=1.0, achieved_at=datetime.now(UTC))


async def alerts_delivered(kafka_bootstrap: str, org_id: str, expected: int, settle: float) -> list[Any]:
    """Every AlertDelivered of `org_id` on the topic, read until `expected` deliveries are covered and `settle` more."""
    consumer = AIOKafkaConsumer(NOTIFICATION_EVENTS, bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    found: list[Any] = []
    try:
        deadline, settled_at = time.monotonic() + 60, None
        while time.monotonic() < deadline and (settled_at is None or time.monotonic() < settled_at):
            for records in (await consumer.getmany(timeout_ms=300)).values():
                for record in records:
                    envelope = from_kafka(record.headers, record.value)
                    if envelope.org_id == org_id and isinstance(envelope.payload, AlertDelivered):
                        found.append(envelope)
            if settled_at is None and len({e.payload.delivery_id for e in found}) >= expected:
                settled_at = time.monotonic() + settle
    finally:
        await consumer.stop()
    return found


async def delivery_statuses(database_url: str) -> Counter[str]:
    conn = await connect(database_url, "notifications")
    try:
        rows = await conn.fetch("SELECT status, count(*) AS n FROM deliveries GROUP BY status")
        return Counter({r["status"]: r["n"] for r in rows})
    finally:
        await conn.close()


async def test_kill_9_mid_delivery_then_restart_delivers_every_alert_once(
    database_url: str, infra: Endpoints, tmp_path: Path
) -> None:
    org_id = f"org-{uuid.uuid4().hex[:12]}"
    notifications = ServiceProcess("notifications", notifications_env(database_url, infra.kafka_bootstrap), tmp_path)
    kafka = Kafka(infra.kafka_bootstrap)
    async with SlowReceiver().serving() as receiver:
        notifications.start()
        await kafka.producer.start()
        try:
            await asyncio.to_thread(notifications.wait_ready)
            async with httpx.AsyncClient(base_url=notifications.url, timeout=10) as api:
                service = Service(api=api, kafka=kafka, org_id=org_id, api_key="")
                api.headers["authorization"] = f"Bearer {await service.issue_key(org_id)}"
                subscription = await service.subscribe(
                    channel="webhook", target=receiver.url, event_types=["GoalAchieved"]
                )
                events = [goal_event(achieved(f"goal-{n}"), org_id) for n in range(EVENTS)]
                for event in events:
                    await kafka.publish(event)

                # Every delivery is queued (the consumer's part is done) before the kill.
                async def all_queued() -> bool:
                    return len(await service.deliveries()) == EVENTS

                await eventually(all_queued, 30, "a delivery for every event")

                # Kill once a first batch was answered and the next one is in flight at the receiver.
                async def mid_delivery() -> bool:
                    return len(receiver.answered) >= BATCH and len(receiver.in_flight_ids()) > 0

                await eventually(mid_delivery, 30, "deliveries in flight")
                assert notifications.process is not None
                os.kill(notifications.process.pid, signal.SIGKILL)
                await asyncio.to_thread(notifications.process.wait)
                in_flight_at_kill = receiver.in_flight_ids()
                arrived_at_kill = len(receiver.arrivals)
                before = await delivery_statuses(database_url)
                assert in_flight_at_kill, "the kill must land while attempts are in flight"
                assert before["pending"] > 0, f"the kill must land before everything is delivered: {before}"

                notifications.start()
                await asyncio.to_thread(notifications.wait_ready)

                async def all_delivered() -> list[dict[str, Any]] | None:
                    found = await service.deliveries("delivered")
                    return found if len(found) == EVENTS else None

                delivered = await eventually(all_delivered, 60, "every delivery delivered after the restart")
                # Longer than a claim lease and a few polls: a duplicate attempt would show by now.
                await asyncio.sleep(WEBHOOK_TIMEOUT + LEASE_MARGIN + 1)
                everything = await service.deliveries()
        except BaseException:
            print(f"--- notifications log ---\n{notifications.logs()[-8000:]}")
            raise
        finally:
            notifications.stop()
            await kafka.producer.stop()

    published = {str(e.event_id) for e in events}

    # The delivery log: one delivery per (subscription, event), each delivered by exactly one attempt.
    assert len(everything) == EVENTS and {d["status"] for d in everything} == {"delivered"}
    assert {(d["subscription_id"], d["event_id"]) for d in delivered} == {(subscription["id"], e) for e in published}
    for d in everything:
        successes = [a for a in d["attempt_log"] if a["status_code"] is not None and 200 <= a["status_code"] < 300]
        assert len(successes) == 1, f"delivery {d['id']} logged {len(successes)} successes: {d['attempt_log']}"

    # The receiver: every event arrived; every request for an event carries that event's one webhook-id.
    ids_of_event: dict[str, set[str]] = defaultdict(set)
    for arrival in receiver.arrivals:
        ids_of_event[arrival.event_id].add(arrival.webhook_id)
        Webhook(subscription["secret"]).verify(arrival.body, arrival.headers)
    assert set(ids_of_event) == published
    assert all(len(ids) == 1 for ids in ids_of_event.values()), "a repeat must carry the same webhook-id"
    delivery_of_event = {d["event_id"]: d["id"] for d in everything}
    assert {e: ids.pop() for e, ids in ids_of_event.items()} == delivery_of_event
    # At least once: what was in flight at the kill came again after the restart, same webhook-id.
    seen = Counter(a.webhook_id for a in receiver.arrivals)
    assert all(seen[webhook_id] >= 2 for webhook_id in in_flight_at_kill), (in_flight_at_kill, seen)
    repeats_after_restart = {a.webhook_id for a in receiver.arrivals[arrived_at_kill:]} & in_flight_at_kill
    assert repeats_after_restart == in_flight_at_kill

    # The topic: one AlertDelivered per delivery. A relay killed between publishing and marking its
    # outbox rows may publish a row again; that copy has the same CloudEvents id, so count distinct ids.
    alerts = await alerts_delivered(infra.kafka_bootstrap, org_id, EVENTS, settle=2.0)
    alert_ids_of_delivery: dict[str, set[uuid.UUID]] = defaultdict(set)
    for alert in alerts:
        alert_ids_of_delivery[alert.payload.delivery_id].add(alert.event_id)
    assert set(alert_ids_of_delivery) == set(delivery_of_event.values())
    assert all(len(ids) == 1 for ids in alert_ids_of_delivery.values()), alert_ids_of_delivery
