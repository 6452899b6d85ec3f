"""Rebuild every read model from the topic into a fresh generation, then switch over.

The old generation keeps serving while the new one is made from the start of `goalstream.goals.events.v1`:
the whole log is folded in memory with the live projection's own rules (`rebuild_fold`) and written with COPY
(`rebuild_copy`): the event log, history and processed markers while the fold goes on, the nodes and ladders
once at the end. What arrived meanwhile is then applied through the live projection itself; the rebuild
locks the live generation's row (the consumers' next transactions wait), applies what arrived since, and
switches (`rebuild_catch_up`). Events a consumer applies after the switch are already in the new generation's
processed markers, so they change nothing. The old generation is kept (`retired`) for comparison until dropped.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Callable, Iterator

from aiokafka import AIOKafkaConsumer, TopicPartition

from goalstream_contracts.topics import GOAL_EVENTS
from goalstream_runtime import kafka_clients
from goalstream_runtime.consumers import Rejected
from goalstream_runtime.db import Connection, connect
from goalstream_tracking.adapters import generations, trace_ids
from goalstream_tracking.adapters.rebuild_copy import GenerationCopy
from goalstream_tracking.service_layer.rebuild_catch_up import (
    Progress,
    RebuildResult,
    counter,
    decoded,
    read_until,
    skipped,
)
from goalstream_tracking.service_layer.rebuild_fold import LogFold

__all__ = ["Progress", "RebuildResult", "rebuild"]

log = logging.getLogger(__name__)

FOLD_RECORDS = 10_000  # records per poll while folding
FETCH_BYTES = 4 * 1024 * 1024  # per partition and fetch: the log is read in big batches
CHUNK_ROWS = 20_000  # event-log rows per COPY chunk (as many history points and markers at most)
YOUNG_COLLECTION = 100_000  # allocations between young garbage collections while folding (Python's default: 700)


async def rebuild(database_url: str, schema: str, bootstrap: str, progress: Progress | None = None) -> RebuildResult:
    conn = await connect(database_url, schema)
    consumer = kafka_clients.consumer(
        bootstrap, enable_auto_commit=False, group_id=None, max_partition_fetch_bytes=FETCH_BYTES
    )
    await consumer.start()
    try:
        async with conn.transaction():
            new = await generations.create(conn, "building")
        await consumer.topics()  # the topic's partitions, even when it is not known yet
        partitions = [TopicPartition(GOAL_EVENTS, p) for p in sorted(consumer.partitions_for_topic(GOAL_EVENTS) or ())]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        result = RebuildResult(new, None, 0, 0, 0)
        begin, ends = await consumer.beginning_offsets(partitions), await consumer.end_offsets(partitions)
        with _fewer_collections():
            await _fold(
                conn, consumer, new, ends, result, counter(result, sum(ends[p] - begin[p] for p in ends), progress)
            )
        await read_until(conn, consumer, new, await consumer.end_offsets(partitions), begin, result, progress)
        async with conn.transaction():
            await generations.live_name(conn, lock="update")  # consumers wait from here to the commit
            await read_until(conn, consumer, new, await consumer.end_offsets(partitions), begin, result, progress)
            result.previous = await generations.switch(conn, new)
        log.info("read models rebuilt", extra={"generation": new, "records": result.records})
        return result
    finally:
        await consumer.stop()
        await conn.close()


async def _fold(
    conn: Connection,
    consumer: AIOKafkaConsumer,
    schema: str,
    ends: dict[TopicPartition, int],
    result: RebuildResult,
    advance: Callable[[], None],
) -> None:
    """Everything on the topic up to `ends` (and what came with it), folded in memory and written with COPY."""
    fold, out = LogFold(), GenerationCopy(conn, schema)
    while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
        for records in (await consumer.getmany(timeout_ms=500, max_records=FOLD_RECORDS)).values():
            for record in records:
                if (envelope := decoded(record, result)) is None:
                    continue
                try:
                    fold.apply(envelope, trace_ids.from_headers(record.headers))
                except Rejected as exc:
                    skipped(result, record, str(exc))
        if len(fold.ws.log_rows) >= CHUNK_ROWS:
            await out.append(*fold.drain())
        advance()
    await out.append(*fold.drain())
    await out.nodes_and_ladders(*fold.finish())
    result.applied += fold.applied


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """The fold makes a few objects per event and keeps many (nodes, chunks of rows, event ids): a young collection
    every 700 allocations cost a fifth of its time. Cycles are still collected, only less often."""
    before = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
