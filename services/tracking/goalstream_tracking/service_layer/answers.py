"""Answers from the views stored per node, as JSON text: no node is parsed or validated on the way out.

Each answer is the same JSON the response models (`entrypoints/views.py`) describe: stored views completed for
the answer's time (`node_view.Answer`) and joined into the tree, page or rollups shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
from pydantic_core import to_json

from goalstream_rules.rollup import level_mean
from goalstream_runtime.db import Connection
from goalstream_tracking.adapters import node_view, store, view_rows
from goalstream_tracking.service_layer.queries import NotFound

TreeCursor = tuple[int, str]  # (depth, goal_id) of the last goal of a page


class Views(node_view.Answer):
    def of(self, row: asyncpg.Record) -> str:
        if row["view_json"] is None:  # a row from before migration 0003, not written since
            n = store.node_from_json(row["doc"])
            return self.goal(node_view.view_json(n), node_view.plan_json(n))
        return self.goal(row["view_json"], row["plan_json"])


def tree_cursor(depth: int, goal_id: str) -> str:
    return f"{depth}:{goal_id}"


def page_json(items: Sequence[str], next_after: str | None, extra: str = "") -> str:
    return f'{{"items":[{",".join(items)}],"next_after":{to_json(next_after).decode()}{extra}}}'


async def goal(conn: Connection, schema: str, org_id: str, goal_id: str, at: datetime) -> str:
    row = await view_rows.goal(conn, schema, org_id, goal_id)
    if row is None:
        raise NotFound(goal_id)
    return Views(at).of(row)


async def tree(conn: Connection, schema: str, org_id: str, root_id: str, max_depth: int, at: datetime) -> str:
    """The whole subtree as nested `{"goal": …, "children": […]}`, children by goal id."""
    rows = await view_rows.subtree(conn, schema, org_id, root_id, max_depth)
    if not rows:
        raise NotFound(root_id)
    views = Views(at)
    children: dict[str, list[asyncpg.Record]] = {}
    for r in rows[1:]:
        children.setdefault(r["parent_id"], []).append(r)
    parts: list[str] = []

    def emit(r: asyncpg.Record) -> None:
        parts.append('{"goal":' + views.of(r) + ',"children":[')
        for i, c in enumerate(children.get(r["goal_id"], ())):
            if i:
                parts.append(",")
            emit(c)
        parts.append("]}")

    emit(rows[0])
    return "".join(parts)


async def tree_page(
    conn: Connection,
    schema: str,
    org_id: str,
    root_id: str,
    max_depth: int,
    after: TreeCursor | None,
    limit: int,
    at: datetime,
) -> str:
    """A page of the subtree, flat, parents before children (by depth, then goal id)."""
    rows = await view_rows.subtree(conn, schema, org_id, root_id, max_depth, after, limit + 1)
    if not rows and (after is None or not await view_rows.subtree(conn, schema, org_id, root_id, 0)):
        raise NotFound(root_id)
    views, shown = Views(at), rows[:limit]
    last = shown[-1] if len(rows) > limit else None
    return page_json(
        [views.of(r) for r in shown], None if last is None else tree_cursor(last["depth"], last["goal_id"])
    )


async def page(
    conn: Connection,
    schema: str,
    org_id: str,
    condition: str,
    args: tuple[object, ...],
    after: str,
    limit: int,
    at: datetime,
) -> str:
    rows = await view_rows.page(conn, schema, org_id, condition, *args, after=after, limit=limit)
    views = Views(at)
    return page_json([views.of(r) for r in rows], rows[-1]["goal_id"] if len(rows) == limit else None)


async def rollups(conn: Connection, schema: str, org_id: str, level: str, after: str, limit: int, at: datetime) -> str:
    numbers = await view_rows.level_numbers(conn, schema, org_id, level)
    counts: dict[str, int] = {}
    for r in numbers:
        if r["status"] is not None:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
    summary = {
        "level": level,
        "goals": len(numbers),
        "mean_progress": level_mean(r["progress"] for r in numbers),
        "counts": counts,
    }
    rows = await view_rows.page(
        conn, schema, org_id, "n.level = $2 AND n.kind = 'hard' AND n.in_tree", level, after=after, limit=limit
    )
    views = Views(at)
    items = [views.of(r) for r in rows]
    return page_json(
        items, rows[-1]["goal_id"] if len(rows) == limit else None, f',"summary":{to_json(summary).decode()}'
    )
