"""The pipeline's hops with no work, each in its own process as the services are: a relay and two readers.

Started with multiprocessing's spawn context by `bench.pipeline_limit`. The counters are shared values the
phase reads for its progress bars; `time.monotonic()` is CLOCK_MONOTONIC, one clock for every process.
"""

from __future__ import annotations

import asyncio
import time
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

Headers = list[tuple[str, bytes]]
FETCH = 5_000  # records per getmany, as raw limits reads


def _consumer(bootstrap: str, topic: str, group: str) -> AIOKafkaConsumer:
    # A fresh group on a fresh topic: it starts at the beginning, and commits per batch like the services.
    return AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False, auto_offset_reset="earliest"
    )


async def _joined(consumer: AIOKafkaConsumer, ready: Event) -> None:
    """Wait for the group's assignment, so the phase times the hops and not the joins."""
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=100)
    ready.set()


async def _relay(
    bootstrap: str,
    topics: tuple[str, str],
    event: tuple[bytes, Headers],
    total: int,
    done: Synchronized[int],
    ready: Event,
) -> None:
    source, target = topics
    value, headers = event
    consumer = _consumer(bootstrap, source, f"{source}.relay")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=256 * 1024)
    await consumer.start()
    await producer.start()
    try:
        await producer.partitions_for(target)  # metadata known before the clock starts
        await _joined(consumer, ready)
        relayed = 0
        while relayed < total:
            batches = await consumer.getmany(timeout_ms=500, max_records=FETCH)
            # One event per measurement, keyed as the measurement was (its organisation), acked before the commit.
            futures = [
                await producer.send(target, value, key=record.key, headers=headers)
                for records in batches.values()
                for record in records
            ]
            if futures:
                await asyncio.gather(*futures)
                await consumer.commit()
                relayed += len(futures)
                done.value = relayed
    finally:
        await producer.stop()
        await consumer.stop()


async def _read(
    bootstrap: str, topic: str, group: str, total: int, done: Synchronized[int], last: Synchronized[float], ready: Event
) -> None:
    consumer = _consumer(bootstrap, topic, group)
    await consumer.start()
    try:
        await _joined(consumer, ready)
        read = 0
        while read < total:
            batches = await consumer.getmany(timeout_ms=500, max_records=FETCH)
            if count := sum(len(records) for records in batches.values()):
                read += count
                last.value = time.monotonic()
                done.value = read
                await consumer.commit()
    finally:
        await consumer.stop()


def relay(
    bootstrap: str,
    topics: tuple[str, str],
    event: tuple[bytes, Headers],
    total: int,
    done: Synchronized[int],
    ready: Event,
) -> None:
    asyncio.run(_relay(bootstrap, topics, event, total, done, ready))


def read(
    bootstrap: str, topic: str, group: str, total: int, done: Synchronized[int], last: Synchronized[float], ready: Event
) -> None:
    asyncio.run(_read(bootstrap, topic, group, total, done, last, ready))
