"""The whole chain through real processes on a real broker and database (issue: foundation).

HTTP goal -> event store -> relay -> Kafka (read back by a plain aiokafka consumer) -> tracking
read model -> notifications -> a Standard Webhooks-signed POST to a real receiver.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from standardwebhooks import Webhook

from goalstream_contracts.topics import GOAL_EVENTS
from tests.e2e.conftest import Platform
from tests.support.polling import eventually
from tests.support.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e


async def _until_authorised(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """Other services learn the demo key from the identity topic: wait until they know it."""

    async def attempt() -> httpx.Response | None:
        response = await client.request(method, url, **kwargs)
        return None if response.status_code == 401 else response

    return await eventually(attempt, 60, f"{method} {url} authorised")


async def _read_events(bootstrap: str, org_id: str, wanted: set[str], timeout: float = 30) -> list[Any]:
    consumer = AIOKafkaConsumer(
        GOAL_EVENTS,
        bootstrap_servers=bootstrap,
        group_id=f"test-{uuid.uuid4()}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[Any] = []
    try:

        async def poll() -> list[Any] | None:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                found.extend(r for r in records if r.key == org_id.encode())
            types = {dict(r.headers)["ce_type"].decode() for r in found}
            return found if {f"io.goalstream.{t}" for t in wanted} <= types else None

        return await eventually(poll, timeout, f"events {sorted(wanted)} on {GOAL_EVENTS}")
    finally:
        await consumer.stop()


async def test_goal_to_topic_to_read_model_to_signed_webhook(platform: Platform) -> None:
    now = datetime.now(UTC)
    async with WebhookReceiver().running() as receiver, httpx.AsyncClient(headers=platform.auth, timeout=10) as http:
        subscribed = await _until_authorised(
            http,
            "POST",
            f"{platform.notifications.url}/v1/subscriptions",
            json={"channel": "webhook", "target": receiver.url, "event_types": ["GoalAchieved"]},
        )
        assert subscribed.status_code == 201, subscribed.text
        secret = subscribed.json()["secret"]
        assert secret.startswith("whsec_")

        created = await http.post(
            f"{platform.goals.url}/v1/goals",
            json={
                "title": "Qualified leads",
                "metric": {"key": "crm.leads.qualified", "aggregation": "sum"},
                "target": 100,
                "start_at": (now - timedelta(days=10)).isoformat(),
                "deadline": (now + timedelta(days=80)).isoformat(),
            },
        )
        assert created.status_code == 201, created.text
        goal_id = created.json()["id"]

        accepted = await http.post(
            f"{platform.goals.url}/v1/measurements",
            json={
                "measurements": [
                    {
                        "id": f"m-{goal_id}-1",
                        "metric": "crm.leads.qualified",
                        "value": 60,
                        "observed_at": (now - timedelta(days=2)).isoformat(),
                        "source": "salesforce",
                    },
                    {
                        "id": f"m-{goal_id}-2",
                        "metric": "crm.leads.qualified",
                        "value": 50,
                        "observed_at": (now - timedelta(days=1)).isoformat(),
                        "source": "salesforce",
                    },
                ]
            },
        )
        assert accepted.status_code == 202, accepted.text
        assert accepted.json()["accepted"] == 2

        # 1. The topic: GoalSet, MeasurementRecorded and GoalAchieved, CloudEvents binary mode, keyed by org.
        records = await _read_events(
            platform.kafka_bootstrap, platform.org_id, {"GoalSet", "MeasurementRecorded", "GoalAchieved"}
        )
        ours = [r for r in records if dict(r.headers).get("ce_subject") == goal_id.encode()]
        by_type: dict[str, list[Any]] = {}
        for record in ours:
            by_type.setdefault(dict(record.headers)["ce_type"].decode(), []).append(record)
        assert len(by_type["io.goalstream.MeasurementRecorded"]) == 2
        assert len(by_type["io.goalstream.GoalAchieved"]) == 1
        for record in ours:
            headers = {k: v.decode() for k, v in record.headers}
            assert record.key == platform.org_id.encode()
            assert headers["ce_specversion"] == "1.0"
            assert headers["ce_source"] == "/goalstream/goals"
            assert headers["content-type"] == "application/json"
            assert headers["ce_dataschema"].endswith(f"/{headers['ce_type'].removeprefix('io.goalstream.')}/v1.json")
            assert uuid.UUID(headers["ce_id"])
            assert datetime.fromisoformat(headers["ce_time"]).tzinfo is not None
            assert json.loads(record.value)["goal_id"] == goal_id  # the value is the payload alone
        achieved = json.loads(by_type["io.goalstream.GoalAchieved"][0].value)
        assert achieved["value"] == 110 and achieved["target"] == 100

        # 2. The read model.
        async def progress() -> dict[str, Any] | None:
            response = await http.get(f"{platform.tracking.url}/v1/goals/{goal_id}/progress")
            body: dict[str, Any] = response.json()
            return body if response.status_code == 200 and body["achieved"] else None

        body = await eventually(progress, 30, "tracking shows the goal achieved")
        assert body["current_value"] == 110
        assert body["progress"] == pytest.approx(1.1)
        assert body["progress_clamped"] == 1.0
        assert body["status"] == "achieved"
        assert body["source"]["measurement_id"] == f"m-{goal_id}-2"
        assert body["source"]["source"] == "salesforce"

        # 3. The webhook: once, signed per Standard Webhooks, verified by the reference library.
        async def delivered() -> list[Any] | None:
            return receiver.received or None

        hooks = await eventually(delivered, 30, "the GoalAchieved webhook")
        assert len(hooks) == 1
        hook = hooks[0]
        payload = Webhook(secret).verify(hook.body, hook.headers)
        assert payload["type"] == "io.goalstream.GoalAchieved"
        assert payload["data"]["goal_id"] == goal_id
        with pytest.raises(Exception):  # noqa: B017 - any verification failure will do
            Webhook(secret).verify(hook.body.replace(b"110", b"111"), hook.headers)
