"""Listing an organisation's goals (`GET /v1/goals`): a page of ids from `goal_list`, then each goal as GET shows it.

Both reads run in one read-only REPEATABLE READ transaction, so a page's goals are those its filters chose at one
instant; a goal is loaded like any other (the cache of committed states, else its snapshot and newer events).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from goalstream_goals.adapters import goal_list, nodes, organisations
from goalstream_goals.adapters.goal_list import Filters
from goalstream_goals.service_layer.goals import GoalRecord, GoalsService, record_of

__all__ = ["Filters", "GoalPage", "list_goals"]  # Filters: what entrypoints translate a query into


@dataclass(frozen=True)
class GoalPage:
    records: list[GoalRecord]
    last: int | None  # position of the page's last goal when more follow; None: this is the last page


async def list_goals(service: GoalsService, org_id: str, filters: Filters, after: int, limit: int) -> GoalPage:
    """Up to `limit` goals set after position `after` that pass the filters, in the order they were set."""
    async with service.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        rows = await goal_list.page(conn, org_id, filters, after, limit + 1)  # one more: does a next page exist?
        more, rows = len(rows) > limit, rows[:limit]
        tolerances = await organisations.tolerances(conn, org_id)
        s = service.new_session(conn, org_id, service.clock(), tolerances, uuid.uuid4())
        ids = [goal_id for goal_id, _ in rows]
        await s.load_goals(ids)
        goals = [goal for goal_id in ids if (goal := s.known(goal_id)) is not None]
        rolled = await nodes.get_many(conn, org_id, [g.goal_id for g in goals if g.definition.metric is None])
        records = [record_of(g, rolled.get(g.goal_id)) for g in goals]
    s.committed()  # read in a committed snapshot: the states may serve later requests
    return GoalPage(records, rows[-1][1] if more else None)
