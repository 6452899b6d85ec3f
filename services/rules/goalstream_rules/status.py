"""Status bands: how far behind its expected progress a goal may be and still be on track or at risk."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from goalstream_contracts.common import GoalStatus
from goalstream_rules.expected import Plan, expected_progress, plan_points


@dataclass(frozen=True)
class Tolerances:
    """Largest gap (expected - progress) still `on_track`, and still `at_risk`; per organisation."""

    on_track: float = 0.10
    at_risk: float = 0.25


def status_for(raw_progress: float, expected: float, tolerances: Tolerances) -> GoalStatus:
    """Status of a goal neither achieved nor missed, from the gap between expected and actual progress."""
    gap = expected - raw_progress
    if gap <= tolerances.on_track:
        return "on_track"
    if gap <= tolerances.at_risk:
        return "at_risk"
    return "off_track"


def missed_after(missed: bool, status: GoalStatus) -> bool:
    """A missed goal stays missed until its status moves off `missed`: its deadline was extended past now, and it
    is live again."""
    return missed and status == "missed"


def missed_after_revision(missed: bool, changed: Iterable[str]) -> bool:
    """A new deadline clears `missed` by itself: the goal is judged again against it (the same decision misses it
    again at once when the new deadline has passed too). Not through the status: a `worst` parent's status can stay
    `missed` from a missed child while its own deadline lies ahead."""
    return missed and "deadline" not in changed


def next_status_change(
    now: datetime,
    raw_progress: float,
    start_at: datetime,
    deadline: datetime,
    tolerances: Tolerances,
    plan: Plan = (),
) -> datetime | None:
    """The first time after `now` at which time alone moves the status (expected crosses a tolerance).

    Expected progress never falls, so the gap only grows: the next change is when expected first
    exceeds progress + the tolerance of the current band. None when no change comes before the deadline.
    """
    current = status_for(raw_progress, expected_progress(now, start_at, deadline, plan), tolerances)
    if current == "off_track":
        return None
    limit = raw_progress + (tolerances.on_track if current == "on_track" else tolerances.at_risk)
    for (t0, f0), (t1, f1) in itertools.pairwise(plan_points(start_at, deadline, plan)):
        if t1 <= now or f1 <= limit:
            continue
        # expected(t) = f0 + (f1 - f0) * (t - t0) / (t1 - t0) first exceeds `limit` just after t.
        share = 0.0 if f1 == f0 else max(0.0, (limit - f0) / (f1 - f0))
        at = t0 + (t1 - t0) * share
        return max(at, now)
    return None


def achieves(reaching: bool, observed_at: datetime | None, deadline: datetime) -> bool:
    """Only a value observed by the deadline achieves a goal: reaching the target later does not."""
    return reaching and observed_at is not None and observed_at <= deadline


def past_deadline(now: datetime, deadline: datetime) -> bool:
    """From its deadline on, a goal not achieved is missed."""
    return now >= deadline
