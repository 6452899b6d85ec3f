"""A generated organisation tree (goal specs, their goal events, and DESIGN §2's numbers computed from the plain
data, independently of the service's `roll_up`) for the tracking integration tests."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from goalstream_contracts.base import Payload
from goalstream_contracts.common import Metric
from goalstream_contracts.events import (
    AntiGoalBreached,
    AntiGoalRecovered,
    GoalArchived,
    GoalSet,
    GoalStatusChanged,
    MeasurementRecorded,
)
from goalstream_tracking.domain.node import GoalNode

LEVEL_SIZES = (1, 6, 36, 216, 1296, 8445)  # 10,000 goals; leaves at depth 5, so a leaf has 5 ancestors
LEVELS = ("organisation", "department", "team", "team", "individual", "individual")
SUM_DEPARTMENTS = 2  # the first departments decompose their targets: `sum` all the way down
REL = 1e-9


@dataclass
class Spec:
    """One generated goal: what its GoalSet says and the values its events give it."""

    goal_id: str
    depth: int
    parent: int | None
    weight: float
    rollup: str | None = None  # None for a leaf
    baseline: float = 0.0
    target: float = 1.0
    current: float | None = None  # a leaf's measured current value
    status: str | None = None
    children: list[int] = field(default_factory=list)

    @property
    def leaf(self) -> bool:
        return not self.children


@dataclass
class AntiSpec:
    goal_id: str
    guards: int  # index of the guarded goal
    breached: bool
    recovered: bool = False
    archived: bool = False

    @property
    def open(self) -> bool:
        return self.breached and not self.recovered and not self.archived


@dataclass(frozen=True)
class Numbers:
    progress: float | None
    rollup_value: float | None
    rollup_current: float | None
    counts: dict[str, int]
    open_breaches: int


# -- the generated organisation --------------------------------------------------------------------------------


def generate(
    prefix: str, rng: random.Random, sizes: tuple[int, ...] = LEVEL_SIZES, anti_goals: int = 40
) -> tuple[list[Spec], list[AntiSpec]]:
    """The goals, level by level (each level's goals shared out evenly over the level above), and anti-goals."""
    specs: list[Spec] = []
    previous: list[int] = []
    for depth, size in enumerate(sizes):
        level: list[int] = []
        for j in range(size):
            parent = previous[j * len(previous) // size] if previous else None
            specs.append(Spec(f"{prefix}-{depth}-{j:05d}", depth, parent, rng.choice([0.5, 1.0, 1.0, 2.0, 3.0])))
            if parent is not None:
                specs[parent].children.append(len(specs) - 1)
            level.append(len(specs) - 1)
        previous = level
    sum_departments = set(range(1, 1 + SUM_DEPARTMENTS))  # the departments are goals 1..6
    for i, s in enumerate(specs):  # top down: how each parent rolls up
        if s.leaf:
            continue
        if s.depth >= 1 and department(specs, i) in sum_departments:
            s.rollup = "sum"  # target decomposition all the way down
        elif s.depth == 4:
            s.rollup = rng.choice(["weighted_mean", "sum", "worst"])
        else:
            s.rollup = rng.choice(["weighted_mean", "weighted_mean", "worst"])
    for s in reversed(specs):  # bottom up: values, and a sum parent's range is the sum of its children's
        if s.leaf:
            in_sum = specs[s.parent].rollup == "sum"  # type: ignore[index]
            if in_sum or rng.random() < 0.8:
                s.baseline = float(rng.randint(0, 50))
                s.target = s.baseline + rng.randint(50, 500)
            else:  # a decreasing target
                s.baseline = float(rng.randint(200, 300))
                s.target = s.baseline - rng.randint(50, 150)
            share = rng.uniform(0.05, 0.95) if in_sum else rng.choice([rng.uniform(0, 1), -0.2, 1.3])
            s.current = round(s.baseline + share * (s.target - s.baseline), 2)
        elif s.rollup == "sum":
            assert all(specs[c].leaf or specs[c].rollup == "sum" for c in s.children)  # same unit: a total
            s.baseline = sum(specs[c].baseline for c in s.children)
            s.target = sum(specs[c].target for c in s.children)
        if s.depth <= 3 or rng.random() < 0.3:
            s.status = rng.choice(["on_track", "on_track", "at_risk", "off_track", "achieved", "missed"])
    antis = []
    for k, guarded in enumerate(rng.sample(range(len(specs)), anti_goals)):
        a = AntiSpec(f"{prefix}-anti-{k:03d}", guarded, breached=k % 4 != 0)
        a.recovered = a.breached and k % 8 == 1
        a.archived = a.breached and k == 2
        antis.append(a)
    return specs, antis


def department(specs: list[Spec], i: int) -> int:
    """The index of the department (depth 1) goal i belongs to; 0 for the root."""
    while specs[i].depth > 1:
        i = specs[i].parent  # type: ignore[assignment]
    return i


def events(
    specs: list[Spec], antis: list[AntiSpec], start: datetime, parents_first: bool = False
) -> Iterator[tuple[Payload, datetime]]:
    """The goal events that build the organisation, one millisecond apart, then the anti-goals' events.

    Each goal's events (GoalSet, its measurement, its status) come together, level by level: parents first as
    the goals service publishes them, or deepest level first, so that a goal's events arrive before its parent
    is set: each then recomputes its own goal only, and the parent's GoalSet rolls up the children already there
    (much faster for a large tree).
    """
    clock = (start + timedelta(milliseconds=n) for n in range(10**9))
    depths = range(max(s.depth for s in specs) + 1)
    for depth in depths if parents_first else reversed(depths):
        for s in (s for s in specs if s.depth == depth):
            parent_id = None if s.parent is None else specs[s.parent].goal_id
            fields: dict[str, Any] = {"rollup": s.rollup} if s.rollup else {"metric": Metric(key=f"kpi.{s.goal_id}")}
            if s.leaf or s.rollup == "sum":
                fields |= {"baseline": s.baseline, "target": s.target}
            goal_set = GoalSet(
                goal_id=s.goal_id,
                kind="hard",
                title=f"goal {s.goal_id}",
                level=LEVELS[s.depth],
                parent_id=parent_id,
                weight=s.weight,
                start_at=start - timedelta(days=30),
                deadline=start + timedelta(days=60),
                **fields,
            )
            yield goal_set, next(clock)
            if s.current is not None:
                at = next(clock)
                yield measurement(s, s.current, at), at
            if s.status is not None:
                yield GoalStatusChanged(goal_id=s.goal_id, status=s.status), next(clock)
    for a in antis:
        at = next(clock)
        yield (
            GoalSet(
                goal_id=a.goal_id,
                kind="anti",
                title=f"anti-goal {a.goal_id}",
                metric=Metric(key=f"risk.{a.goal_id}"),
                comparator="above",
                threshold=1.0,
                severity="warning",
                guards=specs[a.guards].goal_id,
            ),
            at,
        )
    for a in antis:
        guards = specs[a.guards].goal_id
        if a.breached:
            at = next(clock)
            yield (
                AntiGoalBreached(
                    goal_id=a.goal_id,
                    value=2.0,
                    threshold=1.0,
                    comparator="above",
                    severity="warning",
                    breached_at=at,
                    guards=guards,
                ),
                at,
            )
        if a.recovered:
            at = next(clock)
            yield (
                AntiGoalRecovered(
                    goal_id=a.goal_id,
                    value=0.5,
                    recovery_threshold=1.0,
                    severity="warning",
                    recovered_at=at,
                    guards=guards,
                ),
                at,
            )
        if a.archived:
            yield GoalArchived(goal_id=a.goal_id), next(clock)


def measurement(s: Spec, current: float, observed_at: datetime) -> MeasurementRecorded:
    return MeasurementRecorded(
        goal_id=s.goal_id,
        measurement_id=str(uuid.uuid4()),
        metric=f"kpi.{s.goal_id}",
        value=current,
        observed_at=observed_at,
        recorded_at=observed_at,
        source="crm",
        current_value=current,
        progress=(current - s.baseline) / (s.target - s.baseline),
    )


# -- the reference: DESIGN §2 over the plain data --------------------------------------------------------------


def reference(specs: list[Spec], antis: list[AntiSpec]) -> dict[str, Numbers]:
    open_on = Counter(a.guards for a in antis if a.open)
    out: dict[int, Numbers] = {}
    totals: dict[int, float] = {}  # what each goal adds to a sum parent
    for i in range(len(specs) - 1, -1, -1):  # children come after their parents
        s = specs[i]
        kids = s.children
        if s.leaf:
            assert s.current is not None
            totals[i] = s.current
            progress = (s.current - s.baseline) / (s.target - s.baseline)
            rollup_current = None
        elif s.rollup == "sum":
            rollup_current = totals[i] = sum(totals[c] for c in kids)
            progress = (rollup_current - s.baseline) / (s.target - s.baseline)
        else:
            rollup_current = None
            weight = sum(specs[c].weight for c in kids)
            progress = sum(specs[c].weight * (out[c].rollup_value or 0.0) for c in kids) / weight
        counts = Counter([s.status] if s.status else [])
        for c in kids:
            counts.update(out[c].counts)
        breaches = open_on[i] + sum(out[c].open_breaches for c in kids)
        out[i] = Numbers(progress, min(1.0, max(0.0, progress)), rollup_current, dict(counts), breaches)
    return {specs[i].goal_id: n for i, n in out.items()}


def numbers(node: GoalNode) -> Numbers:
    return Numbers(node.progress, node.rollup_value, node.rollup_current, node.counts, node.open_breaches)


def assert_numbers(actual: Numbers, expected: Numbers, goal_id: str) -> None:
    def close(a: float | None, b: float | None) -> bool:
        return a == b if a is None or b is None else a == pytest.approx(b, rel=REL, abs=1e-12)

    assert close(actual.progress, expected.progress), (goal_id, actual, expected)
    assert close(actual.rollup_value, expected.rollup_value), (goal_id, actual, expected)
    assert close(actual.rollup_current, expected.rollup_current), (goal_id, actual, expected)
    assert actual.counts == expected.counts, (goal_id, actual, expected)
    assert actual.open_breaches == expected.open_breaches, (goal_id, actual, expected)
