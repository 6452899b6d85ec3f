"""When each goal next needs the scheduler; rows are claimed with SKIP LOCKED so instances share the work."""

from __future__ import annotations

from datetime import datetime

from goalstream_runtime.db import Connection


async def set_due(conn: Connection, org_id: str, goal_id: str, due_at: datetime | None) -> None:
    if due_at is None:
        await conn.execute("DELETE FROM schedule WHERE goal_id = $1", goal_id)
        return
    await conn.execute(
        "INSERT INTO schedule (goal_id, org_id, due_at) VALUES ($1, $2, $3)"
        " ON CONFLICT (goal_id) DO UPDATE SET due_at = excluded.due_at",
        goal_id,
        org_id,
        due_at,
    )


async def set_due_many(conn: Connection, org_id: str, due: dict[str, datetime | None]) -> None:
    """`set_due` for many goals in two statements at most."""
    cleared = [g for g, at in due.items() if at is None]
    if cleared:
        await conn.execute("DELETE FROM schedule WHERE goal_id = ANY($1::text[])", cleared)
    timed = [(g, org_id, at) for g, at in due.items() if at is not None]
    if timed:
        await conn.executemany(
            "INSERT INTO schedule (goal_id, org_id, due_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (goal_id) DO UPDATE SET due_at = excluded.due_at",
            timed,
        )


async def claim_due(conn: Connection, now: datetime) -> tuple[str, str] | None:
    """Lock one goal due by `now` for the caller's transaction: (org id, goal id), or None."""
    row = await conn.fetchrow(
        "SELECT org_id, goal_id FROM schedule WHERE due_at <= $1 ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED", now
    )
    return None if row is None else (row["org_id"], row["goal_id"])


async def due_at(conn: Connection, goal_id: str) -> datetime | None:
    value: datetime | None = await conn.fetchval("SELECT due_at FROM schedule WHERE goal_id = $1", goal_id)
    return value
