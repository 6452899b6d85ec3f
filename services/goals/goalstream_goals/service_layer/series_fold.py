"""A goal that starts (set, revised onto other values, unlocked as a rung) folds the values already kept for it.

The values are decided one by one, oldest observation first, by the same `decide_measurement` a
measurement arriving now goes through, in the transaction of the event that started the goal: the
goal reads as if every value had arrived after it. Which values: a `sum` goal's observed at or after
`start_at`, a `latest` gauge's newest, a window's those within its span of the newest; a later ladder
rung's only those observed strictly after its unlock. Check-ins aimed at another goal never fold.
A revision onto another metric, start_at or window has emptied the goal's count (`goalstream_rules.recount`),
so it folds them all again, as a new goal would: moving a `sum` goal's start_at later uncounts what lies before it.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from goalstream_goals.adapters import series
from goalstream_goals.adapters.series import Kept
from goalstream_goals.domain.durations import parse_duration
from goalstream_goals.domain.goal import Goal
from goalstream_goals.domain.measure import decide_measurement
from goalstream_rules.anti import in_window

if TYPE_CHECKING:
    from goalstream_goals.service_layer.unit_of_work import Session

# At most this many values are folded into one goal when it starts (the newest ones): a bounded
# transaction. A `sum` goal whose window holds more counts only the newest FOLD_CAP; values arriving
# later count as usual, and a value sent again is a duplicate by its id, so nothing counts twice.
FOLD_CAP = 10_000


def wanted(goal: Goal) -> series.Wanted | None:
    """Which kept values the goal folds (None: none, it is not active or has no metric)."""
    d = goal.definition
    if not goal.active or d.metric is None:
        return None
    since = goal.counts_since  # the rule each value meets when it arrives, so a fold counts what arrival would
    limit = 1 if d.window is None and d.metric.aggregation == "latest" else FOLD_CAP
    return series.Wanted(goal.goal_id, d.metric.key, since.at, since.strictly, limit)


async def fold_series(
    s: Session, goal: Goal, *, cause: uuid.UUID | None = None, stored: list[Kept] | None = None
) -> Goal:
    """Decide the kept values the goal's window holds. The goal's count is empty: it is new, a rung just unlocked,
    or revised onto what counts (`goalstream_rules.recount`), which starts its count again.

    `stored`: its `wanted` values, already read (`series.newest_many`, many goals in one query)."""
    want = wanted(goal)
    if want is None:
        return goal
    d, since, limit = goal.definition, goal.counts_since, want.limit
    assert d.metric is not None
    if stored is None:
        stored = await series.newest(
            s.conn, s.org_id, want.metric, goal.goal_id, since=want.since, strictly=want.strictly, limit=limit
        )
    held = [
        k
        for k in s.held  # this batch's values decided so far, not written yet
        if k.measurement.metric == d.metric.key
        and k.goal_id in (None, goal.goal_id)
        and since.admits(k.measurement.observed_at)
    ]
    values = sorted(stored + held, key=_arrival, reverse=True)[:limit]
    if d.window is not None and values:
        # Only the window that ends at the newest value: what came before it is history the mean has left.
        newest, span = values[0].measurement.observed_at, parse_duration(d.window, "window")
        values = [k for k in values if in_window(k.measurement.observed_at, newest, span)]
    for kept in reversed(values):
        m = kept.measurement
        events = decide_measurement(goal, m, s.now, s.tolerances)
        if events:
            goal = await s.commit(goal, events, observed_at=m.observed_at, cause=cause)
            s.folded[m.measurement_id] = s.folded.get(m.measurement_id, 0) + 1
    return goal


def _arrival(k: Kept) -> tuple[object, ...]:
    return (k.measurement.observed_at, k.order)
