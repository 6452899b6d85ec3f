"""A synthetic goal history: valid goal events of a separate organisation, in an order tracking can apply.

The rebuild phase needs `rebuild_events` records on `goalstream.goals.events.v1`; the run's own
phases leave a few tens of thousands, and the pipeline makes about a hundred a second. So the
rebuild tops the topic up with these (bench/produce.py), built with the contracts package as the
goals service builds them: a tree of goals (`sum` rollups over `sum` leaves, parents set first),
then unit MeasurementRecorded events round robin over the leaves. Each stream's versions run
consecutively from 1 (GoalSet first), as tracking requires.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

from bench.sample import DEADLINE, START
from bench.tree import LEVELS, level_sizes
from goalstream_contracts.base import Payload
from goalstream_contracts.cloudevents import KafkaRecord, to_kafka
from goalstream_contracts.common import Metric
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import GoalSet, MeasurementRecorded

SOURCE = "/goalstream/goals"  # what the goals service stamps on its events
LEAF_TARGET = 1e9  # never reached, so no GoalAchieved would be due


def history_org() -> str:
    return f"bench-history-{uuid.uuid4().hex[:6]}"


def _record(org_id: str, payload: Payload, stream_id: str, version: int) -> KafkaRecord:
    at = datetime.now(UTC)
    envelope = Envelope[Payload].new(
        payload, org_id=org_id, stream_id=stream_id, stream_version=version, occurred_at=at, source=SOURCE
    )
    return to_kafka(envelope)


def _metric(index: int) -> str:
    return f"bench.history.{index}"


def _goal_set(goal_id: str, depth: int, index: int, parent_id: str | None, leaf: bool) -> GoalSet:
    return GoalSet(
        goal_id=goal_id,
        kind="hard",
        title=f"history goal {depth}.{index}",
        level=LEVELS[depth],
        parent_id=parent_id,
        rollup=None if leaf else "sum",
        metric=Metric(key=_metric(index), aggregation="sum") if leaf else None,
        target=LEAF_TARGET,
        start_at=START,
        deadline=DEADLINE,
    )


def _measured(org_id: str, n: int, goal_id: str, index: int, current: float) -> MeasurementRecorded:
    at = datetime.now(UTC)
    return MeasurementRecorded(
        goal_id=goal_id,
        measurement_id=f"{org_id}-{n}",
        metric=_metric(index),
        value=1.0,
        observed_at=at,
        recorded_at=at,
        source="/bench",
        current_value=current,
        progress=current / LEAF_TARGET,
    )


def events(org_id: str, goals: int) -> Iterator[KafkaRecord]:
    """One organisation's history, endless: a tree of about `goals` goals, then measurements on its leaves."""
    sizes = level_sizes(goals)
    parents: list[str | None] = [None]
    leaves: list[str] = []
    for depth, size in enumerate(sizes):
        leaf, ids = depth == len(sizes) - 1, [str(uuid.uuid4()) for _ in range(size)]
        for i, goal_id in enumerate(ids):
            yield _record(org_id, _goal_set(goal_id, depth, i, parents[i % len(parents)], leaf), goal_id, 1)
        parents, leaves = list(ids), ids
    versions = dict.fromkeys(leaves, 1)  # each leaf's last version; its `sum` so far is version - 1
    for n in itertools.count():
        index = n % len(leaves)
        goal_id = leaves[index]
        versions[goal_id] += 1
        measured = _measured(org_id, n, goal_id, index, float(versions[goal_id] - 1))
        yield _record(org_id, measured, goal_id, versions[goal_id])
