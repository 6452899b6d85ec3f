"""Rebuild: events per second rebuilding the tracking read models from the goal events topic.

The rebuild runs in this process (the `python -m goalstream_tracking rebuild` code path) against the
live service's database, while the service keeps serving; it reads everything the run has put on
`goalstream.goals.events.v1` so far.
"""

from __future__ import annotations

import asyncio
import time

from bench.pipeline import drain
from bench.platform import BenchPlatform
from bench.progress import Deadline, bar
from bench.results import Figure, Results
from bench.settings import Scale
from bench.tree import GoalTree
from goalstream_tracking.bootstrap import SCHEMA
from goalstream_tracking.service_layer.rebuild import rebuild


async def run(platform: BenchPlatform, scale: Scale, tree: GoalTree, results: Results) -> None:
    drained = await drain(platform, tree, scale.phase_timeout)
    deadline, read, total = Deadline(scale.phase_timeout), 0, 0
    with bar() as progress:
        task = progress.add_task("rebuild: records read", total=None)

        def advance(done: int, of: int) -> None:
            nonlocal read, total
            read, total = done, of
            progress.update(task, completed=done, total=of)

        started = time.monotonic()
        try:
            result = await asyncio.wait_for(
                rebuild(platform.database_url, SCHEMA, platform.bootstrap, advance), scale.phase_timeout
            )
        except TimeoutError:
            note = f"{read:,} of {total:,} read; after {drained:.0f} s draining"
            rate = read / (time.monotonic() - started)
            results.add(Figure("rebuild", "rebuild", rate, "events/s", 50_000, note=note))
            results.phases["rebuild"] = deadline.timed_out(read, total)
            return
        elapsed = time.monotonic() - started
    note = f"{result.applied:,} applied, {result.skipped:,} skipped of {result.records:,} records"
    note += f"; after {drained:.0f} s draining earlier phases"
    if result.records < scale.rebuild_events:
        note += f" (the issue asks for {scale.rebuild_events:,})"
    results.add(Figure("rebuild", "rebuild", result.records / elapsed, "events/s", 50_000, note=note))
    results.phases["rebuild"] = "done"
