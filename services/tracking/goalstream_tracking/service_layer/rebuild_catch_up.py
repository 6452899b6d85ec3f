"""What a rebuild keeps count of, and its catch-up: the records that arrived while the log was folded, applied to
the new generation through the live projection itself (`project_batch`), and last under the switch's lock.

A record the live consumer dead-letters, the rebuild refuses alike (not our contract, or `Rejected` by the
projection): it is counted and logged, not published again (it is in the DLQ already).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from goalstream_contracts.base import Payload
from goalstream_contracts.cloudevents import ContractError, from_record
from goalstream_contracts.envelope import Envelope
from goalstream_runtime.consumers import Rejected
from goalstream_runtime.db import Connection
from goalstream_runtime.failures import describe
from goalstream_tracking.adapters import trace_ids
from goalstream_tracking.adapters.projection import project, project_batch

log = logging.getLogger("goalstream_tracking.service_layer.rebuild")  # one logger for the whole rebuild

Progress = Callable[[int, int], None]  # (records read, records to read)
Record: TypeAlias = "ConsumerRecord[bytes, bytes]"
BATCH_RECORDS = 1000  # one poll's records, applied as one batch by the live projection
KEPT_REFUSALS = 1000  # refusals listed in the result (all are counted and logged)


@dataclass
class RebuildResult:
    generation: str
    previous: str | None
    records: int
    applied: int
    skipped: int  # not our contract, or refused by the projection (they are in the DLQ already)
    refused: list[tuple[int, int, str]] = field(default_factory=list)  # (partition, offset, reason), the first ones


def counter(result: RebuildResult, total: int, progress: Progress | None) -> Callable[[], None]:
    return lambda: progress(min(result.records, total), total) if progress is not None else None


def decoded(record: Record, result: RebuildResult) -> Envelope[Payload] | None:
    """The record's event, counted; None when it is refused at decoding, as the live consumer refuses it."""
    result.records += 1
    try:
        return from_record(record)  # key and timestamp too: the organisation and time a third-party event may omit
    except ContractError as exc:
        skipped(result, record, str(exc))
    except Exception as exc:  # headers that are not UTF-8, JSON nested past the recursion limit, ...
        skipped(result, record, describe(exc))
    return None


def skipped(result: RebuildResult, record: Record, reason: str) -> None:
    result.skipped += 1
    if len(result.refused) < KEPT_REFUSALS:
        result.refused.append((record.partition, record.offset, reason))
    log.warning("record skipped by the rebuild", extra={"offset": record.offset, "reason": reason})


async def read_until(
    conn: Connection,
    consumer: AIOKafkaConsumer,
    schema: str,
    ends: dict[TopicPartition, int],
    begin: dict[TopicPartition, int],
    result: RebuildResult,
    progress: Progress | None,
) -> None:
    advance = counter(result, sum(ends[tp] - begin[tp] for tp in ends), progress)
    while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
        batches = await consumer.getmany(timeout_ms=500, max_records=BATCH_RECORDS)
        events = [(r, e) for records in batches.values() for r in records if (e := decoded(r, result)) is not None]
        if events:
            await _apply(conn, schema, events, result)
        advance()


async def _apply(
    conn: Connection, schema: str, events: list[tuple[Record, Envelope[Payload]]], result: RebuildResult
) -> None:
    """The batch in one savepoint (inside the switch's transaction at the end); on Rejected, one event each."""
    try:
        async with conn.transaction():
            traces = [trace_ids.from_headers(r.headers) for r, _ in events]
            result.applied += sum(await project_batch(conn, schema, [e for _, e in events], trace_ids=traces))
        return
    except Rejected:
        pass
    for record, envelope in events:
        try:
            async with conn.transaction():
                result.applied += int(await project(conn, schema, envelope, trace_ids.from_headers(record.headers)))
        except Rejected as exc:
            skipped(result, record, str(exc))
