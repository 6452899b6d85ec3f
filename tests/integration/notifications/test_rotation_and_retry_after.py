"""Secret rotation, Retry-After, and a receiver failing three times: real Kafka, PostgreSQL and receiver.

Waits are checked against the receiver's own arrival times (`time.time()`, the clock PostgreSQL's
`now()` reads too): attempt n+1 is claimed no earlier than `next_attempt_at`, which is set after
attempt n's answer, so the gap between two arrivals is at least the wait in between. These are
checks of a minimum wait, not benchmarks.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.requests import Request
from starlette.responses import Response

from goalstream_contracts.events import GoalAchieved
from goalstream_runtime.db import connect
from tests.integration.notifications.harness import (
    Received,
    Receiver,
    Service,
    eventually,
    goal_event,
    running_service,
)
from tests.support.infra import Endpoints

pytestmark = pytest.mark.timeout(90)


@dataclass
class TimedReceiver(Receiver):
    """A receiver that notes when each request arrived and answers from `answers` (status, headers)."""

    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)

    async def _hook(self, request: Request) -> Response:
        self.arrivals.append(time.time())
        self.requests.append(Received(dict(request.headers), await request.body()))
        status, headers = self.answers.pop(0) if self.answers else (self.default, {})
        return Response(status_code=status, headers=headers)

    def gaps(self) -> list[float]:
        return [later - earlier for earlier, later in zip(self.arrivals, self.arrivals[1:], strict=False)]


@pytest.fixture
async def timed() -> Any:
    async with TimedReceiver().serving() as serving:
        yield serving


def achieved(goal_id: str) -> GoalAchieved:
    return GoalAchieved(goal_id=goal_id, value=100, target=100, progress=1.0, achieved_at=datetime.now(UTC))


async def delivered_event(service: Service, event_id: uuid.UUID) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        found = [d for d in await service.deliveries("delivered") if d["event_id"] == str(event_id)]
        return found[0] if found else None

    return await eventually(probe, 20, f"event {event_id} delivered")


async def publish_and_deliver(service: Service, receiver: Receiver, goal_id: str) -> tuple[dict[str, Any], Received]:
    event = goal_event(achieved(goal_id), service.org_id)
    await service.kafka.publish(event)
    delivery = await delivered_event(service, event.event_id)
    [request] = [r for r in receiver.requests if r.headers["webhook-id"] == delivery["id"]]
    return delivery, request


def verifies(secret: str, request: Received) -> bool:
    try:
        Webhook(secret).verify(request.body, request.headers)
    except WebhookVerificationError:
        return False
    return True


# --- secret rotation ----------------------------------------------------------------------------


async def test_both_secrets_sign_during_the_overlap_then_only_the_new_one(
    database_url: str, infra: Endpoints, receiver: Receiver
) -> None:
    async with running_service(database_url, infra.kafka_bootstrap, secret_rotation_overlap_seconds=5) as service:
        created = await service.subscribe(channel="webhook", target=receiver.url, event_types=["GoalAchieved"])
        old = created["secret"]
        assert created["previous_secret_expires_at"] is None and created["secret_rotated_at"] is None

        response = await service.api.post(f"/v1/subscriptions/{created['id']}/rotate-secret")
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        rotated = response.json()
        new = rotated["secret"]
        assert new.startswith("whsec_") and new != old and rotated["id"] == created["id"]
        expires = datetime.fromisoformat(rotated["previous_secret_expires_at"])
        assert 4 <= (expires - datetime.fromisoformat(rotated["secret_rotated_at"])).total_seconds() <= 5
        [listed] = (await service.api.get("/v1/subscriptions")).json()
        assert "secret" not in listed and listed["previous_secret_expires_at"] == rotated["previous_secret_expires_at"]

        # During the overlap: two signatures, and a receiver holding either secret accepts.
        _, during = await publish_and_deliver(service, receiver, "goal-during")
        assert datetime.now(UTC) < expires, "the delivery took longer than the overlap; the test proves nothing"
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        assert verifies(new, during) and verifies(old, during)

        # After it: the new secret only.
        await asyncio.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.3)
        [listed] = (await service.api.get("/v1/subscriptions")).json()
        assert listed["previous_secret_expires_at"] is None
        _, after = await publish_and_deliver(service, receiver, "goal-after")
        assert len(after.headers["webhook-signature"].split(" ")) == 1
        assert verifies(new, after) and not verifies(old, after)


async def test_a_second_rotation_drops_the_oldest_secret_at_once(service: Service, receiver: Receiver) -> None:
    created = await service.subscribe(channel="webhook", target=receiver.url)
    first = created["secret"]
    second = (await service.api.post(f"/v1/subscriptions/{created['id']}/rotate-secret")).json()["secret"]
    third = (await service.api.post(f"/v1/subscriptions/{created['id']}/rotate-secret")).json()["secret"]

    _, request = await publish_and_deliver(service, receiver, "goal-twice-rotated")
    assert verifies(third, request) and verifies(second, request)
    assert not verifies(first, request), "at most two secrets sign"


async def test_rotation_refusals(service: Service, receiver: Receiver, database_url: str) -> None:
    created = await service.subscribe(channel="webhook", target=receiver.url)

    for unknown in (str(uuid.uuid4()), "not-a-uuid"):
        response = await service.api.post(f"/v1/subscriptions/{unknown}/rotate-secret")
        assert (response.status_code, response.json()["error"]) == (404, "not_found")
    other_key = await service.issue_key(f"org-{uuid.uuid4().hex[:12]}")
    response = await service.api.post(
        f"/v1/subscriptions/{created['id']}/rotate-secret", headers=service.as_org(other_key)
    )
    assert response.status_code == 404, "another organisation's subscription is not found"

    # A channel without a secret (inserted directly: whether the API creates one is another matter).
    conn: asyncpg.Connection = await connect(database_url, "notifications")
    try:
        slack_id = uuid.uuid4()
        await conn.execute(
            "INSERT INTO subscriptions (id, org_id, channel, target, secret) VALUES ($1, $2, 'slack', $3, $4)",
            slack_id,
            service.org_id,
            "https://hooks.slack.test/services/T/B/X",
            "unused",
        )
    finally:
        await conn.close()
    response = await service.api.post(f"/v1/subscriptions/{slack_id}/rotate-secret")
    assert (response.status_code, response.json()["error"]) == (409, "not_a_webhook")

    assert (await service.api.delete(f"/v1/subscriptions/{created['id']}")).status_code == 204
    response = await service.api.post(f"/v1/subscriptions/{created['id']}/rotate-secret")
    assert (response.status_code, response.json()["error"]) == (409, "subscription_disabled")


# --- Retry-After ----------------------------------------------------------------------------------


async def test_a_503_with_retry_after_holds_the_next_attempt_back(service: Service, timed: TimedReceiver) -> None:
    # The schedule would retry after 0.2 s; the receiver asks for 2.
    timed.answers = [(503, {"retry-after": "2"})]
    subscription = await service.subscribe(channel="webhook", target=timed.url)
    event = goal_event(achieved("goal-busy"), service.org_id)
    await service.kafka.publish(event)

    delivery = await delivered_event(service, event.event_id)
    assert len(timed.arrivals) == 2
    assert timed.gaps()[0] >= 2.0, f"the second attempt came {timed.gaps()[0]:.3f}s after the first"
    first, second = delivery["attempt_log"]
    assert (first["status_code"], first["retry_after_seconds"], first["error"]) == (
        503,
        2.0,
        "HTTP 503 (Retry-After 2s)",
    )
    assert (second["status_code"], second["retry_after_seconds"]) == (200, None)
    assert {r.headers["webhook-id"] for r in timed.requests} == {delivery["id"]}
    for request in timed.requests:
        assert verifies(subscription["secret"], request)


async def test_other_statuses_ignore_retry_after(service: Service, timed: TimedReceiver) -> None:
    timed.answers = [(500, {"retry-after": "30"})]
    await service.subscribe(channel="webhook", target=timed.url)
    event = goal_event(achieved("goal-broken"), service.org_id)
    await service.kafka.publish(event)

    delivery = await delivered_event(service, event.event_id)
    assert timed.gaps()[0] < 10, "a 500's Retry-After must not hold the retry back"
    assert [(a["status_code"], a["retry_after_seconds"]) for a in delivery["attempt_log"]] == [(500, None), (200, None)]


# --- a receiver failing the first three attempts --------------------------------------------------

SCHEDULE = [0.0, 0.4, 0.8, 1.2]


async def test_three_failures_then_success_follow_the_schedule_with_one_webhook_id(
    database_url: str, infra: Endpoints, timed: TimedReceiver
) -> None:
    timed.answers = [(500, {}), (502, {}), (500, {})]
    async with running_service(
        database_url, infra.kafka_bootstrap, retry_schedule_seconds=SCHEDULE, retry_jitter=0.0
    ) as service:
        subscription = await service.subscribe(channel="webhook", target=timed.url)
        event = goal_event(achieved("goal-flaky"), service.org_id)
        await service.kafka.publish(event)

        delivery = await delivered_event(service, event.event_id)
        await asyncio.sleep(1.5)  # longer than any wait of the schedule: nothing more may come
        everything = await service.deliveries()
        assert [d["id"] for d in everything] == [delivery["id"]]
        assert [d["id"] for d in await service.deliveries("delivered")] == [delivery["id"]]
        [logged] = everything
        assert logged["attempts"] == 4
        assert [a["status_code"] for a in logged["attempt_log"]] == [500, 502, 500, 200]
        assert sum(1 for a in logged["attempt_log"] if 200 <= a["status_code"] < 300) == 1, "one success"

        assert len(timed.arrivals) == 4
        for n, (gap, wait) in enumerate(zip(timed.gaps(), SCHEDULE[1:], strict=True), start=1):
            assert gap >= wait, f"attempt {n + 1} came {gap:.3f}s after attempt {n}; the schedule says {wait}s"
        assert {r.headers["webhook-id"] for r in timed.requests} == {delivery["id"]}
        assert len({r.body for r in timed.requests}) == 1
        for request in timed.requests:
            assert verifies(subscription["secret"], request)
