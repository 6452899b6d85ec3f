"""The goals event store on PostgreSQL, its write side: append-only streams with optimistic concurrency.

A write stores the events and their Kafka records (the outbox) in the caller's transaction.
It first takes a transaction-level advisory lock on the organisation, so one organisation's
events get their global positions in commit order: the relay then publishes them in order per
Kafka key (the organisation id). The scaling consequence: one organisation's writes serialise.

Every write goes through `_insert_checked`, the one place that checks stream versions, and a retried
request is recognised in one place too, `replayed`: a one-stream `append` (the identity events) and a
session's buffered events (`write`) are the same path. The read side is `event_batches`.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from typing import Any

import asyncpg

from goalstream_contracts.base import Payload
from goalstream_contracts.cloudevents import to_kafka_text
from goalstream_contracts.envelope import Envelope
from goalstream_goals.adapters.event_batches import _ENVELOPE, SOURCE, envelope_of, load, stored
from goalstream_runtime.db import Connection, lock_key
from goalstream_runtime.outbox import enqueue
from goalstream_runtime.telemetry import tracer

__all__ = [
    "SOURCE",
    "ConcurrencyError",
    "append",
    "envelope_of",
    "load",
    "lock_organisation",
    "stored",
    "try_lock_organisation",
    "write",
]
COPY_FROM = 50  # events in one write from which COPY beats a pipelined INSERT (it costs a round trip more)
WRITE_CHUNK = 2_000  # events encoded and written at a time: a bound on memory, 2 round trips each
_EVENT_COLUMNS = [
    "event_id", "org_id", "stream_id", "stream_version", "event_type", "schema_version", "occurred_at",
    "correlation_id", "causation_id", "payload",
]  # fmt: skip
OUTBOX_CHANNEL = "goals_outbox"


class ConcurrencyError(Exception):
    """The stream moved on since it was read: expected version `expected`, found `actual`."""

    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        super().__init__(f"stream {stream_id} is at version {actual}, not {expected}")
        self.stream_id, self.expected, self.actual = stream_id, expected, actual


async def lock_organisation(conn: Connection, org_id: str) -> None:
    """The organisation's append lock, held to the end of the transaction (taking it twice is harmless).

    A writer that takes it before it reads decides on state nobody else can change until it commits.
    """
    await conn.execute("SELECT pg_advisory_xact_lock($1)", lock_key(f"org:{org_id}"))


async def try_lock_organisation(conn: Connection, org_id: str) -> bool:
    """`lock_organisation` if nobody holds it now (True), without waiting (False)."""
    taken: bool = await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", lock_key(f"org:{org_id}"))
    return taken


async def replayed(
    conn: Connection, stream_id: str, expected_version: int, event_ids: list[uuid.UUID]
) -> list[Envelope[Payload]] | None:
    """The events a retried request stored already under `event_ids` (None: none stored, append them).

    Some but not all of them, or in another stream, is a conflict: the ids were used for other events.
    """
    found = await stored(conn, event_ids)
    if not found:
        return None
    if len(found) != len(event_ids) or any(e.stream_id != stream_id for e in found):
        raise ConcurrencyError(stream_id, expected_version, -1)
    return found


async def append(
    conn: Connection,
    *,
    org_id: str,
    stream_id: str,
    expected_version: int,
    payloads: list[Payload],
    occurred_at: datetime,
    correlation_id: uuid.UUID,
    causation_id: uuid.UUID | None = None,
    event_ids: list[uuid.UUID] | None = None,
    first_in_transaction: bool = True,
) -> list[Envelope[Payload]]:
    """Append `payloads` after `expected_version` (0 for a new stream); needs an open transaction.

    `first_in_transaction=False` tells a later append of the same transaction (and organisation)
    that the lock is held and the relay notified. With `event_ids` the append is idempotent: if
    those events are already stored in this stream (a retried request), they are returned and
    nothing is written. It runs in a `goals append` span, whose context the outbox stores with the
    records (`traceparent`), so the relay's publish and every consumer continue the same trace.
    """
    if not payloads:
        return []
    with tracer.start_as_current_span(
        "goals append",
        attributes={"goalstream.org_id": org_id, "goalstream.stream_id": stream_id, "goalstream.events": len(payloads)},
    ):
        if first_in_transaction:  # later appends of the same transaction already hold the lock
            await lock_organisation(conn, org_id)
        if event_ids is not None and (found := await replayed(conn, stream_id, expected_version, event_ids)):
            return found
        envelopes = new_envelopes(
            org_id=org_id,
            stream_id=stream_id,
            expected_version=expected_version,
            payloads=payloads,
            occurred_at=occurred_at,
            correlation_id=correlation_id,
            causation_id=causation_id,
            event_ids=event_ids,
        )
        await _insert_checked(conn, envelopes, {stream_id: expected_version}, None, notify=first_in_transaction)
        return envelopes


async def write(
    conn: Connection,
    org_id: str,
    envelopes: list[Envelope[Payload]],
    base_versions: dict[str, int],
    traces: list[dict[str, str]],
    *,
    first_in_transaction: bool,
) -> None:
    """Write a transaction's buffered events (any streams, in decision order) and their outbox records.

    Each stream must still be at the version it was read at (`base_versions`); the caller decided on
    that state. `traces` holds each event's trace context, for the relay to continue.
    """
    if not envelopes:
        return
    with tracer.start_as_current_span(
        "goals append", attributes={"goalstream.org_id": org_id, "goalstream.events": len(envelopes)}
    ):
        if first_in_transaction:
            await lock_organisation(conn, org_id)
        await _insert_checked(conn, envelopes, base_versions, traces, notify=first_in_transaction)


async def _insert_checked(
    conn: Connection,
    envelopes: list[Envelope[Payload]],
    base_versions: dict[str, int],
    traces: list[dict[str, str]] | None,
    *,
    notify: bool,
) -> None:
    """Insert the events if every stream is still at its base version: the store's one version check."""
    rows = await conn.fetch(
        "SELECT stream_id, max(stream_version) AS version FROM events WHERE stream_id = ANY($1::text[])"
        " GROUP BY stream_id",
        list(base_versions),
    )
    actual = {r["stream_id"]: r["version"] for r in rows}
    for stream_id, expected in base_versions.items():
        if actual.get(stream_id, 0) != expected:
            raise ConcurrencyError(stream_id, expected, actual.get(stream_id, 0))
    await insert_events(conn, envelopes, traces, notify=notify)


def new_envelopes(
    *,
    org_id: str,
    stream_id: str,
    expected_version: int,
    payloads: list[Payload],
    occurred_at: datetime,
    correlation_id: uuid.UUID,
    causation_id: uuid.UUID | None,
    event_ids: list[uuid.UUID] | None = None,
) -> list[Envelope[Payload]]:
    """The envelopes `payloads` get when appended after `expected_version` (nothing is written).

    Built from typed values without validating them again (`Envelope.of_checked`): the payloads are
    validated frozen models, and this runs for every event a command or a measurement decides.
    """
    ids = event_ids or _uuid4s(len(payloads))
    return [
        _ENVELOPE.of_checked(
            p,
            event_id=ids[i],
            org_id=org_id,
            stream_id=stream_id,
            stream_version=expected_version + i + 1,
            occurred_at=occurred_at,
            source=SOURCE,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )
        for i, p in enumerate(payloads)
    ]


def _uuid4s(count: int) -> list[uuid.UUID]:
    """`count` random (version 4) ids from one read of the system's randomness, as `uuid.uuid4` makes each."""
    data = os.urandom(16 * count)
    return [uuid.UUID(bytes=data[i : i + 16], version=4) for i in range(0, 16 * count, 16)]


async def insert_events(
    conn: Connection,
    envelopes: list[Envelope[Payload]],
    traces: list[dict[str, str]] | None = None,
    *,
    notify: bool = True,
) -> None:
    """The events' rows and their outbox records; a taken (stream, version) is a ConcurrencyError.

    Each payload is serialised once: the Kafka record's value is also the JSON stored in `events.payload`.
    A large write goes in chunks of WRITE_CHUNK events, in order, so a 5,000-goal batch never holds all its
    encoded records and rows at once (they took about as much memory as the envelopes themselves).
    """
    for start in range(0, len(envelopes), WRITE_CHUNK):
        chunk = slice(start, start + WRITE_CHUNK)
        await _insert_chunk(conn, envelopes[chunk], traces[chunk] if traces is not None else None, notify=notify)
        notify = False  # one NOTIFY per transaction is enough


async def _insert_chunk(
    conn: Connection, envelopes: list[Envelope[Payload]], traces: list[dict[str, str]] | None, *, notify: bool
) -> None:
    records = [to_kafka_text(e) for e in envelopes]
    rows: list[tuple[Any, ...]] = [
        (
            e.event_id,
            e.org_id,
            e.stream_id,
            e.stream_version,
            e.event_type,
            e.schema_version,
            e.occurred_at,
            e.correlation_id,
            e.causation_id,
            r.value,  # JSON text: the jsonb codec passes bytes through
        )
        for e, r in zip(envelopes, records, strict=True)
    ]
    try:
        if len(rows) >= COPY_FROM:
            await conn.copy_records_to_table("events", records=rows, columns=_EVENT_COLUMNS)
        else:
            await conn.executemany(
                f"INSERT INTO events ({', '.join(_EVENT_COLUMNS)}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)", rows
            )
    except asyncpg.UniqueViolationError as exc:
        first = envelopes[0]
        raise ConcurrencyError(first.stream_id, first.stream_version - 1, -1) from exc
    await enqueue(conn, records, OUTBOX_CHANNEL, notify=notify, traces=traces)
