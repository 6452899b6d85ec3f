"""The goal tree as the command side keeps it: one row per goal, written with the goal's events."""

from __future__ import annotations

from dataclasses import dataclass

from goalstream_contracts.common import GoalStatus, Rollup
from goalstream_goals.domain.goal import Goal
from goalstream_goals.domain.rollup import Child
from goalstream_runtime.db import Connection


@dataclass(frozen=True)
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


async def get(conn: Connection, org_id: str, goal_id: str) -> Node | None:
    row = await conn.fetchrow(
        "SELECT goal_id, parent_id, kind, rollup, has_metric, active, current, progress, status"
        " FROM goal_nodes WHERE goal_id = $1 AND org_id = $2",
        goal_id,
        org_id,
    )
    return None if row is None else Node(**dict(row))


async def save(conn: Connection, org_id: str, goal: Goal, *, current: float | None, progress: float | None) -> Node:
    """Write the goal's row; returns the row as written."""
    d = goal.definition
    await conn.execute(
        "INSERT INTO goal_nodes (goal_id, org_id, parent_id, kind, weight, rollup, has_metric, active, baseline,"
        " current, progress, status) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)"
        " ON CONFLICT (goal_id) DO UPDATE SET parent_id = excluded.parent_id, weight = excluded.weight,"
        " rollup = excluded.rollup, has_metric = excluded.has_metric, active = excluded.active,"
        " baseline = excluded.baseline, current = excluded.current, progress = excluded.progress,"
        " status = excluded.status",
        d.goal_id,
        org_id,
        d.parent_id,
        d.kind,
        d.weight,
        d.rollup,
        d.metric is not None,
        goal.active,
        goal.baseline,
        current,
        progress,
        goal.status,
    )
    return Node(
        d.goal_id, d.parent_id, d.kind, d.rollup, d.metric is not None, goal.active, current, progress, goal.status
    )


async def children(conn: Connection, org_id: str, parent_id: str) -> list[Child]:
    """The active hard children of a goal, as its rollup sees them."""
    rows = await conn.fetch(
        "SELECT weight, progress, current, baseline, status FROM goal_nodes"
        " WHERE org_id = $1 AND parent_id = $2 AND active AND kind = 'hard'",
        org_id,
        parent_id,
    )
    return [Child(**dict(r)) for r in rows]


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
