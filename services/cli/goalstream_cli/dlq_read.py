"""Reading a topic from its start to the end it had when the read began (DLQs and their replay logs are small).

No consumer group: nothing is committed and nobody's offsets move. Records that arrive during the read are left
for the next command, so a replay never reads the dead letters it is itself causing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from goalstream_cli.dlq_records import DeadLetter
from goalstream_runtime import kafka_clients

CONNECT_TIMEOUT_MS = 10_000


def unreachable(bootstrap: str, exc: Exception) -> RuntimeError:
    """A connection error that names the address tried."""
    return RuntimeError(f"could not reach Kafka at {bootstrap}: {exc}")


C = TypeVar("C", AIOKafkaConsumer, AIOKafkaProducer)


@asynccontextmanager
async def _started(client: C, bootstrap: str) -> AsyncIterator[C]:
    """`client` started, stopped on the way out; a broker out of reach is an error naming its address."""
    try:
        await client.start()
    except (KafkaError, OSError) as exc:
        await client.stop()  # what start opened
        raise unreachable(bootstrap, exc) from exc
    try:
        yield client
    finally:
        await client.stop()


def consumer_at(bootstrap: str) -> AbstractAsyncContextManager[AIOKafkaConsumer]:
    consumer = kafka_clients.consumer(
        bootstrap, group_id=None, enable_auto_commit=False, request_timeout_ms=CONNECT_TIMEOUT_MS
    )
    return _started(consumer, bootstrap)


def producer_at(bootstrap: str) -> AbstractAsyncContextManager[AIOKafkaProducer]:
    return _started(kafka_clients.producer(bootstrap, acks="all", request_timeout_ms=CONNECT_TIMEOUT_MS), bootstrap)


async def read_all(bootstrap: str, topic: str) -> list[DeadLetter]:
    """Every record of `topic` up to its end offsets now, in partition and offset order.

    A consumer of its own: one that read another topic before kept that topic's fetch state and missed records.
    """
    async with consumer_at(bootstrap) as consumer:
        return await _read(consumer, topic)


async def _read(consumer: AIOKafkaConsumer, topic: str) -> list[DeadLetter]:
    await consumer.topics()  # fresh metadata: the topic's partitions, even one created a moment ago
    partitions = sorted(consumer.partitions_for_topic(topic) or ())
    tps = [TopicPartition(topic, p) for p in partitions]
    if not tps:
        return []
    consumer.assign(tps)
    await consumer.seek_to_beginning(*tps)
    ends = await consumer.end_offsets(tps)
    found: list[DeadLetter] = []
    while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
        for tp, records in (await consumer.getmany(*tps, timeout_ms=500)).items():
            found += [DeadLetter.of(r) for r in records if r.offset < ends[tp]]
    return sorted(found, key=lambda d: (d.partition, d.offset))
