"""The event store's batch side: many streams read in one query, a session's buffered events written at once."""

from __future__ import annotations

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.registry import decode_payload
from goalstream_goals.adapters.event_store import ConcurrencyError, insert_events, lock_organisation
from goalstream_runtime.db import Connection
from goalstream_runtime.telemetry import tracer


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
        rows = await conn.fetch(
            "SELECT stream_id, max(stream_version) AS version FROM events WHERE stream_id = ANY($1::text[])"
            " GROUP BY stream_id",
            list(base_versions),
        )
        actual = {r["stream_id"]: r["version"] for r in rows}
        for stream_id, expected in base_versions.items():
            if actual.get(stream_id, 0) != expected:
                raise ConcurrencyError(stream_id, expected, actual.get(stream_id, 0))
        await insert_events(conn, envelopes, traces, notify=first_in_transaction)
