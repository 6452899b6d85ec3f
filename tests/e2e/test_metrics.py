"""`/metrics` on the three services: the lag, backlog and queue metrics exist and move under load.

Load: goals created by HTTP, a batch of measurements by HTTP and one on the measurements topic,
and a webhook subscription whose receiver first holds every request (so the deliveries are seen
pending) and then answers 500 until the fast retry schedule gives them up (dead).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from goalstream_contracts.measurements import MeasurementSubmitted
from goalstream_contracts.topics import GOAL_EVENTS, MEASUREMENTS
from tests.e2e.conftest import Platform
from tests.support.measurements import publish_measurements
from tests.support.polling import eventually
from tests.support.processes import ServiceProcess
from tests.support.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e
GOALS = 3

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def _scrape(client: httpx.AsyncClient, service: ServiceProcess) -> Samples:
    response = await client.get(f"{service.url}/metrics")  # no Authorization: /metrics is open like /health
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def _select(samples: Samples, name: str, **labels: str) -> dict[frozenset[tuple[str, str]], float]:
    wanted = set(labels.items())
    return {key: value for (n, key), value in samples.items() if n == name and wanted <= key}


def _total(samples: Samples, name: str, **labels: str) -> float:
    return sum(_select(samples, name, **labels).values())


def _partitions(samples: Samples, name: str, topic: str) -> set[str]:
    return {dict(key)["partition"] for key in _select(samples, name, topic=topic)}


async def test_metrics_exist_and_move_under_load(platform: Platform) -> None:
    now, metric = datetime.now(UTC), f"crm.leads.{uuid.uuid4().hex[:8]}"
    hold = asyncio.Event()
    receiver = WebhookReceiver(fail_first=10**9, hold=hold)
    async with receiver.running(), httpx.AsyncClient(timeout=30) as client:
        # The lag gauges need the broker's first answer; goalstream_up says when each dependency answered.
        async def scraped_with_lag(service: ServiceProcess) -> Samples | None:
            samples = await _scrape(client, service)
            up = _select(samples, "goalstream_up")
            ok = up and all(v == 1 for v in up.values()) and _select(samples, "goalstream_consumer_lag_messages")
            return samples if ok else None

        goals0 = await eventually(lambda: scraped_with_lag(platform.goals), 60, "goals' first full scrape")
        tracking0 = await eventually(lambda: scraped_with_lag(platform.tracking), 60, "tracking's first full scrape")
        notifications0 = await eventually(lambda: scraped_with_lag(platform.notifications), 60, "notifications'")

        assert _select(goals0, "goalstream_up", dependency="database") and _select(goals0, "goalstream_relay_backlog")
        assert _select(goals0, "goalstream_relay_published_total", schema="goals")
        measurements_group = _select(goals0, "goalstream_messages_consumed_total", topic=MEASUREMENTS)
        assert {dict(k)["outcome"] for k in measurements_group} == {"applied", "repeat", "dead_lettered", "retried"}
        tracking_partitions = _partitions(tracking0, "goalstream_consumer_lag_messages", GOAL_EVENTS)
        assert tracking_partitions and tracking_partitions == _partitions(
            tracking0, "goalstream_consumer_lag_seconds", GOAL_EVENTS
        )
        assert _partitions(notifications0, "goalstream_consumer_lag_messages", GOAL_EVENTS) == tracking_partitions
        assert _select(notifications0, "goalstream_delivery_queue_depth", state="pending")
        assert _select(notifications0, "goalstream_delivery_dead_letters")
        assert _select(notifications0, "goalstream_relay_backlog", schema="notifications")

        # Load: a webhook subscription on GoalSet, goals, measurements by HTTP and on the topic.
        async def subscribed() -> httpx.Response | None:
            response = await client.post(
                f"{platform.notifications.url}/v1/subscriptions",
                headers=platform.auth,
                json={"channel": "webhook", "target": receiver.url, "event_types": ["GoalSet"]},
            )
            return None if response.status_code == 401 else response  # the key has not reached notifications yet

        assert (await eventually(subscribed, 60, "subscription")).status_code == 201
        for n in range(GOALS):
            created = await client.post(
                f"{platform.goals.url}/v1/goals",
                headers=platform.auth,
                json={
                    "title": f"leads {n}",
                    "metric": {"key": metric, "aggregation": "sum"},
                    "target": 1000,
                    "start_at": (now - timedelta(days=10)).isoformat(),
                    "deadline": (now + timedelta(days=80)).isoformat(),
                },
            )
            assert created.status_code == 201, created.text
        batch = [
            {"id": f"{metric}-{i}", "metric": metric, "value": 1, "observed_at": (now - timedelta(hours=i)).isoformat()}
            for i in range(1, 21)
        ]
        sent = await client.post(
            f"{platform.goals.url}/v1/measurements", headers=platform.auth, json={"measurements": batch}
        )
        assert sent.status_code == 202, sent.text
        await publish_measurements(
            platform.kafka_bootstrap,
            platform.org_id,
            MeasurementSubmitted(id=f"{metric}-topic", metric=metric, value=1, observed_at=now),
        )

        async def goals_moved() -> Samples | None:
            samples = await _scrape(client, platform.goals)
            consumed = "goalstream_messages_consumed_total"
            moved = _total(samples, consumed, topic=MEASUREMENTS, outcome="applied") > _total(
                goals0, consumed, topic=MEASUREMENTS, outcome="applied"
            ) and _total(samples, "goalstream_relay_published_total") >= _total(
                goals0, "goalstream_relay_published_total"
            ) + GOALS + len(batch)
            return samples if moved else None

        goals1 = await eventually(goals_moved, 60, "goals' consumed and published counters")
        requests = "goalstream_http_requests_total"
        labels = {"method": "POST", "route": "/v1/goals", "status": "201"}
        assert _total(goals1, requests, **labels) == _total(goals0, requests, **labels) + GOALS
        assert _select(goals1, "goalstream_relay_backlog", schema="goals")

        async def tracking_moved() -> Samples | None:
            samples = await _scrape(client, platform.tracking)
            latency = "goalstream_projection_latency_seconds_count"
            return samples if _total(samples, latency) >= _total(tracking0, latency) + GOALS + len(batch) else None

        tracking1 = await eventually(tracking_moved, 60, "tracking's projection latency histogram")
        applied = {"topic": GOAL_EVENTS, "outcome": "applied"}
        consumed = "goalstream_messages_consumed_total"
        assert _total(tracking1, consumed, **applied) >= _total(tracking0, consumed, **applied) + GOALS + len(batch)
        assert _partitions(tracking1, "goalstream_consumer_lag_messages", GOAL_EVENTS) == tracking_partitions

        # Every first attempt is held by the receiver: the deliveries are pending until it answers ...
        pending0 = _total(notifications0, "goalstream_delivery_queue_depth", state="pending")
        dead0 = _total(notifications0, "goalstream_delivery_dead_letters")
        await eventually(lambda: _async(len(receiver.received) >= GOALS), 60, "the first attempts at the receiver")
        queued = await _scrape(client, platform.notifications)
        assert _total(queued, "goalstream_delivery_queue_depth", state="pending") >= pending0 + GOALS
        # ... then it answers 500 to every attempt, and the retry schedule gives them up.
        hold.set()

        async def dead() -> Samples | None:
            samples = await _scrape(client, platform.notifications)
            return samples if _total(samples, "goalstream_delivery_dead_letters") >= dead0 + GOALS else None

        notifications1 = await eventually(dead, 60, "dead deliveries")
        assert _total(notifications1, "goalstream_delivery_queue_depth", state="pending") == pending0
        assert len(receiver.received) >= 3 * GOALS  # three attempts each: GOALSTREAM_RETRY_SCHEDULE_SECONDS
        assert _total(notifications1, consumed, **applied) >= _total(notifications0, consumed, **applied) + GOALS


async def _async(value: bool) -> bool:
    return value
