"""Organisation API keys: `Authorization: Bearer <key>` resolves to an organisation and its scopes.

Keys are stored and published only as SHA-256 hashes: a key is 32 random bytes, so an unsalted
hash is as strong as the key, and it lets every service look a key up by its hash alone.

Every service keeps an `api_keys` table in its own schema (goals writes it; the others fill it
from the identity topic): key_hash, key_id, org_id, prefix, scopes, created_at, revoked_at.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends, Request

from goalstream_runtime.http import ApiError
from goalstream_runtime.logs import org_id_var
from goalstream_runtime.ratelimit import RateLimiter

KEY_PREFIX = "gs_"


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
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    wait = limiter.take(row["key_id"]) if limiter is not None else None
    if wait is not None:
        retry_after = str(max(1, math.ceil(wait)))
        raise ApiError(
            429,
            "rate_limited",
            f"too many requests for this API key; retry in {retry_after}s",
            headers={"Retry-After": retry_after},
        )
    return Caller(org_id=row["org_id"], key_id=row["key_id"], scopes=scopes)


async def _reader(request: Request) -> Caller:
    caller = await authenticate(request.app.state.pool, request, "read")
    org_id_var.set(caller.org_id)
    return caller


async def _writer(request: Request) -> Caller:
    caller = await authenticate(request.app.state.pool, request, "write")
    org_id_var.set(caller.org_id)
    return caller


# Route parameters: the caller, authenticated against `app.state.pool`, with the scope named.
Reader = Annotated[Caller, Depends(_reader)]
Writer = Annotated[Caller, Depends(_writer)]
