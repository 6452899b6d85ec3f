"""The goal tree as the command side keeps it: one row per goal, written with the goal's events.

A session reads rows in bulk (`get_many`, `children_of`), keeps them in memory while it decides,
and writes the ones it changed in one statement at the end (`save_many`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from goalstream_contracts.common import GoalStatus, Rollup
from goalstream_goals.domain.goal import Goal
from goalstream_rules.rollup import Child
from goalstream_runtime.db import Connection


@dataclass(frozen=True, slots=True)
class Node:
    goal_id: str
    parent_id: str | None
    kind: str
    rollup: Rollup | None
    has_metric: bool
    active: bool
    current: float | None
    progress: float | None
    status: GoalStatus | None
    weight: float = 1.0
    baseline: float = 0.0

    @classmethod
    def of(cls, goal: Goal, *, current: float | None, progress: float | None) -> Node:
        d = goal.definition
        return cls(
            d.goal_id, d.parent_id, d.kind, d.rollup, d.metric is not None, goal.active, current, progress,
            goal.status, d.weight, goal.baseline,
        )  # fmt: skip

    def as_child(self) -> Child:
        return Child(self.weight, self.progress, self.current, self.baseline, self.status)


COLUMNS = "goal_id, parent_id, kind, rollup, has_metric, active, current, progress, status, weight, baseline"


async def get(conn: Connection, org_id: str, goal_id: str) -> Node | None:
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM goal_nodes WHERE goal_id = $1 AND org_id = $2",
        goal_id,
        org_id,
    )
    return None if row is None else Node(**dict(row))


async def get_many(conn: Connection, org_id: str, goal_ids: Collection[str]) -> dict[str, Node]:
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM goal_nodes WHERE goal_id = ANY($1::text[]) AND org_id = $2", list(goal_ids), org_id
    )
    return {r["goal_id"]: Node(**dict(r)) for r in rows}


async def children_of(conn: Connection, org_id: str, parent_ids: Collection[str]) -> list[Node]:
    """Every active child of these goals (any kind; the rollup keeps the hard ones)."""
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM goal_nodes WHERE org_id = $1 AND parent_id = ANY($2::text[]) AND active",
        org_id,
        list(parent_ids),
    )
    return [Node(**dict(r)) for r in rows]


async def lineage(conn: Connection, org_id: str, goal_ids: Collection[str]) -> tuple[list[Node], list[Node]]:
    """In one query, the rows of these goals and of all their ancestors, and every active child of each of them.

    What rolling the goals' changes up the tree reads, so a batch's settling reads nothing more; the walk
    stops at a repeated id (UNION), so a corrupt tree cannot loop.
    """
    rows = await conn.fetch(
        "WITH RECURSIVE up(goal_id, parent_id) AS ("
        " SELECT goal_id, parent_id FROM goal_nodes WHERE goal_id = ANY($1::text[]) AND org_id = $2"
        " UNION SELECT n.goal_id, n.parent_id FROM goal_nodes n JOIN up ON n.goal_id = up.parent_id"
        " WHERE n.org_id = $2)"
        f" SELECT true AS up, {COLUMNS} FROM goal_nodes WHERE org_id = $2 AND goal_id IN (SELECT goal_id FROM up)"
        f" UNION ALL SELECT false, {COLUMNS} FROM goal_nodes"
        " WHERE org_id = $2 AND parent_id IN (SELECT goal_id FROM up) AND active",
        list(goal_ids),
        org_id,
    )
    up: list[Node] = []
    children: list[Node] = []
    for r in rows:
        (up if r[0] else children).append(Node(*tuple(r)[1:]))
    return up, children


async def save_many(conn: Connection, org_id: str, rows: Collection[Node], tree_version: int) -> None:
    """Write the rows in one statement, tagged with the organisation's tree write they are part of."""
    if not rows:
        return
    await conn.executemany(
        "INSERT INTO goal_nodes (goal_id, org_id, parent_id, kind, weight, rollup, has_metric, active, baseline,"
        " current, progress, status, tree_version) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)"
        " ON CONFLICT (goal_id) DO UPDATE SET parent_id = excluded.parent_id, weight = excluded.weight,"
        " rollup = excluded.rollup, has_metric = excluded.has_metric, active = excluded.active,"
        " baseline = excluded.baseline, current = excluded.current, progress = excluded.progress,"
        " status = excluded.status, tree_version = excluded.tree_version",
        [_row(org_id, n, tree_version) for n in rows],
    )


def _row(org_id: str, n: Node, tree_version: int) -> tuple[object, ...]:
    return (n.goal_id, org_id, n.parent_id, n.kind, n.weight, n.rollup, n.has_metric, n.active, n.baseline,
            n.current, n.progress, n.status, tree_version)  # fmt: skip


async def children(conn: Connection, org_id: str, parent_id: str) -> list[Child]:
    """The active hard children of a goal, as its rollup sees them."""
    rows = await conn.fetch(
        "SELECT weight, progress, current, baseline, status FROM goal_nodes"
        " WHERE org_id = $1 AND parent_id = $2 AND active AND kind = 'hard'",
        org_id,
        parent_id,
    )
    return [Child(**dict(r)) for r in rows]


async def depths(conn: Connection, org_id: str, goal_ids: Collection[str]) -> dict[str, int]:
    """How many ancestors each goal has, in one query (a goal without a row has none)."""
    rows = await conn.fetch(
        "WITH RECURSIVE up(start, goal_id, parent_id, depth) AS ("
        " SELECT goal_id, goal_id, parent_id, 0 FROM goal_nodes WHERE goal_id = ANY($1::text[]) AND org_id = $2"
        " UNION SELECT up.start, n.goal_id, n.parent_id, up.depth + 1 FROM goal_nodes n JOIN up"
        " ON n.goal_id = up.parent_id WHERE n.org_id = $2 AND up.depth < 1000)"
        " SELECT start, max(depth) AS depth FROM up GROUP BY start",
        list(goal_ids),
        org_id,
    )
    found = {r["start"]: r["depth"] for r in rows}
    return {g: found.get(g, 0) for g in goal_ids}


async def ancestors(conn: Connection, org_id: str, goal_id: str) -> list[str]:
    """The goal's ancestors, nearest first (stops at a repeated id, so a corrupt tree cannot loop)."""
    rows = await conn.fetch(
        "WITH RECURSIVE up(goal_id, parent_id, depth) AS ("
        " SELECT goal_id, parent_id, 0 FROM goal_nodes WHERE goal_id = $1 AND org_id = $2"
        " UNION SELECT n.goal_id, n.parent_id, up.depth + 1 FROM goal_nodes n JOIN up ON n.goal_id = up.parent_id"
        " WHERE n.org_id = $2 AND up.depth < 1000)"
        " SELECT goal_id FROM up WHERE depth > 0 ORDER BY depth",
        goal_id,
        org_id,
    )
    return [r["goal_id"] for r in rows]
