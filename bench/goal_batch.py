"""Bulk goal creation: whole trees of BATCH goals through `POST /v1/goals/batch`, in a new organisation, timed.

Each request is one tree (a root, a layer of parents, leaves on metrics of their own) sent children
first, as a client exporting from a spreadsheet might; parents are named by `parent_ref`. Requests go
one after another: one organisation's writes serialise on its append lock anyway.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from bench.organisations import new_organisations
from bench.platform import BenchPlatform
from bench.progress import Deadline, bar
from bench.results import Figure, Results
from bench.sample import DEADLINE, START
from bench.settings import Scale

BATCH = 5_000  # the API's most goals in one request
PARENTS = 50
TARGET = 5_000  # goals/s, the figure


def tree_items(batch: int, size: int) -> list[dict[str, Any]]:
    """One tree of `size` goals, leaves first; metric keys are the batch's own, so no kept values fold in."""
    common: dict[str, Any] = {"target": 1_000.0, "start_at": START.isoformat(), "deadline": DEADLINE.isoformat()}
    upper: list[dict[str, Any]] = [{"ref": "root", "title": "root", "rollup": "sum"}]
    upper += [{"ref": f"p{i}", "parent_ref": "root", "title": f"parent {i}", "rollup": "sum"} for i in range(PARENTS)]
    leaves = [
        {
            "parent_ref": f"p{i % PARENTS}",
            "title": f"leaf {i}",
            "metric": {"key": f"bulk.{batch}.{i}", "aggregation": "sum"},
        }
        for i in range(max(0, size - len(upper)))
    ]
    return [item | common for item in [*leaves, *reversed(upper)]]


async def run(platform: BenchPlatform, scale: Scale, results: Results) -> None:
    (org,) = await new_organisations(platform, 1, "bulk")
    total, batches = scale.goals, -(-scale.goals // BATCH)
    deadline, created, seconds = Deadline(scale.phase_timeout), 0, 0.0
    async with httpx.AsyncClient(base_url=platform.url("goals"), headers=org.auth, timeout=300) as client:
        with bar() as progress:
            task = progress.add_task(f"bulk goal creation: {total:,} goals in batches of {BATCH:,}", total=total)
            for batch in range(batches):
                body = {"goals": tree_items(batch, min(BATCH, total - created))}
                started = time.monotonic()
                response = await client.post("/v1/goals/batch", json=body, timeout=deadline.left or 0.01)
                seconds += time.monotonic() - started
                if response.status_code != 201:
                    raise RuntimeError(f"POST /v1/goals/batch answered {response.status_code}: {response.text[:300]}")
                created += len(body["goals"])
                progress.update(task, completed=created)
    note = f"{created:,} goals, {batches} requests of up to {BATCH:,} (one tree each, children first)"
    results.add(Figure("bulk goals", "bulk goal creation", created / seconds, "goals/s", TARGET, note=note))
