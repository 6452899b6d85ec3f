"""Rebuild every read model from the topic into a fresh generation, then switch over.

The old generation keeps serving while the new one is filled from the start of
`goalstream.goals.events.v1`. Once caught up, the rebuild locks the live generation's row (the
consumers' next transactions wait), reads what arrived meanwhile, and switches. Events a consumer
applies after the switch are already in the new generation's processed markers, so they change
nothing. The old generation is kept (`retired`) for comparison until dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from goalstream_contracts.base import Payload
from goalstream_contracts.cloudevents import ContractError, from_kafka
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.topics import GOAL_EVENTS
from goalstream_runtime.consumers import Rejected
from goalstream_runtime.db import Connection, connect
from goalstream_tracking.adapters import generations
from goalstream_tracking.adapters.projection import project, project_batch

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (records read, records to read)
BATCH_RECORDS = 1000  # one poll's records, applied as one batch


@dataclass
class RebuildResult:
    generation: str
    previous: str | None
    records: int
    applied: int
    skipped: int  # not our contract, or refused by the projection (they are in the DLQ already)


async def rebuild(database_url: str, schema: str, bootstrap: str, progress: Progress | None = None) -> RebuildResult:
    conn = await connect(database_url, schema)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        async with conn.transaction():
            new = await generations.create(conn, "building")
        partitions = [TopicPartition(GOAL_EVENTS, p) for p in sorted(consumer.partitions_for_topic(GOAL_EVENTS) or ())]
        if not partitions:
            await consumer.topics()  # refresh metadata once; the topic may just not be known yet
            partitions = [
                TopicPartition(GOAL_EVENTS, p) for p in sorted(consumer.partitions_for_topic(GOAL_EVENTS) or ())
            ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        result = RebuildResult(new, None, 0, 0, 0)
        begin = await consumer.beginning_offsets(partitions)
        await _read_until(conn, consumer, new, await consumer.end_offsets(partitions), begin, result, progress)
        async with conn.transaction():
            await generations.live_name(conn, lock="update")  # consumers wait from here to the commit
            await _read_until(conn, consumer, new, await consumer.end_offsets(partitions), begin, result, progress)
            result.previous = await generations.switch(conn, new)
        log.info("read models rebuilt", extra={"generation": new, "records": result.records})
        return result
    finally:
        await consumer.stop()
        await conn.close()


async def _read_until(
    conn: Connection,
    consumer: AIOKafkaConsumer,
    schema: str,
    ends: dict[TopicPartition, int],
    begin: dict[TopicPartition, int],
    result: RebuildResult,
    progress: Progress | None,
) -> None:
    total = sum(ends[tp] - begin[tp] for tp in ends)
    while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
        batches = await consumer.getmany(timeout_ms=500, max_records=BATCH_RECORDS)
        events: list[tuple[int, Envelope[Payload]]] = []  # (offset, event)
        for record in (r for records in batches.values() for r in records):
            result.records += 1
            try:
                events.append((record.offset, from_kafka(record.headers, record.value)))
            except ContractError as exc:
                _skipped(result, record.offset, exc)
        if events:
            await _apply(conn, schema, events, result)
        if progress is not None:
            progress(min(result.records, total), total)


async def _apply(
    conn: Connection, schema: str, events: list[tuple[int, Envelope[Payload]]], result: RebuildResult
) -> None:
    """The batch in one savepoint (inside the switch's transaction at the end); on Rejected, one event each."""
    try:
        async with conn.transaction():
            result.applied += sum(await project_batch(conn, schema, [e for _, e in events]))
        return
    except Rejected:
        pass
    for offset, envelope in events:
        try:
            async with conn.transaction():
                result.applied += int(await project(conn, schema, envelope))
        except Rejected as exc:
            _skipped(result, offset, exc)


def _skipped(result: RebuildResult, offset: int, exc: Exception) -> None:
    result.skipped += 1
    log.warning("record skipped by the rebuild", extra={"offset": offset, "reason": str(exc)})
