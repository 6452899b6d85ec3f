"""Issuing, revoking and listing an organisation's API keys; each change is also an identity event.

Like `organisations.create_organisation`, every change appends to the organisation's stream
(`org-<org_id>`) in the same transaction, so the outbox publishes ApiKeyIssued / ApiKeyRevoked
and the other services learn the key (or that it no longer works).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from asyncpg import Record

from goalstream_contracts.base import Payload
from goalstream_contracts.identity import ApiKeyIssued, ApiKeyRevoked, Scope
from goalstream_goals.adapters import event_store
from goalstream_runtime.auth import hash_key, new_api_key, visible_prefix
from goalstream_runtime.db import Connection, lock_key


class UnknownOrganisation(LookupError):
    pass


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    org_id: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None


_COLUMNS = "key_id, org_id, prefix, scopes, created_at, revoked_at"


def _info(row: Record) -> KeyInfo:
    return KeyInfo(
        row["key_id"], row["org_id"], row["prefix"], tuple(row["scopes"]), row["created_at"], row["revoked_at"]
    )


async def _append(conn: Connection, org_id: str, payload: Payload, now: datetime) -> None:
    """Append to the organisation's stream at its current version (the org lock makes that safe)."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", lock_key(f"org:{org_id}"))
    stream_id = f"org-{org_id}"
    version = await conn.fetchval("SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = $1", stream_id)
    await event_store.append(
        conn,
        org_id=org_id,
        stream_id=stream_id,
        expected_version=version,
        payloads=[payload],
        occurred_at=now,
        correlation_id=uuid.uuid4(),
    )


async def issue_key(conn: Connection, org_id: str, scopes: tuple[Scope, ...], now: datetime) -> tuple[str, str]:
    """A new key for `org_id`: returns (key id, the key itself, shown once). Needs an open transaction."""
    if not await conn.fetchval("SELECT true FROM organisations WHERE org_id = $1", org_id):
        raise UnknownOrganisation(org_id)
    key, key_id = new_api_key(), f"key_{uuid.uuid4().hex[:12]}"
    await conn.execute(
        "INSERT INTO api_keys (key_hash, key_id, org_id, prefix, scopes) VALUES ($1, $2, $3, $4, $5)",
        hash_key(key),
        key_id,
        org_id,
        visible_prefix(key),
        list(scopes),
    )
    issued = ApiKeyIssued(key_id=key_id, key_hash=hash_key(key), prefix=visible_prefix(key), scopes=scopes)
    await _append(conn, org_id, issued, now)
    return key_id, key


async def revoke_key(conn: Connection, key_id: str, now: datetime) -> bool:
    """Revoke a key; False when there is no such key or it was already revoked. Needs an open transaction."""
    row = await conn.fetchrow(
        "UPDATE api_keys SET revoked_at = $2 WHERE key_id = $1 AND revoked_at IS NULL RETURNING key_hash, org_id",
        key_id,
        now,
    )
    if row is None:
        return False
    await _append(conn, row["org_id"], ApiKeyRevoked(key_id=key_id, key_hash=row["key_hash"]), now)
    return True


async def list_keys(conn: Connection, org_id: str) -> list[KeyInfo]:
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM api_keys WHERE org_id = $1 ORDER BY created_at, key_id", org_id)
    return [_info(r) for r in rows]


async def find_key(conn: Connection, key_id: str) -> KeyInfo | None:
    """The key `key_id`, locked until the transaction ends (so a revocation decides on what it read)."""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM api_keys WHERE key_id = $1 FOR UPDATE", key_id)
    return _info(row) if row else None
