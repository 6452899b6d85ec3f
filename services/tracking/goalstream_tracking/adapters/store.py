"""Reading one generation's rows (the projection writes them: `batch_store`). `schema` is always a generation
name from `generations`."""

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


def node_from_doc(doc: Any) -> GoalNode:
    return _NODE.validate_python(doc)


_node = node_from_doc  # the name read_models uses


def node_doc(n: GoalNode) -> Any:
    return _NODE.dump_python(n, mode="json")


def node_from_json(text: str) -> GoalNode:
    """From the document as text: pydantic parses it in one pass (a batch reads thousands)."""
    return _NODE.validate_json(text)


def node_json(n: GoalNode) -> bytes:
    return _NODE.dump_json(n)


def ladder_from_doc(doc: Any) -> LadderNode:
    return _LADDER.validate_python(doc)


def ladder_doc(ladder_node: LadderNode) -> Any:
    return _LADDER.dump_python(ladder_node, mode="json")


async def node(conn: Connection, schema: str, goal_id: str) -> GoalNode | None:
    doc = await conn.fetchval(f'SELECT doc FROM "{schema}".nodes WHERE goal_id = $1', goal_id)
    return None if doc is None else node_from_doc(doc)


async def nodes_by_id(conn: Connection, schema: str, org_id: str, goal_ids: list[str]) -> list[GoalNode]:
    """The organisation's nodes of these ids (those it has), in one query."""
    rows = await conn.fetch(
        f'SELECT doc::text AS doc FROM "{schema}".nodes WHERE goal_id = ANY($2::text[]) AND org_id = $1',
        org_id,
        goal_ids,
    )
    return [node_from_json(r["doc"]) for r in rows]


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
    return [node_from_doc(r["doc"]) for r in rows]


async def ladder(conn: Connection, schema: str, ladder_id: str) -> LadderNode | None:
    doc = await conn.fetchval(f'SELECT doc FROM "{schema}".ladders WHERE ladder_id = $1', ladder_id)
    return None if doc is None else ladder_from_doc(doc)


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


async def ladders_page(conn: Connection, schema: str, org_id: str, after: str, limit: int) -> list[LadderNode]:
    """A page of the organisation's ladders, by id (byte order, as Python compares the `as_of` ones)."""
    rows = await conn.fetch(
        f'SELECT doc FROM "{schema}".ladders WHERE org_id = $1 AND ladder_id COLLATE "C" > $2'
        ' ORDER BY ladder_id COLLATE "C" LIMIT $3',
        org_id,
        after,
        limit,
    )
    return [ladder_from_doc(r["doc"]) for r in rows]
