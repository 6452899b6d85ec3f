"""The machine's raw limits, measured in the same run: the broker end to end, and PostgreSQL COPY."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.platform import PARTITIONS, BenchPlatform
from bench.progress import Deadline, bar
from bench.results import Figure, Results
from bench.sample import record_size, sample_record
from bench.settings import Scale
from goalstream_runtime.kafka_admin import ensure_topics

RAW_TOPIC = "bench.raw.v1"
SEND_CHUNK = 1_000
COPY_CHUNK = 10_000

ProgressFn = Callable[[int], None]


async def _consume(bootstrap: str, total: int, on_progress: ProgressFn, deadline: Deadline) -> tuple[int, float]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        partitions = [TopicPartition(RAW_TOPIC, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        received = 0
        while received < total and not deadline.passed:
            batches = await consumer.getmany(timeout_ms=500, max_records=5_000)
            received += sum(len(records) for records in batches.values())
            on_progress(received)
        return received, time.monotonic()
    finally:
        await consumer.stop()


async def broker(platform: BenchPlatform, scale: Scale, results: Results) -> None:
    await ensure_topics(platform.bootstrap, [RAW_TOPIC], PARTITIONS)
    record = sample_record()
    total, deadline = scale.raw_messages, Deadline(scale.phase_timeout)
    producer = AIOKafkaProducer(bootstrap_servers=platform.bootstrap, linger_ms=5, max_batch_size=256 * 1024)
    await producer.start()
    with bar() as progress:
        sent_task = progress.add_task("broker: produced", total=total)
        got_task = progress.add_task("broker: consumed", total=total)
        started = time.monotonic()
        consumer = asyncio.create_task(
            _consume(platform.bootstrap, total, lambda n: progress.update(got_task, completed=n), deadline)
        )
        try:
            for start in range(0, total, SEND_CHUNK):
                if deadline.passed:
                    break
                futures = [
                    await producer.send(RAW_TOPIC, record.value, key=record.key, headers=list(record.headers))
                    for _ in range(min(SEND_CHUNK, total - start))
                ]
                await asyncio.gather(*futures)
                progress.update(sent_task, advance=len(futures))
        finally:
            await producer.stop()
        received, finished = await consumer
    rate = received / (finished - started)
    note = f"{record_size(record)} B each"
    results.add(Figure("raw limits", "broker produce→consume", rate, "messages/s", note=note))
    results.phases["raw limits: broker"] = "done" if received >= total else deadline.timed_out(received, total)


async def postgres_copy(platform: BenchPlatform, scale: Scale, results: Results) -> None:
    total, deadline = scale.copy_rows, Deadline(scale.phase_timeout)
    payload = json.dumps({"metric": "bench.leaf.0", "value": 1.0, "observed_at": "2026-11-22T12:00:00+00:00"})
    conn = await asyncpg.connect(platform.database_url)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_copy (event_id uuid, stream_id text, version int, payload jsonb)"
        )
        chunk = [(uuid.uuid4(), f"goal-{i}", i, payload) for i in range(COPY_CHUNK)]  # built once: time COPY only
        written, started = 0, time.monotonic()
        with bar() as progress:
            task = progress.add_task("postgres: COPY rows", total=total)
            while written < total and not deadline.passed:
                n = min(COPY_CHUNK, total - written)
                await conn.copy_records_to_table("bench_copy", records=chunk[:n])
                written += n
                progress.update(task, completed=written)
        rate = written / (time.monotonic() - started)
        await conn.execute("DROP TABLE bench_copy")
    finally:
        await conn.close()
    results.add(Figure("raw limits", "postgres COPY", rate, "rows/s", note="uuid, text, int, jsonb"))
    results.phases["raw limits: postgres"] = "done" if written >= total else deadline.timed_out(written, total)


async def run(platform: BenchPlatform, scale: Scale, results: Results) -> None:
    await broker(platform, scale, results)
    await postgres_copy(platform, scale, results)
