"""Every accepted measurement is kept and counts: a rung unlocked mid-batch, a goal set after its data, folding."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from goalstream_contracts.events import GoalRevised, MeasurementRecorded
from goalstream_goals.domain.goal import Measurement
from goalstream_goals.service_layer import ladders
from goalstream_goals.service_layer.ladders import LadderRecord
from goalstream_goals.service_layer.measurements import BatchResult, record_measurements
from goalstream_rules.anti import mean, window_values
from tests.integration.goals.conftest import Goals


def item(metric: str, value: float, at: datetime, **kw: Any) -> tuple[str | None, Measurement]:
    goal_id = kw.pop("goal_id", None)
    return goal_id, Measurement(kw.pop("measurement_id", str(uuid.uuid4())), metric, value, at, **kw)


async def send(goals: Goals, *items: tuple[str | None, Measurement]) -> BatchResult:
    return await record_measurements(goals.service, goals.org_id, list(items), uuid.uuid4())


async def ladder(goals: Goals, metric: str, first: dict[str, Any], second: dict[str, Any]) -> str:
    rung = {"metric": {"key": metric, "aggregation": "latest"}}
    record = await ladders.set_ladder(
        goals.service,
        goals.org_id,
        "climb",
        None,
        [
            {"title": "one", "start_at": goals.at(-10), "deadline": goals.at(50), **rung, **first},
            {"title": "two", "deadline": goals.at(60), **rung, **second},
        ],
        uuid.uuid4(),
    )
    return record.ladder.ladder_id


async def read(goals: Goals, ladder_id: str) -> LadderRecord:
    return await ladders.get_ladder(goals.service, goals.org_id, ladder_id)


async def test_a_rung_unlocked_mid_batch_counts_the_rest_of_the_batch(goals: Goals) -> None:
    """24 achieves rung 1, 28 a day later counts for rung 2: the same as two requests or as one batch."""
    apart, together = f"apart.{uuid.uuid4().hex[:6]}", f"together.{uuid.uuid4().hex[:6]}"
    ids = {m: await ladder(goals, m, {"target": 24}, {"target": 35}) for m in (apart, together)}
    await send(goals, item(apart, 24, goals.at(0)))
    await send(goals, item(apart, 28, goals.at(1)))
    await send(goals, item(together, 24, goals.at(0)), item(together, 28, goals.at(1)))
    for metric in (apart, together):
        record = await read(goals, ids[metric])
        assert record.rungs[1].raw_progress == pytest.approx(0.8), metric
        assert record.progress == pytest.approx(0.9), metric


async def test_a_value_earlier_in_the_batch_but_observed_after_the_unlock_counts(goals: Goals) -> None:
    """Batch order 5 (day 2), 20 (day 1): 20 completes rung 1's sum at day 1, so 5, observed later, counts on rung 2."""
    apart, together = f"apart.{uuid.uuid4().hex[:6]}", f"together.{uuid.uuid4().hex[:6]}"
    ids = {}
    for m in (apart, together):
        sums = {"metric": {"key": m, "aggregation": "sum"}}
        ids[m] = await ladder(goals, m, {**sums, "target": 24}, {**sums, "target": 10})
    await send(goals, item(apart, 5, goals.at(2)))
    await send(goals, item(apart, 20, goals.at(1)))
    await send(goals, item(together, 5, goals.at(2)), item(together, 20, goals.at(1)))
    for metric in (apart, together):
        record = await read(goals, ids[metric])
        assert record.rungs[1].definition.start_at == goals.at(1), metric
        assert record.rungs[1].current == 5, metric
        assert record.progress == pytest.approx((1 + 0.5) / 2), metric


async def test_a_ladder_set_after_its_data_climbs_at_once(goals: Goals) -> None:
    metric = f"late.{uuid.uuid4().hex[:6]}"
    await send(goals, item(metric, 30, goals.at(-3)), item(metric, 7, goals.at(-1)))
    sums = {"metric": {"key": metric, "aggregation": "sum"}}
    record = await read(goals, await ladder(goals, metric, {**sums, "target": 25}, {**sums, "target": 14}))
    assert record.rungs[0].achieved
    assert record.rungs[1].definition.start_at == goals.at(-3)
    assert record.rungs[1].current == 7  # only what was observed after the unlock
    assert record.progress == pytest.approx((1 + 0.5) / 2)


async def test_an_unmatched_measurement_is_kept_and_a_goal_set_later_counts_it(goals: Goals) -> None:
    metric = f"early.{uuid.uuid4().hex[:6]}"
    result = await send(goals, item(metric, 3, goals.at(-20)), item(metric, 4, goals.at(-5)))
    assert (result.count("accepted"), result.unmatched) == (2, 2)
    goal = await goals.create(
        metric={"key": metric, "aggregation": "sum"}, target=10, start_at=goals.at(-10), deadline=goals.at(10)
    )
    assert goal.current == 4  # observed at or after start_at only
    after = await send(goals, item(metric, 1, goals.at(0)))
    assert (after.unmatched, after.outcomes[0].goals) == (0, 1)
    assert (await goals.get(goal.goal.goal_id)).current == 5


async def test_sum_latest_and_window_goals_fold_their_own_values(goals: Goals) -> None:
    metric = f"fold.{uuid.uuid4().hex[:6]}"
    await send(
        goals,
        item(metric, 4, goals.at(-1)),
        item(metric, 1, goals.at(-5)),
        item(metric, 2, goals.at(-3)),
        item(metric, 100, goals.at(-2), goal_id=None),
    )
    other = await goals.create(metric={"key": metric}, target=500, deadline=goals.at(10))
    await send(goals, item(metric, 1000, goals.at(-2.5), goal_id=other.goal.goal_id))  # aimed at `other` only
    sums = await goals.create(
        metric={"key": metric, "aggregation": "sum"}, target=500, start_at=goals.at(-4), deadline=goals.at(10)
    )
    latest = await goals.create(metric={"key": metric}, target=500, deadline=goals.at(10))
    window = await goals.create(kind="anti", metric={"key": metric}, comparator="above", threshold=50, window="P2DT12H")
    assert sums.current == 2 + 100 + 4
    assert latest.current == 4  # the newest observation, whatever its start_at
    assert window.current == pytest.approx((2 + 100 + 4) / 3)  # the window that ends at the newest value
    window_types = await goals.types(window.goal.goal_id)
    assert window_types.count("AntiGoalBreached") == window_types.count("AntiGoalRecovered") == 1
    assert (await goals.get(other.goal.goal_id)).current == 4  # the check-in at -2.5 days is older than -1


async def test_a_window_folds_what_its_rule_holds_at_the_boundary(goals: Goals) -> None:
    """The window is (newest - window, newest] (`goalstream_rules.anti.in_window`): a kept value observed exactly one
    window before the newest is out of it when a goal folds the series, as it is when values arrive one by one."""
    metric = f"edge.{uuid.uuid4().hex[:6]}"
    await send(goals, item(metric, 100, goals.at(-2)), item(metric, 1, goals.at(-1)))
    anti = await goals.create(kind="anti", metric={"key": metric}, comparator="above", threshold=50, window="P1D")
    kept = [(goals.at(-2), 100.0), (goals.at(-1), 1.0)]
    assert anti.current == mean(window_values(kept, timedelta(days=1))) == 1
    assert "AntiGoalBreached" not in await goals.types(anti.goal.goal_id)  # 100 alone would have opened a breach


async def test_the_fold_reads_the_series_by_the_counting_rule_at_its_bounds(goals: Goals) -> None:
    """`series.newest` filters in SQL what `goalstream_rules.counting.Since.admits` says: a `sum` goal counts a kept
    value observed exactly at its start_at; a later rung does not count one observed exactly at its unlock."""
    metric = f"bound.{uuid.uuid4().hex[:6]}"
    await send(goals, item(metric, 5, goals.at(1)), item(metric, 2, goals.at(0.5)))
    sums = await goals.create(
        metric={"key": metric, "aggregation": "sum"}, target=50, start_at=goals.at(1), deadline=goals.at(10)
    )
    assert sums.current == 5
    ladder_id = await ladder(goals, metric, {"target": 24}, {"target": 35})
    await send(goals, item(metric, 24, goals.at(1)))  # as new as the kept 5, so it replaces it: rung 1 achieved
    record = await read(goals, ladder_id)
    assert record.rungs[1].definition.start_at == goals.at(1)
    assert record.rungs[1].current is None  # the kept 5 at the unlock's very time is not after it: not even folded
    assert "MeasurementRecorded" not in await goals.types(record.rungs[1].goal_id)


async def test_duplicates_never_count_twice(goals: Goals) -> None:
    metric = f"dup.{uuid.uuid4().hex[:6]}"
    await send(goals, item(metric, 3, goals.at(-2), measurement_id=f"{metric}-a"))
    goal = await goals.create(
        metric={"key": metric, "aggregation": "sum"}, target=10, start_at=goals.at(-5), deadline=goals.at(10)
    )
    again = await send(goals, item(metric, 3, goals.at(-2), measurement_id=f"{metric}-a"))
    assert again.count("duplicate") == 1
    assert (await goals.get(goal.goal.goal_id)).current == 3
    # A revision that recounts starts the count again: each kept value is counted once after it, `-a` included.
    await send(goals, item(metric, 2, goals.at(-8), measurement_id=f"{metric}-b"))
    version = (await goals.get(goal.goal.goal_id)).goal.version
    revised = await goals.service.revise_goal(
        goals.org_id, goal.goal.goal_id, version, {"start_at": goals.at(-9)}, uuid.uuid4()
    )
    assert revised.current == 5
    events = await goals.service.stream_events(goals.org_id, goal.goal.goal_id, "GoalSet")
    revision = max(i for i, e in enumerate(events) if isinstance(e.payload, GoalRevised))
    counted = [
        e.payload.measurement_id
        for e in events[revision:]
        if isinstance(e.payload, MeasurementRecorded) and e.payload.counted
    ]
    assert counted == [f"{metric}-b", f"{metric}-a"]  # oldest observation first


async def test_a_goal_revised_onto_another_metric_picks_up_its_values(goals: Goals) -> None:
    metric = f"right.{uuid.uuid4().hex[:6]}"
    await send(goals, item(metric, 6, goals.at(-1)))
    goal = await goals.create(metric={"key": f"typo.{metric}", "aggregation": "sum"}, target=10, deadline=goals.at(9))
    assert goal.current is None
    revised = await goals.service.revise_goal(
        goals.org_id,
        goal.goal.goal_id,
        goal.goal.version,
        {"metric": {"key": metric, "aggregation": "sum"}, "start_at": goals.at(-2)},
        uuid.uuid4(),
    )
    assert revised.current == 6


async def test_an_organisation_lists_its_metrics(goals: Goals) -> None:
    prefix = uuid.uuid4().hex[:6]
    a, b, c = f"{prefix}.a", f"{prefix}.b", f"{prefix}.c"
    await send(goals, item(a, 1, goals.at(-2)), item(a, 9, goals.at(-1)), item(a, 5, goals.at(-3)))
    await send(goals, item(b, 2, goals.at(-1)))
    bound = await goals.create(metric={"key": c}, target=5, deadline=goals.at(9))
    goals.clock.advance(hours=1)
    await send(goals, item(a, 7, goals.at(-1) - timedelta(hours=1)))  # observed at the same time as 9, recorded later
    first = await goals.service.list_metrics(goals.org_id, "", 2)
    assert [(m.key, m.last_value, m.count, m.goals) for m in first] == [(a, 7, 4, []), (b, 2, 1, [])]
    assert first[0].last_observed_at == goals.at(-1) - timedelta(hours=1)
    assert first[0].last_recorded_at == goals.clock.now
    rest = await goals.service.list_metrics(goals.org_id, first[-1].key, 2)
    assert [(m.key, m.last_value, m.count, m.goals) for m in rest] == [(c, None, 0, [bound.goal.goal_id])]
