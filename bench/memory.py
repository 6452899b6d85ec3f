"""Memory: the peak resident set size (VmHWM) of each service after everything the run did.

At the full scale the tree is first grown to `memory_goals` goals through the goals API, as the
issue measures memory with 100,000 goals; the verdict is given only when that many exist.
"""

from __future__ import annotations

from bench.platform import BenchPlatform
from bench.results import Figure, Results
from bench.settings import Scale
from bench.tree import GoalTree, create_tree

TARGET_MB, TARGET_GOALS = 300, 100_000  # the figure holds with 100,000 goals


async def run(platform: BenchPlatform, scale: Scale, tree: GoalTree, results: Results) -> None:
    goals, grown = tree.created, ""
    if scale.memory_goals > goals:
        try:
            extra = await create_tree(platform, scale.memory_goals - goals, scale.phase_timeout * 5, results)
            goals += extra.created
        except TimeoutError:
            grown = " and part of a second tree (its creation timed out)"
    enough = goals >= TARGET_GOALS and not grown
    for name, service in platform.services.items():
        peak = service.peak_rss_bytes()
        note = f"with {goals:,} goals{grown}" + ("" if enough else f"; the target is for {TARGET_GOALS:,}")
        value = None if peak is None else peak / 2**20
        results.add(Figure("memory", f"{name} peak RSS", value, "MB", TARGET_MB if enough else None, "lower", note))
    results.phases["memory"] = "done"
