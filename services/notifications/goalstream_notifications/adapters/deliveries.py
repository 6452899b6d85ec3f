"""Deliveries and their attempt log on PostgreSQL: create, claim, conclude, list, reopen.

A worker claims due deliveries by pushing their `next_attempt_at` one lease into the future, so
no other worker takes them meanwhile, and a crashed worker's claims come due again when the
lease ends. Concluding an attempt is guarded by the attempt count the claim saw: if the lease
ran out and another worker concluded first, the late result is dropped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import asyncpg

from goalstream_notifications.domain.retry import AttemptResult
from goalstream_runtime.db import Connection

WAKE_CHANNEL = "notifications_deliveries"


@dataclass(frozen=True)
class ClaimedDelivery:
    id: uuid.UUID
    org_id: str
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    correlation_id: uuid.UUID | None
    body: bytes
    attempts: int
    channel: str
    target: str
    secret: str
    subscription_enabled: bool
    # A rotated-out secret still in its overlap window: it signs too (see subscriptions.rotate_secret).
    previous_secret: str | None = None
    # The W3C trace headers of the fan-out that created it (traceparent, tracestate); None: no trace.
    trace_context: dict[str, str] | None = None


async def insert_pending(
    conn: Connection,
    *,
    org_id: str,
    subscription_ids: Iterable[str],
    event_id: uuid.UUID,
    event_type: str,
    correlation_id: uuid.UUID,
    body: bytes,
    first_wait: float,
    trace_context: dict[str, str] | None = None,
) -> None:
    """One pending delivery per subscription; a (subscription, event) that has one already keeps it."""
    trace = trace_context or None
    rows = [
        (uuid.uuid4(), org_id, s, event_id, event_type, correlation_id, body, first_wait, trace)
        for s in subscription_ids
    ]
    if not rows:
        return
    await conn.executemany(
        "INSERT INTO deliveries (id, org_id, subscription_id, event_id, event_type, correlation_id, body,"
        " next_attempt_at, trace_context)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8), $9)"
        " ON CONFLICT (subscription_id, event_id) DO NOTHING",
        rows,
    )
    await conn.execute(f"NOTIFY {WAKE_CHANNEL}")


async def claim_due(pool: asyncpg.Pool, limit: int, lease_seconds: float) -> list[ClaimedDelivery]:
    rows = await pool.fetch(
        "WITH due AS ("
        "  SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= now()"
        "  ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
        " UPDATE deliveries d SET next_attempt_at = now() + make_interval(secs => $2)"
        " FROM due, subscriptions s WHERE d.id = due.id AND s.id = d.subscription_id"
        " RETURNING d.id, d.org_id, d.subscription_id, d.event_id, d.event_type, d.correlation_id, d.body,"
        " d.attempts, s.channel, s.target, s.secret, s.disabled_at IS NULL AS subscription_enabled,"
        " CASE WHEN s.previous_secret_expires_at > now() THEN s.previous_secret END AS previous_secret,"
        " d.trace_context",
        limit,
        lease_seconds,
    )
    return [ClaimedDelivery(**{**dict(r), "body": bytes(r["body"])}) for r in rows]


@dataclass(frozen=True)
class Conclusion:
    """What one attempt comes to: the delivery's next `status`, and for a retry the wait before it."""

    delivery: ClaimedDelivery
    result: AttemptResult
    status: str  # 'delivered', 'pending' (to retry) or 'dead'
    retry_in: float = 0.0


async def conclude_attempts(conn: Connection, conclusions: Sequence[Conclusion]) -> dict[uuid.UUID, int]:
    """Record the attempts and move each delivery to its status: one UPDATE and one INSERT for the batch.

    The new attempt count of each delivery that concluded; one that lost the race (its lease ran out
    and another worker concluded that attempt first) is left out, and nothing is recorded for it.
    """
    if not conclusions:
        return {}
    errors = [None if c.result.succeeded else c.result.describe() for c in conclusions]
    rows = await conn.fetch(
        "UPDATE deliveries d SET attempts = d.attempts + 1, status = c.status, last_status_code = c.status_code,"
        " last_error = c.error,"
        " next_attempt_at = CASE WHEN c.status = 'pending' THEN now() + make_interval(secs => c.retry_in)"
        " ELSE now() END,"
        " delivered_at = CASE WHEN c.status = 'delivered' THEN now() END"
        " FROM unnest($1::uuid[], $2::int[], $3::text[], $4::int[], $5::text[], $6::float8[])"
        " AS c(id, seen, status, status_code, error, retry_in)"
        " WHERE d.id = c.id AND d.status = 'pending' AND d.attempts = c.seen RETURNING d.id, d.attempts",
        [c.delivery.id for c in conclusions],
        [c.delivery.attempts for c in conclusions],
        [c.status for c in conclusions],
        [c.result.status_code for c in conclusions],
        errors,
        [c.retry_in for c in conclusions],
    )
    attempts: dict[uuid.UUID, int] = {r["id"]: r["attempts"] for r in rows}
    won = [(c, e) for c, e in zip(conclusions, errors, strict=True) if c.delivery.id in attempts]
    if won:
        await conn.execute(
            "INSERT INTO delivery_attempts (delivery_id, attempt, status_code, error, retry_after_seconds)"
            " SELECT * FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[], $5::float8[])",
            [c.delivery.id for c, _ in won],
            [attempts[c.delivery.id] for c, _ in won],
            [c.result.status_code for c, _ in won],
            [e for _, e in won],
            [c.result.retry_after for c, _ in won],
        )
    return attempts


async def cancel(conn: Connection, delivery_ids: Sequence[uuid.UUID], reason: str) -> None:
    """Pending deliveries whose subscription went away: dead without an attempt."""
    await conn.execute(
        "UPDATE deliveries SET status = 'dead', last_error = $2 WHERE id = ANY($1::uuid[]) AND status = 'pending'",
        delivery_ids,
        reason,
    )


async def cancel_for_subscription(conn: Connection, subscription_id: uuid.UUID, reason: str) -> None:
    await conn.execute(
        "UPDATE deliveries SET status = 'dead', last_error = $2 WHERE subscription_id = $1 AND status = 'pending'",
        subscription_id,
        reason,
    )


async def lock_for_retry(conn: Connection, org_id: str, delivery_id: uuid.UUID) -> asyncpg.Record | None:
    """The delivery's status and whether its subscription is enabled, row-locked; None if not the org's."""
    return await conn.fetchrow(
        "SELECT d.status, s.disabled_at IS NULL AS subscription_enabled FROM deliveries d"
        " JOIN subscriptions s ON s.id = d.subscription_id"
        " WHERE d.id = $1 AND d.org_id = $2 FOR UPDATE OF d",
        delivery_id,
        org_id,
    )


async def reopen(conn: Connection, delivery_id: uuid.UUID) -> None:
    """Make a dead delivery due now; it gets one more attempt (see the service layer)."""
    await conn.execute(
        "UPDATE deliveries SET status = 'pending', next_attempt_at = now() WHERE id = $1 AND status = 'dead'",
        delivery_id,
    )
    await conn.execute(f"NOTIFY {WAKE_CHANNEL}")


async def queue_depth(pool: asyncpg.Pool, timeout: float = 2.0) -> tuple[int, int, int]:
    """(pending, of which due now, dead): counted on the partial indexes deliveries_due and deliveries_dead."""
    row = await pool.fetchrow(
        "SELECT (SELECT count(*) FROM deliveries WHERE status = 'pending') AS pending,"
        " (SELECT count(*) FROM deliveries WHERE status = 'pending' AND next_attempt_at <= now()) AS due,"
        " (SELECT count(*) FROM deliveries WHERE status = 'dead') AS dead",
        timeout=timeout,
    )
    assert row is not None
    return int(row["pending"]), int(row["due"]), int(row["dead"])
