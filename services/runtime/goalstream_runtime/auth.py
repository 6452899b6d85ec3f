"""Organisation API keys: `Authorization: Bearer <key>` resolves to an organisation and its scopes.

Keys are stored and published only as SHA-256 hashes: a key is 32 random bytes, so an unsalted
hash is as strong as the key, and it lets every service look a key up by its hash alone.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import asyncpg
from fastapi import Request

from goalstream_runtime.http import ApiError

KEY_PREFIX = "gs_"

# Each service keeps this table in its own schema (from the identity topic or, in goals, directly).
API_KEYS_TABLE_SQL = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_hash    text PRIMARY KEY,
    key_id      text NOT NULL UNIQUE,
    org_id      text NOT NULL,
    prefix      text NOT NULL,
    scopes      text[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
"""


@dataclass(frozen=True)
class Caller:
    org_id: str
    key_id: str
    scopes: frozenset[str]


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def visible_prefix(key: str) -> str:
    return key[: len(KEY_PREFIX) + 6]


async def authenticate(pool: asyncpg.Pool, request: Request, scope: str) -> Caller:
    header = request.headers.get("authorization", "")
    kind, _, key = header.partition(" ")
    if kind.lower() != "bearer" or not key.strip():
        raise ApiError(401, "unauthorized", "missing API key: send Authorization: Bearer <key>")
    row = await pool.fetchrow(
        "SELECT key_id, org_id, scopes FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        hash_key(key.strip()),
    )
    if row is None:
        raise ApiError(401, "unauthorized", "unknown or revoked API key")
    scopes = frozenset(row["scopes"])
    if scope not in scopes and "admin" not in scopes:
        raise ApiError(403, "forbidden", f"this API key lacks the {scope!r} scope")
    return Caller(org_id=row["org_id"], key_id=row["key_id"], scopes=scopes)
