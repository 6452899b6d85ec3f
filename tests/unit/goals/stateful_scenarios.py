"""Inputs for test_goal_stateful (the goals to start from, revisions, checkpoints, values) and the checks on events
that hold whatever the inputs were."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from hypothesis import strategies as st
from pydantic import ValidationError

from goalstream_contracts.base import Payload
from goalstream_contracts.common import GoalStatus, Metric
from goalstream_contracts.events import (
    AntiGoalBreached,
    AntiGoalRecovered,
    GoalAchieved,
    GoalArchived,
    GoalCheckInDue,
    GoalMissed,
    GoalPlanned,
    GoalRevised,
    GoalSet,
    GoalStatusChanged,
    MeasurementRecorded,
    MilestoneHit,
    MilestoneMissed,
)
from tests.unit.contracts.design import DESIGN_DOMAIN_EVENTS
from tests.unit.goals.builders import DAY, T0
from tests.unit.goals.stateful_model import BAD_DURATION, Model

TIMES = ("achieved_at", "breached_at", "recovered_at", "hit_at", "due_since")  # facts no later than their decision


@dataclass(frozen=True)
class Scenario:
    form: str  # hard (goal g) | anti (a) | cascade (parent p, child c) | ladder (rungs r1, r2)
    aggregation: str
    baseline: float
    span: float  # target - baseline: negative for a decreasing target
    days: int
    checkin: str | None
    comparator: str
    margin: float  # threshold - recovery threshold, on the safe side
    window: str | None
    rollup: str
    clock: int  # hours from start_at to the first command

    def value(self, k: int) -> float:
        """The k-th value of a grid that lands exactly on thresholds, milestones (8ths of the span) and targets."""
        if self.form == "anti":
            return [0.0, 20.0, 40.0, 50.0, 60.0, 80.0, 100.0, 50.0 - self.margin, 50.0 + self.margin][k % 9]
        if self.aggregation == "sum":
            return self.span / 8 * (k % 8 - 1)
        return self.baseline + self.span / 8 * k


scenarios = st.builds(
    Scenario,
    form=st.sampled_from(["hard", "anti", "cascade", "cascade", "ladder"]),  # the cascade has the most wiring
    aggregation=st.sampled_from(["latest", "sum"]),
    baseline=st.sampled_from([0.0, 100.0]),
    span=st.sampled_from([80.0, -80.0]),
    days=st.sampled_from([3, 10]),
    checkin=st.sampled_from([None, "PT6H", "P1D"]),
    comparator=st.sampled_from(["above", "below"]),
    margin=st.sampled_from([0.0, 10.0]),
    window=st.sampled_from([None, "PT6H", "P1D"]),
    rollup=st.sampled_from(["weighted_mean", "sum", "worst"]),
    clock=st.integers(-48, 24),
)

# Checkpoints as (time, value) in 8ths of the goal's span: mostly a valid rising plan, sometimes anything at all
# (due outside the span, not rising, past the target), which must be refused.
_rising = st.lists(st.integers(1, 8), min_size=1, max_size=3, unique=True).flatmap(
    lambda ts: st.lists(st.integers(1, 8), min_size=len(ts), max_size=len(ts), unique=True).map(
        lambda vs: list(zip(sorted(ts), sorted(vs), strict=True))
    )
)
checkpoint_grid = st.one_of(_rising, st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), min_size=1, max_size=3))


def definitions(s: Scenario) -> list[GoalSet]:
    """The goals a scenario starts with, parents before children."""
    deadline, metric = T0 + s.days * DAY, Metric(key="k", aggregation=s.aggregation)
    hard: dict[str, Any] = dict(kind="hard", metric=metric, baseline=s.baseline, target=s.baseline + s.span)
    hard |= dict(start_at=T0, deadline=deadline, checkin_every=s.checkin)
    if s.form == "anti":
        recovery = 50.0 - s.margin if s.comparator == "above" else 50.0 + s.margin
        anti = dict(kind="anti", metric=Metric(key="k"), comparator=s.comparator, threshold=50.0, window=s.window)
        return [
            GoalSet(goal_id="a", title="a", start_at=T0, checkin_every=s.checkin, recovery_threshold=recovery, **anti)
        ]
    if s.form == "cascade":
        parent = dict(kind="hard", rollup=s.rollup, target=80.0, start_at=T0, deadline=deadline + DAY)
        return [GoalSet(goal_id="p", title="p", **parent), GoalSet(goal_id="c", title="c", parent_id="p", **hard)]
    if s.form == "ladder":
        second = hard | dict(start_at=None, deadline=deadline + s.days * DAY, target=s.baseline + 2 * s.span)
        return [
            GoalSet(goal_id="r1", title="r1", ladder_id="L", rung_index=1, **hard),
            GoalSet(goal_id="r2", title="r2", ladder_id="L", rung_index=2, **second),
        ]
    return [GoalSet(goal_id="g", title="g", **hard)]


def revisions(model: Model, now: datetime) -> list[dict[str, Any]]:
    """Revisions worth trying on this goal: real changes, no-ops and ones DESIGN refuses."""
    d = model.definition
    out: list[dict[str, Any]] = [{"title": "renamed"}, {"title": d.title}, {"title": None}, {"weight": 0.0}]
    out += [{"weight": 2.0}, {"kind": "hard" if d.kind == "anti" else "anti"}, {"checkin_every": BAD_DURATION}]
    out += [{"checkin_every": "P1D"}, {"checkin_every": None}]
    if d.kind == "anti":
        other = "below" if d.comparator == "above" else "above"
        out += [{"threshold": 40.0}, {"threshold": 60.0}, {"recovery_threshold": 45.0}, {"recovery_threshold": 55.0}]
        out += [{"window": w} for w in (None, "PT6H", "P1D")]  # the mean is taken again over the new window
        return [*out, {"comparator": other}, {"severity": "critical"}, {"target": 1.0}]
    b, t, current = model.baseline, d.target or 0.0, model.current()
    out += [{"target": b + (t - b) / 2}, {"target": b + 2 * (t - b)}, {"target": b}, {"baseline": b + (t - b) / 4}]
    if current is not None:
        out += [{"target": current}]  # one the value already meets (refused when it is the baseline)
    out += [{"threshold": 1.0}, {"deadline": now + DAY}]
    if d.metric is not None:  # the other aggregation: the count starts again from the kept values
        out += [{"metric": Metric(key="k", aggregation="latest" if d.metric.aggregation == "sum" else "sum")}]
    if d.start_at is not None:
        out += [{"start_at": d.start_at - 2 * DAY}, {"start_at": d.start_at + DAY}, {"deadline": d.start_at}]
    return out


def check_events(goal_id: str, events: Sequence[Payload], now: datetime) -> None:
    """One decision's events: DESIGN's types, about this goal, frozen, and none claiming a time after `now`."""
    for event in events:
        assert type(event).event_type in DESIGN_DOMAIN_EVENTS and getattr(event, "goal_id", None) == goal_id
        with pytest.raises(ValidationError):
            event.goal_id = "elsewhere"  # type: ignore[attr-defined]
        if isinstance(event, MeasurementRecorded):
            assert event.recorded_at == now
        for name in TIMES:
            assert getattr(event, name, now) <= now, (name, event)


def check_stream(events: Sequence[Payload]) -> None:
    """What DESIGN says of one goal's whole stream, whatever happened: facts said once, in a sensible order."""
    assert isinstance(events[0], GoalSet) and not any(isinstance(e, GoalSet) for e in events[1:])
    kinds = [type(e) for e in events]
    # Missed once per deadline: a missed goal whose deadline is revised is live again. Its status need not leave
    # `missed` (a parent rolling up `worst` keeps a missed child's status), so count the revisions, not the statuses.
    reopened = sum(1 for e in events if isinstance(e, GoalRevised) and "deadline" in e.changed)
    assert kinds.count(GoalAchieved) <= 1 and kinds.count(GoalMissed) <= 1 + reopened and kinds.count(GoalArchived) <= 1
    if GoalAchieved in kinds and GoalMissed in kinds:
        assert kinds.index(GoalMissed) < kinds.index(GoalAchieved)  # a late value may achieve a missed goal
    if GoalArchived in kinds:
        assert kinds[-1] is GoalArchived, f"events after GoalArchived: {kinds[kinds.index(GoalArchived) :]}"
    episodes = [k for k in kinds if k in (AntiGoalBreached, AntiGoalRecovered)]  # breach, recover, breach, ...
    assert episodes[:1] in ([], [AntiGoalBreached]) and all(a is not b for a, b in itertools.pairwise(episodes))
    checkins = [e.due_since for e in events if isinstance(e, GoalCheckInDue)]
    assert len(set(checkins)) == len(checkins)
    status: GoalStatus | None = None
    for e in events:
        if isinstance(e, GoalStatusChanged):
            assert (e.previous_status, e.status != status) == (status, True), f"{status} -> {e}"
            status = e.status
    plans = [i for i, e in enumerate(events) if isinstance(e, GoalPlanned)] + [len(events)]
    for first, end in itertools.pairwise(plans):  # per plan: each milestone hit at most once, missed at most once
        hits: list[int] = []
        misses: list[int] = []
        for e in events[first:end]:
            if isinstance(e, MilestoneHit):
                hits.append(e.milestone_index)
            if isinstance(e, MilestoneMissed):
                assert e.milestone_index not in hits  # never missed once hit (hit late after a miss is fine)
                misses.append(e.milestone_index)
        assert len(set(hits)) == len(hits) and len(set(misses)) == len(misses)
