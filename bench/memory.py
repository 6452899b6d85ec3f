"""Memory: the peak resident set size (VmHWM) of each service after everything the run did before it.

When the run's tree is smaller than `memory_goals`, the rest are first created through the goals
API in several new organisations at once (bench/forest.py), and counted once tracking shows them.
The verdict is given only when 100,000 goals exist, the issue's condition.
"""

from __future__ import annotations

from bench.forest import create_forest
from bench.pipeline import drain
from bench.platform import BenchPlatform
from bench.results import Figure, Results
from bench.settings import Scale
from bench.tree import GoalTree

TARGET_MB, TARGET_GOALS = 300, 100_000  # the figure holds with 100,000 goals


async def run(platform: BenchPlatform, scale: Scale, tree: GoalTree, results: Results) -> None:
    goals, short = tree.created, ""
    if scale.memory_goals > goals:
        await drain(platform, tree, scale.phase_timeout)  # earlier phases' backlog would slow the creation
        forest = await create_forest(platform, scale.memory_goals - goals, scale.phase_timeout * 5)
        goals += forest.shown
        if forest.timed_out:
            short = f" ({forest.created:,} more created, timed out before tracking showed them all)"
        note = f"{forest.organisations} organisations side by side, {forest.created:,} goals"
        results.add(Figure("memory", "goal creation", forest.created / forest.seconds, "goals/s", note=note))
        note = f"{forest.shown:,} of {forest.created:,} goals shown"
        results.add(Figure("memory", "tracking shows them after", forest.waited, "s", better="lower", note=note))
    enough = goals >= TARGET_GOALS and not short
    for name, service in platform.services.items():
        peak = service.peak_rss_bytes()
        note = f"with {goals:,} goals{short}" + ("" if enough else f"; the target is for {TARGET_GOALS:,}")
        value = None if peak is None else peak / 2**20
        results.add(Figure("memory", f"{name} peak RSS", value, "MB", TARGET_MB if enough else None, "lower", note))
    results.phases["memory"] = "done" if not short else f"timed out: {short.strip(' ()')}"
