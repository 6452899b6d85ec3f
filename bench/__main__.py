"""`python -m bench`: run every phase on a fresh embedded stack, print the table, write bench/results.json."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bench import dashboard, end_to_end, goal_batch, ingest, latency, memory, pipeline_limit, query, raw_limits, rebuild
from bench.platform import BenchPlatform
from bench.progress import console
from bench.results import RESULTS_FILE, Results
from bench.settings import FULL, QUICK, Scale
from bench.tree import GoalTree, create_tree

app = typer.Typer(add_completion=False)


class ScaleName(StrEnum):
    full = "full"
    quick = "quick"


async def _phase(name: str, results: Results, step: Callable[[], Awaitable[None]]) -> bool:
    """Run one phase; a failure is recorded and the run goes on. Results are written after every phase."""
    console.rule(f"[bold]{name}")
    try:
        await step()
    except TimeoutError:
        results.phases.setdefault(name, "timed out")
    except Exception as exc:
        results.phases[name] = f"failed: {type(exc).__name__}: {str(exc)[:300]}"
    else:
        results.phases.setdefault(name, "done")
    results.write()
    return results.phases[name] == "done" or results.phases[name].startswith("timed out")


async def _measure(platform: BenchPlatform, scale: Scale, results: Results) -> None:
    await _phase("raw limits", results, lambda: raw_limits.run(platform, scale, results))
    await _phase("pipeline limit", results, lambda: pipeline_limit.run(platform, scale, results))
    tree = GoalTree()

    async def setup() -> None:
        nonlocal tree
        tree = await create_tree(platform, scale.goals, scale.phase_timeout * 5, results)

    if not await _phase("setup", results, setup) or not tree.leaf_ids:
        for skipped in ("query", "dashboard", "end to end", "latency", "ingest", "memory", "rebuild"):
            results.phases[skipped] = "skipped: the goal tree was not created"
        return
    await _phase("query", results, lambda: query.run(platform, scale, tree, results))
    # After the query phase, which waits until tracking shows the whole tree.
    await _phase("dashboard", results, lambda: dashboard.run(platform, scale.phase_timeout, tree, results))
    await _phase("end to end", results, lambda: end_to_end.run(platform, scale, tree, results))
    await _phase("latency", results, lambda: latency.run(platform, scale, tree, results))
    await _phase("ingest", results, lambda: ingest.run(platform, scale, tree, results))
    # Memory before rebuild: the rebuild's synthetic history keeps the live consumers busy, and would
    # keep tracking from showing the memory phase's goals.
    await _phase("memory", results, lambda: memory.run(platform, scale, tree, results))
    await _phase("rebuild", results, lambda: rebuild.run(platform, scale, tree, results))
    # Last: its goals' events would be a backlog for the phases that time the pipeline.
    await _phase("bulk goals", results, lambda: goal_batch.run(platform, scale, results))


@app.command()
def main(
    scale: Annotated[ScaleName, typer.Option(help="full: the issue's sizes; quick: a smoke run")] = ScaleName.full,
    quick: Annotated[bool, typer.Option("--quick", help="shorthand for --scale quick")] = False,
    data_dir: Annotated[Path, typer.Option(help="where the embedded stores live (emptied first)")] = Path(
        ".goalstream/bench"
    ),
) -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # as Ctrl-C: stop the stack on the way out
    chosen = QUICK if quick or scale is ScaleName.quick else FULL
    results = Results(scale=chosen.name)
    platform = BenchPlatform(data_dir)
    started = time.monotonic()
    try:
        console.rule("[bold]starting the embedded stack and the three services")
        platform.start_infrastructure()
        platform.start_services()
        asyncio.run(_measure(platform, chosen, results))
    finally:
        console.rule("[bold]stopping")
        platform.stop()
        results.write()
    results.print_table(console)
    console.print(f"written to {RESULTS_FILE} in {time.monotonic() - started:,.0f} s")


if __name__ == "__main__":
    app()
