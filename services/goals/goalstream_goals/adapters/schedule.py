"""When each goal next needs the scheduler; rows are claimed with SKIP LOCKED so instances share the work."""

from __future__ import annotations

from datetime import datetime

from goalstream_goals.adapters.event_store import try_lock_organisation
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


async def claim_due(conn: Connection, now: datetime, look_at: int = 20) -> tuple[str, str] | None:
    """Lock one goal due by `now` for the caller's transaction: (org id, goal id), or None.

    The organisation's append lock comes first, then the row. Every writer takes that lock before it writes
    schedule rows (it writes them after its events), so a scheduler that held a row while it waited for the
    lock deadlocked with a request on the same goal. The lock is only tried: a goal whose organisation is busy
    (a long batch) is passed over for the next of the `look_at` first due, so one organisation never stalls
    the others. None ends the pass (nothing due, all busy, or the row taken by another instance meanwhile:
    looking further would hold a second organisation's lock); the next pass takes the rest.
    """
    rows = await conn.fetch(
        "SELECT org_id, goal_id FROM schedule WHERE due_at <= $1 ORDER BY due_at LIMIT $2", now, look_at
    )
    busy: set[str] = set()
    for row in rows:
        org_id, goal_id = row["org_id"], row["goal_id"]
        if org_id in busy:
            continue
        if not await try_lock_organisation(conn, org_id):
            busy.add(org_id)
            continue
        locked = await conn.fetchval(
            "SELECT goal_id FROM schedule WHERE goal_id = $1 AND due_at <= $2 FOR UPDATE SKIP LOCKED", goal_id, now
        )
        return None if locked is None else (org_id, goal_id)
    return None


async def due_at(conn: Connection, goal_id: str) -> datetime | None:
    value: datetime | None = await conn.fetchval("SELECT due_at FROM schedule WHERE goal_id = $1", goal_id)
    return value
