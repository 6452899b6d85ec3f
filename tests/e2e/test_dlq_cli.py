"""`goalstream dlq` against the real platform: dead letters listed with their reason, shown whole and safely,
and replayed to their topic once however often the replay is asked for.

A record still bad is dead-lettered again once and no more; a record refused until its goal was fixed applies
once when replayed (twice, and once more with --again): a sentinel measurement behind it shows no second effect.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from goalstream_contracts.cloudevents import to_kafka
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.measurements import MeasurementSubmitted
from goalstream_contracts.topics import MEASUREMENTS, REPLAY_LOG_CONFIG, dlq, dlq_replays
from tests.e2e.conftest import Platform
from tests.support.cli import goalstream
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC)
ESCAPES = "\x1b[2J\x1b]0;pwned\x07\u202e"  # clear the screen, set the window title, reverse the text


def _record(
    platform: Platform, measurement: MeasurementSubmitted, stream: str = "dlq-cli"
) -> tuple[bytes, list[tuple[str, bytes]]]:
    envelope = Envelope[MeasurementSubmitted].new(
        measurement, org_id=platform.org_id, stream_id=stream, stream_version=1, occurred_at=NOW, source="/crm"
    )
    record = to_kafka(envelope)
    return record.value, list(record.headers)


async def _publish(platform: Platform, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=platform.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(MEASUREMENTS, value, key=key, headers=headers)
    finally:
        await producer.stop()


async def _topic_config(platform: Platform, topic: str) -> dict[str, str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=platform.kafka_bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        await admin.close()
    [(_, _, _, _, entries)] = response.resources
    return {entry[0]: entry[1] for entry in entries}


def _dlq(platform: Platform, *args: str) -> str:
    result = goalstream("dlq", *args, "--bootstrap", platform.kafka_bootstrap, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _letters(platform: Platform, key: str) -> list[str]:
    """`list`'s lines of this organisation's measurement dead letters with this key."""
    listed = _dlq(platform, "list", "measurements", "--org", platform.org_id, "--limit", "1000")
    return [line for line in listed.splitlines() if f" key={key} " in line]


async def _letters_when(platform: Platform, key: str, count: int) -> list[str]:
    async def probe() -> list[str] | None:
        lines = await asyncio.to_thread(_letters, platform, key)
        return lines if len(lines) >= count else None

    return await eventually(probe, 60, f"{count} dead letters keyed {key}")


async def test_a_bad_record_is_listed_shown_safely_and_replayed_once_then_dead_lettered_once_more(
    platform: Platform,
) -> None:
    key, sentinel = f"dlq-bad-{uuid.uuid4().hex}", f"sentinel-{uuid.uuid4().hex}"
    _, headers = _record(platform, MeasurementSubmitted(metric="dlq.bad", value=1, observed_at=NOW))
    await _publish(platform, key.encode(), f"{{not json {ESCAPES}".encode(), headers)

    [listed] = await _letters_when(platform, key, 1)
    at = listed.split()[1]
    assert listed.startswith(f"measurements {at} ") and "type=MeasurementSubmitted" in listed, listed
    assert f"consumer={platform.group_prefix}-goals-measurements" in listed and "reason=" in listed, listed
    assert "replayed" not in listed.split("reason=")[0]

    shown = _dlq(platform, "show", "measurements", at)
    assert f"key           {key}" in shown and "reason        " in shown and "not JSON" in shown, shown
    assert "ce_orgid: " + platform.org_id in shown
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown, repr(shown)
    assert "\\x1b[2J" in shown and "\\u202e" in shown, shown

    first = _dlq(platform, "replay", "measurements", at)
    assert f"{at} replayed as {MEASUREMENTS}/" in first, first
    second = _dlq(platform, "replay", "measurements", at)
    assert f"{at} already replayed at " in second, second
    # The replay log keeps every entry (compacted, never expired): else `replay --all` would resend this later.
    config = await _topic_config(platform, dlq_replays(MEASUREMENTS))
    assert REPLAY_LOG_CONFIG.items() <= config.items(), config

    # Still bad: the consumer refuses the replayed copy, once; it carries the replay, so --all passes it over.
    letters = await _letters_when(platform, key, 2)
    again = next(line for line in letters if line.split()[1] != at)
    assert "replayed" in again.split("reason=")[0], again
    every = _dlq(platform, "replay", "measurements", "--all", "--org", platform.org_id)
    assert f"{again.split()[1]} already replayed at " in every and " replayed as " not in every, every

    # A sentinel dead letter with the same key, so on the same partition behind them all: once it is listed,
    # nothing else of `key` can still be on its way. It is told apart by its payload.
    await _publish(platform, key.encode(), f"{{{sentinel}".encode(), headers)
    known = {at, again.split()[1]}

    async def newcomers() -> list[str] | None:
        lines = await asyncio.to_thread(_letters, platform, key)
        return [line.split()[1] for line in lines if line.split()[1] not in known] or None

    arrived = await eventually(newcomers, 60, "the sentinel's dead letter")
    assert len(arrived) == 1, f"dead letters of `key` besides the sentinel: {arrived}"
    assert sentinel in _dlq(platform, "show", "measurements", arrived[0]), "a third dead letter of the replayed record"


def _goal(platform: Platform, metric: str) -> tuple[str, str]:
    body = {
        "title": "refused until fixed",
        "metric": {"key": metric, "aggregation": "sum"},
        "target": 100,
        "start_at": (NOW - timedelta(days=1)).isoformat(),
        "deadline": (NOW + timedelta(days=30)).isoformat(),
    }
    response = httpx.post(f"{platform.goals.url}/v1/goals", headers=platform.auth, json=body, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["id"], response.headers["ETag"]


def _rebind(platform: Platform, goal_id: str, etag: str, metric: str) -> None:
    patched = httpx.patch(
        f"{platform.goals.url}/v1/goals/{goal_id}",
        headers={**platform.auth, "If-Match": etag},
        json={"metric": {"key": metric, "aggregation": "sum"}},
        timeout=30,
    )
    assert patched.status_code == 200, patched.text


def _value(platform: Platform, goal_id: str) -> float | None:
    response = httpx.get(f"{platform.goals.url}/v1/goals/{goal_id}", headers=platform.auth, timeout=30)
    assert response.status_code == 200, response.text
    value: float | None = response.json()["current_value"]
    return value


async def _value_becomes(platform: Platform, goal_id: str, value: float) -> None:
    async def probe() -> bool:
        return await asyncio.to_thread(_value, platform, goal_id) == value

    await eventually(probe, 60, f"goal {goal_id} at {value}")


async def test_a_record_refused_until_its_goal_was_fixed_applies_once_however_often_it_is_replayed(
    platform: Platform,
) -> None:
    old, new = f"dlq.old.{uuid.uuid4().hex[:8]}", f"dlq.new.{uuid.uuid4().hex[:8]}"
    goal_id, etag = await asyncio.to_thread(_goal, platform, old)
    key = f"dlq-fix-{uuid.uuid4().hex}"
    named = MeasurementSubmitted(id=f"m-{uuid.uuid4().hex}", goal_id=goal_id, metric=new, value=5, observed_at=NOW)
    await _publish(platform, key.encode(), *_record(platform, named))
    [listed] = await _letters_when(platform, key, 1)
    assert f"is bound to metric {old}, not {new}" in listed, listed

    await asyncio.to_thread(_rebind, platform, goal_id, etag, new)
    at = listed.split()[1]
    assert " replayed as " in _dlq(platform, "replay", "measurements", at)
    assert " already replayed at " in _dlq(platform, "replay", "measurements", at)
    await _value_becomes(platform, goal_id, 5)

    # --again sends it once more (as a crash between republishing and recording would): a repeat, no effect.
    assert " replayed again as " in _dlq(platform, "replay", "measurements", at, "--again")
    sentinel = MeasurementSubmitted(id=f"s-{uuid.uuid4().hex}", metric=new, value=1, observed_at=NOW)
    await _publish(platform, key.encode(), *_record(platform, sentinel))  # same key: behind the replays
    await _value_becomes(platform, goal_id, 6)
    assert len(_letters(platform, key)) == 1, "the replays were applied, not refused"


async def test_tail_accepts_a_dead_letter_topic(platform: Platform) -> None:
    key = f"dlq-tail-{uuid.uuid4().hex}"
    _, headers = _record(platform, MeasurementSubmitted(metric="dlq.tail", value=1, observed_at=NOW), key)
    await _publish(platform, key.encode(), b"{tail", headers)
    await _letters_when(platform, key, 1)
    args = ["tail", "--bootstrap", platform.kafka_bootstrap, "--from-beginning", "--org", platform.org_id]
    tail = [*args, "--topic", dlq(MEASUREMENTS), "--goal", key, "--limit", "1"]
    result = await asyncio.to_thread(goalstream, *tail, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("measurements ") and f" key={key} " in result.stdout, result.stdout
    refused = await asyncio.to_thread(goalstream, *args, "--topic", "nonsense", timeout=30)
    assert refused.returncode == 2 and "unknown topic 'nonsense'" in refused.stderr, refused.stderr
