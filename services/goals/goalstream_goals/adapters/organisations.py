"""Organisations and their API keys; each key is also published as an identity event."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from goalstream_contracts.base import Payload
from goalstream_contracts.identity import ApiKeyIssued, OrganisationCreated, Scope
from goalstream_goals.adapters import event_store
from goalstream_rules.status import Tolerances
from goalstream_runtime.auth import hash_key, visible_prefix
from goalstream_runtime.db import Connection

# What an organisation id may be: it names streams (`org-<id>`), Kafka keys and URL path segments.
ORG_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"


class OrganisationExists(Exception):
    pass


@dataclass(frozen=True)
class OrganisationInfo:
    org_id: str
    name: str
    created_at: datetime


async def create_organisation(
    conn: Connection, org_id: str, name: str, api_key: str, scopes: tuple[Scope, ...], now: datetime
) -> str:
    """Create an organisation with one API key; returns the key id. Needs an open transaction.

    Raises OrganisationExists, having changed nothing, when `org_id` is taken.
    """
    created = await conn.fetchval(
        "INSERT INTO organisations (org_id, name) VALUES ($1, $2) ON CONFLICT (org_id) DO NOTHING RETURNING true",
        org_id,
        name,
    )
    if not created:
        raise OrganisationExists(org_id)
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


async def organisation(conn: Connection, org_id: str) -> OrganisationInfo | None:
    row = await conn.fetchrow("SELECT org_id, name, created_at FROM organisations WHERE org_id = $1", org_id)
    return OrganisationInfo(row["org_id"], row["name"], row["created_at"]) if row else None


async def list_organisations(conn: Connection, after: str, limit: int) -> list[OrganisationInfo]:
    """Organisations by id, the first `limit` after `after` (keyset paging)."""
    rows = await conn.fetch(
        "SELECT org_id, name, created_at FROM organisations WHERE org_id > $1 ORDER BY org_id LIMIT $2", after, limit
    )
    return [OrganisationInfo(r["org_id"], r["name"], r["created_at"]) for r in rows]


async def tolerances(conn: Connection | asyncpg.Pool, org_id: str) -> Tolerances:
    row = await conn.fetchval("SELECT tolerances FROM organisations WHERE org_id = $1", org_id)
    return Tolerances(**row) if row else Tolerances()
