"""Reading the views the projection stores per node (`node_view`): the rows answers are assembled from.

A row made before migration 0003 has no stored view yet; it brings its document instead (`doc`), and only then.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from goalstream_runtime.db import Connection

_VIEW = "n.goal_id, n.view_json, n.plan_json, CASE WHEN n.view_json IS NULL THEN n.doc::text END AS doc"


async def subtree(
    conn: Connection,
    schema: str,
    org_id: str,
    root_id: str,
    max_depth: int,
    after: tuple[int, str] | None = None,
    limit: int | None = None,
) -> list[asyncpg.Record]:
    """The root and its in-tree descendants down to `max_depth`, by (depth, goal_id): parents before children.
    `after` and `limit` page them: the (depth, goal_id) of the last row of the previous page."""
    depth, last = after if after is not None else (None, "")
    # The page is picked on the narrow (depth, goal_id) rows, and only its views are read: sorting the views
    # themselves (7 MB for 10,000 goals) would spill to disk. Byte order ("C"), as Python compares strings.
    rows = await conn.fetch(
        f'WITH RECURSIVE down(goal_id, parent_id, depth) AS (SELECT goal_id, parent_id, 0 FROM "{schema}".nodes'
        " WHERE goal_id = $1 AND org_id = $2 UNION ALL SELECT n.goal_id, n.parent_id, down.depth + 1"
        f' FROM "{schema}".nodes n JOIN down ON n.parent_id = down.goal_id'
        " WHERE n.org_id = $2 AND n.in_tree AND down.depth < $3),"
        ' picked AS (SELECT * FROM down WHERE $4::int IS NULL OR (depth, goal_id COLLATE "C") > ($4::int, $5::text)'
        ' ORDER BY depth, goal_id COLLATE "C" LIMIT $6)'
        f' SELECT p.depth, p.parent_id, {_VIEW} FROM picked p JOIN "{schema}".nodes n USING (goal_id)',
        root_id,
        org_id,
        max_depth,
        depth,
        last,
        limit,
    )
    return sorted(rows, key=lambda r: (r["depth"], r["goal_id"]))


async def goal(conn: Connection, schema: str, org_id: str, goal_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        f'SELECT {_VIEW} FROM "{schema}".nodes n WHERE n.goal_id = $1 AND n.org_id = $2', goal_id, org_id
    )
    return row


async def page(
    conn: Connection, schema: str, org_id: str, condition: str, *args: Any, after: str, limit: int
) -> list[asyncpg.Record]:
    """A page of the organisation's nodes matching `condition` (SQL over n's columns, args from $2), by id."""
    k = len(args)
    rows: list[asyncpg.Record] = await conn.fetch(
        f'SELECT {_VIEW} FROM "{schema}".nodes n WHERE n.org_id = $1 AND {condition} AND n.goal_id > ${k + 2}'
        f" ORDER BY n.goal_id LIMIT ${k + 3}",
        org_id,
        *args,
        after,
        limit,
    )
    return rows


async def level_numbers(conn: Connection, schema: str, org_id: str, level: str) -> list[asyncpg.Record]:
    """Progress and status of every goal at a level (its summary), from their columns."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f'SELECT progress, status FROM "{schema}".nodes'
        " WHERE org_id = $1 AND level = $2 AND kind = 'hard' AND in_tree",
        org_id,
        level,
    )
    return rows
