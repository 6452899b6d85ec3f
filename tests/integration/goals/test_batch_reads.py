"""A batch of measurements reads the goal tree once, however deep the tree and however many parents it moves.

The rollups of every parent the batch moves are decided from one read of the lineage (the ancestors'
rows, their children's rows, their depths) and one of the goals' states, not a read per level.
"""

from __future__ import annotations

import uuid

from goalstream_goals.domain.goal import Measurement
from goalstream_goals.service_layer.goal_cache import GoalCache
from goalstream_goals.service_layer.goals import GoalsService
from goalstream_goals.service_layer.measurements import record_measurements
from goalstream_runtime.db import create_pool
from tests.integration.goals.conftest import Goals

LEVELS = 4


async def test_a_batch_reads_the_tree_and_the_goals_once_whatever_the_depth(goals: Goals, database_url: str) -> None:
    span = {"start_at": goals.at(-1), "deadline": goals.at(30)}
    parent: str | None = None
    top = ""
    for level in range(LEVELS):  # a chain of `sum` parents, each with two measured leaves
        node = await goals.create(target=1_000, rollup="sum", parent_id=parent, **span)
        top = top or node.goal.goal_id
        parent = node.goal.goal_id
        for leaf in range(2):
            metric = {"key": f"reads.{level}.{leaf}", "aggregation": "sum"}
            await goals.create(target=100, parent_id=parent, metric=metric, **span)
    pool = await create_pool(database_url, "goals", max_size=1)  # one connection: every query the batch makes
    queries: list[str] = []
    try:
        async with pool.acquire() as conn:
            conn.add_query_logger(lambda record: queries.append(record.query))
        service = GoalsService(pool=pool, clock=goals.clock, cache=GoalCache(1_000))
        batch: list[tuple[str | None, Measurement]] = [
            (None, Measurement(str(uuid.uuid4()), f"reads.{level}.{leaf}", 1.0, goals.at(-0.5)))
            for level in range(LEVELS)
            for leaf in range(2)
        ]
        result = await record_measurements(service, goals.org_id, batch, uuid.uuid4())
    finally:
        await pool.close()
    assert result.count("accepted") == 2 * LEVELS
    assert (await goals.get(top)).current == 2 * LEVELS  # every level rolled up, deepest first
    tree_reads = [q for q in queries if q.lstrip().upper().startswith(("SELECT", "WITH")) and "goal_nodes" in q]
    event_reads = [q for q in queries if "FROM events e" in q]  # goal states: the events after each one's base
    assert len(tree_reads) == 1, tree_reads
    assert len(event_reads) == 1, event_reads
