"""Ingest counters by outcome on goals' /metrics, over HTTP and from the measurements topic (real PostgreSQL
and Kafka): accepted, duplicate, unmatched, and rejected by a bounded reason."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from goalstream_contracts.measurements import MeasurementSubmitted
from goalstream_contracts.topics import MEASUREMENTS
from tests.integration.goals.admin_harness import GOAL, Goals, bearer, running_goals
from tests.support.infra import Endpoints, start_groups_at_end
from tests.support.measurements import publish_measurements
from tests.support.polling import eventually

REJECTED = "goalstream_measurements_rejected_total"


@pytest.fixture
async def goals(database_url: str, infra: Endpoints) -> AsyncIterator[Goals]:
    # Its consumers start at the topic's end: what earlier tests left on the shared topic must not move the counters.
    prefix = f"it-{uuid.uuid4().hex[:8]}"
    await start_groups_at_end(infra.kafka_bootstrap, prefix)
    async with running_goals(database_url, infra.kafka_bootstrap, prefix) as goals:
        yield goals


async def counters(http: httpx.AsyncClient) -> dict[tuple[str, ...], float]:
    """Every ingest sample of /metrics, keyed by (name, channel, outcome or reason)."""
    text = (await http.get("/metrics")).text
    return {
        (s.name, s.labels.get("channel", ""), s.labels.get("outcome", s.labels.get("reason", ""))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name.startswith("goalstream_measurements") and s.name.endswith("_total")
    }


def moved(before: dict[tuple[str, ...], float], after: dict[tuple[str, ...], float]) -> dict[tuple[str, ...], float]:
    return {key: value - before.get(key, 0) for key, value in after.items() if value != before.get(key, 0)}


async def test_http_and_topic_measurements_are_counted_by_outcome_and_reason(goals: Goals, infra: Endpoints) -> None:
    org_id, key = await goals.create_org(["read", "write"])
    auth = bearer(key)
    metric = f"m.{uuid.uuid4().hex[:6]}"
    created = await goals.http.post("/v1/goals", json={**GOAL, "metric": {"key": metric}}, headers=auth)
    goal_id = created.json()["id"]
    now = datetime.now(UTC).isoformat()
    before = await counters(goals.http)
    items = [
        {"id": "a", "metric": metric, "value": 1, "observed_at": now},  # accepted, used by the goal
        {"id": "a", "metric": metric, "value": 1, "observed_at": now},  # duplicate
        {"metric": "nobody.uses.it", "value": 1, "observed_at": now},  # accepted, unmatched
        {"metric": metric, "value": 1, "observed_at": now, "goal_id": "no-such-goal"},
        {"metric": "other", "value": 1, "observed_at": now, "goal_id": goal_id},
    ]
    answer = await goals.http.post("/v1/measurements", json={"measurements": items}, headers=auth)
    assert answer.status_code == 202, answer.text
    assert moved(before, await counters(goals.http)) == {
        ("goalstream_measurements_total", "http", "accepted"): 2,
        ("goalstream_measurements_total", "http", "duplicate"): 1,
        ("goalstream_measurements_total", "http", "rejected"): 2,
        ("goalstream_measurements_unmatched_total", "http", ""): 1,
        (REJECTED, "http", "unknown_goal"): 1,
        (REJECTED, "http", "metric_mismatch"): 1,
    }

    before = await counters(goals.http)
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(MEASUREMENTS, b"{not json", key=b"k")  # invalid: not our contract
    finally:
        await producer.stop()
    day = datetime.now(UTC) - timedelta(hours=1)
    mismatch = MeasurementSubmitted(id="t1", metric="other", value=1, observed_at=day, goal_id=goal_id)
    sentinel = MeasurementSubmitted(id="t2", metric=metric, value=1, observed_at=day)  # after them, on its own
    await publish_measurements(infra.kafka_bootstrap, org_id, mismatch)
    await publish_measurements(infra.kafka_bootstrap, org_id, sentinel)

    async def all_counted() -> dict[tuple[str, ...], float] | None:
        now_moved = moved(before, await counters(goals.http))
        return now_moved if now_moved.get(("goalstream_measurements_total", "topic", "accepted")) else None

    assert await eventually(all_counted, 60, "the topic's measurements counted") == {
        ("goalstream_measurements_total", "topic", "accepted"): 1,
        ("goalstream_measurements_total", "topic", "rejected"): 2,
        (REJECTED, "topic", "invalid"): 1,
        (REJECTED, "topic", "metric_mismatch"): 1,
    }


async def test_the_relay_counts_published_events_by_type(goals: Goals) -> None:
    """What the breach-storm alert reads: events by CloudEvent type, once the relay published them."""
    _, key = await goals.create_org(["read", "write"])

    async def goal_sets() -> float:
        text = (await goals.http.get("/metrics")).text
        return sum(
            s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if s.name == "goalstream_events_published_total" and s.labels == {"schema": "goals", "type": "GoalSet"}
        )

    before = await goal_sets()
    created = await goals.http.post("/v1/goals", json=GOAL, headers=bearer(key))
    assert created.status_code == 201, created.text

    async def published() -> float | None:
        return value if (value := await goal_sets()) > before else None

    assert await eventually(published, 30, "the GoalSet published and counted") == before + 1
