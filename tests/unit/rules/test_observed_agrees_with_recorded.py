"""Observed time and recorded time agree when they must (issue 20): for a goal whose values arrived in the order
they were observed, each recorded when or after it was observed, the organisation as of a time after every event
is the same in both modes. goals decides the events (decide_set, decide_plan, decide_measurement, and its timer
`decide_time` at each arrival and at the time asked about); tracking folds them as recorded (`evolve_node`) and
works them out again by observed time (`domain.observed`). Value, progress, status, achieved, missed, milestones
(hit, late, missed, when) and breach episodes must match."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from hypothesis import given, settings
from hypothesis import strategies as st

from goalstream_contracts.base import Payload
from goalstream_contracts.common import Metric
from goalstream_contracts.events import GoalEvent, GoalSet
from goalstream_goals.domain.define import decide_plan, decide_set
from goalstream_goals.domain.goal import Goal, Measurement, fold
from goalstream_goals.domain.measure import decide_measurement
from goalstream_goals.domain.timing import decide_time
from goalstream_rules.status import Tolerances
from goalstream_tracking.domain.node import GoalNode, evolve_node
from goalstream_tracking.domain.observed import observed
from goalstream_tracking.domain.rollup import roll_up_all

T0 = datetime(2026, 4, 1, tzinfo=UTC)
DAY = timedelta(days=1)
TOL = Tolerances()
ORG = "acme"


@dataclass(frozen=True)
class Case:
    definition: GoalSet
    milestones: int | None
    values: tuple[tuple[float, float, float], ...]  # (value, observed day, recording lag in days)
    then: float  # days after the last event


@st.composite
def cases(draw: st.DrawFn) -> Case:
    kind = draw(st.sampled_from(["hard", "hard", "anti"]))
    metric = Metric(key="k", aggregation=draw(st.sampled_from(["latest", "sum"])))
    span = {"start_at": T0, "deadline": T0 + 30 * DAY}
    if kind == "hard":
        target = draw(st.sampled_from([100.0, -50.0, 10.0]))
        definition = GoalSet(goal_id="g", kind="hard", title="g", metric=metric, target=target, **span)
    else:
        comparator, threshold, recovery = draw(st.sampled_from([("above", 50.0, 40.0), ("below", 10.0, 20.0)]))
        definition = GoalSet(
            goal_id="g",
            kind="anti",
            title="g",
            metric=metric,
            comparator=comparator,
            threshold=threshold,
            recovery_threshold=draw(st.sampled_from([None, recovery])),
        )
    days = sorted(draw(st.lists(st.integers(0, 40 * 4), max_size=6)))
    values = tuple(
        (float(draw(st.integers(-20, 120))), d / 4, float(draw(st.sampled_from([0, 0, 0.5, 3])))) for d in days
    )
    milestones = draw(st.sampled_from([None, 1, 3])) if kind == "hard" else None
    return Case(definition, milestones, values, draw(st.sampled_from([0.0, 0.25, 5.0, 40.0])))


def both_modes(case: Case) -> tuple[GoalNode, GoalNode]:
    log: list[tuple[Payload, datetime]] = []

    def decided(events: list[Payload], at: datetime, goal: Goal | None) -> Goal:
        log.extend((e, at) for e in events)
        return cast(Goal, fold(events, goal))

    goal = decided(decide_set(case.definition, T0, TOL), T0, None)
    if case.milestones is not None:
        goal = decided(decide_plan(goal, T0, TOL, milestones=case.milestones), T0, goal)
    recorded_at = T0
    for k, (value, day, lag) in enumerate(case.values):
        observed_at = T0 + day * DAY
        recorded_at = max(recorded_at, observed_at + lag * DAY)  # in observed order, never before its time
        goal = decided(decide_time(goal, recorded_at, TOL), recorded_at, goal)
        measurement = Measurement(f"m{k}", "k", value, observed_at)
        goal = decided(decide_measurement(goal, measurement, recorded_at, TOL), recorded_at, goal)
    then = recorded_at + case.then * DAY
    decided(decide_time(goal, then, TOL), then, goal)
    recorded: dict[str, GoalNode] = {}
    for event, at in log:
        assert isinstance(event, GoalEvent)
        recorded[event.goal_id] = evolve_node(recorded.get(event.goal_id), event, at, ORG)
    return roll_up_all(recorded)["g"], observed(log, ORG, then)[0]["g"]


def shown(n: GoalNode) -> dict[str, Any]:
    return {
        "current": n.current,
        "own_progress": n.own_progress,
        "status": n.status,
        "achieved": n.achieved,
        "missed": n.missed,
        "breached": n.breached,
        "milestones": [(m.index, m.state, m.at, m.late) for m in n.milestones],
        "episodes": n.episodes,
    }


@settings(max_examples=400, deadline=None)
@given(case=cases())
def test_after_every_event_observed_in_order_both_modes_show_the_same_goal(case: Case) -> None:
    recorded, seen = both_modes(case)
    assert shown(seen) == shown(recorded)
