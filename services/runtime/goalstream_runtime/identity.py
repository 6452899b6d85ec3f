"""Every service's own copy of the organisations' API keys, kept from `goalstream.identity.v1`."""

from __future__ import annotations

import asyncpg
from faststream.kafka import KafkaBroker

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.identity import ApiKeyIssued, ApiKeyRevoked
from goalstream_contracts.topics import IDENTITY_EVENTS
from goalstream_runtime.consumers import subscribe
from goalstream_runtime.db import Connection


async def apply_identity(conn: Connection, envelope: Envelope[Payload]) -> None:
    event = envelope.payload
    if isinstance(event, ApiKeyIssued):
        await conn.execute(
            "INSERT INTO api_keys (key_hash, key_id, org_id, prefix, scopes, created_at)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key_hash) DO NOTHING",
            event.key_hash,
            event.key_id,
            envelope.org_id,
            event.prefix,
            list(event.scopes),
            envelope.occurred_at,
        )
    elif isinstance(event, ApiKeyRevoked):
        await conn.execute(
            "UPDATE api_keys SET revoked_at = $2 WHERE key_hash = $1 AND revoked_at IS NULL",
            event.key_hash,
            envelope.occurred_at,
        )


def subscribe_identity(broker: KafkaBroker, service: str, pool: asyncpg.Pool, group_prefix: str = "goalstream") -> None:
    subscribe(
        broker,
        IDENTITY_EVENTS,
        f"{group_prefix}-{service}-identity",
        pool,
        apply_identity,
        span_name=f"{service} identity apply",
    )
