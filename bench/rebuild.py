"""Rebuild: events per second rebuilding the tracking read models from the goal events topic.

The topic is first topped up to `rebuild_events` records with a synthetic history of another
organisation (bench/produce.py), reported as its own figure. The rebuild then runs in this process
(the `python -m goalstream_tracking rebuild` code path) against the live service's database, while
the services keep serving, and reads the whole topic. The live tracking and notifications consumers
read the synthetic history too, so they compete with the rebuild for the machine.
"""

from __future__ import annotations

import asyncio
import logging
import time

from bench.pipeline import drain
from bench.platform import BenchPlatform
from bench.produce import TopUp, top_up
from bench.progress import Deadline, bar
from bench.results import Figure, Results
from bench.settings import Scale
from bench.tree import GoalTree
from goalstream_tracking.bootstrap import SCHEMA
from goalstream_tracking.service_layer import rebuild as rebuilding

TARGET = 100_000  # events/s (issue 17)


class Skipped(logging.Handler):
    """Counts the records the rebuild refused (it logs each), which a timed-out rebuild cannot return."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += "skipped" in record.getMessage()


def _history_figure(results: Results, made: TopUp) -> None:
    note = f"{made.before:,} on the topic before; organisation {made.org_id}"
    note += "; timed out" if made.timed_out else ""
    results.add(Figure("rebuild", f"history produced: {made.produced:,} records", made.rate, "records/s", note=note))


async def run(platform: BenchPlatform, scale: Scale, tree: GoalTree, results: Results) -> None:
    drained = await drain(platform, tree, scale.phase_timeout)
    made = await top_up(platform.bootstrap, scale.rebuild_events, scale.phase_timeout)
    _history_figure(results, made)
    deadline, read, total, skipped = Deadline(scale.phase_timeout), 0, 0, Skipped()
    logger = logging.getLogger(rebuilding.__name__)
    logger.addHandler(skipped)  # also keeps a warning per refused record off the progress bars
    with bar() as progress:
        task = progress.add_task("rebuild: records read", total=None)

        def advance(done: int, of: int) -> None:
            nonlocal read, total
            read, total = done, of
            progress.update(task, completed=done, total=of)

        started = time.monotonic()
        try:
            result = await asyncio.wait_for(
                rebuilding.rebuild(platform.database_url, SCHEMA, platform.bootstrap, advance), scale.phase_timeout
            )
        except TimeoutError:
            note = f"{read:,} of {total:,} read, {skipped.count:,} skipped; after {drained:.0f} s draining"
            rate = read / (time.monotonic() - started)
            results.add(Figure("rebuild", "rebuild", rate, "events/s", TARGET, note=note))
            results.phases["rebuild"] = deadline.timed_out(read, total)
            return
        finally:
            logger.removeHandler(skipped)
        elapsed = time.monotonic() - started
    note = f"{result.applied:,} applied, {result.skipped:,} skipped of {result.records:,} records"
    note += f"; after {drained:.0f} s draining earlier phases"
    if result.records < scale.rebuild_events:
        note += f" (the issue asks for {scale.rebuild_events:,})"
    results.add(Figure("rebuild", "rebuild", result.records / elapsed, "events/s", TARGET, note=note))
    results.phases["rebuild"] = "done"
