"""HTTP ingest: measurements per second through `POST /v1/measurements`, in batches of 500."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.pipeline import drain
from bench.platform import BenchPlatform
from bench.progress import Deadline, bar
from bench.results import Figure, Results
from bench.sample import leaf_metric
from bench.settings import BATCH, Scale
from bench.tree import GoalTree

PARALLEL_BATCHES = 4
ATTEMPTS = 3  # a batch that fails (5xx, dropped connection) is sent again as it was: its ids make that safe


def _batch(run_id: str, first: int, size: int, leaves: int) -> list[dict[str, Any]]:
    at = datetime.now(UTC).isoformat()
    return [
        {"id": f"ingest-{run_id}-{n}", "metric": leaf_metric(n % leaves), "value": 1.0, "observed_at": at}
        for n in range(first, first + size)
    ]


async def run(platform: BenchPlatform, scale: Scale, tree: GoalTree, results: Results) -> None:
    drained = await drain(platform, tree, scale.phase_timeout)
    total, deadline, run_id = scale.ingest_measurements, Deadline(scale.phase_timeout), uuid.uuid4().hex[:8]
    accepted, refused, failed_attempts = 0, 0, 0
    starts = iter(range(0, total, BATCH))
    async with httpx.AsyncClient(base_url=platform.url("goals"), headers=platform.auth, timeout=120) as client:
        with bar() as progress:
            task = progress.add_task(f"ingest: POST batches of {BATCH}", total=total)

            async def worker() -> None:
                nonlocal accepted, refused
                for first in starts:
                    if deadline.passed:
                        return
                    batch = _batch(run_id, first, min(BATCH, total - first), tree.leaves)
                    landed = await _post(batch)
                    accepted += landed
                    refused += len(batch) - landed
                    progress.advance(task, len(batch))

            async def _post(batch: list[dict[str, Any]]) -> int:
                """How many of the batch landed (accepted, or a duplicate of an earlier attempt)."""
                nonlocal failed_attempts
                for _ in range(ATTEMPTS):
                    try:
                        response = await client.post("/v1/measurements", json={"measurements": batch})
                    except httpx.TransportError:
                        failed_attempts += 1
                        continue
                    if response.status_code == 202:
                        return sum(1 for r in response.json()["results"] if r["status"] in ("accepted", "duplicate"))
                    failed_attempts += 1
                return 0

            started = time.monotonic()
            await asyncio.gather(*(worker() for _ in range(PARALLEL_BATCHES)))
            elapsed = time.monotonic() - started
    note = f"{PARALLEL_BATCHES} batches in flight; {failed_attempts} failed attempts; {refused:,} never landed"
    note += f"; after {drained:.0f} s draining earlier phases"
    results.add(Figure("ingest", "POST /v1/measurements", accepted / elapsed, "measurements/s", 20_000, note=note))
    results.phases["ingest"] = "done" if accepted + refused >= total else deadline.timed_out(accepted, total)
