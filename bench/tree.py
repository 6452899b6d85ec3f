"""The five-level goal tree, created through the goals API's batch endpoint as an organisation would, timed.

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
BATCH = 5_000  # goals per POST /v1/goals/batch, the API's most


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


def _upper(depth: int, index: int, sizes: tuple[int, ...]) -> dict[str, Any]:
    """A goal above the leaves; each level's goals share out the level above as `_body`'s leaves do."""
    body = _body(depth, index, None, False) | {"ref": f"{depth}.{index}"}
    return body | ({"parent_ref": f"{depth - 1}.{index % sizes[depth - 1]}"} if depth else {})


async def grow(client: httpx.AsyncClient, goals: int, deadline: Deadline, created: Callable[[], None]) -> GoalTree:
    """A tree of about `goals` goals through `client` (one organisation's key) in `POST /v1/goals/batch` requests:
    the levels above the leaves in one (parents named by `parent_ref`), then the leaves, BATCH at a time."""
    sizes, tree = level_sizes(goals), GoalTree()

    async def create(bodies: list[dict[str, Any]]) -> list[str]:
        response = await asyncio.wait_for(client.post("/v1/goals/batch", json={"goals": bodies}), deadline.left or 0.01)
        if response.status_code != 201:
            raise RuntimeError(f"POST /v1/goals/batch answered {response.status_code}: {response.text[:300]}")
        for _ in bodies:
            created()
        return [g["goal_id"] for g in response.json()["goals"]]

    started = time.monotonic()
    upper = [_upper(depth, i, sizes) for depth, size in enumerate(sizes[:-1]) for i in range(size)]
    if len(upper) > BATCH:
        raise ValueError(f"{len(upper):,} goals above the leaves: more than one batch of {BATCH:,}")
    ids = await create(upper)
    tree.root_id, parents = ids[0], ids[-sizes[-2] :]
    leaves = [_body(len(sizes) - 1, i, parents[i % len(parents)], True) for i in range(sizes[-1])]
    for first in range(0, len(leaves), BATCH):
        tree.leaf_ids += await create(leaves[first : first + BATCH])
    tree.created = len(ids) + len(tree.leaf_ids)
    tree.seconds = time.monotonic() - started
    return tree


async def create_tree(platform: BenchPlatform, goals: int, timeout: float, results: Results) -> GoalTree:
    async with httpx.AsyncClient(base_url=platform.url("goals"), headers=platform.auth, timeout=60) as client:
        with bar() as progress:
            task = progress.add_task(f"setup: {goals:,}-goal tree (HTTP, batches)", total=sum(level_sizes(goals)))
            tree = await grow(client, goals, Deadline(timeout), lambda: progress.advance(task))
    name = f"create {tree.created:,} goals over HTTP (batches of {BATCH:,})"
    results.add(Figure("setup", name, tree.seconds, "s", better="lower"))
    results.add(Figure("setup", "goal creation", tree.created / tree.seconds, "goals/s"))
    return tree
