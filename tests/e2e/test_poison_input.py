"""Poison on the topics: malformed or unknown records on the measurements topic and on the goal events
topic go to `<topic>.dlq` with the reason and the consumer that refused them; every consumer keeps going.
No record stalls its partition: one that fails deep in the domain is dead-lettered after a few tries too."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from goalstream_cli.lag import default_groups
from goalstream_contracts.cloudevents import to_kafka
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import GoalArchived
from goalstream_contracts.measurements import MeasurementSubmitted
from goalstream_contracts.topics import GOAL_EVENTS, MEASUREMENTS, dlq
from goalstream_runtime.db import connect
from tests.e2e.conftest import Platform
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e

NOW = datetime.now(UTC)
Headers = list[tuple[str, bytes]]
TOPICS = (MEASUREMENTS, GOAL_EVENTS)


def _envelope_headers(platform: Platform, payload: MeasurementSubmitted | GoalArchived) -> Headers:
    envelope = Envelope[type(payload)].new(  # type: ignore[misc]
        payload, org_id=platform.org_id, stream_id="poison", stream_version=1, occurred_at=NOW, source="/poison"
    )
    return list(to_kafka(envelope).headers)


def _with(headers: Headers, **changed: str) -> Headers:
    return [(k, v) for k, v in headers if k not in changed] + [(k, v.encode()) for k, v in changed.items()]


def _poison(platform: Platform) -> dict[str, tuple[str, bytes, Headers]]:
    """Per case: (topic, value, headers); each is told apart in the DLQ by its key."""
    measurement = MeasurementSubmitted(metric="poison", value=1, observed_at=NOW)
    good = _envelope_headers(platform, measurement)
    value = measurement.model_dump_json().encode()
    archived = _envelope_headers(platform, GoalArchived(goal_id="poison"))
    return {
        "no headers": (MEASUREMENTS, b"\x00\xffnot json", []),
        "not json": (MEASUREMENTS, b"{not json", good),
        "unknown type": (MEASUREMENTS, value, _with(good, ce_type="io.goalstream.Nonsense")),
        "wrong topic": (MEASUREMENTS, GoalArchived(goal_id="x").model_dump_json().encode(), archived),
        "bad value": (MEASUREMENTS, b'{"metric": "poison", "value": "NaN", "observed_at": "soon"}', good),
        "event garbage": (GOAL_EVENTS, b"\x00garbage", archived),
        "event unknown type": (GOAL_EVENTS, b"{}", _with(archived, ce_type="io.goalstream.GoalTeleported")),
    }


async def _publish(platform: Platform, records: dict[str, tuple[str, bytes, Headers]], keys: dict[str, bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=platform.kafka_bootstrap)
    await producer.start()
    try:
        for case, (topic, value, headers) in records.items():
            await producer.send_and_wait(topic, value, key=keys[case], headers=headers)
    finally:
        await producer.stop()


async def _dead_letters(platform: Platform, keys: set[bytes], wanted: int) -> dict[tuple[bytes, str], dict[str, str]]:
    """(key, consumer) -> headers of the dead letters carrying one of `keys`, once `wanted` of them arrived."""
    consumer = AIOKafkaConsumer(
        dlq(MEASUREMENTS), dlq(GOAL_EVENTS), bootstrap_servers=platform.kafka_bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: dict[tuple[bytes, str], dict[str, str]] = {}
    try:

        async def probe() -> dict[tuple[bytes, str], dict[str, str]] | None:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for r in records:
                    if r.key in keys:
                        headers = {k: v.decode(errors="replace") for k, v in r.headers}
                        found[(r.key, headers["dlq_consumer"])] = headers
            return found if len(found) >= wanted else None

        return await eventually(probe, 60, f"{wanted} dead letters")
    finally:
        await consumer.stop()


def _goal(platform: Platform, metric: str) -> str:
    body = {
        "title": "after the poison",
        "metric": {"key": metric, "aggregation": "sum"},
        "target": 10,
        "start_at": (NOW - timedelta(days=1)).isoformat(),
        "deadline": (NOW + timedelta(days=30)).isoformat(),
    }
    response = httpx.post(f"{platform.goals.url}/v1/goals", headers=platform.auth, json=body, timeout=30)
    assert response.status_code == 201, response.text
    goal_id: str = response.json()["id"]
    return goal_id


async def test_poison_goes_to_the_dlq_with_its_reason_and_every_consumer_keeps_going(platform: Platform) -> None:
    records = _poison(platform)
    keys = {case: f"poison-{uuid.uuid4().hex}".encode() for case in records}
    await _publish(platform, records, keys)

    # Then good input: a measurement on the topic and a new goal; each consumer must still apply it.
    metric = f"after.poison.{uuid.uuid4().hex[:8]}"
    goal_id = await asyncio.to_thread(_goal, platform, metric)
    measurement = MeasurementSubmitted(id=f"good-{uuid.uuid4().hex}", metric=metric, value=3, observed_at=NOW)
    good = Envelope[MeasurementSubmitted].new(
        measurement, org_id=platform.org_id, stream_id="m", stream_version=1, occurred_at=NOW, source="/crm"
    )
    record = to_kafka(good)
    await _publish(platform, {"good": (MEASUREMENTS, record.value, list(record.headers))}, {"good": record.key})

    groups = {t: [g for g, topics in default_groups(platform.group_prefix).items() if t in topics] for t in TOPICS}
    wanted = sum(len(groups[topic]) for topic, _, _ in records.values())
    letters = await _dead_letters(platform, set(keys.values()), wanted)
    for case, (topic, _, _) in records.items():
        for group in groups[topic]:
            headers = letters.get((keys[case], group))
            assert headers is not None, f"{case}: {group} did not dead-letter it ({sorted(letters)})"
            assert headers["dlq_topic"] == topic and headers["dlq_reason"], (case, headers)
            assert int(headers["dlq_offset"]) >= 0 and int(headers["dlq_partition"]) >= 0, (case, headers)
    assert "GoalTeleported" in letters[(keys["event unknown type"], groups[GOAL_EVENTS][0])]["dlq_reason"]
    assert "does not belong" in letters[(keys["wrong topic"], groups[MEASUREMENTS][0])]["dlq_reason"]

    async def applied() -> bool:
        async with httpx.AsyncClient(headers=platform.auth) as client:
            progress = await client.get(f"{platform.tracking.url}/v1/goals/{goal_id}/progress")
        conn = await connect(platform.database_url, "notifications")
        try:
            notified = await conn.fetchval("SELECT count(*) FROM goal_parents WHERE goal_id = $1", goal_id)
        finally:
            await conn.close()
        return progress.status_code == 200 and progress.json()["current_value"] == 3 and notified == 1

    await eventually(applied, 60, "goals, tracking and notifications applied what came after the poison")


OVERFLOW = 1.7e308  # twice this is no longer a finite number


def _measurement(platform: Platform, **fields: object) -> tuple[bytes, Headers]:
    """A MeasurementSubmitted record whose value is written by hand, so it may say what the model would refuse."""
    headers = _envelope_headers(platform, MeasurementSubmitted(metric="placeholder", value=1, observed_at=NOW))
    return json.dumps({"observed_at": NOW.isoformat(), **fields}).encode(), headers


def _hostile(platform: Platform, overflow_metric: str) -> dict[str, tuple[bytes, Headers]]:
    """A record of each kind a consumer might meet, each to be dead-lettered (but the overflow pair's first)."""
    value, good = _measurement(platform, metric="poison", value=1)
    return {
        "no headers": (b"\x00\xffnot json", []),
        "not json": (b"{not json", good),
        "unknown type": (value, _with(good, ce_type="io.goalstream.Nonsense")),
        "wrong types": (b'{"metric": 5, "value": "lots", "observed_at": "soon"}', good),
        "header not utf-8": (value, [(k, v) for k, v in good if k != "ce_source"] + [("ce_source", b"\xff\xfe")]),
        "json too deep": (b"[" * 100_000 + b"]" * 100_000, good),
        "overflow 1": _measurement(platform, id=f"big-{uuid.uuid4().hex}", metric=overflow_metric, value=OVERFLOW),
        "overflow 2": _measurement(platform, id=f"big-{uuid.uuid4().hex}", metric=overflow_metric, value=OVERFLOW),
    }


async def _goal_value(platform: Platform, goal_id: str) -> float | None:
    async with httpx.AsyncClient(headers=platform.auth) as client:
        response = await client.get(f"{platform.goals.url}/v1/goals/{goal_id}")
    assert response.status_code == 200, response.text
    value: float | None = response.json()["current_value"]
    return value


async def _letters_of(platform: Platform, group: str, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """(partition, offset) on the measurements topic -> dlq_reason of `group`'s dead letters, once all `wanted` are."""
    consumer = AIOKafkaConsumer(
        dlq(MEASUREMENTS), bootstrap_servers=platform.kafka_bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: dict[tuple[int, int], str] = {}
    try:

        async def probe() -> dict[tuple[int, int], str] | None:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for r in records:
                    h = {k: v.decode(errors="replace") for k, v in r.headers}
                    if h.get("dlq_consumer") == group and h.get("dlq_topic") == MEASUREMENTS:
                        found[(int(h["dlq_partition"]), int(h["dlq_offset"]))] = h["dlq_reason"]
            return found if wanted <= found.keys() else None

        return await eventually(probe, 30, f"{len(wanted)} dead letters of {group}")
    finally:
        await consumer.stop()


async def test_no_record_stalls_the_measurements_partition(platform: Platform) -> None:
    log_start = platform.goals.log_path.stat().st_size
    overflow_metric, sentinel_metric = (f"{what}.{uuid.uuid4().hex[:8]}" for what in ("overflow", "sentinel"))
    overflow_goal = await asyncio.to_thread(_goal, platform, overflow_metric)
    sentinel_goal = await asyncio.to_thread(_goal, platform, sentinel_metric)
    records = _hostile(platform, overflow_metric)
    records["sentinel"] = _measurement(platform, id=f"sentinel-{uuid.uuid4().hex}", metric=sentinel_metric, value=3)

    # All keyed by the organisation, as a CRM publishes them: one partition, each record in front of the next.
    at: dict[str, tuple[int, int]] = {}
    producer = AIOKafkaProducer(bootstrap_servers=platform.kafka_bootstrap)
    await producer.start()
    try:
        for case, (value, headers) in records.items():
            sent = await producer.send_and_wait(MEASUREMENTS, value, key=platform.org_id.encode(), headers=headers)
            at[case] = (sent.partition, sent.offset)
    finally:
        await producer.stop()
    assert len({partition for partition, _ in at.values()}) == 1, at

    async def sentinel_applied() -> bool:
        return await _goal_value(platform, sentinel_goal) == 3

    await eventually(sentinel_applied, 60, "the measurement behind the hostile records applied")

    # Every hostile record is on the DLQ with its reason; the overflow pair's first may apply alone (its total is
    # finite), or be refused at decoding where the contract bounds a measurement's value.
    refused = {case: where for case, where in at.items() if case not in ("sentinel", "overflow 1")}
    letters = await _letters_of(platform, f"{platform.group_prefix}-goals-measurements", set(refused.values()))
    for case, where in refused.items():
        assert letters[where], case
    assert "Nonsense" in letters[refused["unknown type"]]
    assert at["sentinel"] not in letters
    first_applied = await _goal_value(platform, overflow_goal) == OVERFLOW
    assert first_applied != (at["overflow 1"] in letters), (first_applied, letters.get(at["overflow 1"]))

    # Each try is one line: no storm of tracebacks while the poison was tried.
    with platform.goals.log_path.open("rb") as log:
        log.seek(log_start)
        tracebacks = [line for line in log if b'"exc":' in line]
    assert len(tracebacks) <= 2, tracebacks[:3]
