"""Alerts a person can open and read: Slack links open the dashboard at the goal (tracking's `/#goal=<id>`, on
tracking's own port unless a public base URL is set), and webhook bodies carry the goal's title beside its id.

Real Kafka, PostgreSQL and HTTP receivers, the notifications service in process.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from goalstream_contracts.events import GoalAchieved, GoalRevised, GoalSet
from tests.integration.notifications.harness import Receiver, Service, eventually, goal_event, running_service
from tests.support.infra import Endpoints

pytestmark = pytest.mark.timeout(60)


def achieved(goal_id: str) -> GoalAchieved:
    return GoalAchieved(goal_id=goal_id, value=100, target=100, progress=1.0, achieved_at=datetime.now(UTC))


async def received(receiver: Receiver, count: int) -> None:
    async def probe() -> bool:
        return len(receiver.requests) >= count

    # What is checked here is what the alerts say; that each is delivered once is tests/e2e's and the fault suite's.
    await eventually(probe, 20, f"{count} requests at the receiver")


async def test_a_slack_alert_links_to_the_dashboard_on_trackings_port(
    database_url: str, infra: Endpoints, receiver: Receiver
) -> None:
    async with running_service(database_url, infra.kafka_bootstrap, tracking_port=18402) as service:
        await service.subscribe(channel="slack", target=receiver.url, event_types=["GoalAchieved"])
        goal_id = f"goal/{uuid.uuid4().hex[:8]} x"  # quoted in the link
        await service.kafka.publish(goal_event(GoalSet(goal_id=goal_id, kind="hard", title="Revenue"), service.org_id))
        await service.kafka.publish(goal_event(achieved(goal_id), service.org_id, version=2))
        await received(receiver, 1)

    text = json.dumps(json.loads(receiver.requests[0].body))
    link = "http://localhost:18402/#goal=goal%2F" + goal_id[5:].replace(" ", "%20")
    assert f"<{link}|Revenue>" in text and f"<{link}|Goal on the dashboard>" in text, text
    assert "/v1/goals/" not in text


async def test_a_webhook_body_carries_the_goals_title_as_last_revised(service: Service, receiver: Receiver) -> None:
    subscription = await service.subscribe(channel="webhook", target=receiver.url, event_types=["GoalAchieved"])
    goal_id, unknown = str(uuid.uuid4()), str(uuid.uuid4())
    await service.kafka.publish(goal_event(GoalSet(goal_id=goal_id, kind="hard", title="Revenue"), service.org_id))
    revised = GoalRevised(goal_id=goal_id, changed=("title",), title="Revenue\nQ3  (EMEA)")
    await service.kafka.publish(goal_event(revised, service.org_id, version=2))
    await service.kafka.publish(goal_event(achieved(goal_id), service.org_id, version=3))
    await service.kafka.publish(goal_event(achieved(unknown), service.org_id, version=1))  # no GoalSet seen
    await received(receiver, 2)

    bodies = {}
    for request in receiver.requests:
        body = Webhook(subscription["secret"]).verify(request.body, request.headers)
        bodies[body["subject"]] = body
    assert (bodies[goal_id]["subject"], bodies[goal_id]["title"]) == (goal_id, "Revenue Q3 (EMEA)")
    assert bodies[unknown]["title"] is None and bodies[unknown]["data"]["goal_id"] == unknown
