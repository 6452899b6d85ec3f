"""Loading aggregates: snapshots for long streams, racing writers, causation links, an append-only log."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from goalstream_goals.adapters import event_store, snapshots
from goalstream_goals.domain.goal import Measurement, fold
from goalstream_goals.domain.measure import decide_measurement
from goalstream_goals.service_layer import ladders
from goalstream_goals.service_layer.goals import ConcurrencyError, GoalsService
from goalstream_runtime.db import create_pool
from tests.integration.goals.conftest import Goals


async def test_a_long_stream_loads_from_its_snapshot_and_equals_a_full_fold(goals: Goals, pool: asyncpg.Pool) -> None:
    goal = await goals.create(target=10_000, metric={"key": "long", "aggregation": "sum"}, deadline=goals.at(30))
    for i in range(2 * snapshots.EVERY + 7):
        await goals.measure("long", 1, days=0.0001 * i)
    goal_id = goal.goal.goal_id
    async with pool.acquire() as conn:
        snapshot = await snapshots.read(conn, goal_id, goals.org_id)
        full = fold([e.payload for e in await event_store.load(conn, goal_id, goals.org_id)])
    assert snapshot is not None and snapshot.version >= snapshots.EVERY
    assert full is not None and full.current == 2 * snapshots.EVERY + 7
    uncached = GoalsService(pool=pool, clock=goals.clock)  # no goal cache: it loads from the snapshot
    loaded = await uncached.get_goal(goals.org_id, goal_id)
    assert loaded.goal == full  # snapshot + the events after it: the same state as folding everything
    assert (await goals.get(goal_id)).goal == full  # and from the cache: the same


async def test_two_writers_racing_on_one_goal_one_wins_one_conflicts(goals: Goals, database_url: str) -> None:
    goal = await goals.create(target=10, start_at=goals.at(-1), deadline=goals.at(5))
    other_pool = await create_pool(database_url, "goals")
    try:
        other = GoalsService(pool=other_pool, clock=goals.clock)
        outcomes = await asyncio.gather(
            goals.service.revise_goal(goals.org_id, goal.goal.goal_id, goal.goal.version, {"title": "A"}, uuid.uuid4()),
            other.revise_goal(goals.org_id, goal.goal.goal_id, goal.goal.version, {"title": "B"}, uuid.uuid4()),
            return_exceptions=True,
        )
    finally:
        await other_pool.close()
    conflicts = [o for o in outcomes if isinstance(o, ConcurrencyError)]
    winners = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(conflicts) == 1 and len(winners) == 1
    now = await goals.get(goal.goal.goal_id)
    assert now.goal.version == goal.goal.version + 1
    assert now.goal.definition.title == winners[0].goal.definition.title
    assert (await goals.types(goal.goal.goal_id)).count("GoalRevised") == 1


async def test_a_ladder_unlock_names_the_achievement_that_caused_it(goals: Goals) -> None:
    rung = {"metric": {"key": "steps", "aggregation": "sum"}, "deadline": goals.at(10)}
    record = await ladders.set_ladder(
        goals.service,
        goals.org_id,
        "steps",
        None,
        [{"title": "1", "target": 1, "start_at": goals.at(-1), **rung}, {"title": "2", "target": 2, **rung}],
        uuid.uuid4(),
    )
    await goals.measure("steps", 1, days=0)
    first = await goals.service.stream_events(goals.org_id, record.rungs[0].goal_id, "GoalSet")
    achieved = next(e for e in first if e.event_type == "GoalAchieved")
    ladder = await goals.service.stream_events(goals.org_id, record.ladder.ladder_id, "LadderSet")
    unlocked = next(e for e in ladder if e.event_type == "LadderRungUnlocked")
    assert unlocked.causation_id == achieved.event_id
    assert unlocked.correlation_id == achieved.correlation_id


async def test_the_event_log_refuses_updates_and_deletes(goals: Goals, pool: asyncpg.Pool) -> None:
    await goals.create(target=1, deadline=goals.at(1))
    async with pool.acquire() as conn:
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("UPDATE events SET payload = '{}'::jsonb")
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM events")


async def test_a_cached_goal_takes_in_what_another_instance_appended(goals: Goals, database_url: str) -> None:
    metric = f"cache.{uuid.uuid4().hex[:8]}"
    goal = await goals.create(metric={"key": metric, "aggregation": "sum"}, target=100, deadline=goals.at(5))
    await goals.measure(metric, 1)  # this instance now has the goal cached at version 2
    assert goals.service.cache.get(goals.org_id, goal.goal.goal_id) is not None
    other_pool = await create_pool(database_url, "goals")
    try:
        other = Goals(GoalsService(pool=other_pool, clock=goals.clock), goals.clock, goals.org_id)
        await other.measure(metric, 10)
    finally:
        await other_pool.close()
    await goals.measure(metric, 100)  # decided on the cached state plus the other instance's event
    record = await goals.get(goal.goal.goal_id)
    assert record.current == 111
    assert (await goals.types(goal.goal.goal_id))[-1] == "GoalAchieved"


async def test_a_rolled_back_session_leaves_the_cache_as_committed(goals: Goals) -> None:
    metric = f"cache.{uuid.uuid4().hex[:8]}"
    goal = await goals.create(metric={"key": metric, "aggregation": "sum"}, target=100, deadline=goals.at(5))
    await goals.measure(metric, 1)
    with pytest.raises(RuntimeError):
        async with goals.service.session(goals.org_id) as s:
            before = await s.goal(goal.goal.goal_id)
            m = Measurement(str(uuid.uuid4()), metric, 50, goals.clock.now)
            await s.commit(before, decide_measurement(before, m, s.now, s.tolerances))
            raise RuntimeError("the request fails after deciding")
    cached = goals.service.cache.get(goals.org_id, goal.goal.goal_id)
    assert cached is not None and cached.current == 1
    await goals.measure(metric, 2)
    assert (await goals.get(goal.goal.goal_id)).current == 3
