"""Reading deliveries with their attempts, for the API. Every query is scoped to one organisation."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg

from goalstream_runtime.db import Connection

DeliveryStatus = Literal["pending", "delivered", "dead"]

COLUMNS = (
    "id, subscription_id, event_id, event_type, status, attempts, next_attempt_at, last_error, last_status_code,"
    " created_at, delivered_at"
)


@dataclass(frozen=True)
class Attempt:
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    retry_after_seconds: float | None = None  # what a 429/503 asked for in Retry-After


@dataclass(frozen=True)
class Delivery:
    id: uuid.UUID
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: DeliveryStatus  # held to these by the table's CHECK constraint
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    last_status_code: int | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: tuple[Attempt, ...]


async def list_for_org(
    conn: Connection | asyncpg.Pool,
    org_id: str,
    *,
    status: DeliveryStatus | None = None,
    subscription_id: uuid.UUID | None = None,
    delivery_id: uuid.UUID | None = None,
    limit: int = 100,
) -> list[Delivery]:
    """Newest first, optionally only one status, one subscription or one delivery."""
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM deliveries WHERE org_id = $1 AND ($2::text IS NULL OR status = $2)"
        " AND ($3::uuid IS NULL OR subscription_id = $3) AND ($4::uuid IS NULL OR id = $4)"
        " ORDER BY created_at DESC, id LIMIT $5",
        org_id,
        status,
        subscription_id,
        delivery_id,
        limit,
    )
    attempts = await conn.fetch(
        "SELECT delivery_id, attempt, at, status_code, error, retry_after_seconds FROM delivery_attempts"
        " WHERE delivery_id = ANY($1::uuid[]) ORDER BY delivery_id, attempt",
        [r["id"] for r in rows],
    )
    log: dict[uuid.UUID, list[Attempt]] = defaultdict(list)
    for a in attempts:
        log[a["delivery_id"]].append(
            Attempt(a["attempt"], a["at"], a["status_code"], a["error"], a["retry_after_seconds"])
        )
    return [Delivery(**dict(r), attempt_log=tuple(log[r["id"]])) for r in rows]


async def get(conn: Connection | asyncpg.Pool, org_id: str, delivery_id: uuid.UUID) -> Delivery | None:
    found = await list_for_org(conn, org_id, delivery_id=delivery_id, limit=1)
    return found[0] if found else None
