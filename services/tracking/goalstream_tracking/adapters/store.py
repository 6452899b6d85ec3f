"""Reading and writing one generation's rows. `schema` is always a generation name from `generations`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from goalstream_contracts.base import Payload
from goalstream_contracts.registry import decode_payload
from goalstream_runtime.db import Connection
from goalstream_tracking.domain.ladder import LadderNode
from goalstream_tracking.domain.node import GoalNode

_NODE = TypeAdapter(GoalNode)
_LADDER = TypeAdapter(LadderNode)


def _node(doc: Any) -> GoalNode:
    return _NODE.validate_python(doc)


async def node(conn: Connection, schema: str, goal_id: str) -> GoalNode | None:
    doc = await conn.fetchval(f'SELECT doc FROM "{schema}".nodes WHERE goal_id = $1', goal_id)
    return None if doc is None else _node(doc)


async def save_node(conn: Connection, schema: str, n: GoalNode) -> None:
    await conn.execute(
        f'INSERT INTO "{schema}".nodes (goal_id, org_id, parent_id, level, kind, breach_target, breached, in_tree, doc)'
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (goal_id) DO UPDATE SET parent_id = excluded.parent_id,"
        " level = excluded.level, breach_target = excluded.breach_target, breached = excluded.breached,"
        " in_tree = excluded.in_tree, doc = excluded.doc",
        n.goal_id,
        n.org_id,
        n.parent_id,
        n.level,
        n.kind,
        n.breach_target if n.kind == "anti" else None,
        n.breached,
        n.in_tree,
        _NODE.dump_python(n, mode="json"),
    )


async def children(conn: Connection, schema: str, org_id: str, parent_id: str) -> list[GoalNode]:
    rows = await conn.fetch(
        f'SELECT doc FROM "{schema}".nodes WHERE org_id = $1 AND parent_id = $2 ORDER BY goal_id', org_id, parent_id
    )
    return [_node(r["doc"]) for r in rows]


async def open_breaches_on(conn: Connection, schema: str, org_id: str, goal_id: str) -> int:
    count: int = await conn.fetchval(
        f"SELECT count(*) FROM \"{schema}\".nodes WHERE org_id = $1 AND kind = 'anti' AND breach_target = $2"
        " AND breached AND in_tree",
        org_id,
        goal_id,
    )
    return count


async def nodes_where(
    conn: Connection, schema: str, org_id: str, condition: str, *args: Any, after: str = "", limit: int = 100
) -> list[GoalNode]:
    """A page of the organisation's nodes matching `condition` (SQL over nodes' columns, args from $2), by id."""
    n = len(args)
    rows = await conn.fetch(
        f'SELECT doc FROM "{schema}".nodes WHERE org_id = $1 AND {condition} AND goal_id > ${n + 2}'
        f" ORDER BY goal_id LIMIT ${n + 3}",
        org_id,
        *args,
        after,
        limit,
    )
    return [_node(r["doc"]) for r in rows]


async def ladder(conn: Connection, schema: str, ladder_id: str) -> LadderNode | None:
    doc = await conn.fetchval(f'SELECT doc FROM "{schema}".ladders WHERE ladder_id = $1', ladder_id)
    return None if doc is None else _LADDER.validate_python(doc)


async def save_ladder(conn: Connection, schema: str, ladder_node: LadderNode) -> None:
    await conn.execute(
        f'INSERT INTO "{schema}".ladders (ladder_id, org_id, doc) VALUES ($1, $2, $3)'
        " ON CONFLICT (ladder_id) DO UPDATE SET doc = excluded.doc",
        ladder_node.ladder_id,
        ladder_node.org_id,
        _LADDER.dump_python(ladder_node, mode="json"),
    )


async def add_history(conn: Connection, schema: str, n: GoalNode, at: datetime, event_type: str) -> None:
    await conn.execute(
        f'INSERT INTO "{schema}".history (goal_id, version, org_id, at, event_type, current, progress, status)'
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT DO NOTHING",
        n.goal_id,
        n.version,
        n.org_id,
        at,
        event_type,
        n.current,
        n.own_progress,
        n.status,
    )


async def org_events_until(
    conn: Connection, schema: str, org_id: str, until: datetime
) -> list[tuple[Payload, datetime]]:
    """The organisation's goal events that had occurred by `until`, in arrival order, upcast."""
    rows = await conn.fetch(
        f'SELECT event_type, schema_version, payload, occurred_at FROM "{schema}".event_log'
        " WHERE org_id = $1 AND occurred_at <= $2 ORDER BY seq",
        org_id,
        until,
    )
    return [(decode_payload(r["event_type"], r["schema_version"], r["payload"]), r["occurred_at"]) for r in rows]


async def ancestry(conn: Connection, schema: str, org_id: str, goal_id: str) -> list[str]:
    """The goal and its ancestors, nearest first (a guard stops a corrupt loop)."""
    rows = await conn.fetch(
        f'WITH RECURSIVE up(goal_id, parent_id, depth) AS (SELECT goal_id, parent_id, 0 FROM "{schema}".nodes'
        " WHERE goal_id = $1 AND org_id = $2 UNION ALL SELECT n.goal_id, n.parent_id, up.depth + 1"
        f' FROM "{schema}".nodes n JOIN up ON n.goal_id = up.parent_id WHERE n.org_id = $2 AND up.depth < 1000)'
        " SELECT goal_id FROM up ORDER BY depth",
        goal_id,
        org_id,
    )
    return [r["goal_id"] for r in rows]
