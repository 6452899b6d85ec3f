"""The scheduler on real PostgreSQL with an injected clock: each time event once, also with two instances."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import asyncpg

from goalstream_goals.service_layer.goals import GoalsService
from goalstream_goals.service_layer.scheduler import Scheduler
from goalstream_runtime.db import create_pool
from tests.integration.goals.conftest import Goals

TIME_EVENTS = ("MilestoneMissed", "GoalMissed", "GoalCheckInDue", "GoalStatusChanged")


async def _time_events(goals: Goals, goal_id: str) -> Counter[str]:
    return Counter(t for t in await goals.types(goal_id) if t in TIME_EVENTS)


async def _goal_with_everything(goals: Goals) -> str:
    """10 days long, 2 milestones (due day 5 and 10), a daily check-in, one measurement on day 0."""
    record = await goals.create(
        target=100,
        metric={"key": f"k-{uuid.uuid4().hex[:6]}", "aggregation": "sum"},
        start_at=goals.at(0),
        deadline=goals.at(10),
        checkin_every="P1D",
    )
    goal_id = record.goal.goal_id
    await goals.service.plan_goal(goals.org_id, goal_id, uuid.uuid4(), milestones=2)
    await goals.measure(record.goal.definition.metric.key, 1, days=0)  # type: ignore[union-attr]
    return goal_id


async def test_moving_the_clock_emits_each_time_event_once(goals: Goals) -> None:
    goal_id = await _goal_with_everything(goals)
    scheduler = Scheduler(goals.service)
    before = await _time_events(goals, goal_id)

    goals.clock.advance(days=1, seconds=1)  # the check-in lapses; status still on track (1% vs 10%)
    await scheduler.tick()
    await scheduler.tick()
    assert (await _time_events(goals, goal_id)) - before == Counter({"GoalCheckInDue": 1})

    goals.clock.advance(days=4)  # day 5: milestone 1 passes unreached; 1% vs 50% expected is off track
    await scheduler.tick()
    await scheduler.tick()
    after = await _time_events(goals, goal_id)
    assert after["MilestoneMissed"] == 1
    assert after["GoalCheckInDue"] == 1  # still the same lapse: no measurement since
    record = await goals.get(goal_id)
    assert record.goal.status == "off_track"
    assert record.goal.milestones_missed == (1,)

    goals.clock.advance(days=6)  # past the deadline and the second milestone
    for _ in range(3):
        await scheduler.tick()
    final = await _time_events(goals, goal_id)
    assert final["MilestoneMissed"] == 2
    assert final["GoalMissed"] == 1
    assert (await goals.get(goal_id)).goal.status == "missed"


async def test_status_moves_with_time_alone(goals: Goals) -> None:
    record = await goals.create(target=100, metric={"key": "quiet"}, start_at=goals.at(0), deadline=goals.at(100))
    scheduler = Scheduler(goals.service)
    seen = []
    for days in (5, 10, 15):  # expected 0.05 -> on track, 0.15 -> at risk, 0.30 -> off track
        goals.clock.advance(days=days)
        await scheduler.tick()
        seen.append((days, (await goals.get(record.goal.goal_id)).goal.status))
    assert [s for _, s in seen] == ["on_track", "at_risk", "off_track"]
    changes = (await _time_events(goals, record.goal.goal_id))["GoalStatusChanged"]
    assert changes == 3  # the first status at creation, then at risk, then off track


async def test_two_scheduler_instances_emit_each_time_event_once(goals: Goals, database_url: str) -> None:
    goal_ids = [await _goal_with_everything(goals) for _ in range(6)]
    other_pool: asyncpg.Pool = await create_pool(database_url, "goals")
    try:
        other = Scheduler(GoalsService(pool=other_pool, clock=goals.clock))
        mine = Scheduler(goals.service)
        goals.clock.advance(days=11)  # every goal: check-in lapse, both milestones, the deadline
        await asyncio.gather(mine.tick(), other.tick(), mine.tick(), other.tick())
        for goal_id in goal_ids:
            counts = await _time_events(goals, goal_id)
            assert counts["MilestoneMissed"] == 2, goal_id
            assert counts["GoalMissed"] == 1, goal_id
            assert counts["GoalCheckInDue"] == 1, goal_id
    finally:
        await other_pool.close()
