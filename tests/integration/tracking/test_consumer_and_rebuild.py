"""Tracking's consumer and rebuild on the real broker and database.

Redelivered and reordered events change nothing; a poison event goes to the DLQ with its reason
while the next ones still apply; a rebuild from the topic equals the live read models row for row.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from goalstream_contracts.base import Payload
from goalstream_contracts.cloudevents import to_kafka
from goalstream_contracts.common import Metric
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import AntiGoalBreached, GoalSet, GoalStatusChanged, MeasurementRecorded
from goalstream_contracts.topics import GOAL_EVENTS, dlq
from goalstream_runtime.db import connect
from goalstream_tracking.adapters import generations
from goalstream_tracking.bootstrap import SCHEMA, build_app
from goalstream_tracking.service_layer.rebuild import rebuild
from goalstream_tracking.settings import TrackingSettings
from tests.integration.tracking.service import running_tracking
from tests.support.infra import Endpoints
from tests.support.polling import eventually

T0 = datetime(2026, 5, 1, tzinfo=UTC)
TABLES = {
    "nodes": "SELECT goal_id, doc FROM {s}.nodes WHERE org_id = $1 ORDER BY goal_id",
    "ladders": "SELECT ladder_id, doc FROM {s}.ladders WHERE org_id = $1 ORDER BY ladder_id",
    "history": "SELECT goal_id, version, at, event_type, current, progress, status FROM {s}.history"
    " WHERE org_id = $1 ORDER BY goal_id, version",
    "event_log": "SELECT event_id, stream_id, stream_version, event_type, occurred_at, payload FROM {s}.event_log"
    " WHERE org_id = $1 ORDER BY event_id",
}


@dataclass
class Tracking:
    database_url: str
    bootstrap: str
    org_id: str
    producer: AIOKafkaProducer
    group_prefix: str

    async def publish(self, *envelopes: Envelope[Payload]) -> None:
        for e in envelopes:
            r = to_kafka(e)
            await self.producer.send_and_wait(r.topic, r.value, key=r.key, headers=list(r.headers))

    async def rows(self, schema: str | None = None) -> dict[str, list[dict[str, Any]]]:
        conn = await connect(self.database_url, SCHEMA)
        try:
            schema = schema or await generations.live_name(conn)
            return {
                t: [dict(r) for r in await conn.fetch(q.format(s=f'"{schema}"'), self.org_id)]
                for t, q in TABLES.items()
            }
        finally:
            await conn.close()

    async def node(self, goal_id: str) -> dict[str, Any] | None:
        conn = await connect(self.database_url, SCHEMA)
        try:
            schema = await generations.live_name(conn)
            doc = await conn.fetchval(f'SELECT doc FROM "{schema}".nodes WHERE goal_id = $1', goal_id)
            return None if doc is None else dict(doc)
        finally:
            await conn.close()


@pytest.fixture
async def tracking(database_url: str, infra: Endpoints) -> AsyncIterator[Tracking]:
    """The tracking service in-process on a fresh database, with its own consumer group."""
    async with running_tracking(database_url, infra) as (producer, group_prefix):
        yield Tracking(database_url, infra.kafka_bootstrap, f"org-{uuid.uuid4().hex[:8]}", producer, group_prefix)


def _stream(org_id: str) -> list[Envelope[Payload]]:
    """A parent with two measured children (weights 1 and 3) and an anti-goal guarding one, as goals emits them."""
    parent, a, b, anti = (str(uuid.uuid4()) for _ in range(4))
    span = {"start_at": T0, "deadline": T0 + timedelta(days=90)}
    per_goal: dict[str, list[Payload]] = {
        parent: [GoalSet(goal_id=parent, kind="hard", title="P", target=1, **span)],
        a: [
            GoalSet(goal_id=a, kind="hard", title="A", parent_id=parent, metric=Metric(key="a"), target=10, **span),
            MeasurementRecorded(
                goal_id=a,
                measurement_id="m1",
                metric="a",
                value=4,
                observed_at=T0,
                recorded_at=T0,
                current_value=4,
                progress=0.4,
            ),
            GoalStatusChanged(goal_id=a, status="on_track", progress=0.4, expected_progress=0.1),
        ],
        b: [
            GoalSet(
                goal_id=b, kind="hard", title="B", parent_id=parent, weight=3, metric=Metric(key="b"), target=10, **span
            ),
            MeasurementRecorded(
                goal_id=b,
                measurement_id="m2",
                metric="b",
                value=8,
                observed_at=T0,
                recorded_at=T0,
                current_value=8,
                progress=0.8,
            ),
        ],
        anti: [
            GoalSet(
                goal_id=anti,
                kind="anti",
                title="X",
                metric=Metric(key="x"),
                comparator="above",
                threshold=1,
                severity="critical",
                guards=a,
            ),
            AntiGoalBreached(
                goal_id=anti, value=2, threshold=1, comparator="above", severity="critical", breached_at=T0, guards=a
            ),
        ],
    }
    return [
        Envelope[Payload].new(
            p,
            org_id=org_id,
            stream_id=goal_id,
            stream_version=i + 1,
            occurred_at=T0 + timedelta(minutes=i),
            source="/goalstream/goals",
        )
        for goal_id, payloads in per_goal.items()
        for i, p in enumerate(payloads)
    ]


async def _applied(tracking: Tracking, goal_id: str, version: int) -> bool | None:
    node = await tracking.node(goal_id)
    return True if node is not None and node["version"] >= version else None


async def test_redelivered_and_reordered_events_change_nothing(tracking: Tracking) -> None:
    events = _stream(tracking.org_id)
    await tracking.publish(*events)
    parent = events[0].stream_id
    await eventually(lambda: _applied(tracking, events[-1].stream_id, 2), 60, "the stream applied")
    before = await tracking.rows()
    parent_node = before["nodes"][[r["goal_id"] for r in before["nodes"]].index(parent)]["doc"]
    assert parent_node["progress"] == pytest.approx((0.4 + 3 * 0.8) / 4)
    assert parent_node["open_breaches"] == 1

    again = events[:]
    random.Random(7).shuffle(again)  # every event a second time, interleaved differently across goals
    marker = Envelope[Payload].new(
        GoalSet(
            goal_id=str(uuid.uuid4()),
            kind="hard",
            title="marker",
            target=1,
            start_at=T0,
            deadline=T0 + timedelta(days=1),
        ),
        org_id=tracking.org_id,
        stream_id="marker",
        stream_version=1,
        occurred_at=T0,
        source="/goalstream/goals",
    )
    await tracking.publish(*again, marker)
    await eventually(lambda: _applied(tracking, marker.payload.subject(), 1), 60, "the marker applied")
    after = await tracking.rows()
    after["nodes"] = [r for r in after["nodes"] if r["goal_id"] != marker.payload.subject()]
    after["event_log"] = [r for r in after["event_log"] if r["event_id"] != marker.event_id]
    after["history"] = [r for r in after["history"] if r["goal_id"] != marker.payload.subject()]
    assert after == before


async def _dlq_reasons(bootstrap: str, event_ids: set[str]) -> dict[str, str]:
    consumer = AIOKafkaConsumer(dlq(GOAL_EVENTS), bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    found: dict[str, str] = {}
    try:

        async def probe() -> dict[str, str] | None:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for r in records:
                    h = {k: v.decode() for k, v in r.headers}
                    if h.get("ce_id") in event_ids:
                        found[h["ce_id"]] = h["dlq_reason"]
            return found if set(found) == event_ids else None

        return await eventually(probe, 60, "the poison events in the DLQ")
    finally:
        await consumer.stop()


async def test_a_poison_event_goes_to_the_dlq_and_the_next_ones_apply(tracking: Tracking) -> None:
    orphan = Envelope[Payload].new(
        MeasurementRecorded(
            goal_id="never-set",
            measurement_id="m",
            metric="k",
            value=1,
            observed_at=T0,
            recorded_at=T0,
            current_value=1,
        ),
        org_id=tracking.org_id,
        stream_id="never-set",
        stream_version=2,
        occurred_at=T0,
        source="/goalstream/goals",
    )
    malformed_id = str(uuid.uuid4())
    malformed_headers = [(k, v) for k, v in to_kafka(orphan).headers if k != "ce_id"] + [
        ("ce_id", malformed_id.encode())
    ]
    events = _stream(tracking.org_id)
    await tracking.publish(orphan)
    await tracking.producer.send_and_wait(
        GOAL_EVENTS, json.dumps({"goal_id": 5}).encode(), key=tracking.org_id.encode(), headers=malformed_headers
    )
    await tracking.publish(*events)
    await eventually(lambda: _applied(tracking, events[-1].stream_id, 2), 60, "the events after the poison applied")
    reasons = await _dlq_reasons(tracking.bootstrap, {str(orphan.event_id), malformed_id})
    assert "never seen set" in reasons[str(orphan.event_id)]
    assert "invalid MeasurementRecorded" in reasons[malformed_id]


async def test_a_rebuild_from_the_topic_equals_the_live_read_models(tracking: Tracking) -> None:
    events = _stream(tracking.org_id)
    await tracking.publish(*events)
    await eventually(lambda: _applied(tracking, events[-1].stream_id, 2), 60, "the stream applied")
    live = await tracking.rows()
    conn: asyncpg.Connection = await connect(tracking.database_url, SCHEMA)
    try:
        old = await generations.live_name(conn)
    finally:
        await conn.close()
    seen: list[tuple[int, int]] = []
    result = await rebuild(
        tracking.database_url, SCHEMA, tracking.bootstrap, lambda done, total: seen.append((done, total))
    )
    assert result.previous == old and result.generation != old
    assert seen and seen[-1][0] == seen[-1][1]  # the progress reached its total
    assert await tracking.rows(result.generation) == live
    assert await tracking.rows(old) == live  # the old generation kept serving, untouched

    # After the switch the live consumer writes to the new generation.
    late = Envelope[Payload].new(
        GoalStatusChanged(goal_id=events[1].stream_id, previous_status="on_track", status="at_risk", progress=0.4),
        org_id=tracking.org_id,
        stream_id=events[1].stream_id,
        stream_version=4,
        occurred_at=T0 + timedelta(hours=1),
        source="/goalstream/goals",
    )
    await tracking.publish(late)
    await eventually(lambda: _applied(tracking, events[1].stream_id, 4), 60, "an event after the switch applied")
    assert (await tracking.node(events[1].stream_id) or {})["status"] == "at_risk"


async def test_two_tracking_instances_in_one_group_apply_every_event_once(tracking: Tracking, infra: Endpoints) -> None:
    second = build_app(
        TrackingSettings(
            database_url=tracking.database_url,
            kafka_bootstrap=infra.kafka_bootstrap,
            consumer_group_prefix=tracking.group_prefix,
        )
    )
    async with second.router.lifespan_context(second):
        orgs = [f"org-{uuid.uuid4().hex[:8]}" for _ in range(4)]  # keys spread over the partitions
        streams = {org: _stream(org) for org in orgs}
        for events in streams.values():
            await tracking.publish(*events)
        for events in streams.values():
            await eventually(lambda ev=events: _applied(tracking, ev[-1].stream_id, 2), 60, "every stream applied")
        for events in streams.values():
            parent = await tracking.node(events[0].stream_id)
            assert parent is not None
            assert parent["progress"] == pytest.approx((0.4 + 3 * 0.8) / 4)
            assert parent["open_breaches"] == 1
            assert parent["version"] == 1  # its own GoalSet, applied once


async def test_a_rebuild_reads_records_without_time_or_organisation_as_the_live_consumer_does(
    tracking: Tracking,
) -> None:
    """A third-party producer may leave out `ce_time` and `ce_orgid`: the live consumer takes them from the
    record's timestamp and key, and so must the rebuild, or the new generation loses what the live one applied."""
    events = _stream(tracking.org_id)
    for e in events:
        r = to_kafka(e)
        headers = [(k, v) for k, v in r.headers if k not in ("ce_time", "ce_orgid", "ce_partitionkey")]
        at = int(e.occurred_at.timestamp() * 1000)
        await tracking.producer.send_and_wait(r.topic, r.value, key=r.key, headers=headers, timestamp_ms=at)
    await eventually(lambda: _applied(tracking, events[-1].stream_id, 2), 60, "the stream applied")
    live = await tracking.rows()
    assert len(live["event_log"]) == len(events)
    result = await rebuild(tracking.database_url, SCHEMA, tracking.bootstrap)
    assert await tracking.rows(result.generation) == live
