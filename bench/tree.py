"""The five-level goal tree, created through the goals API as an organisation would, timed.

Every parent is a `sum` rollup and every leaf a `sum` goal on its own metric, so the root's current
value is the number of unit measurements the read models have applied: one cheap query says how
far the pipeline got.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.platform import BenchPlatform
from bench.progress import Deadline, bar
from bench.results import Figure, Results
from bench.sample import DEADLINE, START, leaf_metric

LEVELS = ("organisation", "department", "team", "team", "individual")
PARALLEL_REQUESTS = 8


def level_sizes(goals: int) -> tuple[int, ...]:
    """Five levels: a fan-out of about goals^(1/4) for the first four, the rest as leaves."""
    fanout = max(2, round(goals**0.25))
    upper = [fanout**depth for depth in range(4)]
    return (*upper, max(1, goals - sum(upper)))


@dataclass
class GoalTree:
    root_id: str = ""
    leaf_ids: list[str] = field(default_factory=list)
    created: int = 0
    seconds: float = 0.0

    @property
    def leaves(self) -> int:
        return len(self.leaf_ids)


def _body(depth: int, index: int, parent_id: str | None, leaf: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": f"bench goal {depth}.{index}",
        "level": LEVELS[depth],
        "target": 1_000_000_000.0,
        "start_at": START.isoformat(),
        "deadline": DEADLINE.isoformat(),
    }
    if parent_id is not None:
        body["parent_id"] = parent_id
    if leaf:
        body["metric"] = {"key": leaf_metric(index), "aggregation": "sum"}
        body["target"] = 1_000.0
    else:
        body["rollup"] = "sum"
    return body


async def grow(client: httpx.AsyncClient, goals: int, deadline: Deadline, created: Callable[[], None]) -> GoalTree:
    """A tree of about `goals` goals through `client` (one organisation's key), level by level, parents first."""
    sizes, tree, gate = level_sizes(goals), GoalTree(), asyncio.Semaphore(PARALLEL_REQUESTS)

    async def create(body: dict[str, Any]) -> str:
        async with gate:
            response = await client.post("/v1/goals", json=body)
        if response.status_code != 201:
            raise RuntimeError(f"POST /v1/goals answered {response.status_code}: {response.text[:300]}")
        created()
        goal_id: str = response.json()["id"]
        return goal_id

    started = time.monotonic()
    parents: list[str | None] = [None]
    for depth, size in enumerate(sizes):
        leaf = depth == len(sizes) - 1
        bodies = [_body(depth, i, parents[i % len(parents)], leaf) for i in range(size)]
        ids = await asyncio.wait_for(asyncio.gather(*map(create, bodies)), deadline.left or 0.01)
        tree.created += len(ids)
        parents = list(ids)
        tree.root_id = tree.root_id or ids[0]
        tree.leaf_ids = ids
    tree.seconds = time.monotonic() - started
    return tree


async def create_tree(platform: BenchPlatform, goals: int, timeout: float, results: Results) -> GoalTree:
    async with httpx.AsyncClient(base_url=platform.url("goals"), headers=platform.auth, timeout=60) as client:
        with bar() as progress:
            task = progress.add_task(f"setup: {goals:,}-goal tree (HTTP)", total=sum(level_sizes(goals)))
            tree = await grow(client, goals, Deadline(timeout), lambda: progress.advance(task))
    results.add(Figure("setup", f"create {tree.created:,} goals over HTTP", tree.seconds, "s", better="lower"))
    results.add(Figure("setup", "goal creation", tree.created / tree.seconds, "goals/s"))
    return tree
