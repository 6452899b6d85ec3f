"""The goals service in-process (real PostgreSQL and Kafka) with an operator key, for the admin API tests."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx

from goalstream_goals.adapters import operator_keys
from goalstream_goals.bootstrap import build_app
from goalstream_goals.settings import GoalsSettings

GOAL = {"title": "t", "metric": {"key": "m", "aggregation": "sum"}, "target": 1, "deadline": "2030-01-01T00:00:00Z"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@dataclass
class Goals:
    http: httpx.AsyncClient
    pool: asyncpg.Pool
    operator_key_id: str
    operator: dict[str, str]  # headers with the operator key

    async def create_org(self, scopes: list[str] | None = None) -> tuple[str, str]:
        """A new organisation through the admin API: (org id, its first key)."""
        org_id = f"org-{uuid.uuid4().hex[:10]}"
        body: dict[str, Any] = {"org_id": org_id, "name": f"Org {org_id}"}
        if scopes is not None:
            body["scopes"] = scopes
        response = await self.http.post("/v1/admin/organisations", json=body, headers=self.operator)
        assert response.status_code == 201, response.text
        key: str = response.json()["key"]["key"]
        return org_id, key

    async def issue(self, org_id: str, *scopes: str) -> dict[str, Any]:
        response = await self.http.post(
            f"/v1/admin/organisations/{org_id}/keys", json={"scopes": list(scopes)}, headers=self.operator
        )
        assert response.status_code == 201, response.text
        issued: dict[str, Any] = response.json()
        return issued

    async def counts(self) -> dict[str, int]:
        """Rows in every table an admin change writes: a refused request must leave them all as they were."""
        tables = ("organisations", "api_keys", "events", "outbox", "operator_keys")
        return {t: await self.pool.fetchval(f"SELECT count(*) FROM {t}") for t in tables}

    async def event_types(self, org_id: str) -> list[str]:
        rows = await self.pool.fetch(
            "SELECT event_type FROM events WHERE stream_id = $1 ORDER BY stream_version", f"org-{org_id}"
        )
        return [r["event_type"] for r in rows]


@contextlib.asynccontextmanager
async def running_goals(
    database_url: str, kafka_bootstrap: str, group_prefix: str | None = None
) -> AsyncIterator[Goals]:
    settings = GoalsSettings(
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        consumer_group_prefix=group_prefix or f"it-{uuid.uuid4().hex[:8]}",
        scheduler_enabled=False,
        relay_poll_seconds=0.2,
    )
    app = build_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://goals") as http,
    ):
        pool: asyncpg.Pool = app.state.pool
        async with pool.acquire() as conn, conn.transaction():
            key_id, key = await operator_keys.issue_operator_key(conn, "integration tests", datetime.now(UTC))
        yield Goals(http, pool, key_id, bearer(key))
