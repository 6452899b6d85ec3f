"""Aggregate snapshots: a long stream loads from its latest snapshot plus the events after it.

A snapshot is a cache, never the truth: a snapshot written by another state format is ignored
and the stream is folded from its first event.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from goalstream_goals.domain.goal import Goal
from goalstream_runtime.db import Connection

# Raise when the Goal state's shape, or what `evolve` makes of an event, changes. 2: a revision of what counts
# empties the running aggregate (goalstream_rules.recount), so older snapshots would not equal a replay.
FORMAT = 2
EVERY = 50  # events between snapshots

_GOAL = TypeAdapter(Goal)


async def read(conn: Connection, stream_id: str, org_id: str) -> Goal | None:
    row = await conn.fetchrow(
        "SELECT state FROM snapshots WHERE stream_id = $1 AND org_id = $2 AND format = $3", stream_id, org_id, FORMAT
    )
    return None if row is None else _GOAL.validate_python(row["state"])


async def read_many(conn: Connection, stream_ids: list[str], org_id: str) -> dict[str, Goal]:
    rows = await conn.fetch(
        "SELECT stream_id, state FROM snapshots WHERE stream_id = ANY($1::text[]) AND org_id = $2 AND format = $3",
        stream_ids,
        org_id,
        FORMAT,
    )
    return {r["stream_id"]: _GOAL.validate_python(r["state"]) for r in rows}


async def write(conn: Connection, org_id: str, goal: Goal, last_snapshot_version: int) -> None:
    """Snapshot `goal` when EVERY events have passed since the last snapshot."""
    if goal.version - last_snapshot_version < EVERY:
        return
    state: Any = _GOAL.dump_python(goal, mode="json")
    await conn.execute(
        "INSERT INTO snapshots (stream_id, org_id, version, format, state) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, format = excluded.format,"
        " state = excluded.state",
        goal.goal_id,
        org_id,
        goal.version,
        FORMAT,
        state,
    )


async def write_many(conn: Connection, org_id: str, goals: list[Goal]) -> None:
    """Snapshot these goals (the session chose them: each crossed a multiple of EVERY events) in one statement."""
    if not goals:
        return
    await conn.executemany(
        "INSERT INTO snapshots (stream_id, org_id, version, format, state) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, format = excluded.format,"
        " state = excluded.state",
        [(g.goal_id, org_id, g.version, FORMAT, _GOAL.dump_python(g, mode="json")) for g in goals],
    )
