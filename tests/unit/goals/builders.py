"""Small builders shared by the goal domain tests: a hard goal, an anti-goal, and applying decisions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from goalstream_contracts.base import Payload
from goalstream_contracts.common import Metric
from goalstream_contracts.events import GoalSet
from goalstream_goals.domain.define import decide_recounted, decide_revise, decide_set
from goalstream_goals.domain.goal import Goal, Measurement, evolve, fold
from goalstream_goals.domain.measure import decide_measurement
from goalstream_rules.status import Tolerances

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
US = timedelta(microseconds=1)
TOL = Tolerances()


def hard_goal(
    *,
    aggregation: str = "latest",
    baseline: float = 0.0,
    target: float = 100.0,
    start_at: datetime = T0,
    deadline: datetime = T0 + 90 * DAY,
    checkin_every: str | None = None,
    now: datetime | None = None,
    goal_id: str = "g",
) -> Goal:
    definition = GoalSet(
        goal_id=goal_id,
        kind="hard",
        title="hard",
        metric=Metric(key="k", aggregation=aggregation),  # type: ignore[arg-type]
        baseline=baseline,
        target=target,
        start_at=start_at,
        deadline=deadline,
        checkin_every=checkin_every,
    )
    goal = fold(decide_set(definition, now or start_at, TOL))
    assert goal is not None
    return goal


def anti_goal(
    *,
    comparator: str,
    threshold: float,
    recovery_threshold: float | None = None,
    window: str | None = None,
    goal_id: str = "a",
) -> Goal:
    definition = GoalSet(
        goal_id=goal_id,
        kind="anti",
        title="anti",
        metric=Metric(key="k", aggregation="latest"),
        comparator=comparator,  # type: ignore[arg-type]
        threshold=threshold,
        recovery_threshold=recovery_threshold,
        window=window,
    )
    goal = fold(decide_set(definition, T0, TOL))
    assert goal is not None
    return goal


def then(goal: Goal, events: Sequence[Payload]) -> Goal:
    for event in events:
        goal = evolve(goal, event)
    return goal


def measure(
    goal: Goal, value: float, observed_at: datetime, now: datetime, mid: str = "m", tol: Tolerances = TOL
) -> tuple[Goal, list[Payload]]:
    """Decide on one measurement and fold its events into the goal."""
    events = decide_measurement(goal, Measurement(mid, "k", value, observed_at), now, tol)
    return then(goal, events), events


def of_type(events: Sequence[Payload], kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in events if isinstance(e, kind)]


def recount(
    goal: Goal, changes: dict[str, object], kept: Sequence[Measurement], now: datetime
) -> tuple[Goal, list[Payload]]:
    """A revision of what counts as the service runs it: GoalRevised (the count starts again), each kept value the
    new definition holds decided again (the test picks them, oldest first), then the status they leave."""
    events = decide_revise(goal, changes, now, TOL)
    goal = then(goal, events)
    for m in kept:
        decided = decide_measurement(goal, m, now, TOL)
        goal, events = then(goal, decided), [*events, *decided]
    status = decide_recounted(goal, now, TOL)
    return then(goal, status), [*events, *status]


def rolled_up_parent(rollup: str) -> Goal:
    """A parent without a metric (baseline 100, target 200, over 90 days from T0), rolled up by `rollup`."""
    d = GoalSet(
        goal_id="p",
        kind="hard",
        title="p",
        rollup=rollup,  # type: ignore[arg-type]
        baseline=100.0,
        target=200.0,
        start_at=T0,
        deadline=T0 + 90 * DAY,
    )
    goal = fold(decide_set(d, T0, TOL))
    assert goal is not None
    return goal
