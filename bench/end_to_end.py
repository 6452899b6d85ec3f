"""End-to-end throughput: measurements on `goalstream.measurements.v1` until the read models show them all."""

from __future__ import annotations

import asyncio
import time
import uuid

from bench.pipeline import producer, publish_all, root_count, tracking_client
from bench.platform import BenchPlatform
from bench.progress import Deadline, bar
from bench.results import Figure, Results
from bench.settings import Scale
from bench.tree import GoalTree

POLL_EVERY = 0.5


async def run(platform: BenchPlatform, scale: Scale, tree: GoalTree, results: Results) -> None:
    total, deadline, prefix = scale.measurements, Deadline(scale.phase_timeout), f"e2e-{uuid.uuid4().hex[:8]}"
    kafka = producer(platform)
    await kafka.start()
    async with tracking_client(platform) as client:
        baseline = await root_count(client, tree)
        with bar() as progress:
            sent = progress.add_task("end to end: published", total=total)
            shown = progress.add_task("end to end: in the read models", total=total)
            started = time.monotonic()
            publishing = asyncio.create_task(
                publish_all(kafka, platform, tree, prefix, total, lambda n: progress.update(sent, completed=n))
            )
            applied = 0
            try:
                while applied < total and not deadline.passed:
                    await asyncio.sleep(POLL_EVERY)
                    applied = await root_count(client, tree) - baseline
                    progress.update(shown, completed=applied)
            finally:
                publishing.cancel()
                await asyncio.gather(publishing, return_exceptions=True)
                await kafka.stop()
            elapsed = time.monotonic() - started
    rate = applied / elapsed
    raw = results.value("raw limits", "broker produce→consume")
    note = f"{applied:,} of {total:,} in {elapsed:,.1f} s, {tree.leaves:,} leaves"
    results.add(Figure("end to end", "throughput", rate, "measurements/s", 10_000, note=note))
    if raw:
        results.add(Figure("end to end", "fraction of raw broker limit", 100 * rate / raw, "%"))
    # End to end's measurements all belong to the bench organisation: one key, as the one-organisation limit.
    if limit := results.value("pipeline limit", "relay and 2 groups, 1 organisation"):
        results.add(Figure("end to end", "fraction of pipeline limit (1 organisation)", 100 * rate / limit, "%"))
    results.phases["end to end"] = "done" if applied >= total else deadline.timed_out(applied, total)
