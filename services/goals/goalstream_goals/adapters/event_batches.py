"""The event store's read side: one stream's envelopes, events found by id, many streams' payloads in one query.

The write side (`event_store`) builds on it: a retried request is recognised by `stored`.
"""

from __future__ import annotations

import uuid

import asyncpg

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.registry import decode_payload
from goalstream_runtime.db import Connection

SOURCE = "/goalstream/goals"
_ENVELOPE = Envelope[Payload]  # parametrised once: `Envelope[Payload]` per event costs a cache lookup each


def envelope_of(row: asyncpg.Record) -> Envelope[Payload]:
    """The envelope of one `events` row, its payload upcast to the current version."""
    # The columns are typed (uuid, timestamptz, integer): only the payload needs validating.
    return _ENVELOPE.of_checked(
        decode_payload(row["event_type"], row["schema_version"], row["payload"]),
        event_id=row["event_id"],
        org_id=row["org_id"],
        stream_id=row["stream_id"],
        stream_version=row["stream_version"],
        occurred_at=row["occurred_at"],
        correlation_id=row["correlation_id"],
        causation_id=row["causation_id"],
        source=SOURCE,
    )


async def load(conn: Connection, stream_id: str, org_id: str, after_version: int = 0) -> list[Envelope[Payload]]:
    """The stream's events after `after_version`, in order and upcast to current versions.

    Empty for another organisation's stream, so callers cannot tell it from a missing one.
    """
    rows = await conn.fetch(
        "SELECT * FROM events WHERE stream_id = $1 AND org_id = $2 AND stream_version > $3 ORDER BY stream_version",
        stream_id,
        org_id,
        after_version,
    )
    return [envelope_of(r) for r in rows]


async def stored(conn: Connection, event_ids: list[uuid.UUID]) -> list[Envelope[Payload]]:
    """Those of these events already stored, in stream order (a retried request finds its own)."""
    rows = await conn.fetch("SELECT * FROM events WHERE event_id = ANY($1::uuid[]) ORDER BY stream_version", event_ids)
    return [envelope_of(r) for r in rows]


async def load_payloads(conn: Connection, org_id: str, after_versions: dict[str, int]) -> dict[str, list[Payload]]:
    """For many streams in one query, each stream's payloads after its given version, upcast (no envelopes)."""
    rows = await conn.fetch(
        "SELECT e.stream_id, e.event_type, e.schema_version, e.payload FROM events e"
        " JOIN unnest($1::text[], $2::int[]) AS s(stream_id, after_version) USING (stream_id)"
        " WHERE e.org_id = $3 AND e.stream_version > s.after_version ORDER BY e.stream_id, e.stream_version",
        list(after_versions),
        list(after_versions.values()),
        org_id,
    )
    found: dict[str, list[Payload]] = {stream_id: [] for stream_id in after_versions}
    for r in rows:
        found[r["stream_id"]].append(decode_payload(r["event_type"], r["schema_version"], r["payload"]))
    return found
