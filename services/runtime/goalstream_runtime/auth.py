"""Organisation API keys: `Authorization: Bearer <key>` resolves to an organisation and its scopes.

Keys are stored and published only as SHA-256 hashes: a key is 32 random bytes, so an unsalted
hash is as strong as the key, and it lets every service look a key up by its hash alone.

Every service keeps an `api_keys` table in its own schema (goals writes it; the others fill it
from the identity topic): key_hash, key_id, org_id, prefix, scopes, created_at, revoked_at.

Operator keys (`gso_`, the goals service's `/v1/admin/*`) are not organisation keys: no service
finds them in `api_keys`, so they get 401 everywhere else.
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
OPERATOR_KEY_PREFIX = "gso_"


@dataclass(frozen=True)
class Caller:
    org_id: str
    key_id: str
    scopes: frozenset[str]


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def new_operator_key() -> str:
    return OPERATOR_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def visible_prefix(key: str, prefix: str = KEY_PREFIX) -> str:
    return key[: len(prefix) + 6]


def bearer_key(request: Request) -> str:
    """The key of `Authorization: Bearer <key>`; 401 when there is none."""
    kind, _, key = request.headers.get("authorization", "").partition(" ")
    if kind.lower() != "bearer" or not key.strip():
        raise ApiError(401, "unauthorized", "missing API key: send Authorization: Bearer <key>")
    return key.strip()


def rate_limit(request: Request, key_id: str) -> None:
    """429 with Retry-After when `key_id` is over the app's rate limit (if it has one)."""
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    wait = limiter.take(key_id) if limiter is not None else None
    if wait is not None:
        retry_after = str(max(1, math.ceil(wait)))
        raise ApiError(
            429,
            "rate_limited",
            f"too many requests for this API key; retry in {retry_after}s",
            headers={"Retry-After": retry_after},
        )


async def authenticate(pool: asyncpg.Pool, request: Request, scope: str) -> Caller:
    key = bearer_key(request)
    row = await pool.fetchrow(
        "SELECT key_id, org_id, scopes FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL", hash_key(key)
    )
    if row is None:
        if key.startswith(OPERATOR_KEY_PREFIX):
            raise ApiError(401, "unauthorized", "an operator key is not an organisation API key (it serves /v1/admin)")
        raise ApiError(401, "unauthorized", "unknown or revoked API key")
    scopes = frozenset(row["scopes"])
    if scope not in scopes and "admin" not in scopes:
        raise ApiError(403, "forbidden", f"this API key lacks the {scope!r} scope")
    rate_limit(request, row["key_id"])
    return Caller(org_id=row["org_id"], key_id=row["key_id"], scopes=scopes)


async def _reader(request: Request) -> Caller:
    caller = await authenticate(request.app.state.pool, request, "read")
    org_id_var.set(caller.org_id)
    return caller


async def _writer(request: Request) -> Caller:
    caller = await authenticate(request.app.state.pool, request, "write")
    org_id_var.set(caller.org_id)
    return caller


async def _admin(request: Request) -> Caller:
    caller = await authenticate(request.app.state.pool, request, "admin")
    org_id_var.set(caller.org_id)
    return caller


# Route parameters: the caller, authenticated against `app.state.pool`, with the scope named.
Reader = Annotated[Caller, Depends(_reader)]
Writer = Annotated[Caller, Depends(_writer)]
Admin = Annotated[Caller, Depends(_admin)]
