"""Measurements by HTTP and as CloudEvents on the measurements topic: one effect per measurement id."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from goalstream_contracts.measurements import MeasurementSubmitted
from tests.e2e.conftest import Platform
from tests.support.measurements import publish_measurements
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC)


async def _current(client: httpx.AsyncClient, platform: Platform, goal_id: str) -> float | None:
    response = await client.get(f"{platform.goals.url}/v1/goals/{goal_id}", headers=platform.auth)
    value: float | None = response.json()["current_value"]
    return value


async def test_the_same_measurement_by_http_and_by_topic_has_one_effect(platform: Platform) -> None:
    metric = f"crm.deals.{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(timeout=30) as client:
        created = await client.post(
            f"{platform.goals.url}/v1/goals",
            headers=platform.auth,
            json={
                "title": "deals",
                "metric": {"key": metric, "aggregation": "sum"},
                "target": 100,
                "start_at": (NOW - timedelta(days=1)).isoformat(),
                "deadline": (NOW + timedelta(days=30)).isoformat(),
            },
        )
        goal_id = created.json()["id"]
        first = {"id": f"{metric}-1", "metric": metric, "value": 5, "observed_at": NOW.isoformat()}
        sent = await client.post(
            f"{platform.goals.url}/v1/measurements", headers=platform.auth, json={"measurements": [first]}
        )
        assert sent.json()["accepted"] == 1

        # The same id again on the topic, then a marker: once the marker counts, the repeat has been seen.
        await publish_measurements(
            platform.kafka_bootstrap,
            platform.org_id,
            MeasurementSubmitted(id=f"{metric}-1", metric=metric, value=5, observed_at=NOW),
            MeasurementSubmitted(id=f"{metric}-2", metric=metric, value=1, observed_at=NOW),
        )

        async def marker_counted() -> float | None:
            value = await _current(client, platform, goal_id)
            return value if value is not None and value >= 6 else None

        assert await eventually(marker_counted, 60, "the marker measurement applied") == 6

        # Topic first, then HTTP: the HTTP one is the duplicate.
        await publish_measurements(
            platform.kafka_bootstrap,
            platform.org_id,
            MeasurementSubmitted(id=f"{metric}-3", metric=metric, value=3, observed_at=NOW),
        )

        async def third_counted() -> float | None:
            value = await _current(client, platform, goal_id)
            return value if value is not None and value >= 9 else None

        assert await eventually(third_counted, 60, "the topic measurement applied") == 9
        again = {"id": f"{metric}-3", "metric": metric, "value": 3, "observed_at": NOW.isoformat()}
        repeat = await client.post(
            f"{platform.goals.url}/v1/measurements", headers=platform.auth, json={"measurements": [again]}
        )
        assert (repeat.json()["accepted"], repeat.json()["duplicate"]) == (0, 1)
        assert await _current(client, platform, goal_id) == 9
        events = (await client.get(f"{platform.goals.url}/v1/goals/{goal_id}/events", headers=platform.auth)).json()
        recorded = [e["payload"]["measurement_id"] for e in events if e["type"] == "MeasurementRecorded"]
        assert sorted(recorded) == [f"{metric}-1", f"{metric}-2", f"{metric}-3"]
