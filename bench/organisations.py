"""New organisations for a phase, made through the admin API with an operator key as an operator would.

One organisation's writes serialise on its append lock and its events share one partition: phases that
spread load (the memory phase's goals, end to end over eight organisations) make organisations of their own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from bench.platform import BenchPlatform
from goalstream_goals.adapters.operator_keys import issue_operator_key
from goalstream_runtime.db import connect

GOALS_SCHEMA = "goals"  # the goals service's schema, where operator keys live


@dataclass(frozen=True)
class Organisation:
    org_id: str
    auth: dict[str, str]  # request headers with the organisation's key


async def _operator_key(platform: BenchPlatform) -> str:
    """An operator key written straight to the goals database, as the CLI (the root of trust) does."""
    conn = await connect(platform.database_url, GOALS_SCHEMA)
    try:
        async with conn.transaction():
            _, key = await issue_operator_key(conn, "benchmark", datetime.now(UTC))
    finally:
        await conn.close()
    return key


async def new_organisations(platform: BenchPlatform, count: int, purpose: str) -> list[Organisation]:
    """`count` new organisations through `POST /v1/admin/organisations`, named after `purpose`."""
    operator = {"Authorization": f"Bearer {await _operator_key(platform)}"}
    run = uuid.uuid4().hex[:6]
    made: list[Organisation] = []
    async with httpx.AsyncClient(base_url=platform.url("goals"), headers=operator, timeout=60) as client:
        for i in range(count):
            org_id = f"bench-{purpose}-{run}-{i}"
            response = await client.post("/v1/admin/organisations", json={"org_id": org_id, "name": f"{purpose} {i}"})
            response.raise_for_status()
            made.append(Organisation(org_id, {"Authorization": f"Bearer {response.json()['key']['key']}"}))
    return made
