"""The subscriptions and deliveries API on real infrastructure, and the subtree and severity filters."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest

from goalstream_contracts.common import Severity
from goalstream_contracts.events import AntiGoalBreached, GoalAchieved, GoalSet
from tests.integration.notifications.harness import Receiver, Service, eventually, goal_event

pytestmark = pytest.mark.timeout(60)
NOW = datetime.now(UTC)


async def test_subscriptions_api_validates_hides_secrets_and_isolates_organisations(service: Service) -> None:
    created = await service.subscribe(
        channel="webhook", target="https://hooks.example.com/x", event_types=["GoalMissed", "GoalAchieved"]
    )
    assert created["secret"].startswith("whsec_") and created["status"] == "enabled"
    assert created["event_types"] == ["GoalAchieved", "GoalMissed"]
    listed = (await service.api.get("/v1/subscriptions")).json()
    assert [s["id"] for s in listed] == [created["id"]] and "secret" not in listed[0]

    cases = [
        ({"channel": "slack", "target": "http://hooks.slack.com/x"}, "invalid_request", "target"),
        ({"channel": "email", "target": "Ops <ops@example.com>"}, "invalid_request", "target"),
        ({"channel": "webhook", "target": "ftp://example.com"}, "invalid_request", "target"),
        ({"channel": "webhook", "target": "https://x.io", "event_types": ["Nope"]}, "invalid_request", "event_types.0"),
        ({"channel": "webhook", "target": "https://x.io", "secret": "mine"}, "invalid_request", "secret"),
        ({"channel": "webhook", "target": "https://x.io", "min_severity": "loud"}, "invalid_request", "min_severity"),
        ({"channel": "webhook", "target": "https://x.io", "root_goal_id": "nope"}, "unknown_goal", "root_goal_id"),
    ]
    for body, code, field in cases:
        response = await service.api.post("/v1/subscriptions", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"] == code and response.json()["errors"][0]["field"] == field
    malformed = await service.api.post(
        "/v1/subscriptions", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert (await service.api.get("/v1/deliveries", params={"status": "lost"})).status_code == 422
    assert len((await service.api.get("/v1/subscriptions")).json()) == 1, "refused requests changed nothing"

    assert (await service.api.get("/v1/subscriptions", headers={"authorization": ""})).status_code == 401
    other = await service.issue_key("org-other-" + created["id"][:8])
    assert (await service.api.get("/v1/subscriptions", headers=service.as_org(other))).json() == []
    foreign = await service.api.delete(f"/v1/subscriptions/{created['id']}", headers=service.as_org(other))
    assert foreign.status_code == 404
    assert (await service.api.post("/v1/deliveries/not-a-uuid/retry")).status_code == 404

    assert (await service.api.delete(f"/v1/subscriptions/{created['id']}")).status_code == 204
    assert (await service.api.get("/v1/subscriptions")).json()[0]["status"] == "disabled"
    assert (await service.api.delete(f"/v1/subscriptions/{created['id']}")).status_code == 204
    ready = await service.api.get("/ready")
    assert ready.status_code == 200 and all(ready.json()["checks"].values())


async def test_subtree_and_severity_filters(service: Service, receiver: Receiver) -> None:
    org = service.org_id
    for goal_id, parent in [("root", None), ("child", "root"), ("grandchild", "child"), ("elsewhere", None)]:
        await service.kafka.publish(
            goal_event(GoalSet(goal_id=goal_id, kind="hard", title=goal_id, parent_id=parent), org)
        )

    async def subscribed_to_root() -> dict[str, object] | None:
        response = await service.api.post(
            "/v1/subscriptions",
            json={
                "channel": "webhook",
                "target": receiver.url,
                "event_types": ["GoalAchieved"],
                "root_goal_id": "root",
            },
        )
        return response.json() if response.status_code == 201 else None

    # The root is known once its GoalSet was consumed; until then the subscription is refused.
    await eventually(subscribed_to_root, 15, "the goal tree to reach notifications")
    await service.subscribe(channel="webhook", target=receiver.url, min_severity="critical")

    def breach(goal_id: str, severity: Severity) -> AntiGoalBreached:
        return AntiGoalBreached(
            goal_id=goal_id,
            value=9,
            threshold=5,
            comparator="above",
            severity=severity,
            breached_at=NOW,
        )

    for payload in [
        GoalAchieved(goal_id="grandchild", value=1, target=1, progress=1, achieved_at=NOW),
        GoalAchieved(goal_id="elsewhere", value=1, target=1, progress=1, achieved_at=NOW),
        breach("anti-1", "warning"),
        breach("anti-2", "critical"),
    ]:
        await service.kafka.publish(goal_event(payload, org))

    async def two_delivered() -> bool:
        return len(await service.deliveries("delivered")) >= 2

    await eventually(two_delivered, 15, "two deliveries")
    await asyncio.sleep(1.0)
    got = sorted((json.loads(r.body)["type"], json.loads(r.body)["subject"]) for r in receiver.requests)
    assert got == [("io.goalstream.AntiGoalBreached", "anti-2"), ("io.goalstream.GoalAchieved", "grandchild")]
