"""The goal tree as notifications sees it: parent links, titles and units projected from GoalSet and GoalRevised."""

from __future__ import annotations

import asyncpg

from goalstream_notifications.domain.render import GoalInfo
from goalstream_runtime.db import Connection


async def record_goal(
    conn: Connection, org_id: str, goal_id: str, parent_id: str | None, title: str, unit: str | None
) -> None:
    """A GoalSet: the goal's parent link and what alerts call it (a repeated GoalSet overwrites them)."""
    await conn.execute(
        "INSERT INTO goal_parents (org_id, goal_id, parent_id, title, unit) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (org_id, goal_id) DO UPDATE"
        " SET parent_id = EXCLUDED.parent_id, title = EXCLUDED.title, unit = EXCLUDED.unit",
        org_id,
        goal_id,
        parent_id,
        title,
        unit,
    )


async def revise_label(
    conn: Connection, org_id: str, goal_id: str, *, title: tuple[bool, str | None], unit: tuple[bool, str | None]
) -> None:
    """A GoalRevised: each of (changed, new value) for the title and the unit; a goal never set is skipped."""
    await conn.execute(
        "UPDATE goal_parents SET title = CASE WHEN $3 THEN $4 ELSE title END,"
        " unit = CASE WHEN $5 THEN $6 ELSE unit END WHERE org_id = $1 AND goal_id = $2",
        org_id,
        goal_id,
        title[0],
        title[1],
        unit[0],
        unit[1],
    )


async def info(conn: Connection, org_id: str, goal_id: str) -> GoalInfo | None:
    row = await conn.fetchrow(
        "SELECT title, unit FROM goal_parents WHERE org_id = $1 AND goal_id = $2", org_id, goal_id
    )
    return None if row is None else GoalInfo(title=row["title"], unit=row["unit"])


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
