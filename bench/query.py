"""The tree query, `GET /v1/tree?root=<root>`: the whole tree, and the same tree walked in pages of PAGE goals
(`limit`, `after`), one request at a time, p50 and p99 of each."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from bench.platform import BenchPlatform
from bench.progress import Deadline, bar
from bench.results import Figure, Results
from bench.settings import Scale
from bench.stats import percentile
from bench.tree import GoalTree

WARM_UP = 3
PAGE = 1_000
TARGET_MS = 20


def _size(tree: dict[str, Any]) -> int:
    return 1 + sum(_size(child) for child in tree["children"])


async def whole_tree(client: httpx.AsyncClient, params: dict[str, str | int], goals: int, deadline: Deadline) -> int:
    """Wait until tracking shows every goal created (its projection may trail the goals API); the tree's size."""
    size = 0
    while size < goals and not deadline.passed:
        response = await client.get("/v1/tree", params=params)
        size = _size(response.json()) if response.status_code == 200 else 0
        if size < goals:
            await asyncio.sleep(0.5)
    return size


async def run(platform: BenchPlatform, scale: Scale, tree: GoalTree, results: Results) -> None:
    deadline, timings, nodes = Deadline(scale.phase_timeout), list[float](), 0
    async with httpx.AsyncClient(base_url=platform.url("tracking"), headers=platform.auth, timeout=60) as client:
        params: dict[str, str | int] = {"root": tree.root_id, "max_depth": 10}
        waited = time.monotonic()
        nodes = await whole_tree(client, params, tree.created, deadline)
        waited = time.monotonic() - waited
        for _ in range(WARM_UP):
            (await client.get("/v1/tree", params=params)).raise_for_status()
        with bar() as progress:
            task = progress.add_task(f"query: tree of {tree.created:,} goals", total=scale.queries)
            for _ in range(scale.queries):
                if deadline.passed:
                    break
                started = time.perf_counter()
                response = await client.get("/v1/tree", params=params)
                timings.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
                progress.advance(task)
        pages = await _pages(client, params, scale.queries, deadline)
    note = f"{len(timings)} sequential queries, {nodes:,} goals in the answer"
    results.add(Figure("setup", "tracking shows the whole tree after", waited, "s", better="lower", note=note))
    results.add(Figure("query", "tree p50", percentile(timings, 50), "ms", better="lower", note=note))
    results.add(Figure("query", "tree p99", percentile(timings, 99), "ms", TARGET_MS, "lower", note))
    note = f"{len(pages)} sequential pages of up to {PAGE:,} goals, the whole tree walked again and again"
    results.add(Figure("query", f"tree page of {PAGE:,} p50", percentile(pages, 50), "ms", better="lower", note=note))
    results.add(Figure("query", f"tree page of {PAGE:,} p99", percentile(pages, 99), "ms", TARGET_MS, "lower", note))
    done = len(timings) >= scale.queries
    results.phases["query"] = "done" if done else deadline.timed_out(len(timings), scale.queries)


async def _pages(
    client: httpx.AsyncClient, params: dict[str, str | int], count: int, deadline: Deadline
) -> list[float]:
    """`count` page requests in ms: the tree from its first page to its last (next_after null), over and over."""
    timings: list[float] = []
    after: str | None = None
    with bar() as progress:
        task = progress.add_task(f"query: tree pages of {PAGE:,}", total=count)
        while len(timings) < count and not deadline.passed:
            page_params = params | {"limit": PAGE} | ({"after": after} if after else {})
            started = time.perf_counter()
            response = await client.get("/v1/tree", params=page_params)
            timings.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            after = response.json()["next_after"]
            progress.advance(task)
    return timings
