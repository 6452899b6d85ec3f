"""What hypothesis draws (small numbers and picks) and `build`, which turns them into a valid script.

Picks are taken modulo what exists at that point (alive parents, goals to archive...), so any draw,
and any shrink of one, builds a script the goals service must accept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tests.support.parity.script import Goal

POOL = ("m0", "m1", "m2")  # metrics goals share; OWN: a goal's own metric, the only one check-ins go to
OWN = len(POOL)
LADDER_SHARE = 4  # of 10 reading picks go to a ladder's metric when there is one: unlocks need a few readings


@dataclass(frozen=True)
class GoalDraw:
    kind: Literal["hard", "anti"]
    measured: bool
    metric_pick: int  # 0..2: a shared metric, 3: its own
    aggregation: Literal["latest", "sum"]
    rollup: Literal["weighted_mean", "sum", "worst"]
    parent_pick: int | None
    weight: float
    baseline: float
    span: float
    short: bool
    slot: int  # created before batch `slot` (modulo the batches + 1: the last is after every batch)
    comparator: Literal["above", "below"]
    wide_recovery: bool
    window: str | None


@dataclass(frozen=True)
class LadderDraw:
    aggregation: Literal["latest", "sum"]
    first: float
    step: float


@dataclass(frozen=True)
class ReadingDraw:
    metric_pick: int
    value: int
    hour: int
    dup_pick: int | None  # reuse the id of an earlier reading
    checkin_pick: int | None
    confidence: float | None


@dataclass(frozen=True)
class OpDraw:
    kind: Literal["reparent", "archive", "plan"]
    slot: int
    goal_pick: int
    parent_pick: int | None
    milestones: int


RevisionKind = Literal[
    "metric", "aggregation", "later", "earlier", "window", "target", "baseline", "deadline", "extend"
]


@dataclass(frozen=True)
class RevisionDraw:
    kind: RevisionKind  # what the PATCH changes (`later`/`earlier`: start_at; `extend`: a short goal, once missed)
    slot: int
    goal_pick: int  # among the goals alive then that the kind applies to
    pick: int  # the new value, among those that differ from the current one (revisions.py)


@dataclass(frozen=True)
class MoveDraw:
    slot: int  # after batch `slot` - 1 (modulo the batches + 1; 0: none)
    hours: int  # forward, and 7 minutes more: never onto a whole day, where deadlines and starts are


@dataclass(frozen=True)
class OrgDraw:
    goals: tuple[GoalDraw, ...]
    ladders: tuple[LadderDraw, ...]
    batches: tuple[tuple[ReadingDraw, ...], ...]
    ops: tuple[OpDraw, ...]
    revisions: tuple[RevisionDraw, ...] = ()
    moves: tuple[MoveDraw, ...] = ()


def goal_of(i: int, d: GoalDraw, parent: str | None) -> Goal:
    ref = f"g{i}"
    metric = POOL[d.metric_pick] if d.metric_pick < OWN else f"own.{ref}"
    if d.kind == "anti":
        above = d.comparator == "above"
        threshold = 20.0 if above else 10.0
        recovery = threshold + (0.0 if not d.wide_recovery else -8.0 if above else 8.0)
        return Goal(ref, "anti", parent, d.weight, metric, d.aggregation, None, 0.0, None, False, d.comparator,
                    threshold, recovery, d.window)  # fmt: skip
    if not d.measured:
        return Goal(ref, "hard", parent, d.weight, None, "latest", d.rollup, 0.0, 50.0, d.short)
    return Goal(ref, "hard", parent, d.weight, metric, d.aggregation, None, d.baseline, d.baseline + d.span, d.short)
