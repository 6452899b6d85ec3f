"""Platform operators' keys (`operator_keys`): issued and revoked from the CLI, checked by `/v1/admin/*`.

Unlike organisation keys they belong to no organisation and are never published: only the goals
service, which owns organisations and keys, accepts them, and it looks each request's key up here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from goalstream_runtime.auth import OPERATOR_KEY_PREFIX, hash_key, new_operator_key, visible_prefix
from goalstream_runtime.db import Connection


@dataclass(frozen=True)
class OperatorKeyInfo:
    key_id: str
    prefix: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


async def issue_operator_key(conn: Connection, label: str, now: datetime) -> tuple[str, str]:
    """A new operator key: returns (key id, the key itself, shown once)."""
    key, key_id = new_operator_key(), f"op_{uuid.uuid4().hex[:12]}"
    await conn.execute(
        "INSERT INTO operator_keys (key_hash, key_id, prefix, label, created_at) VALUES ($1, $2, $3, $4, $5)",
        hash_key(key),
        key_id,
        visible_prefix(key, OPERATOR_KEY_PREFIX),
        label,
        now,
    )
    return key_id, key


async def revoke_operator_key(conn: Connection, key_id: str, now: datetime) -> bool:
    """Revoke an operator key; False when there is no such key or it was already revoked."""
    revoked = await conn.fetchval(
        "UPDATE operator_keys SET revoked_at = $2 WHERE key_id = $1 AND revoked_at IS NULL RETURNING true",
        key_id,
        now,
    )
    return bool(revoked)


async def list_operator_keys(conn: Connection) -> list[OperatorKeyInfo]:
    rows = await conn.fetch(
        "SELECT key_id, prefix, label, created_at, revoked_at FROM operator_keys ORDER BY created_at, key_id"
    )
    return [OperatorKeyInfo(r["key_id"], r["prefix"], r["label"], r["created_at"], r["revoked_at"]) for r in rows]


async def find_operator(conn: Connection | asyncpg.Pool, key: str) -> str | None:
    """The id of the active operator key `key`, or None (unknown or revoked)."""
    key_id: str | None = await conn.fetchval(
        "SELECT key_id FROM operator_keys WHERE key_hash = $1 AND revoked_at IS NULL", hash_key(key)
    )
    return key_id
