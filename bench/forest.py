"""Many goals quickly, through the real services: several organisations' trees created side by side.

One organisation's writes serialise on its append lock, so the memory phase's goals are spread
over ORGANISATIONS new organisations (made through the admin API with an operator key, issued as
`goalstream admin operator issue` does), each growing its own tree with its own requests in flight.
The goals count once tracking shows every one of them.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from bench.platform import BenchPlatform
from bench.progress import Deadline, bar
from bench.query import whole_tree
from bench.tree import GoalTree, grow, level_sizes
from goalstream_goals.adapters.operator_keys import issue_operator_key
from goalstream_runtime.db import connect

ORGANISATIONS = 4
GOALS_SCHEMA = "goals"  # the goals service's schema, where operator keys live
Auth = dict[str, str]  # request headers with one organisation's key


@dataclass
class Forest:
    organisations: int
    created: int = 0  # goals the goals API accepted
    shown: int = 0  # of those, goals tracking shows in their trees
    seconds: float = 0.0  # to create them
    waited: float = 0.0  # then, until tracking showed them
    timed_out: bool = False


async def _operator_key(platform: BenchPlatform) -> str:
    """An operator key written straight to the goals database, as the CLI (the root of trust) does."""
    conn = await connect(platform.database_url, GOALS_SCHEMA)
    try:
        async with conn.transaction():
            _, key = await issue_operator_key(conn, "benchmark", datetime.now(UTC))
    finally:
        await conn.close()
    return key


async def _organisations(platform: BenchPlatform, count: int) -> list[Auth]:
    """`count` new organisations through `POST /v1/admin/organisations`: each one's auth headers."""
    operator = {"Authorization": f"Bearer {await _operator_key(platform)}"}
    run = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(base_url=platform.url("goals"), headers=operator, timeout=60) as client:
        auths: list[Auth] = []
        for i in range(count):
            body = {"org_id": f"bench-memory-{run}-{i}", "name": f"bench memory {i}"}
            response = await client.post("/v1/admin/organisations", json=body)
            response.raise_for_status()
            auths.append({"Authorization": f"Bearer {response.json()['key']['key']}"})
    return auths


async def create_forest(platform: BenchPlatform, goals: int, timeout: float) -> Forest:
    """About `goals` goals over ORGANISATIONS trees; stops at `timeout`, saying how far it got."""
    deadline, forest = Deadline(timeout), Forest(ORGANISATIONS)
    auths = await _organisations(platform, forest.organisations)
    each = -(-goals // forest.organisations)

    def created() -> None:
        forest.created += 1
        progress.advance(task)

    clients = [httpx.AsyncClient(base_url=platform.url("goals"), headers=a, timeout=120) for a in auths]
    with bar() as progress:
        total = sum(level_sizes(each)) * forest.organisations
        task = progress.add_task(f"memory: goals in {forest.organisations} orgs (HTTP)", total=total)
        started = time.monotonic()
        try:
            trees = await asyncio.gather(*(grow(c, each, deadline, created) for c in clients))
        except TimeoutError:
            forest.timed_out = True
            return forest
        finally:
            forest.seconds = time.monotonic() - started
            await asyncio.gather(*(c.aclose() for c in clients))
        forest.shown = await _shown(platform, auths, trees, deadline)
        forest.waited = time.monotonic() - started - forest.seconds
    forest.timed_out = forest.shown < forest.created
    return forest


async def _shown(platform: BenchPlatform, auths: list[Auth], trees: list[GoalTree], deadline: Deadline) -> int:
    """Wait until tracking shows every tree whole (or the deadline passes): the goals it shows."""
    shown = 0
    for auth, tree in zip(auths, trees, strict=True):
        async with httpx.AsyncClient(base_url=platform.url("tracking"), headers=auth, timeout=120) as client:
            shown += await whole_tree(client, {"root": tree.root_id, "max_depth": 10}, tree.created, deadline)
    return shown
