"""The goal tree as notifications sees it: parent links projected from GoalSet and GoalRevised."""

from __future__ import annotations

import asyncpg

from goalstream_runtime.db import Connection


async def record_parent(conn: Connection, org_id: str, goal_id: str, parent_id: str | None) -> None:
    await conn.execute(
        "INSERT INTO goal_parents (org_id, goal_id, parent_id) VALUES ($1, $2, $3)"
        " ON CONFLICT (org_id, goal_id) DO UPDATE SET parent_id = EXCLUDED.parent_id",
        org_id,
        goal_id,
        parent_id,
    )


async def lineage(conn: Connection, org_id: str, goal_id: str) -> set[str]:
    """The goal and all its ancestors. UNION (not UNION ALL) ends the walk even on a corrupt cycle."""
    rows = await conn.fetch(
        "WITH RECURSIVE up (goal_id) AS ("
        "  SELECT $2::text"
        "  UNION"
        "  SELECT p.parent_id FROM goal_parents p JOIN up ON p.goal_id = up.goal_id"
        "  WHERE p.org_id = $1 AND p.parent_id IS NOT NULL)"
        " SELECT goal_id FROM up",
        org_id,
        goal_id,
    )
    return {r["goal_id"] for r in rows}


async def known(conn: Connection | asyncpg.Pool, org_id: str, goal_id: str) -> bool:
    """Whether notifications has seen this organisation's goal (another organisation's goal is unknown)."""
    return bool(
        await conn.fetchval("SELECT true FROM goal_parents WHERE org_id = $1 AND goal_id = $2", org_id, goal_id)
    )
