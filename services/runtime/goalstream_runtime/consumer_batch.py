"""Applying one batch of consumed records: all in one transaction, or one at a time when the batch fails.

Every event is applied at most once (its processed marker commits with its effects), in a span that
continues its own record's `traceparent` (the batch's consumer span only links them), and each record
ends with an outcome: applied, repeat or dead_lettered with the reason (the caller publishes it).
When a batch fails for a reason of its own (`failures`), its records are applied one at a time, so
only the one at fault is refused: at once when `Rejected`, after `ATTEMPTS` tries for any other error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import asyncpg
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from goalstream_contracts.base import Payload
from goalstream_contracts.cloudevents import ContractError, from_header_map, read_headers
from goalstream_contracts.envelope import Envelope
from goalstream_runtime import metrics
from goalstream_runtime import telemetry_messaging as messaging
from goalstream_runtime.db import Connection
from goalstream_runtime.failures import ATTEMPTS, PAUSE_SECONDS, describe, is_transient
from goalstream_runtime.logs import event_id_var, org_id_var
from goalstream_runtime.telemetry import extract, header_map, tracer

Apply = Callable[[Connection, Envelope[Payload]], Awaitable[None]]
TopicPartition = tuple[str, int]


@dataclass(frozen=True)
class OwnedBatch:
    """What an `ApplyBatch` is given: the events, the partition of each, and per partition the first and last
    offsets of the records this call covers (refused ones too). A consumer that keeps state in memory tells by
    them a batch that follows the last one it committed from one after a gap (a rebalance, a redelivery)."""

    envelopes: Sequence[Envelope[Payload]]
    partitions: Sequence[TopicPartition]
    offsets: Mapping[TopicPartition, tuple[int, int]]
    records: Sequence[Any] = ()  # each event's aiokafka record, for what only the record holds (its headers)


# Owns its transaction and markers: applies each event unless applied before; per event, False for a repeat.
ApplyBatch = Callable[[asyncpg.Pool, OwnedBatch], Awaitable[Sequence[bool]]]

log = logging.getLogger(__name__)

_MARK = "INSERT INTO processed_events (event_id) SELECT unnest($1::uuid[]) ON CONFLICT DO NOTHING RETURNING event_id"


class Rejected(Exception):
    """The projection refuses this event for good (it can never apply); it goes to the DLQ."""


@dataclass
class Item:
    """One record of the batch: its event (None when it is not our contract) and what became of it."""

    record: Any  # aiokafka's ConsumerRecord
    envelope: Envelope[Payload] | None = None
    reason: str | None = None  # why it goes to the DLQ
    outcome: str = "applied"
    span: Span = trace.INVALID_SPAN

    def reset(self) -> None:
        """Undo what a failed try said of it: its transaction rolled back, so it is to be applied anew."""
        self.reason, self.outcome = None, "applied"

    def reject(self, reason: str) -> None:
        self.reason, self.outcome = reason, "dead_lettered"
        self.span.set_status(Status(StatusCode.ERROR, reason[:200]))

    @contextlib.contextmanager
    def context(self) -> Iterator[None]:
        """Log lines name the event's organisation and id; spans started inside are children of its span."""
        org = org_id_var.set(self.envelope.org_id if self.envelope else None)
        event = event_id_var.set(str(self.envelope.event_id) if self.envelope else None)
        try:
            with trace.use_span(self.span, end_on_exit=False):
                yield
        finally:
            org_id_var.reset(org)
            event_id_var.reset(event)


def trace_parent(record: Any) -> Context | None:
    """The producer's context a record carries (`traceparent`), or None; unreadable headers name none."""
    try:
        trace_headers = header_map(record.headers)
    except Exception:  # not UTF-8: decoding refuses the record with the reason
        return None
    return extract(trace_headers) if "traceparent" in trace_headers else None


def decode(
    records: Sequence[Any], handler: str, group: str = "", parents: Sequence[Context | None] | None = None
) -> list[Item]:
    """Our contract's events, each with its `process <topic>` span started; the others marked for the DLQ.

    A record's span (CONSUMER, `messaging.*` attributes) is a child of the context it carries, and links it (`parents`,
    each record's `trace_parent`, when the caller has read them), else of the batch's span; `handler` (e.g.
    `tracking apply`) names the projection. One pass per record: its headers are read once for the
    CloudEvent and once for its trace, and its payload is validated from the raw bytes (`from_header_map`).
    """
    items: list[Item] = []
    for i, record in enumerate(records):
        try:
            headers = read_headers(record.headers)
            envelope = from_header_map(headers, record.value, record.key, record.timestamp)
            parent = parents[i] if parents is not None else trace_parent(record)
        except ContractError as exc:
            items.append(Item(record, reason=str(exc), outcome="dead_lettered"))
            continue
        except Exception as exc:  # headers that are not UTF-8, JSON nested past the recursion limit, ...
            items.append(Item(record, reason=describe(exc), outcome="dead_lettered"))
            continue
        attributes = messaging.record_attributes(record, group, headers.get("ce_id") or str(envelope.event_id))
        attributes |= {
            "goalstream.event_id": str(envelope.event_id),
            "goalstream.event_type": envelope.event_type,
            "goalstream.org_id": envelope.org_id,
            "goalstream.handler": handler,
        }
        name = messaging.span_name(messaging.PROCESS, record.topic)
        # Parent and link both: the conventions say a `process` span links the message's creation context
        # (and may have it as parent for one message), and a backend that follows links only still connects it.
        links = messaging.links((parent,)) if parent is not None else None
        span = tracer.start_span(name, context=parent, kind=SpanKind.CONSUMER, attributes=attributes, links=links)
        items.append(Item(record, envelope, span=span))
    return items


def finish(items: Sequence[Item], topic: str, group: str, seconds: float) -> None:
    """Count and time each record by its outcome, and end its span."""
    share = seconds / max(len(items), 1)  # a record's share of its batch's time
    for item in items:
        metrics.MESSAGES.labels(topic, group, item.outcome).inc()
        metrics.HANDLER_SECONDS.labels(topic, group, item.outcome).observe(share)
        item.span.end()


async def apply_alone(
    items: Sequence[Item], apply_items: Callable[[list[Item]], Awaitable[None]], transient: tuple[type[Exception], ...]
) -> None:
    """After their batch failed: each record on its own, refusing only those that fail alone.

    A transient error is raised (the caller redelivers the batch; what was applied is then a repeat).
    """
    for item in items:
        if item.envelope is None:
            continue  # refused at decoding
        for attempt in range(1, ATTEMPTS + 1):
            item.reset()
            try:
                await apply_items([item])
                break
            except Rejected as exc:
                item.reject(str(exc))
                break
            except Exception as exc:
                if is_transient(exc, transient):
                    raise
                with item.context():  # one line a try; the traceback once, with the last
                    if attempt < ATTEMPTS:
                        log.warning("applying a record failed (try %d of %d): %s", attempt, ATTEMPTS, describe(exc))
                        await asyncio.sleep(PAUSE_SECONDS * attempt)
                    else:
                        log.error("applying a record failed %d times; it goes to the DLQ", attempt, exc_info=exc)
                        item.reject(describe(exc))


# A token new for each transaction `apply_each` opens, set while its events are applied: an `Apply` may keep what
# it read under it for the batch's later events (the rows it locked stay locked until the transaction ends).
BATCH_TRANSACTION: ContextVar[object | None] = ContextVar("goalstream_batch_transaction", default=None)


async def apply_each(pool: asyncpg.Pool, items: Sequence[Item], apply: Apply) -> None:
    """`apply` for every event not applied before, all in one transaction."""
    async with pool.acquire() as conn, conn.transaction():
        token = BATCH_TRANSACTION.set(object())
        try:
            await _apply_each(conn, items, apply)
        finally:
            BATCH_TRANSACTION.reset(token)


async def _apply_each(conn: Connection, items: Sequence[Item], apply: Apply) -> None:
    rows = await conn.fetch(_MARK, [item.envelope.event_id for item in items if item.envelope])
    fresh = {r["event_id"] for r in rows}
    for item in items:
        assert item.envelope is not None
        if item.envelope.event_id not in fresh:
            item.outcome = "repeat"
            continue
        fresh.discard(item.envelope.event_id)  # a second copy in the same batch is a repeat
        with item.context():
            await apply(conn, item.envelope)
        item.outcome = "applied"


async def apply_owned(pool: asyncpg.Pool, items: Sequence[Item], apply: ApplyBatch) -> None:
    """`apply` (which writes its own markers) for the whole batch: its events, and the offsets of all its records."""
    live = [item for item in items if item.envelope is not None]
    offsets: dict[TopicPartition, tuple[int, int]] = {}
    for item in items:
        at = (item.record.topic, item.record.partition)
        first, _ = offsets.get(at, (item.record.offset, 0))
        offsets[at] = (first, item.record.offset)
    batch = OwnedBatch(
        [item.envelope for item in live if item.envelope],
        [(i.record.topic, i.record.partition) for i in live],
        offsets,
        [item.record for item in live],
    )
    with live[0].context() if len(live) == 1 else contextlib.nullcontext():  # alone: its logs and spans
        applied = await apply(pool, batch)
    for item, fresh in zip(live, applied, strict=True):
        item.outcome = "applied" if fresh else "repeat"
