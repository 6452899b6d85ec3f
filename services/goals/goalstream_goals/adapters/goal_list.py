"""`goal_list`: what `GET /v1/goals` filters and pages on, one row per goal (migration 0007).

A row changes only with the goal's definition or its archiving, so it is written with those events and never on a
measurement. Pages are keyed on `position`, the goal's place in its organisation's creation order.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from goalstream_contracts.common import GoalStatus, Level
from goalstream_goals.domain.goal import Goal
from goalstream_runtime.db import Connection


@dataclass(frozen=True, slots=True)
class Listed:
    """A goal's row, as its state leaves it."""

    goal_id: str
    level: str | None
    owner: str | None
    parent_id: str | None
    metric_key: str | None
    archived: bool

    @classmethod
    def of(cls, goal: Goal) -> Listed:
        d = goal.definition
        return cls(d.goal_id, d.level, d.owner, d.parent_id, d.metric.key if d.metric else None, goal.archived)


@dataclass(frozen=True)
class Filters:
    """What a page is limited to; None: any. `roots`: only goals without a parent (then `parent_id` is None)."""

    level: Level | None = None
    owner: str | None = None
    status: GoalStatus | None = None
    parent_id: str | None = None
    roots: bool = False
    metric_key: str | None = None
    archived: bool | None = False


async def save_many(conn: Connection, org_id: str, rows: Collection[Listed]) -> None:
    """Insert or update the rows in one statement; a goal keeps the position it was first given."""
    if not rows:
        return
    await conn.executemany(
        "INSERT INTO goal_list (goal_id, org_id, level, owner, parent_id, metric_key, archived)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (goal_id) DO UPDATE SET level = excluded.level,"
        " owner = excluded.owner, parent_id = excluded.parent_id, metric_key = excluded.metric_key,"
        " archived = excluded.archived",
        [(r.goal_id, org_id, r.level, r.owner, r.parent_id, r.metric_key, r.archived) for r in rows],
    )


async def page(conn: Connection, org_id: str, filters: Filters, after: int, limit: int) -> list[tuple[str, int]]:
    """(goal id, position) of up to `limit` goals after position `after`, in creation order.

    Only the filters given become conditions (never `$n IS NULL OR ...`), so the plan can walk the index of a
    selective filter (parent, owner, metric) in position order and stop at `limit`.
    """
    args: list[object] = [org_id, after]
    where = ["l.org_id = $1", "l.position > $2"]

    def equal(column: str, value: object) -> None:
        args.append(value)
        where.append(f"{column} = ${len(args)}")

    for column, value in (
        ("l.level", filters.level),
        ("l.owner", filters.owner),
        ("l.parent_id", filters.parent_id),
        ("l.metric_key", filters.metric_key),
        ("l.archived", filters.archived),
        ("n.status", filters.status),
    ):
        if value is not None:
            equal(column, value)
    if filters.roots:
        where.append("l.parent_id IS NULL")
    join = " JOIN goal_nodes n ON n.goal_id = l.goal_id AND n.org_id = l.org_id" if filters.status else ""
    args.append(limit)
    rows = await conn.fetch(
        f"SELECT l.goal_id, l.position FROM goal_list l{join} WHERE {' AND '.join(where)}"
        f" ORDER BY l.position LIMIT ${len(args)}",
        *args,
    )
    return [(r["goal_id"], r["position"]) for r in rows]
