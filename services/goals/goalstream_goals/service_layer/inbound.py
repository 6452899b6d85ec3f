"""The receivers' common path: a verified delivery's records -> the mappings that match -> measurements.

The measurements are recorded by the same use case as `POST /v1/measurements`, in one transaction for the
delivery's organisation; each has the id `<platform>:<account>:<record id>:<metric>`, so a delivery the platform
sends again is a duplicate of the first through the per-measurement idempotency. A record no mapping matches is
counted (`goalstream_inbound_records{outcome="unmatched"}`) and kept, per object type, on its connection.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from prometheus_client import Counter

from goalstream_goals.adapters import connections, mappings
from goalstream_goals.adapters.connections import ConnectionInfo
from goalstream_goals.domain.goal import Measurement
from goalstream_goals.domain.inbound.mapping import matches, measurement
from goalstream_goals.domain.inbound.record import InboundRecord
from goalstream_goals.service_layer.goals import GoalsService
from goalstream_goals.service_layer.measurements import record_measurements
from goalstream_runtime import metrics

RECORDS = Counter(
    "goalstream_inbound_records",
    "Records received from CRMs and analytics platforms, by platform and outcome (matched: a mapping made a"
    " measurement of it; unmatched: no mapping did).",
    ("platform", "outcome"),
)
NOTED = 200  # MappingIn.object_type's max_length
for _platform in ("hubspot", "salesforce", "segment"):  # the series exist at 0 from start-up
    for _outcome in ("matched", "unmatched"):
        RECORDS.labels(_platform, _outcome)


@dataclass(frozen=True)
class Unmatched:
    event_id: str
    object_type: str
    reason: str


@dataclass
class Receipt:
    """What a delivery did: its measurements by outcome, and the records no mapping matched."""

    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    unmatched: list[Unmatched] = field(default_factory=list)


async def receive(
    service: GoalsService, connection: ConnectionInfo, records: list[InboundRecord], correlation: uuid.UUID
) -> Receipt:
    """Record what the connection's organisation maps of `records` (all of the connection's account)."""
    receipt = Receipt()
    now = service.clock()
    async with service.pool.acquire() as conn:
        known = await mappings.list_for(conn, connection.org_id, connection.platform)
    batch: list[tuple[str | None, Measurement]] = []
    for record in records:
        made, reasons = 0, []
        for mapping in (m for m in known if matches(m, record)):
            made_or_why = measurement(mapping, record, now)
            if isinstance(made_or_why, str):
                reasons.append(f"mapping {mapping.mapping_id}: {made_or_why}")
            else:
                batch.append((None, made_or_why))
                made += 1
        if not made:
            reason = "; ".join(reasons) or f"no mapping for {record.platform} {record.object_type} with its value"
            receipt.unmatched.append(Unmatched(record.event_id, record.object_type, reason))
        RECORDS.labels(record.platform, "matched" if made else "unmatched").inc()
    if batch:
        result = await record_measurements(service, connection.org_id, batch, correlation)
        receipt.accepted, receipt.duplicate = result.count("accepted"), result.count("duplicate")
        receipt.rejected = result.count("rejected")
        counts = {"accepted": receipt.accepted, "duplicate": receipt.duplicate, "rejected": receipt.rejected}
        metrics.count_measurements(connection.platform, counts, result.unmatched, result.rejections())
    if receipt.unmatched:
        by_id = {r.event_id: r for r in records}
        async with service.pool.acquire() as conn, conn.transaction():
            for u in receipt.unmatched:
                fields = by_id[u.event_id].fields
                # Noted under the type's first NOTED characters: a mapping's object type is at most that long,
                # and the key is in a b-tree index, whose rows PostgreSQL bounds (a longer one was a 500).
                kind = u.object_type[:NOTED]
                await connections.note_unmatched(
                    conn, connection.connection_id, kind, u.event_id, u.reason, fields, now
                )
    return receipt
