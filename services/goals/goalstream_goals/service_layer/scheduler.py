"""The scheduler: time-driven events (status bands, missed milestones and deadlines, check-ins).

A pass claims due goals one at a time with SKIP LOCKED and decides in the claiming transaction, so
instances share the work and each time event is emitted once: another instance skips the locked
row, and after the commit the goal's state already holds the event.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from goalstream_goals.adapters import nodes, organisations, schedule
from goalstream_goals.domain.timing import decide_time
from goalstream_goals.service_layer.goals import GoalsService
from goalstream_goals.service_layer.unit_of_work import MIN_RECHECK_SECONDS, Session
from goalstream_rules.rollup import rollup_numbers
from goalstream_runtime.db import Connection

log = logging.getLogger(__name__)


@dataclass
class Scheduler:
    service: GoalsService
    interval_seconds: float = 5.0
    max_per_pass: int = 10_000
    emitted: int = 0

    async def tick(self) -> int:
        """One pass over every goal due by the service's clock now; returns how many events it emitted."""
        now = self.service.clock()
        emitted = 0
        for _ in range(self.max_per_pass):
            count = await self._decide_next(now)
            if count is None:
                break
            emitted += count
        self.emitted += emitted
        return emitted

    async def _decide_next(self, now: datetime) -> int | None:
        async with self.service.pool.acquire() as conn:
            async with conn.transaction():
                decided = await self._decide_in(conn, now)
            if decided is not None:
                decided[0].committed()
            return None if decided is None else decided[1]

    async def _decide_in(self, conn: Connection, now: datetime) -> tuple[Session, int] | None:
        """Claim the next goal due and decide on it; the session and how many events, None when nothing is due."""
        claimed = await schedule.claim_due(conn, now)
        if claimed is None:
            return None
        org_id, goal_id = claimed
        tolerances = await organisations.tolerances(conn, org_id)
        s = self.service.new_session(conn, org_id, now, tolerances, uuid.uuid4())
        goal = await s.find_goal(goal_id)
        if goal is None:
            await schedule.set_due(conn, org_id, goal_id, None)
            return s, 0
        rollup = worst = None
        if goal.definition.metric is None:
            children = await nodes.children(conn, org_id, goal_id)
            numbers = rollup_numbers(goal.definition.rollup, children, goal.baseline, goal.definition.target)
            rollup, worst = numbers.progress, numbers.worst
        events = decide_time(goal, now, s.tolerances, rollup=rollup, worst=worst)
        await s.commit(goal, events)
        await s.settle()
        due = await schedule.due_at(conn, goal_id)
        if due is not None and due <= now:  # still due with nothing decided: look again later
            log.warning("goal due with nothing to decide", extra={"goal_id": goal_id})
            await schedule.set_due(conn, org_id, goal_id, now + timedelta(seconds=MIN_RECHECK_SECONDS))
        return s, len(events)

    async def run(self) -> None:
        while True:
            try:
                emitted = await self.tick()
                if emitted:
                    log.info("scheduler pass", extra={"emitted": emitted})
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler pass failed; retrying")
            await asyncio.sleep(self.interval_seconds)
