"""The dashboard API's reads (issue 20) that the read models alone do not answer: a goal's points over time, the
organisation's event stream and the ancestors of search hits. Each runs on the read model's own connection when
it is live, else on one of its own against the live generation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from goalstream_contracts.base import Payload
from goalstream_contracts.registry import decode_payload
from goalstream_runtime.db import Connection
from goalstream_tracking.adapters.generations import PREFIX

CURSOR = re.compile(r"(\d{1,9}):(\d{1,18})")


@dataclass(frozen=True)
class Cursor:
    """A place in the organisation's event stream: the generation's number and its event log's `seq` there.
    A rebuild renumbers `seq`, so a cursor of another generation is not compared: the answer starts afresh."""

    generation: int
    seq: int

    def __str__(self) -> str:
        return f"{self.generation}:{self.seq}"


def parse_cursor(text: str) -> Cursor | None:
    m = CURSOR.fullmatch(text)
    return None if m is None else Cursor(int(m[1]), int(m[2]))


def generation_number(schema: str) -> int:
    return int(schema.removeprefix(PREFIX))


async def points(
    conn: Connection, schema: str, org_id: str, goal_id: str, until: datetime | None, observed: bool = False
) -> list[Any]:
    """The goal's history points, with their measurement's source; when `until` is given, only the events recorded
    by then, or (`observed`) only the points dated by then. A rollup parent's series (it has no values of its own:
    its points are its rollup after each change); a goal with a metric has `domain.series`'s, by observed time."""
    cut = "h.at" if observed else "e.occurred_at"
    return await conn.fetch(
        "SELECT h.at, h.current AS value, h.progress, h.status, h.event_type, e.payload->>'source' AS source"
        f' FROM "{schema}".history h LEFT JOIN "{schema}".event_log e'
        " ON e.stream_id = h.goal_id AND e.stream_version = h.version AND e.org_id = h.org_id"
        f" WHERE h.org_id = $1 AND h.goal_id = $2 AND ($3::timestamptz IS NULL OR {cut} <= $3)"
        " ORDER BY h.at, h.version",
        org_id,
        goal_id,
        until,
    )


async def goal_events(
    conn: Connection, schema: str, org_id: str, goal_id: str, until: datetime | None
) -> list[tuple[Payload, datetime]]:
    """The goal's events in its stream's order (its arrival order), upcast, with their recorded time; when `until`
    is given, those recorded by then. One query on the log's index by stream and version (read_models.sql, 0004)."""
    rows = await conn.fetch(
        f'SELECT event_type, schema_version, payload, occurred_at FROM "{schema}".event_log'
        " WHERE stream_id = $1 AND org_id = $2 AND ($3::timestamptz IS NULL OR occurred_at <= $3)"
        " ORDER BY stream_version",
        goal_id,
        org_id,
        until,
    )
    return [(decode_payload(r["event_type"], r["schema_version"], r["payload"]), r["occurred_at"]) for r in rows]


_EVENT = "seq, event_id::text, event_type, payload->>'goal_id' AS goal_id, occurred_at, trace_id"


async def latest_seq(conn: Connection, schema: str, org_id: str) -> int | None:
    seq: int | None = await conn.fetchval(f'SELECT max(seq) FROM "{schema}".event_log WHERE org_id = $1', org_id)
    return seq


async def events(
    conn: Connection, schema: str, org_id: str, after: int | None, kind: str | None, goal_id: str | None, limit: int
) -> list[Any]:
    """Without `after`: the latest `limit` events, newest first; with it: the `limit` after it, oldest first.
    Only the filters given are in the SQL (not `$2 IS NULL OR ...`): a prepared statement's generic plan could
    then use neither index of event_log by type or by goal (read_models.sql, migration 0005) and read the log."""
    where, args = ["org_id = $1"], list[object]()
    args.append(org_id)
    for condition, value in (("event_type = ", kind), ("payload->>'goal_id' = ", goal_id), ("seq > ", after)):
        if value is not None:
            args.append(value)
            where.append(f"{condition}${len(args)}")
    order = "seq DESC" if after is None else "seq"
    sql = f'SELECT {_EVENT} FROM "{schema}".event_log WHERE {" AND ".join(where)} ORDER BY {order} LIMIT {int(limit)}'
    return await conn.fetch(sql, *args)


async def ancestors(conn: Connection, schema: str, org_id: str, goal_ids: list[str]) -> dict[str, list[str]]:
    """Each goal's ancestors' ids, root first (UNION stops a corrupt loop)."""
    rows = await conn.fetch(
        f'WITH RECURSIVE up(start, goal_id, depth) AS (SELECT goal_id, parent_id, 1 FROM "{schema}".nodes'
        " WHERE org_id = $1 AND goal_id = ANY($2::text[]) AND parent_id IS NOT NULL"
        f' UNION SELECT up.start, n.parent_id, up.depth + 1 FROM "{schema}".nodes n JOIN up ON n.goal_id = up.goal_id'
        " WHERE n.org_id = $1 AND n.parent_id IS NOT NULL AND up.depth < 1000)"
        " SELECT start, goal_id FROM up ORDER BY start, depth DESC",
        org_id,
        goal_ids,
    )
    found: dict[str, list[str]] = {g: [] for g in goal_ids}
    for r in rows:
        found[r["start"]].append(r["goal_id"])
    return found


def memory_ancestors(parents: dict[str, str | None], goal_id: str) -> list[str]:
    path: list[str] = []
    at = parents.get(goal_id)
    while at is not None and at not in path and len(path) < 1000:
        path.append(at)
        at = parents.get(at)
    return path[::-1]
