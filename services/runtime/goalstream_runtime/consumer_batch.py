"""Applying one batch of consumed records: all in one transaction, or one at a time when any is refused.

Every event is applied at most once (its processed marker commits with its effects), in a span that
continues its own record's `traceparent` (the batch's consumer span only links them), and each record
ends with an outcome: applied, repeat or dead_lettered with the reason (the caller publishes it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode

from goalstream_contracts.base import Payload
from goalstream_contracts.cloudevents import ContractError, from_kafka
from goalstream_contracts.envelope import Envelope
from goalstream_runtime import metrics
from goalstream_runtime.db import Connection
from goalstream_runtime.logs import event_id_var, org_id_var
from goalstream_runtime.telemetry import extract, header_map, tracer

Apply = Callable[[Connection, Envelope[Payload]], Awaitable[None]]
# Owns its transaction and markers: applies each event unless applied before; per event, False for a repeat.
ApplyBatch = Callable[[asyncpg.Pool, Sequence[Envelope[Payload]]], Awaitable[Sequence[bool]]]

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


def decode(records: Iterable[Any], span_name: str) -> list[Item]:
    """Our contract's events, each with its span started; the others marked for the DLQ with the reason."""
    items: list[Item] = []
    for record in records:
        try:
            envelope = from_kafka(record.headers, record.value)
        except ContractError as exc:
            items.append(Item(record, reason=str(exc), outcome="dead_lettered"))
            continue
        # The record's own trace when it names one; without it, the batch's consumer span.
        parent = extract(record.headers) if "traceparent" in header_map(record.headers) else None
        attributes = {
            "goalstream.event_id": str(envelope.event_id),
            "goalstream.event_type": envelope.event_type,
            "goalstream.org_id": envelope.org_id,
        }
        items.append(Item(record, envelope, span=tracer.start_span(span_name, context=parent, attributes=attributes)))
    return items


def finish(items: Sequence[Item], topic: str, group: str, seconds: float) -> None:
    """Count and time each record by its outcome, and end its span."""
    share = seconds / max(len(items), 1)  # a record's share of its batch's time
    for item in items:
        metrics.MESSAGES.labels(topic, group, item.outcome).inc()
        metrics.HANDLER_SECONDS.labels(topic, group, item.outcome).observe(share)
        item.span.end()


async def apply_each(pool: asyncpg.Pool, items: Sequence[Item], apply: Apply) -> None:
    """`apply` for every event not applied before, all in one transaction; on Rejected, one per transaction."""
    try:
        await _in_one_transaction(pool, items, apply)
    except Rejected:
        for item in items:
            try:
                await _in_one_transaction(pool, [item], apply)
            except Rejected as exc:
                item.reject(str(exc))


async def _in_one_transaction(pool: asyncpg.Pool, items: Sequence[Item], apply: Apply) -> None:
    async with pool.acquire() as conn, conn.transaction():
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
    """`apply` (which writes its own markers) for the whole batch; on Rejected, one event at a time."""
    envelopes = [item.envelope for item in items if item.envelope]
    try:
        applied = list(await apply(pool, envelopes))
    except Rejected:
        applied = []
        for item, envelope in zip(items, envelopes, strict=True):
            with item.context():
                try:
                    applied += await apply(pool, [envelope])
                except Rejected as exc:
                    item.reject(str(exc))
                    applied.append(False)
    for item, fresh in zip(items, applied, strict=True):
        if item.reason is None:
            item.outcome = "applied" if fresh else "repeat"
