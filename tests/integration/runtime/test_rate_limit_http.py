"""Rate limits per API key through a real app and database: 429 with Retry-After, per key."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from goalstream_runtime.auth import Reader, hash_key, new_api_key, visible_prefix
from goalstream_runtime.db import create_pool
from goalstream_runtime.http import create_app
from goalstream_runtime.ratelimit import RateLimiter


async def _ready() -> dict[str, bool]:
    return {"ok": True}


@pytest.fixture
async def app(database_url: str) -> FastAPI:
    pool = await create_pool(database_url, "public")
    await pool.execute(
        "CREATE TABLE api_keys (key_hash text PRIMARY KEY, key_id text NOT NULL, org_id text NOT NULL,"
        " prefix text NOT NULL, scopes text[] NOT NULL, revoked_at timestamptz)"
    )
    app = create_app("limited", "0", 1 << 20, _ready)
    app.state.pool = pool
    app.state.rate_limiter = RateLimiter(per_second=0.5, burst=2)

    @app.get("/v1/thing")
    async def thing(caller: Reader) -> dict[str, str]:
        return {"org": caller.org_id}

    return app


async def _key(app: FastAPI, key_id: str) -> str:
    key = new_api_key()
    await app.state.pool.execute(
        "INSERT INTO api_keys (key_hash, key_id, org_id, prefix, scopes) VALUES ($1, $2, 'org', $3, '{read}')",
        hash_key(key),
        key_id,
        visible_prefix(key),
    )
    return key


async def test_a_key_over_its_rate_gets_429_with_retry_after_and_other_keys_do_not(app: FastAPI) -> None:
    first, second = await _key(app, "k1"), await _key(app, "k2")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        statuses = [(await client.get("/v1/thing", headers={"Authorization": f"Bearer {first}"})) for _ in range(3)]
        assert [r.status_code for r in statuses] == [200, 200, 429]
        limited = statuses[-1]
        assert limited.json()["error"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= 2
        other = await client.get("/v1/thing", headers={"Authorization": f"Bearer {second}"})
        assert other.status_code == 200
    await app.state.pool.close()
