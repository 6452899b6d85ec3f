"""Webhook delivery end to end: goal events on real Kafka, deliveries in real PostgreSQL, a real receiver.

The service runs with the retry schedule [0, 0.2, 0.2] (three attempts) and no jitter.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from standardwebhooks import Webhook

from goalstream_contracts.alerts import AlertDelivered, AlertDeliveryFailed
from goalstream_contracts.events import GoalAchieved, GoalSet
from goalstream_contracts.topics import NOTIFICATION_EVENTS
from goalstream_notifications.domain.retry import RetrySchedule
from goalstream_notifications.service_layer.fanout import FanOut
from goalstream_runtime.db import connect
from tests.integration.notifications.harness import Receiver, Service, eventually, goal_event, running_service
from tests.support.infra import Endpoints

pytestmark = pytest.mark.timeout(60)


def achieved(goal_id: str) -> GoalAchieved:
    return GoalAchieved(goal_id=goal_id, value=100, target=100, progress=1.0, achieved_at=datetime.now(UTC))


async def one_delivery(service: Service, status: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        found = await service.deliveries(status)
        return found[0] if found else None

    return await eventually(probe, 15, f"a {status} delivery")


async def test_a_webhook_receives_goal_achieved_once_signed(service: Service, receiver: Receiver) -> None:
    subscription = await service.subscribe(channel="webhook", target=receiver.url, event_types=["GoalAchieved"])
    goal_id = str(uuid.uuid4())
    await service.kafka.publish(goal_event(GoalSet(goal_id=goal_id, kind="hard", title="Revenue"), service.org_id))
    event = goal_event(achieved(goal_id), service.org_id, version=2)
    await service.kafka.publish(event)

    delivery = await one_delivery(service, "delivered")
    await asyncio.sleep(1.0)  # several worker polls: nothing more may arrive
    assert len(receiver.requests) == 1, "GoalSet is not subscribed and GoalAchieved comes once"
    request = receiver.requests[0]
    body = Webhook(subscription["secret"]).verify(request.body, request.headers)
    assert body["type"] == "io.goalstream.GoalAchieved"
    assert (body["event_id"], body["org_id"], body["subject"]) == (str(event.event_id), service.org_id, goal_id)
    assert body["data"]["goal_id"] == goal_id and body["data"]["progress"] == 1.0
    assert request.headers["webhook-id"] == delivery["id"]
    assert request.headers["content-type"] == "application/json"
    assert (delivery["attempts"], delivery["event_id"], delivery["subscription_id"]) == (
        1,
        str(event.event_id),
        subscription["id"],
    )
    assert [a["status_code"] for a in delivery["attempt_log"]] == [200]

    alert = await service.kafka.find(NOTIFICATION_EVENTS, lambda e: e.org_id == service.org_id)
    assert isinstance(alert.payload, AlertDelivered)
    assert alert.payload.delivery_id == delivery["id"] and alert.payload.alerted_event_id == str(event.event_id)
    assert alert.causation_id == event.event_id and alert.correlation_id == event.correlation_id


async def test_the_same_event_twice_makes_one_delivery(service: Service, receiver: Receiver, database_url: str) -> None:
    await service.subscribe(channel="webhook", target=receiver.url, event_types=["GoalAchieved"])
    twice = goal_event(achieved("goal-twice"), service.org_id)
    await service.kafka.publish(twice)
    await service.kafka.publish(twice)
    # Same key, same partition: once the later event is delivered, both copies were consumed.
    sentinel = goal_event(achieved("goal-sentinel"), service.org_id)
    await service.kafka.publish(sentinel)

    async def both_done() -> list[dict[str, Any]] | None:
        found = await service.deliveries("delivered")
        return found if {d["event_id"] for d in found} == {str(twice.event_id), str(sentinel.event_id)} else None

    await eventually(both_done, 15, "both events delivered")
    await asyncio.sleep(0.6)
    assert len(await service.deliveries()) == 2
    # Past the consumer's processed-events marker too, UNIQUE (subscription, event) keeps one delivery.
    conn = await connect(database_url, "notifications")
    try:
        async with conn.transaction():
            await FanOut(RetrySchedule((0.0,)))(conn, twice)
    finally:
        await conn.close()
    assert len(await service.deliveries()) == 2
    assert sorted(json.loads(r.body)["event_id"] for r in receiver.requests) == sorted(
        [str(twice.event_id), str(sentinel.event_id)]
    )


async def test_a_receiver_failing_twice_then_succeeding_gets_it_on_the_third_attempt(
    service: Service, receiver: Receiver
) -> None:
    receiver.script = [500, 503]
    subscription = await service.subscribe(channel="webhook", target=receiver.url)
    await service.kafka.publish(goal_event(achieved("goal-flaky"), service.org_id))

    delivery = await one_delivery(service, "delivered")
    assert delivery["attempts"] == 3
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 503, 200]
    assert [a["error"] for a in delivery["attempt_log"]] == ["HTTP 500", "HTTP 503", None]
    assert len(receiver.requests) == 3
    assert {r.headers["webhook-id"] for r in receiver.requests} == {delivery["id"]}
    assert len({r.body for r in receiver.requests}) == 1, "every retry sends the same body"
    for request in receiver.requests:
        Webhook(subscription["secret"]).verify(request.body, request.headers)


async def test_an_always_failing_receiver_goes_dead_and_alerts_then_a_manual_retry_delivers(
    service: Service, receiver: Receiver
) -> None:
    receiver.default = 500
    await service.subscribe(channel="webhook", target=receiver.url, event_types=["GoalAchieved"])
    event = goal_event(achieved("goal-down"), service.org_id)
    await service.kafka.publish(event)

    dead = await one_delivery(service, "dead")
    assert dead["attempts"] == 3 and dead["last_status_code"] == 500 and len(receiver.requests) == 3
    alert = await service.kafka.find(
        NOTIFICATION_EVENTS, lambda e: e.org_id == service.org_id and e.event_type == "AlertDeliveryFailed"
    )
    assert isinstance(alert.payload, AlertDeliveryFailed)
    assert (alert.payload.delivery_id, alert.payload.attempts, alert.payload.status_code) == (dead["id"], 3, 500)
    assert alert.payload.alerted_event_id == str(event.event_id) and "3 attempts" in alert.payload.last_error

    receiver.default = 200
    response = await service.api.post(f"/v1/deliveries/{dead['id']}/retry")
    assert response.status_code == 202 and response.json()["status"] == "pending"
    delivered = await one_delivery(service, "delivered")
    assert delivered["id"] == dead["id"] and delivered["attempts"] == 4
    assert (await service.api.post(f"/v1/deliveries/{dead['id']}/retry")).status_code == 409


async def test_gone_disables_the_subscription(database_url: str, infra: Endpoints, receiver: Receiver) -> None:
    receiver.default = 410
    async with running_service(database_url, infra.kafka_bootstrap, retry_schedule_seconds=[0, 60]) as service:
        subscription = await service.subscribe(channel="webhook", target=receiver.url)
        await service.kafka.publish(goal_event(achieved("goal-gone"), service.org_id))

        dead = await one_delivery(service, "dead")
        assert dead["attempts"] == 1 and dead["last_status_code"] == 410
        listed = (await service.api.get("/v1/subscriptions")).json()
        assert [(s["id"], s["status"]) for s in listed] == [(subscription["id"], "disabled")]
        assert "410" in listed[0]["disabled_reason"]

        await service.kafka.publish(goal_event(achieved("goal-after"), service.org_id))
        await asyncio.sleep(1.5)
        assert len(receiver.requests) == 1 and len(await service.deliveries()) == 1
        assert (await service.api.post(f"/v1/deliveries/{dead['id']}/retry")).status_code == 409
