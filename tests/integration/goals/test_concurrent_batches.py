"""Batches racing for the same goals (HTTP requests side by side, the topic consumer): each is decided again
on fresh state when another appended first, so every measurement lands once and none is refused."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from goalstream_goals.domain.goal import Measurement
from goalstream_goals.service_layer.measurements import record_measurements
from tests.integration.goals.conftest import Goals

BATCHES, SIZE = 6, 25


async def test_concurrent_batches_on_one_goal_all_land_once(goals: Goals) -> None:
    metric = f"race.{uuid.uuid4().hex[:8]}"
    goal = await goals.create(
        metric={"key": metric, "aggregation": "sum"},
        target=10_000,
        start_at=goals.at(-1),
        deadline=goals.at(30),
    )

    def batch(n: int) -> list[tuple[str | None, Measurement]]:
        return [
            (None, Measurement(f"{n}-{i}", metric, 1.0, goals.clock.now + timedelta(seconds=i))) for i in range(SIZE)
        ]

    results = await asyncio.gather(
        *(record_measurements(goals.service, goals.org_id, batch(n), uuid.uuid4()) for n in range(BATCHES))
    )
    assert [r.count("accepted") for r in results] == [SIZE] * BATCHES
    assert (await goals.get(goal.goal.goal_id)).current == BATCHES * SIZE
    assert (await goals.types(goal.goal.goal_id)).count("MeasurementRecorded") == BATCHES * SIZE
