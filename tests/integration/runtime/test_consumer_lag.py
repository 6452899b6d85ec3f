"""Consumer lag per partition, in messages and in seconds, on the session's real broker.

Each test makes its own topic and consumer group, produces known records (batched, so Tansu's
end offsets are the base offset of the last batch + 1), commits chosen offsets as the group, and
compares the monitor's answer with what it produced.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from goalstream_runtime.auth import hash_key, new_api_key, visible_prefix
from goalstream_runtime.http import create_app
from goalstream_runtime.kafka_admin import ensure_topics
from goalstream_runtime.lag import LagMonitor, LagSnapshot, PartitionLag
from goalstream_tracking.entrypoints import lag as lag_routes
from tests.support.infra import Endpoints

# Records per partition; partition 3 stays empty.
PRODUCED = {0: 5, 1: 3, 2: 4, 3: 0}


def _unique(kind: str) -> str:
    return f"test-lag-{kind}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def topic(infra: Endpoints) -> AsyncIterator[str]:
    """A fresh topic holding PRODUCED records, sent in batches."""
    name = _unique("topic")
    await ensure_topics(infra.kafka_bootstrap, [name], len(PRODUCED))
    await _produce(infra.kafka_bootstrap, name, PRODUCED)
    yield name


async def _produce(bootstrap: str, topic: str, counts: dict[int, int]) -> None:
    """Each partition's first half, then a moment later its second half: two batches, two timestamps."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=100, enable_idempotence=False)
    await producer.start()
    try:
        for half in (0, 1):
            sent = [
                await producer.send(topic, f"{partition}:{i}".encode(), partition=partition)
                for partition, count in counts.items()
                for i in range(count)
                if (i >= count // 2) == bool(half)
            ]
            await asyncio.gather(*sent)
            await asyncio.sleep(0.05)
    finally:
        await producer.stop()


async def _commit(bootstrap: str, group: str, topic: str, offsets: dict[int, int]) -> None:
    """Commit `offsets` (partition -> next offset to consume) as a consumer of `group`."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = {TopicPartition(topic, p): offset for p, offset in offsets.items()}
        consumer.assign(list(tps))
        await consumer.commit(tps)
    finally:
        await consumer.stop()


async def _timestamp(bootstrap: str, topic: str, partition: int, offset: int) -> int:
    """The timestamp (ms) of the record at `offset`, read back from the broker."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="none")
    await consumer.start()
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        consumer.seek(tp, offset)
        record = await asyncio.wait_for(consumer.getone(tp), 10)
        assert record.offset == offset
        return int(record.timestamp)
    finally:
        await consumer.stop()


def _by_partition(snapshot: LagSnapshot, topic: str) -> dict[int, PartitionLag]:
    assert {p.topic for p in snapshot.partitions} == {topic}
    return {p.partition: p for p in snapshot.partitions}


async def test_lag_per_partition_in_messages_and_seconds(infra: Endpoints, topic: str) -> None:
    group = _unique("group")
    # partition 0 half consumed, 1 never committed, 2 fully consumed, 3 empty.
    await _commit(infra.kafka_bootstrap, group, topic, {0: 2, 2: 4})
    monitor = LagMonitor(infra.kafka_bootstrap, group, [topic], cache_seconds=0)
    try:
        snapshot = await monitor.snapshot()
    finally:
        await monitor.close()

    lags = _by_partition(snapshot, topic)
    assert {p: (lag.committed, lag.end, lag.lag_messages) for p, lag in lags.items()} == {
        0: (2, 5, 3),
        1: (None, 3, 3),
        2: (4, 4, 0),
        3: (None, 0, 0),
    }
    assert snapshot.group == group
    assert snapshot.lag_messages == 6
    # Seconds: the age of the record at the committed offset (the log start when none is committed);
    # on partition 0 it is younger than the log start.
    for partition, offset in ((0, 2), (1, 0)):
        stamp = await _timestamp(infra.kafka_bootstrap, topic, partition, offset)
        seconds = lags[partition].lag_seconds
        assert seconds is not None and seconds > 0
        assert seconds == pytest.approx(snapshot.taken_at - stamp / 1000, abs=1e-6)
    assert lags[2].lag_seconds == 0 and lags[3].lag_seconds == 0
    assert snapshot.lag_seconds == max(lags[0].lag_seconds or 0, lags[1].lag_seconds or 0)


async def test_no_lag_once_everything_is_committed(infra: Endpoints, topic: str) -> None:
    group = _unique("group")
    await _commit(infra.kafka_bootstrap, group, topic, {0: 1})
    monitor = LagMonitor(infra.kafka_bootstrap, group, [topic], cache_seconds=0)
    try:
        before = await monitor.snapshot()
        assert before.lag_messages == sum(PRODUCED.values()) - 1
        assert before.lag_seconds > 0

        await _commit(infra.kafka_bootstrap, group, topic, {p: n for p, n in PRODUCED.items() if n})
        after = await monitor.snapshot()
    finally:
        await monitor.close()

    lags = _by_partition(after, topic)
    assert {p: (lag.end, lag.lag_messages, lag.lag_seconds) for p, lag in lags.items()} == {
        p: (n, 0, 0.0) for p, n in PRODUCED.items()
    }
    assert after.lag_messages == 0 and after.lag_seconds == 0


async def test_answers_are_cached_for_cache_seconds(infra: Endpoints, topic: str) -> None:
    group = _unique("group")
    cached = LagMonitor(infra.kafka_bootstrap, group, [topic], cache_seconds=3600)
    fresh = LagMonitor(infra.kafka_bootstrap, group, [topic], cache_seconds=0)
    try:
        first = await cached.snapshot()
        await _produce(infra.kafka_bootstrap, topic, {0: 2})
        assert await cached.snapshot() is first
        assert (await fresh.snapshot()).lag_messages == first.lag_messages + 2
    finally:
        await cached.close()
        await fresh.close()


async def test_the_group_member_fallback_reads_the_same_committed_offsets(infra: Endpoints, topic: str) -> None:
    group = _unique("group")
    await _commit(infra.kafka_bootstrap, group, topic, {0: 3, 2: 1})
    monitor = LagMonitor(infra.kafka_bootstrap, group, [topic], cache_seconds=0)
    try:
        found = await monitor.committed_by_member([TopicPartition(topic, p) for p in PRODUCED])
    finally:
        await monitor.close()
    assert {tp.partition: offset for tp, offset in found.items()} == {0: 3, 1: None, 2: 1, 3: None}


async def test_a_missing_topic_is_reported_empty_and_not_created(infra: Endpoints) -> None:
    missing = _unique("missing")
    monitor = LagMonitor(infra.kafka_bootstrap, _unique("group"), [missing], cache_seconds=0)
    try:
        assert (await monitor.snapshot()).partitions == []
        assert (await monitor.snapshot()).partitions == []
    finally:
        await monitor.close()


async def test_get_v1_lag_answers_readers_only(infra: Endpoints, database_url: str, topic: str) -> None:
    group = _unique("group")
    await _commit(infra.kafka_bootstrap, group, topic, {0: 2, 2: 4})
    key = new_api_key()
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    assert pool is not None
    # The auth table as every service keeps it (see goalstream_runtime.auth).
    await pool.execute(
        "CREATE TABLE api_keys (key_hash text PRIMARY KEY, key_id text NOT NULL, org_id text NOT NULL,"
        " prefix text NOT NULL, scopes text[] NOT NULL, revoked_at timestamptz)"
    )
    await pool.execute(
        "INSERT INTO api_keys VALUES ($1, $2, $3, $4, $5, NULL)",
        hash_key(key),
        _unique("key"),
        _unique("org"),
        visible_prefix(key),
        ["read"],
    )
    app = create_app("lag test", "0", 1 << 20, _ready)
    app.include_router(lag_routes.router)
    app.state.pool = pool
    app.state.lag_monitor = LagMonitor(infra.kafka_bootstrap, group, [topic], cache_seconds=0)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tracking") as api:
            assert (await api.get("/v1/lag")).status_code == 401
            assert (await api.get("/v1/lag", headers={"authorization": "Bearer gs_nope"})).status_code == 401
            response = await api.get("/v1/lag", headers={"authorization": f"Bearer {key}"})
    finally:
        await app.state.lag_monitor.close()
        await pool.close()

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["group"] == group
    assert body["lag_messages"] == 6 and body["lag_seconds"] > 0
    [listed] = body["topics"]
    assert listed["topic"] == topic
    rows = {p["partition"]: p for p in listed["partitions"]}
    assert {p: (r["committed"], r["end"], r["lag_messages"]) for p, r in rows.items()} == {
        0: (2, 5, 3),
        1: (None, 3, 3),
        2: (4, 4, 0),
        3: (None, 0, 0),
    }
    assert rows[0]["lag_seconds"] > 0 and rows[1]["lag_seconds"] > 0
    assert rows[2]["lag_seconds"] == 0 and rows[3]["lag_seconds"] == 0


async def _ready() -> dict[str, bool]:
    return {}
