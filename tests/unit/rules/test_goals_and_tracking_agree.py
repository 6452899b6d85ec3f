"""Goals and tracking roll a tree up to the same numbers.

The same goal events go through both services' domains: goals decides them (decide_set, decide_measurement,
decide_archive) and rolls each parent up the way its service layer does (tree rows `Node.of`, `TreeView.children`,
`rollup_numbers`, deepest first); tracking folds them (`evolve_node`) and rolls the tree up (`roll_up_all`). Every
rolled-up goal in the tree must show the same progress and the same `sum` total on both sides.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from hypothesis import example, given, settings
from hypothesis import strategies as st

from goalstream_contracts.base import Payload
from goalstream_contracts.common import Aggregation, Metric, Rollup
from goalstream_contracts.events import GoalEvent, GoalSet
from goalstream_goals.adapters.nodes import Node
from goalstream_goals.domain.define import decide_archive, decide_set, decide_unlock
from goalstream_goals.domain.goal import Goal, Measurement, fold
from goalstream_goals.domain.ladder import Ladder, decide_ladder, fold_ladder
from goalstream_goals.domain.measure import decide_measurement
from goalstream_goals.service_layer.ladders import LadderRecord
from goalstream_goals.service_layer.tree import TreeView
from goalstream_rules.rollup import rollup_numbers
from goalstream_rules.status import Tolerances
from goalstream_runtime.db import Connection
from goalstream_tracking.domain.ladder import climbed, evolve_ladder
from goalstream_tracking.domain.node import GoalNode, evolve_node
from goalstream_tracking.domain.rollup import roll_up_all

T0 = datetime(2026, 4, 1, tzinfo=UTC)
DAY = timedelta(days=1)
NOW = T0 + 10 * DAY
TOL = Tolerances()


@dataclass(frozen=True)
class Spec:
    """One goal of a drawn tree: a measured leaf (`metric`), or a rolled-up goal (`rollup`, with or without kids)."""

    parent: int | None
    rollup: Rollup | None  # None: measured
    aggregation: Aggregation
    weight: float
    baseline: float
    target: float
    values: tuple[float, ...]
    archived: bool


def gid(i: int) -> str:
    return f"g{i:02d}"


@st.composite
def specs(draw: st.DrawFn, parent: int | None) -> Spec:
    rollup: Rollup | None = draw(st.sampled_from([None, None, "weighted_mean", "sum", "worst"]))
    baseline = draw(st.sampled_from([0.0, 10.0, -5.0]))
    span = draw(st.sampled_from([100.0, -50.0, 1.0, 400.0]))
    values = draw(st.lists(st.floats(-1000, 1000), max_size=3)) if rollup is None else []
    return Spec(
        parent=parent,
        rollup=rollup,
        aggregation=draw(st.sampled_from(["latest", "sum"])),
        weight=draw(st.sampled_from([1.0, 0.5, 3.0, 10.0])),
        baseline=baseline,
        target=baseline + span,
        values=tuple(values),
        archived=draw(st.sampled_from([False, False, False, True])),
    )


@st.composite
def trees(draw: st.DrawFn) -> list[Spec]:
    n = draw(st.integers(1, 12))
    return [draw(specs(None if i == 0 else draw(st.one_of(st.none(), st.integers(0, i - 1))))) for i in range(n)]


def goal_events(tree: list[Spec]) -> dict[str, list[Payload]]:
    """Each goal's stream as goals decides it."""
    streams: dict[str, list[Payload]] = {}
    for i, s in enumerate(tree):
        definition = GoalSet(
            goal_id=gid(i),
            kind="hard",
            title=gid(i),
            parent_id=None if s.parent is None else gid(s.parent),
            weight=s.weight,
            metric=Metric(key=f"kpi.{i}", aggregation=s.aggregation) if s.rollup is None else None,
            rollup=s.rollup,
            baseline=s.baseline,
            target=s.target,
            start_at=T0 - 30 * DAY,
            deadline=T0 + 60 * DAY,
        )
        events = decide_set(definition, T0, TOL)
        goal = fold(events)
        for k, value in enumerate(s.values):
            assert goal is not None
            decided = decide_measurement(goal, Measurement(f"m{i}-{k}", f"kpi.{i}", value, T0 + k * DAY), NOW, TOL)
            events, goal = [*events, *decided], fold(decided, goal)
        if s.archived:
            assert goal is not None
            events += decide_archive(goal, "gone")
        streams[gid(i)] = events
    return streams


class NoRows:
    """The database behind the session has no rows yet: the session's own rows are the truth."""

    async def fetch(self, *_: Any) -> list[Any]:
        return []


def goals_view(tree: list[Spec], streams: dict[str, list[Payload]]) -> dict[str, Node]:
    """Each goal's tree row as goals' service layer settles it: children first, then the parent from their rows."""
    goals: dict[str, Goal] = {g: cast(Goal, fold(events)) for g, events in streams.items()}
    view = TreeView(cast(Connection, NoRows()), "acme")
    asyncio.run(view.load_children(list(goals)))
    rows: dict[str, Node] = {}
    for i in reversed(range(len(tree))):  # a parent's index is below its children's: deepest first
        goal = goals[gid(i)]
        if goal.definition.metric is not None:
            row = Node.of(goal, current=goal.current, progress=goal.raw_progress)
        else:
            d = goal.definition
            numbers = rollup_numbers(d.rollup, view.children(d.goal_id), goal.baseline, d.target)
            row = Node.of(goal, current=numbers.current, progress=numbers.progress)
        view.put(row)
        rows[gid(i)] = row
    return rows


def tracking_view(streams: dict[str, list[Payload]]) -> dict[str, GoalNode]:
    nodes: dict[str, GoalNode] = {}
    for goal_id, events in streams.items():
        for k, event in enumerate(events):
            assert isinstance(event, GoalEvent)
            nodes[goal_id] = evolve_node(nodes.get(goal_id), event, T0 + k * timedelta(seconds=1), "acme")
    return roll_up_all(nodes)


def agree(tree: list[Spec]) -> None:
    streams = goal_events(tree)
    goals, tracking = goals_view(tree, streams), tracking_view(streams)
    for i, s in enumerate(tree):
        if s.archived:
            continue  # it has left the tree: neither side rolls it into a parent
        row, node = goals[gid(i)], tracking[gid(i)]
        assert (gid(i), row.progress) == (gid(i), node.progress)
        if s.rollup == "sum":
            assert (gid(i), row.current) == (gid(i), node.rollup_current)


# A weighted_mean parent over a measured child at 100 % and a rolled-up child with nothing below it: 50 % on both
# sides (goals used to leave the empty child out and show 100 %, then publish GoalAchieved).
LEAF = Spec(0, None, "latest", 1.0, 0.0, 100.0, (100.0,), False)
EMPTY = Spec(0, "weighted_mean", "latest", 1.0, 0.0, 100.0, (), False)


@settings(max_examples=300, deadline=None)
@given(tree=trees())
@example(tree=[Spec(None, "weighted_mean", "latest", 1.0, 0.0, 1.0, (), False), LEAF, EMPTY])
@example(tree=[Spec(None, "worst", "latest", 1.0, 0.0, 1.0, (), False), LEAF, EMPTY])
@example(tree=[Spec(None, "sum", "latest", 1.0, 0.0, 500.0, (), False), LEAF, EMPTY])
def test_goals_and_tracking_roll_a_tree_up_alike(tree: list[Spec]) -> None:
    agree(tree)


def test_a_childless_goal_without_a_metric_counts_as_no_progress_on_both_sides() -> None:
    tree = [Spec(None, "weighted_mean", "latest", 1.0, 0.0, 1.0, (), False), LEAF, EMPTY]
    streams = goal_events(tree)
    assert goals_view(tree, streams)["g00"].progress == 0.5
    assert tracking_view(streams)["g00"].progress == 0.5


def test_a_ladder_whose_current_rung_is_archived_climbs_alike() -> None:
    """Rung 1 achieved, rung 2 at 0.8 then archived: it has left the numbers, so the ladder stands at 1/2 on both
    sides (tracking used to keep counting the archived rung's 0.8 and showed 0.9)."""
    metric = Metric(key="kpi.ladder")
    rung = {"kind": "hard", "metric": metric, "target": 10.0, "deadline": T0 + 30 * DAY, "ladder_id": "L"}
    first = GoalSet(goal_id="r1", title="one", start_at=T0, rung_index=1, **rung)
    second = GoalSet(goal_id="r2", title="two", rung_index=2, **rung)
    streams: dict[str, list[Payload]] = {"r1": decide_set(first, NOW, TOL), "r2": decide_set(second, NOW, TOL)}
    for goal_id, value, at in (("r1", 10.0, T0 + DAY), ("r2", 8.0, T0 + 2 * DAY)):
        if goal_id == "r2":
            streams["r2"] += decide_unlock(cast(Goal, fold(streams["r2"])), T0 + DAY, NOW, TOL)
        goal = cast(Goal, fold(streams[goal_id]))
        streams[goal_id] += decide_measurement(goal, Measurement(f"m-{goal_id}", metric.key, value, at), NOW, TOL)
    streams["r2"] += decide_archive(cast(Goal, fold(streams["r2"])), None)
    ladder_events = decide_ladder("L", "climb", None, [("r1", "one"), ("r2", "two")])
    ladder = cast(Ladder, fold_ladder(ladder_events))
    goals_progress = LadderRecord(ladder, [cast(Goal, fold(streams[g])) for g in ("r1", "r2")]).progress
    nodes = tracking_view(streams)
    seen = None
    for event in ladder_events:
        seen = evolve_ladder(seen, event, T0, "acme")
    assert seen is not None and nodes["r2"].archived and nodes["r1"].achieved
    assert goals_progress == climbed(seen, nodes) == 0.5
