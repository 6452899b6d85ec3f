"""Every goal form through the goals use cases on real PostgreSQL: the events each decides and its numbers."""

from __future__ import annotations

import uuid

import pytest

from goalstream_goals.domain.errors import DomainError
from goalstream_goals.service_layer import ladders
from goalstream_goals.service_layer.goals import ConcurrencyError, NotFound
from tests.integration.goals.conftest import Goals


async def test_a_cascade_rolls_up_weighted_mean_and_sum(goals: Goals) -> None:
    span = {"start_at": goals.at(-45), "deadline": goals.at(45)}
    top = await goals.create(target=1, **span)
    d1 = await goals.create(target=1, parent_id=top.goal.goal_id, **span)
    d2 = await goals.create(target=600, rollup="sum", weight=3, parent_id=top.goal.goal_id, **span)
    await goals.create(target=15000, baseline=10000, weight=2, parent_id=d1.goal.goal_id, metric={"key": "f"}, **span)
    await goals.create(target=1000, parent_id=d1.goal.goal_id, metric={"key": "dl", "aggregation": "sum"}, **span)
    await goals.create(target=400, parent_id=d2.goal.goal_id, metric={"key": "el", "aggregation": "sum"}, **span)
    await goals.create(target=200, parent_id=d2.goal.goal_id, metric={"key": "ev", "aggregation": "sum"}, **span)
    for metric, value in (("f", 12500), ("dl", 300), ("dl", 200), ("el", 200), ("ev", 150)):
        await goals.measure(metric, value, days=-1)
    assert (await goals.get(d1.goal.goal_id)).progress == pytest.approx(0.5)
    d2_now = await goals.get(d2.goal.goal_id)
    assert d2_now.current == pytest.approx(350)
    assert d2_now.progress == pytest.approx(350 / 600)
    assert (await goals.get(top.goal.goal_id)).progress == pytest.approx((0.5 + 3 * 350 / 600) / 4)


async def test_a_sum_parent_is_achieved_when_its_children_add_up(goals: Goals) -> None:
    span = {"start_at": goals.at(-10), "deadline": goals.at(10)}
    parent = await goals.create(target=10, rollup="sum", **span)
    for key in ("a", "b"):
        await goals.create(target=100, parent_id=parent.goal.goal_id, metric={"key": key, "aggregation": "sum"}, **span)
    await goals.measure("a", 4, days=-1)
    assert "GoalAchieved" not in await goals.types(parent.goal.goal_id)
    await goals.measure("b", 6, days=-1)
    assert (await goals.types(parent.goal.goal_id)).count("GoalAchieved") == 1
    await goals.measure("b", 6, days=-1)
    assert (await goals.types(parent.goal.goal_id)).count("GoalAchieved") == 1


async def test_a_link_that_closes_a_cycle_is_refused_and_changes_nothing(goals: Goals) -> None:
    span = {"start_at": goals.at(-1), "deadline": goals.at(10)}
    a = await goals.create(target=1, **span)
    b = await goals.create(target=1, parent_id=a.goal.goal_id, **span)
    c = await goals.create(target=1, parent_id=b.goal.goal_id, **span)
    with pytest.raises(DomainError) as refused:
        await goals.service.revise_goal(
            goals.org_id, a.goal.goal_id, a.goal.version, {"parent_id": c.goal.goal_id}, uuid.uuid4()
        )
    assert refused.value.code == "cycle" and refused.value.field == "parent_id"
    assert (await goals.get(a.goal.goal_id)).goal.version == a.goal.version


async def test_another_organisations_goal_is_not_found(goals: Goals, pool: object) -> None:
    other = Goals(goals.service, goals.clock, f"org-{uuid.uuid4().hex[:8]}")
    mine = await goals.create(target=1, start_at=goals.at(-1), deadline=goals.at(1))
    with pytest.raises(NotFound):
        await other.get(mine.goal.goal_id)
    with pytest.raises(NotFound) as not_found:
        await other.create(target=1, deadline=goals.at(1), parent_id=mine.goal.goal_id)
    assert not_found.value.field == "parent_id"


async def test_two_writers_race_one_wins_one_conflicts_nothing_is_lost(goals: Goals) -> None:
    goal = await goals.create(target=10, start_at=goals.at(-1), deadline=goals.at(1))
    version = goal.goal.version
    first = await goals.service.revise_goal(goals.org_id, goal.goal.goal_id, version, {"title": "one"}, uuid.uuid4())
    with pytest.raises(ConcurrencyError):
        await goals.service.revise_goal(goals.org_id, goal.goal.goal_id, version, {"title": "two"}, uuid.uuid4())
    now = await goals.get(goal.goal.goal_id)
    assert now.goal.definition.title == "one" and now.goal.version == first.goal.version


async def test_an_anti_goal_breaches_once_per_episode_with_hysteresis(goals: Goals) -> None:
    anti = await goals.create(
        kind="anti", metric={"key": "churn"}, comparator="above", threshold=5, recovery_threshold=3, severity="critical"
    )
    for value in (4, 6, 7, 4, 6, 2.5, 8):
        await goals.measure("churn", value, days=0.001)
        goals.clock.advance(hours=1)
    types = await goals.types(anti.goal.goal_id)
    assert types.count("AntiGoalBreached") == 2
    assert types.count("AntiGoalRecovered") == 1
    assert (await goals.get(anti.goal.goal_id)).goal.breached_at is not None


async def test_a_windowed_anti_goal_judges_the_mean(goals: Goals) -> None:
    anti = await goals.create(kind="anti", metric={"key": "lat"}, comparator="above", threshold=100, window="PT1H")
    await goals.measure("lat", 150, days=-1 / 24 / 4)  # 15 minutes ago
    assert "AntiGoalBreached" in await goals.types(anti.goal.goal_id)  # mean 150
    await goals.measure("lat", 10, days=0)  # mean (150 + 10) / 2 = 80
    assert "AntiGoalRecovered" in await goals.types(anti.goal.goal_id)


async def test_a_plan_hits_milestones_and_reports_late_ones(goals: Goals) -> None:
    goal = await goals.create(
        target=400, metric={"key": "leads", "aggregation": "sum"}, start_at=goals.at(-15), deadline=goals.at(75)
    )
    planned = await goals.service.plan_goal(goals.org_id, goal.goal.goal_id, uuid.uuid4(), milestones=3)
    assert [round(m.target, 2) for m in planned.goal.milestones] == [133.33, 266.67, 400]
    assert [m.due for m in planned.goal.milestones] == [goals.at(15), goals.at(45), goals.at(75)]
    await goals.measure("leads", 100, days=-10)
    await goals.measure("leads", 100, days=-3)
    events = await goals.service.stream_events(goals.org_id, goal.goal.goal_id, "GoalSet")
    hits = [e.payload for e in events if e.event_type == "MilestoneHit"]
    assert [(h.milestone_index, h.late, h.hit_at) for h in hits] == [(1, False, goals.at(-3))]  # type: ignore[attr-defined]


async def test_a_ladder_unlocks_the_next_rung_at_the_achieving_observation(goals: Goals) -> None:
    rung = {"metric": {"key": "posts", "aggregation": "sum"}, "deadline": goals.at(80)}
    record = await ladders.set_ladder(
        goals.service,
        goals.org_id,
        "cadence",
        None,
        [{"title": "10", "target": 10, "start_at": goals.at(-10), **rung}, {"title": "25", "target": 25, **rung}],
        uuid.uuid4(),
    )
    assert [g.locked for g in record.rungs] == [False, True]
    await goals.measure("posts", 12, days=0)
    after = await ladders.get_ladder(goals.service, goals.org_id, record.ladder.ladder_id)
    assert after.ladder.current_rung == 2
    assert after.rungs[1].definition.start_at == goals.at(0)
    assert after.progress == pytest.approx(0.5)  # the 12 posts do not count for the second rung
    await goals.measure("posts", 5, days=0.5)
    assert (await ladders.get_ladder(goals.service, goals.org_id, record.ladder.ladder_id)).progress == pytest.approx(
        (1 + 5 / 25) / 2
    )


async def test_the_same_measurement_id_has_one_effect(goals: Goals) -> None:
    goal = await goals.create(target=10, metric={"key": "m", "aggregation": "sum"}, deadline=goals.at(5))
    first = await goals.measure("m", 3, measurement_id="same")
    second = await goals.measure("m", 3, measurement_id="same")
    assert (first.count("accepted"), second.count("duplicate")) == (1, 1)
    assert (await goals.get(goal.goal.goal_id)).current == 3


async def test_a_late_gauge_value_is_recorded_but_does_not_replace_a_newer_one(goals: Goals) -> None:
    goal = await goals.create(target=100, metric={"key": "g"}, start_at=goals.at(-5), deadline=goals.at(5))
    await goals.measure("g", 40, days=-1)
    await goals.measure("g", 10, days=-2)
    record = await goals.get(goal.goal.goal_id)
    assert record.current == 40
    assert (await goals.types(goal.goal.goal_id)).count("MeasurementRecorded") == 2
