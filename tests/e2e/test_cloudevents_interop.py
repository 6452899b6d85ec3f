"""A third-party producer on the measurements topic, writing with the official CloudEvents SDK.

Its records carry an id that is not a UUID and no time (the spec allows both), the organisation only as
the key (`partitionkey`): they are applied, not dead-lettered, and the same record sent twice counts once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from cloudevents.v1 import kafka
from cloudevents.v1.http import CloudEvent

from goalstream_contracts.cloudevents_supplied import event_id
from goalstream_contracts.topics import MEASUREMENTS
from tests.e2e.conftest import Platform
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC)
SOURCE = "//pipeline.example.com/deals"


def sdk_event(org_id: str, ce_id: str, metric: str, value: float) -> CloudEvent:
    """The SDK's event with `time: None`: no `ce_time` on the record (the SDK's current API always sets one)."""
    attributes = {
        "type": "io.goalstream.MeasurementSubmitted",
        "source": SOURCE,
        "id": ce_id,
        "time": None,
        "partitionkey": org_id,  # the SDK's key mapper makes it the record key; no ce_orgid
        "datacontenttype": "application/json",
    }
    return CloudEvent(attributes, {"metric": metric, "value": value, "observed_at": NOW.isoformat()})


async def send(bootstrap: str, *messages: kafka.KafkaMessage) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for m in messages:
            key = m.key.encode() if isinstance(m.key, str) else m.key
            value = m.value.encode() if isinstance(m.value, str) else m.value
            await producer.send_and_wait(MEASUREMENTS, value, key=key, headers=list(m.headers.items()))
    finally:
        await producer.stop()


async def test_an_sdk_record_with_a_string_id_and_no_time_is_applied_once(platform: Platform) -> None:
    metric = f"pipeline.deals.{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(timeout=30, headers=platform.auth) as client:
        created = await client.post(
            f"{platform.goals.url}/v1/goals",
            json={
                "title": "deals from the pipeline",
                "metric": {"key": metric, "aggregation": "sum"},
                "target": 100,
                "start_at": (NOW - timedelta(days=1)).isoformat(),
                "deadline": (NOW + timedelta(days=30)).isoformat(),
            },
        )
        assert created.status_code == 201, created.text
        goal_id = created.json()["id"]

        deal = f"deal-{metric}"  # not a UUID
        record = kafka.to_binary(sdk_event(platform.org_id, deal, metric, 5))
        assert "ce_time" not in record.headers and "ce_orgid" not in record.headers
        # The same record twice, then a sentinel (structured mode, same key, so after them in the partition).
        sentinel = kafka.to_structured(sdk_event(platform.org_id, f"{deal}-sentinel", metric, 1))
        await send(platform.kafka_bootstrap, record, record, sentinel)

        async def progress() -> dict[str, Any] | None:
            response = await client.get(f"{platform.tracking.url}/v1/goals/{goal_id}/progress")
            body: dict[str, Any] = response.json()
            return body if response.status_code == 200 and body.get("current_value") == 6 else None

        body = await eventually(progress, 60, "tracking shows the SDK record and the sentinel, the repeat not")
        assert body["current_value"] == 6
        events = (await client.get(f"{platform.goals.url}/v1/goals/{goal_id}/events")).json()
        recorded = [e["payload"]["measurement_id"] for e in events if e["type"] == "MeasurementRecorded"]
        # Without an `id` in the data, a measurement's id is its event id: the stable UUID of (source, ce_id).
        assert sorted(recorded) == sorted([str(event_id(SOURCE, deal)), str(event_id(SOURCE, f"{deal}-sentinel"))])
