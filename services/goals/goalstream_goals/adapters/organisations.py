"""Organisations and their API keys; each key is also published as an identity event."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from goalstream_contracts.base import Payload
from goalstream_contracts.identity import ApiKeyIssued, OrganisationCreated, Scope
from goalstream_goals.adapters import event_store
from goalstream_goals.domain.progress import Tolerances
from goalstream_runtime.auth import hash_key, visible_prefix
from goalstream_runtime.db import Connection


async def create_organisation(
    conn: Connection, org_id: str, name: str, api_key: str, scopes: tuple[Scope, ...], now: datetime
) -> str:
    """Create an organisation with one API key; returns the key id. Needs an open transaction."""
    await conn.execute("INSERT INTO organisations (org_id, name) VALUES ($1, $2)", org_id, name)
    key_id = f"key_{uuid.uuid4().hex[:12]}"
    await conn.execute(
        "INSERT INTO api_keys (key_hash, key_id, org_id, prefix, scopes) VALUES ($1, $2, $3, $4, $5)",
        hash_key(api_key),
        key_id,
        org_id,
        visible_prefix(api_key),
        list(scopes),
    )
    events: list[Payload] = [
        OrganisationCreated(name=name),
        ApiKeyIssued(key_id=key_id, key_hash=hash_key(api_key), prefix=visible_prefix(api_key), scopes=scopes),
    ]
    await event_store.append(
        conn,
        org_id=org_id,
        stream_id=f"org-{org_id}",
        expected_version=0,
        payloads=events,
        occurred_at=now,
        correlation_id=uuid.uuid4(),
    )
    return key_id


async def tolerances(conn: Connection | asyncpg.Pool, org_id: str) -> Tolerances:
    row = await conn.fetchval("SELECT tolerances FROM organisations WHERE org_id = $1", org_id)
    return Tolerances(**row) if row else Tolerances()
