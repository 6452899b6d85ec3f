"""A goal's values over time (`GET /v1/goals/{id}/series`, issue 20), each as of its own observed time.

The history table holds a goal's numbers as goals worked them out, in recorded order: a value imported late with an
older observed time carried the running total of everything recorded before it. A chart draws by observed time, so
its points are folded here in observed order with the fold observed mode answers with (`observed_values.Count`):
the point at a time is the goal's value `as_of` that time with `as_of_mode=observed`. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from goalstream_contracts.base import Payload
from goalstream_contracts.events import GoalEvent, GoalRevised, GoalSet, MeasurementRecorded
from goalstream_rules.status import Tolerances
from goalstream_tracking.domain.node import GoalNode, _own_progress, evolve_node
from goalstream_tracking.domain.observed import DEFINING, _judged, _locked_then, recounted
from goalstream_tracking.domain.observed_values import Count, in_observed_order

EVER = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Point:
    at: datetime
    value: float | None
    progress: float | None
    status: str | None
    event_type: str
    source: str | None
    kind: str | None  # "measurement" or "check_in" for a value; None for a GoalSet or GoalRevised


def points(
    events: Iterable[tuple[Payload, datetime]],
    org_id: str,
    goal_id: str,
    until: datetime | None = None,
    tolerances: Tolerances = Tolerances(),
) -> list[Point]:
    """`events`: the goal's log as known (recorded order, each with its recorded time); `until`: only what was
    observed (a value) or recorded (a GoalSet or GoalRevised) by then. One point per value the goal counts under its
    definition as known (counted or not: a late gauge value, one before the start), in observed order, then each
    GoalSet and GoalRevised at its recorded time, all with the value, progress and status as of their time."""
    node: GoalNode | None = None
    values: list[MeasurementRecorded] = []
    marks: list[tuple[datetime, str]] = []
    for event, occurred_at in events:
        if not isinstance(event, GoalEvent) or event.goal_id != goal_id:
            continue
        if isinstance(event, MeasurementRecorded):
            values.append(event)
        elif isinstance(event, DEFINING):
            node = evolve_node(node, event, occurred_at, org_id)
            values = [] if recounted(event) else values
            if isinstance(event, GoalSet | GoalRevised) and (until is None or occurred_at <= until):
                marks.append((occurred_at, event.event_type))
    if node is None or node.definition.get("metric") is None:
        return []  # a rollup parent's points are its history's (its rollup after each change)
    count, tol = Count(node), tolerances
    marks.sort(key=lambda mark: mark[0])
    found: list[Point] = []
    for m in in_observed_order(values, until or EVER):
        while marks and marks[0][0] < m.observed_at:
            found.append(_point(count, marks.pop(0), None, tol))
        count.add(m)
        kind = "check_in" if m.comment is not None or m.confidence is not None else "measurement"
        found.append(_point(count, (m.observed_at, m.event_type), (m.source, kind), tol))
    return found + [_point(count, mark, None, tol) for mark in marks]


def _point(count: Count, mark: tuple[datetime, str], source: tuple[str | None, str] | None, tol: Tolerances) -> Point:
    """The goal as observed mode answers it at the point's time: its count so far, judged then."""
    at, event_type = mark
    n = _judged(_locked_then(_own_progress(count.node()), at), count.achieved_at, at, tol)
    found, kind = source if source is not None else (None, None)
    return Point(at, n.current, n.own_progress, n.status, event_type, found, kind)
