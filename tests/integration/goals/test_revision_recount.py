"""A revision of what counts (metric key, aggregation, start_at, window) recounts on real PostgreSQL: the goal forgets
its running aggregate and refolds the kept series for its new definition in the revision's transaction. goals' view
and tracking's fold of the goal's stored events (its own evolve_node) then show the same current value and progress.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from goalstream_contracts.events import GoalRevised, MeasurementRecorded
from goalstream_goals.service_layer.goals import GoalRecord
from goalstream_tracking.domain.node import GoalNode, evolve_node
from tests.integration.goals.conftest import Goals
from tests.integration.goals.test_measurement_series import item, send


def metric(name: str) -> str:
    return f"{name}.{uuid.uuid4().hex[:6]}"


async def revise(goals: Goals, goal_id: str, changes: dict[str, Any]) -> GoalRecord:
    version = (await goals.get(goal_id)).goal.version
    return await goals.service.revise_goal(goals.org_id, goal_id, version, changes, uuid.uuid4())


async def tracked(goals: Goals, goal_id: str) -> GoalNode:
    """Tracking's node after the goal's stored events, folded by tracking's own evolve_node."""
    node: GoalNode | None = None
    for envelope in await goals.service.stream_events(goals.org_id, goal_id, "GoalSet"):
        node = evolve_node(node, envelope.payload, envelope.occurred_at, goals.org_id)
    assert node is not None
    return node


async def both(goals: Goals, goal_id: str) -> tuple[float | None, float | None]:
    """(current, progress) as goals' GET view shows them, after asserting tracking shows the same."""
    view, node = await goals.get(goal_id), await tracked(goals, goal_id)
    assert (node.current, node.own_progress) == (view.current, view.progress)
    assert node.status == view.goal.status
    return view.current, view.progress


async def sum_goal(goals: Goals, key: str, start: float, **fields: Any) -> str:
    fields.setdefault("deadline", goals.at(20))
    record = await goals.create(
        metric={"key": key, "aggregation": "sum"}, target=100, start_at=goals.at(start), **fields
    )
    return record.goal.goal_id


async def test_a_goal_moved_to_another_metric_counts_only_the_new_metrics_values(goals: Goals) -> None:
    old, new = metric("old"), metric("new")
    await send(goals, item(old, 10, goals.at(-5)), item(old, 20, goals.at(-1)))
    await send(goals, item(new, 7, goals.at(-4)), item(new, 5, goals.at(-2)))
    goal_id = await sum_goal(goals, old, -10)
    assert await both(goals, goal_id) == (30, pytest.approx(0.3))
    await revise(goals, goal_id, {"metric": {"key": new, "aggregation": "sum"}})
    assert await both(goals, goal_id) == (12, pytest.approx(0.12))  # not 30 + 12
    await send(goals, item(old, 50, goals.at(0)), item(new, 3, goals.at(0)))
    assert await both(goals, goal_id) == (15, pytest.approx(0.15))


async def test_a_goal_moved_to_a_metric_with_no_values_shows_none_on_both_sides(goals: Goals) -> None:
    old = metric("old")
    await send(goals, item(old, 40, goals.at(-1)))
    goal_id = await sum_goal(goals, old, -10)
    await revise(goals, goal_id, {"metric": {"key": metric("empty"), "aggregation": "sum"}})
    assert await both(goals, goal_id) == (None, 0.0)


async def test_an_aggregation_change_recounts_the_kept_values(goals: Goals) -> None:
    key = metric("agg")
    await send(goals, item(key, 10, goals.at(-3)), item(key, 20, goals.at(-1)), item(key, 30, goals.at(-12)))
    goal_id = await sum_goal(goals, key, -5)
    assert (await both(goals, goal_id))[0] == 30  # 10 + 20: the 30 lies before start_at
    await revise(goals, goal_id, {"metric": {"key": key, "aggregation": "latest"}})
    assert await both(goals, goal_id) == (20, pytest.approx(0.2))  # the newest, not the running sum
    await revise(goals, goal_id, {"metric": {"key": key, "aggregation": "sum"}})
    assert (await both(goals, goal_id))[0] == 30  # summed again from start_at, each value once


async def test_moving_start_at_later_uncounts_what_lies_before_it(goals: Goals) -> None:
    key = metric("later")
    await send(goals, item(key, 10, goals.at(-5)), item(key, 20, goals.at(-1)))
    goal_id = await sum_goal(goals, key, -10)
    assert (await both(goals, goal_id))[0] == 30
    await revise(goals, goal_id, {"start_at": goals.at(-3)})
    assert await both(goals, goal_id) == (20, pytest.approx(0.2))
    events = await goals.service.stream_events(goals.org_id, goal_id, "GoalSet")
    revision = max(i for i, e in enumerate(events) if isinstance(e.payload, GoalRevised))
    recounted = [e.payload for e in events[revision:] if isinstance(e.payload, MeasurementRecorded)]
    assert [(m.value, m.current_value) for m in recounted] == [(20, 20)]


async def test_moving_start_at_earlier_counts_what_lies_between(goals: Goals) -> None:
    key = metric("earlier")
    await send(goals, item(key, 4, goals.at(-8)), item(key, 10, goals.at(-5)), item(key, 20, goals.at(-1)))
    goal_id = await sum_goal(goals, key, -6)
    assert (await both(goals, goal_id))[0] == 30
    await revise(goals, goal_id, {"start_at": goals.at(-9)})
    assert await both(goals, goal_id) == (34, pytest.approx(0.34))
    await revise(goals, goal_id, {"start_at": goals.at(-2)})
    await revise(goals, goal_id, {"start_at": goals.at(-9)})  # later, then back: each value counted once
    assert await both(goals, goal_id) == (34, pytest.approx(0.34))


async def test_a_narrower_window_takes_the_mean_again(goals: Goals) -> None:
    key = metric("window")
    hours = timedelta(hours=1)
    now = goals.clock.now
    await send(goals, item(key, 80, now - 20 * hours), item(key, 20, now - 3 * hours), item(key, 40, now - hours))
    record = await goals.create(kind="anti", metric={"key": key}, comparator="above", threshold=50, window="P1D")
    goal_id = record.goal.goal_id
    assert (await both(goals, goal_id))[0] == pytest.approx((80 + 20 + 40) / 3)
    await revise(goals, goal_id, {"window": "PT4H"})
    assert await both(goals, goal_id) == (pytest.approx(30), None)  # 20 and 40: the 80 is 19 hours older
    await revise(goals, goal_id, {"window": "P1D"})
    assert (await both(goals, goal_id))[0] == pytest.approx((80 + 20 + 40) / 3)


async def test_a_recount_recomputes_an_active_goals_status_and_keeps_an_achieved_goal_achieved(goals: Goals) -> None:
    key, big = metric("status"), metric("big")
    await send(goals, item(key, 10, goals.at(-1)), item(big, 120, goals.at(-1)))
    active = await sum_goal(goals, key, -10, deadline=goals.at(10))  # day 10 of 20: 10 % done
    achieved = await sum_goal(goals, big, -10)
    assert ((await goals.get(active)).goal.status, (await goals.get(achieved)).goal.achieved) == ("off_track", True)
    await revise(goals, active, {"metric": {"key": big, "aggregation": "sum"}})
    await revise(goals, achieved, {"metric": {"key": key, "aggregation": "sum"}})
    assert (await goals.get(active)).goal.achieved  # 120 kept, observed by the deadline
    view = await goals.get(achieved)
    assert (view.goal.achieved, view.goal.status, view.current) == (True, "achieved", 10)
    assert (await goals.types(achieved)).count("GoalAchieved") == 1
    for goal_id in (active, achieved):
        await both(goals, goal_id)
