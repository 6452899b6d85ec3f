"""Subscriptions on PostgreSQL. Every query is scoped to one organisation."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from goalstream_contracts.common import Severity
from goalstream_notifications.domain.subscription import Channel, SubscriptionFilter
from goalstream_runtime.db import Connection

COLUMNS = (
    "id, channel, target, event_types, root_goal_id, min_severity, created_at, disabled_at, disabled_reason,"
    " secret_rotated_at,"
    # Shown only while the previous secret still signs.
    " CASE WHEN previous_secret_expires_at > now() THEN previous_secret_expires_at END AS previous_secret_expires_at"
)


@dataclass(frozen=True)
class Subscription:
    """A subscription as the API shows it; the secret is shown only once, when it is created."""

    id: uuid.UUID
    channel: Channel
    target: str
    event_types: tuple[str, ...]
    root_goal_id: str | None
    min_severity: Severity | None
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None
    secret_rotated_at: datetime | None = None
    previous_secret_expires_at: datetime | None = None  # None once the previous secret no longer signs

    @classmethod
    def of(cls, row: asyncpg.Record) -> Subscription:
        return cls(**{**dict(row), "event_types": tuple(row["event_types"])})


async def insert(
    conn: Connection | asyncpg.Pool,
    *,
    org_id: str,
    channel: Channel,
    target: str,
    event_types: Sequence[str],
    root_goal_id: str | None,
    min_severity: Severity | None,
    secret: str,
) -> Subscription:
    row = await conn.fetchrow(
        "INSERT INTO subscriptions (id, org_id, channel, target, event_types, root_goal_id, min_severity, secret)"
        f" VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}",
        uuid.uuid4(),
        org_id,
        channel,
        target,
        list(event_types),
        root_goal_id,
        min_severity,
        secret,
    )
    assert row is not None
    return Subscription.of(row)


async def list_for_org(pool: asyncpg.Pool, org_id: str, limit: int) -> list[Subscription]:
    rows = await pool.fetch(
        f"SELECT {COLUMNS} FROM subscriptions WHERE org_id = $1 ORDER BY created_at DESC, id LIMIT $2", org_id, limit
    )
    return [Subscription.of(r) for r in rows]


async def get(conn: Connection | asyncpg.Pool, org_id: str, subscription_id: uuid.UUID) -> Subscription | None:
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM subscriptions WHERE id = $1 AND org_id = $2", subscription_id, org_id
    )
    return None if row is None else Subscription.of(row)


async def rotate_secret(
    conn: Connection | asyncpg.Pool, org_id: str, subscription_id: uuid.UUID, secret: str, overlap_seconds: float
) -> Subscription | None:
    """Make `secret` the signing secret; the current one keeps signing for `overlap_seconds`.

    Only an enabled webhook subscription rotates; None otherwise (or when the organisation has no such
    one). A previous secret still in its overlap is dropped: at most two secrets sign.
    """
    row = await conn.fetchrow(
        "UPDATE subscriptions SET previous_secret = secret, secret = $3, secret_rotated_at = now(),"
        " previous_secret_expires_at = now() + make_interval(secs => $4)"
        " WHERE id = $1 AND org_id = $2 AND channel = 'webhook' AND disabled_at IS NULL"
        f" RETURNING {COLUMNS}",
        subscription_id,
        org_id,
        secret,
        overlap_seconds,
    )
    return None if row is None else Subscription.of(row)


async def disable(conn: Connection, org_id: str, subscription_id: uuid.UUID, reason: str) -> bool:
    """Disable the subscription (a second time changes nothing); False when the organisation has no such one."""
    found = await conn.fetchval(
        "UPDATE subscriptions SET disabled_at = coalesce(disabled_at, now()),"
        " disabled_reason = coalesce(disabled_reason, $3)"
        " WHERE id = $1 AND org_id = $2 RETURNING true",
        subscription_id,
        org_id,
        reason,
    )
    return bool(found)


async def enabled_filters(conn: Connection, org_id: str) -> list[SubscriptionFilter]:
    """The organisation's enabled subscriptions, share-locked until the caller's transaction ends.

    The lock makes a concurrent disable wait for this transaction, so the disable then sees (and
    cancels) any delivery created here instead of leaving it pending for a disabled subscription.
    """
    rows = await conn.fetch(
        "SELECT id, channel, event_types, root_goal_id, min_severity FROM subscriptions"
        " WHERE org_id = $1 AND disabled_at IS NULL ORDER BY id FOR SHARE",
        org_id,
    )
    return [
        SubscriptionFilter(
            subscription_id=str(r["id"]),
            event_types=frozenset(r["event_types"]),
            root_goal_id=r["root_goal_id"],
            min_severity=r["min_severity"],
            channel=r["channel"],
        )
        for r in rows
    ]
