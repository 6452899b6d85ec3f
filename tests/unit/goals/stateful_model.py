"""The reference model behind test_goal_stateful: DESIGN §2's numbers recomputed from the raw inputs.

The model keeps every measurement a goal received and recomputes its numbers from that list on each
look, where the aggregate folds them in one at a time; the two must agree after every step. It borrows only the
expected-progress curve, the status bands and milestone targets from the rules (tests/unit/rules pins those down).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from goalstream_contracts.common import GoalStatus, Milestone
from goalstream_contracts.events import (
    AntiGoalBreached,
    AntiGoalRecovered,
    GoalSet,
)
from goalstream_rules.expected import expected_progress
from goalstream_rules.plan import milestone_target
from goalstream_rules.status import Tolerances, status_for

EPS = 1e-9  # the domain's float allowance for "reached"
DURATIONS = {"PT6H": timedelta(hours=6), "P1D": timedelta(days=1)}
BAD_DURATION = "P1M"  # months have no fixed length


@dataclass(frozen=True)
class Obs:
    value: float
    observed_at: datetime
    # Both judged by the definition in force when the value was decided. A revision of what counts (metric,
    # start_at, window) drops every observation and the service decides the kept values again under the new
    # definition (see `revised` and the machine's `_refold`); a deadline revision does not re-sort what came before,
    # except that a deadline moved after every counted observation puts them all in time.
    counted: bool
    in_time: bool  # observed by the deadline


@dataclass
class Model:
    definition: GoalSet  # as the model believes the accepted revisions left it
    observations: list[Obs] = field(default_factory=list)
    archived: bool = False
    achieved: bool = False
    missed: bool = False
    breached: bool = False
    status: GoalStatus | None = None
    milestones: tuple[Milestone, ...] = ()
    hit: set[int] = field(default_factory=set)
    missed_milestones: set[int] = field(default_factory=set)
    last_recorded_at: datetime | None = None
    checkin_signalled: datetime | None = None

    @property
    def locked(self) -> bool:
        d = self.definition
        return d.ladder_id is not None and (d.rung_index or 1) > 1 and d.start_at is None

    @property
    def active(self) -> bool:
        return not self.archived and not self.locked

    @property
    def baseline(self) -> float:
        return self.definition.baseline or 0.0

    def counts(self, at: datetime) -> bool:
        """Would a value observed at `at` count (DESIGN §2: gauge, counter, window, later ladder rung)?"""
        d = self.definition
        assert d.metric is not None
        start = d.start_at
        if start is not None and (d.rung_index or 1) > 1 and at <= start:
            return False  # a later rung counts only what was observed after it unlocked
        if start is not None and d.metric.aggregation == "sum" and at < start:
            return False  # a counter sums from start_at
        times = [o.observed_at for o in self.observations if o.counted]
        if d.window is not None:
            return at > max([*times, at]) - DURATIONS[d.window]
        return d.metric.aggregation == "sum" or all(at >= t for t in times)

    def _combine(self, obs: Sequence[Obs]) -> float | None:
        d = self.definition
        if d.metric is None or not obs:
            return None  # a rolled-up parent has no value of its own
        if d.window is not None:
            newest = max(o.observed_at for o in obs)
            inside = [o.value for o in obs if o.observed_at > newest - DURATIONS[d.window]]
            return sum(inside) / len(inside)
        # A gauge's counted values only ever get newer, so the last one counted is the newest (later arrivals win ties).
        return sum(o.value for o in obs) if d.metric.aggregation == "sum" else obs[-1].value

    def current(self) -> float | None:
        return self._combine([o for o in self.observations if o.counted])

    def by_deadline(self) -> float | None:
        """The current value counting only what was observed by the deadline: what can achieve the goal."""
        return self._combine([o for o in self.observations if o.counted and o.in_time])

    def progress(self, value: float | None = None) -> float:
        target = self.definition.target
        assert target is not None
        current = self.current() if value is None else value
        return ((self.baseline if current is None else current) - self.baseline) / (target - self.baseline)

    def decide_status(
        self,
        now: datetime,
        tol: Tolerances,
        *,
        achieving_at: datetime | None = None,
        raw: float | None = None,
        worst: GoalStatus | None = None,
    ) -> tuple[bool, bool]:
        """DESIGN §2 status after a decision at `now`: (achieved by it, missed by it). `raw`/`worst`: a parent's."""
        d = self.definition
        if d.kind != "hard" or not self.active or self.achieved:
            return False, False
        assert d.start_at is not None and d.deadline is not None
        own = d.metric is not None
        shown = self.progress() if own else (raw or 0.0)
        by_deadline = self.by_deadline() if own else None
        counts = self.progress(by_deadline if by_deadline is not None else self.baseline) if own else shown
        achieving = worst == "achieved" if worst is not None else counts >= 1 - EPS
        if achieving and achieving_at is not None and achieving_at <= d.deadline:
            self.achieved, self.missed, self.status = True, False, "achieved"
            return True, False
        if self.missed and now >= d.deadline:
            return False, False
        if now >= d.deadline:
            self.missed, self.status = True, "missed"
            return False, True
        plan = [(m.due, m.fraction) for m in self.milestones]
        band = status_for(shown, expected_progress(now, d.start_at, d.deadline, plan), tol)
        self.status = worst if worst not in (None, "achieved") else band
        self.missed = self.missed and self.status == "missed"  # a missed goal whose deadline was extended is live
        return False, False

    def revised(self, changed: dict[str, Any]) -> None:
        """Apply an accepted revision: milestones follow a new baseline or target; a revision of what counts starts
        the count again (the kept values are decided anew next); a new deadline clears missed (judged again); a
        deadline moved after every counted observation puts them all in time."""
        self.definition = d = self.definition.model_copy(update=changed)
        self.missed = self.missed and "deadline" not in changed  # judged again against the new deadline
        if changed.keys() & {"metric", "start_at", "window"}:
            self.observations = []
        if {"baseline", "target"} & changed.keys() and d.target is not None:
            t = d.target
            self.milestones = tuple(
                m.model_copy(update={"target": milestone_target(self.baseline, t, m.fraction)}) for m in self.milestones
            )
        counted = [o for o in self.observations if o.counted]
        if (
            "deadline" in changed
            and counted
            and d.deadline is not None
            and max(o.observed_at for o in counted) <= d.deadline
        ):
            self.observations = [replace(o, in_time=True) if o.counted else o for o in self.observations]

    def episode(self) -> type[AntiGoalBreached | AntiGoalRecovered] | None:
        """An anti-goal's breach opens when its value crosses the threshold and closes at the recovery threshold."""
        d, value = self.definition, self.current()
        assert value is not None and d.threshold is not None and d.recovery_threshold is not None
        bad = value > d.threshold if d.comparator == "above" else value < d.threshold
        safe = value <= d.recovery_threshold if d.comparator == "above" else value >= d.recovery_threshold
        if not self.breached and bad:
            self.breached = True
            return AntiGoalBreached
        if self.breached and safe:
            self.breached = False
            return AntiGoalRecovered
        return None

    def reached_milestones(self, progress: float) -> set[int]:
        return {m.index for m in self.milestones if m.index not in self.hit and progress >= m.fraction - EPS}

    def checkin_due(self) -> datetime | None:
        d = self.definition
        since = self.last_recorded_at or d.start_at
        if d.checkin_every is None or self.achieved or self.missed or not self.active or since is None:
            return None
        return since + DURATIONS[d.checkin_every]


def parent_rollup(parent: Model, child: Model | None) -> dict[str, Any]:
    """DESIGN §2 Cascading for a parent of one child: its clamped progress (weighted_mean, worst), its current value
    (sum), its status (worst); nothing before the child is set or once it is archived (it has left the tree)."""
    if child is None or not child.active:
        return {}
    if parent.definition.rollup == "sum":
        current = child.current()
        return {"raw": parent.progress(child.baseline if current is None else current)}
    worst = child.status if parent.definition.rollup == "worst" else None
    return {"raw": min(1.0, max(0.0, child.progress())), "worst": worst}


def normalised(d: GoalSet) -> GoalSet:
    """DESIGN's defaults: a weighted_mean or worst parent without a metric or target gets target 1; an anti-goal
    severity warning and recovery at the threshold."""
    if d.kind == "hard" and d.metric is None and d.rollup in ("weighted_mean", "worst") and d.target is None:
        return d.model_copy(update={"target": 1.0})
    if d.kind != "anti":
        return d
    recovery = d.threshold if d.recovery_threshold is None else d.recovery_threshold
    return d.model_copy(update={"severity": d.severity or "warning", "recovery_threshold": recovery})


def valid(d: GoalSet) -> bool:
    """DESIGN §2's rules for a goal definition, new (give it `normalised`, its defaults) or revised."""
    if d.weight <= 0 or d.checkin_every == BAD_DURATION:
        return False
    anti_only = (d.comparator, d.threshold, d.recovery_threshold, d.window, d.severity, d.guards)
    if d.kind == "hard":
        return (
            all(v is None for v in anti_only)
            and d.target is not None
            and d.deadline is not None
            and d.target != (d.baseline or 0.0)
            and (d.start_at is None or d.deadline > d.start_at)
        )
    if any(v is not None for v in (d.target, d.deadline, d.rollup)) or None in (d.metric, d.comparator, d.threshold):
        return False
    assert d.threshold is not None
    r = d.recovery_threshold
    return r is None or (r <= d.threshold if d.comparator == "above" else r >= d.threshold)


def revise_outcome(model: Model, changes: dict[str, Any]) -> str:
    """'refused', 'unchanged' (no event) or 'applied'."""
    d = model.definition
    if model.archived or {"kind", "goal_id", "ladder_id", "rung_index"} & changes.keys():
        return "refused"
    if any(v is None and k in ("title", "weight", "start_at") for k, v in changes.items()):
        return "refused"
    if "start_at" in changes and d.ladder_id is not None:
        return "refused"  # a rung starts when the one before it is achieved
    changed = {k: v for k, v in changes.items() if getattr(d, k) != v}
    if not changed:
        return "unchanged"
    return "applied" if valid(d.model_copy(update=changed)) else "refused"


def checkpoints_valid(model: Model, checkpoints: Sequence[tuple[datetime, float]]) -> bool:
    """Checkpoints lie in (start_at, deadline], each further along than the one before, none past the target."""
    d = model.definition
    assert d.start_at is not None and d.deadline is not None
    previous = 0.0
    for due, value in sorted(checkpoints):
        fraction = model.progress(value)
        if not d.start_at < due <= d.deadline or not previous < fraction <= 1.0 + 1e-12:
            return False
        previous = fraction
    return len({due for due, _ in checkpoints}) == len(checkpoints)
