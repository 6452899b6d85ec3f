"""The marketing-quarter scenario's alerts as signed webhooks to real receivers, filtered per subscription.

Each AntiGoalBreached and MilestoneHit arrives once at every subscription whose event types, subtree
and minimum severity admit it, and nowhere else; every request verifies with `standardwebhooks`.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from tests.e2e.conftest import Platform
from tests.support.polling import eventually
from tests.support.receiver import WebhookReceiver
from tests.support.scenario import SCENARIOS_DIR, Check, Scenario, ScenarioRunner

pytestmark = pytest.mark.e2e

# name: (subscription filters, the alerts it must receive as (type, ref) -> count)
SUBSCRIPTIONS: dict[str, tuple[dict[str, Any], dict[tuple[str, str], int]]] = {
    "everything-watched": (
        {"event_types": ["AntiGoalBreached", "MilestoneHit"]},
        {("AntiGoalBreached", "A1"): 1, ("MilestoneHit", "T3"): 1},
    ),
    "leads-subtree": ({"event_types": ["MilestoneHit"], "root": "D2"}, {("MilestoneHit", "T3"): 1}),
    "brand-subtree": ({"event_types": ["MilestoneHit"], "root": "D1"}, {}),
    "critical-only": (
        {"event_types": ["AntiGoalBreached"], "min_severity": "critical"},
        {("AntiGoalBreached", "A1"): 1},
    ),
    # MilestoneHit carries no severity: a subscription with a minimum severity does not get it.
    "severity-on-milestones": ({"event_types": ["MilestoneHit"], "min_severity": "info"}, {}),
}


async def _subscribe(client: httpx.AsyncClient, platform: Platform, body: dict[str, Any]) -> dict[str, Any]:
    async def attempt() -> dict[str, Any] | None:
        response = await client.post(f"{platform.notifications.url}/v1/subscriptions", json=body)
        if response.status_code in (401, 422) and "unknown" in response.text + "unauthorized":
            return None  # the key or the root goal has not reached notifications yet
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    return await eventually(attempt, 60, f"subscription {body}")


async def test_scenario_alerts_arrive_once_signed_and_filtered(platform: Platform) -> None:
    scenario = Scenario.load(SCENARIOS_DIR / "marketing-quarter.json")
    runner = ScenarioRunner(
        scenario,
        now=datetime.now(UTC),
        goals_url=platform.goals.url,
        headers=platform.auth,
        kafka_bootstrap=platform.kafka_bootstrap,
        org_id=platform.org_id,
        checks=frozenset({Check.EVENTS}),
        settle_timeout=60,
    )
    receivers = {name: WebhookReceiver() for name in SUBSCRIPTIONS}
    async with contextlib.AsyncExitStack() as stack:
        for receiver in receivers.values():
            await stack.enter_async_context(receiver.running())
        await stack.enter_async_context(runner)
        client = await stack.enter_async_context(httpx.AsyncClient(headers=platform.auth, timeout=30))
        await runner.setup()
        secrets: dict[str, str] = {}
        for name, (filters, _) in SUBSCRIPTIONS.items():
            body = {"channel": "webhook", "target": receivers[name].url, "event_types": filters["event_types"]}
            if "root" in filters:
                body["root_goal_id"] = runner.refs.goal_id(filters["root"])
            if "min_severity" in filters:
                body["min_severity"] = filters["min_severity"]
            secrets[name] = (await _subscribe(client, platform, body))["secret"]
        for step in scenario.steps:
            await runner.run_step(step)

        def alerts(name: str) -> dict[tuple[str, str], int]:
            counts: dict[tuple[str, str], int] = {}
            for request in receivers[name].received:
                message = json.loads(request.body)
                key = (message["type"].removeprefix("io.goalstream."), runner.refs.ref_of(message["subject"]) or "?")
                counts[key] = counts.get(key, 0) + 1
            return counts

        async def all_arrived() -> bool | None:
            return True if all(alerts(n) == want for n, (_, want) in SUBSCRIPTIONS.items() if want) else None

        await eventually(all_arrived, 60, "every expected alert")
        await runner.settled()  # every event of the run is on the topic, so nothing else is still coming ...
        await _quiet(client, platform)  # ... and notifications has no pending delivery left
        for name, (_, wanted) in SUBSCRIPTIONS.items():
            assert alerts(name) == wanted, name
            for request in receivers[name].received:
                Webhook(secrets[name]).verify(request.body, request.headers)  # raises if not signed right
            ids = [r.headers["webhook-id"] for r in receivers[name].received]
            assert len(ids) == len(set(ids)), f"{name} got a repeat"


async def _quiet(client: httpx.AsyncClient, platform: Platform) -> None:
    async def nothing_pending() -> bool | None:
        response = await client.get(f"{platform.notifications.url}/v1/deliveries", params={"status": "pending"})
        return True if response.status_code == 200 and response.json() == [] else None

    await eventually(nothing_pending, 60, "no pending deliveries")
