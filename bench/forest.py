"""Many goals quickly, through the real services: several organisations' trees created side by side.

One organisation's writes serialise on its append lock, so the memory phase's goals are spread
over ORGANISATIONS new organisations (bench/organisations.py), each growing its own tree with its own
requests in flight.
The goals count once tracking shows every one of them.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from bench.organisations import new_organisations
from bench.platform import BenchPlatform
from bench.progress import Deadline, bar
from bench.query import whole_tree
from bench.tree import GoalTree, grow, level_sizes

ORGANISATIONS = 4
Auth = dict[str, str]  # request headers with one organisation's key


@dataclass
class Forest:
    organisations: int
    created: int = 0  # goals the goals API accepted
    shown: int = 0  # of those, goals tracking shows in their trees
    seconds: float = 0.0  # to create them
    waited: float = 0.0  # then, until tracking showed them
    timed_out: bool = False


async def create_forest(platform: BenchPlatform, goals: int, timeout: float) -> Forest:
    """About `goals` goals over ORGANISATIONS trees; stops at `timeout`, saying how far it got."""
    deadline, forest = Deadline(timeout), Forest(ORGANISATIONS)
    auths = [o.auth for o in await new_organisations(platform, forest.organisations, "memory")]
    each = -(-goals // forest.organisations)

    def created() -> None:
        forest.created += 1
        progress.advance(task)

    clients = [httpx.AsyncClient(base_url=platform.url("goals"), headers=a, timeout=120) for a in auths]
    with bar() as progress:
        total = sum(level_sizes(each)) * forest.organisations
        task = progress.add_task(f"memory: goals in {forest.organisations} orgs (HTTP)", total=total)
        started = time.monotonic()
        try:
            trees = await asyncio.gather(*(grow(c, each, deadline, created) for c in clients))
        except TimeoutError:
            forest.timed_out = True
            return forest
        finally:
            forest.seconds = time.monotonic() - started
            await asyncio.gather(*(c.aclose() for c in clients))
        forest.shown = await _shown(platform, auths, trees, deadline)
        forest.waited = time.monotonic() - started - forest.seconds
    forest.timed_out = forest.shown < forest.created
    return forest


async def _shown(platform: BenchPlatform, auths: list[Auth], trees: list[GoalTree], deadline: Deadline) -> int:
    """Wait until tracking shows every tree whole (or the deadline passes): the goals it shows."""
    shown = 0
    for auth, tree in zip(auths, trees, strict=True):
        async with httpx.AsyncClient(base_url=platform.url("tracking"), headers=auth, timeout=120) as client:
            shown += await whole_tree(client, {"root": tree.root_id, "max_depth": 10}, tree.created, deadline)
    return shown
