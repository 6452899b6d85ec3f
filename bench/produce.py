"""Topping `goalstream.goals.events.v1` up to a number of records with the synthetic history (bench/history.py).

Produced as the goals relay produces (acks from all, keyed by organisation, so one organisation's
records stay in order in one partition), but batched harder: a chunk of sends is queued while the
previous chunk's acks are awaited.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.history import events, history_org
from bench.progress import Deadline, bar
from goalstream_contracts.cloudevents import KafkaRecord
from goalstream_contracts.topics import GOAL_EVENTS

CHUNK = 5_000  # records queued before waiting for the previous chunk's acks
GOALS = 1_000  # the history's tree: the rest is measurements on its leaves
ROUNDS = 3  # the topic is counted again after each; offsets need not match records one for one


async def topic_records(bootstrap: str) -> int:
    """Records on the goal events topic now: end offsets minus beginning offsets, over its partitions."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        await consumer.topics()  # load the metadata, so the topic's partitions are known
        partitions = [TopicPartition(GOAL_EVENTS, p) for p in sorted(consumer.partitions_for_topic(GOAL_EVENTS) or ())]
        ends, begins = await consumer.end_offsets(partitions), await consumer.beginning_offsets(partitions)
        return sum(ends[tp] - begins[tp] for tp in partitions)
    finally:
        await consumer.stop()


@dataclass
class TopUp:
    before: int  # records on the topic before
    org_id: str = field(default_factory=history_org)
    produced: int = 0
    seconds: float = 0.0
    timed_out: bool = False

    @property
    def rate(self) -> float:
        return self.produced / self.seconds if self.seconds else 0.0


async def top_up(bootstrap: str, target: int, timeout: float) -> TopUp:
    """Produce history until the topic holds `target` records (counted again after each round), or `timeout` passes."""
    done, deadline = TopUp(await topic_records(bootstrap)), Deadline(timeout)
    history = events(done.org_id, min(GOALS, max(1, (target - done.before) // 2)))
    kafka = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=False, linger_ms=20, max_batch_size=512 * 1024
    )
    await kafka.start()
    started = time.monotonic()
    try:
        with bar() as progress:
            task = progress.add_task("rebuild: history produced", total=max(0, target - done.before))

            def acked(count: int) -> None:
                done.produced += count
                progress.update(task, completed=done.produced)

            for _ in range(ROUNDS):
                if (missing := target - await topic_records(bootstrap)) <= 0 or deadline.passed:
                    break
                progress.update(task, total=done.produced + missing)
                await _produce(kafka, itertools.islice(history, missing), deadline, acked)
    finally:
        await kafka.stop()
    done.seconds = time.monotonic() - started
    done.timed_out = deadline.passed and await topic_records(bootstrap) < target
    return done


async def _produce(
    kafka: AIOKafkaProducer, records: Iterable[KafkaRecord], deadline: Deadline, acked: Callable[[int], None]
) -> None:
    """Send `records`, a chunk queued while the previous chunk's acks are awaited; `acked(n)` after each chunk."""
    previous: list[asyncio.Future[object]] = []
    current: list[asyncio.Future[object]] = []

    async def settle(chunk: list[asyncio.Future[object]]) -> None:
        await asyncio.gather(*chunk)
        acked(len(chunk))

    for record in records:
        current.append(await kafka.send(record.topic, record.value, key=record.key, headers=list(record.headers)))
        if len(current) >= CHUNK:
            await settle(previous)
            previous, current = current, []
            if deadline.passed:
                break
    await settle(previous + current)
