"""An organisation as a script of requests: what the parity test sends, step by step, valid by construction.

Times are offsets from the example's start (goals' clock then). The test moves goals' clock forward between
batches (`MoveClock`: clocked_goals.py), so deadlines, milestones, status bands and check-in lapses pass by
time alone; a short goal's deadline passes by real time, a few seconds after its creation.
Every goal starts 30 days before the example and every reading is observed between 25 and 5 days
before it, so `start_at` decides whether a value counts only once a revision moves it into that range
(`Revise`: revisions.py); otherwise only archiving and ladders do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

START = timedelta(days=-30)  # every goal's start_at (a ladder's first rung too)
DEADLINE = timedelta(days=30)  # a goal's deadline, unless `short`
SHORT = timedelta(seconds=2)  # a short goal's deadline after its creation: it is missed while the example runs
FIRST_READING = timedelta(days=-25)
WINDOWS = {"P2D": timedelta(days=2), "P7D": timedelta(days=7)}


@dataclass(frozen=True)
class Goal:
    ref: str
    kind: Literal["hard", "anti"]
    parent: str | None
    weight: float
    metric: str | None  # None: a parent that rolls up its children
    aggregation: Literal["latest", "sum"]
    rollup: Literal["weighted_mean", "sum", "worst"] | None
    baseline: float
    target: float | None  # hard goals
    short: bool = False
    comparator: Literal["above", "below"] | None = None  # anti-goals
    threshold: float | None = None
    recovery: float | None = None
    window: str | None = None
    start: timedelta = START  # start_at, from the example's start
    deadline: timedelta | None = None  # hard goals, from the example's start; None: DEADLINE, or SHORT if `short`

    def __repr__(self) -> str:
        under = f" under {self.parent} w={self.weight:g}" if self.parent else ""
        since = "" if self.start == START else f" start {_hours(self.start)}"
        if self.kind == "anti":
            how = f"{self.comparator} {self.threshold:g} recover {self.recovery:g} window={self.window}"
            return f"anti {self.ref}{under}: {self.metric}/{self.aggregation} {how}{since}"
        short = since + (" SHORT deadline" if self.short else "")
        short += "" if self.deadline is None else f" deadline {_hours(self.deadline)}"
        if self.metric is None:
            return f"parent {self.ref}{under}: {self.rollup} target={self.target:g}{short}"
        return f"hard {self.ref}{under}: {self.metric}/{self.aggregation} {self.baseline:g}->{self.target:g}{short}"


@dataclass(frozen=True)
class Ladder:
    ref: str
    metric: str
    aggregation: Literal["latest", "sum"]
    targets: tuple[float, float]

    @property
    def rungs(self) -> tuple[str, str]:
        return f"{self.ref}.1", f"{self.ref}.2"


@dataclass(frozen=True)
class Reading:
    id: str
    metric: str
    value: float
    at: timedelta  # observed at, from the example's start
    goal: str | None = None  # a manual check-in on this goal
    confidence: float | None = None

    def __repr__(self) -> str:
        to = f" check-in {self.goal} conf={self.confidence}" if self.goal else ""
        return f"{self.id}:{self.metric}={self.value:g}@{_hours(self.at)}{to}"


def _hours(offset: timedelta) -> str:
    return f"{offset.total_seconds() / 3600:+.3f}h"


@dataclass(frozen=True)
class CreateGoal:
    goal: Goal


@dataclass(frozen=True)
class CreateLadder:
    ladder: Ladder


@dataclass(frozen=True)
class Send:
    readings: tuple[Reading, ...]


@dataclass(frozen=True)
class Reparent:
    ref: str
    parent: str | None


@dataclass(frozen=True)
class Archive:
    ref: str


@dataclass(frozen=True)
class Plan:
    ref: str
    milestones: int


@dataclass(frozen=True)
class Revise:
    """PATCH the goal's `fields` to their values in `goal` (its definition as revised); `why` names the move."""

    goal: Goal
    fields: tuple[str, ...]  # metric (key and aggregation), start_at, window, target, baseline, deadline
    why: str
    once_closed: bool = False  # first wait until goals shows it missed (or achieved): a short goal's extension

    @property
    def ref(self) -> str:
        return self.goal.ref

    def __repr__(self) -> str:
        return f"Revise({self.ref} {self.why}{' once missed' if self.once_closed else ''}: {self.goal!r})"


@dataclass(frozen=True)
class MoveClock:
    """Move goals' clock forward, then wait until its scheduler has acted on everything due by then."""

    by: timedelta

    def __repr__(self) -> str:
        return f"MoveClock({_hours(self.by)})"


Step = CreateGoal | CreateLadder | Send | Reparent | Archive | Plan | Revise | MoveClock


@dataclass(frozen=True)
class Script:
    steps: tuple[Step, ...]

    @property
    def goals(self) -> dict[str, Goal]:
        """Every goal (not a rung) as the script leaves its definition: created, then revised."""
        return {s.goal.ref: s.goal for s in self.steps if isinstance(s, CreateGoal | Revise)}

    @property
    def ladders(self) -> dict[str, Ladder]:
        return {s.ladder.ref: s.ladder for s in self.steps if isinstance(s, CreateLadder)}

    @property
    def now(self) -> timedelta:
        """Goals' clock once the script has run, from the example's start (but for the seconds it takes)."""
        return sum((s.by for s in self.steps if isinstance(s, MoveClock)), timedelta(0))

    def describe(self) -> str:
        """One line a step, for the report of a failing example."""
        return "\n".join(f"  {i:2} {step}" for i, step in enumerate(self.steps))
