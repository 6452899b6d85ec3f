"""Revisions between batches: a draw turned into a PATCH goals must accept, against the goals alive then.

Each kind picks its new value among those that differ from the current one (so every revision changes
something) and keep the goal valid (start_at before the deadline, target apart from baseline):
- metric: onto another metric of the example (its readings kept already, or still to come) or SPARE,
  which no reading uses; aggregation: sum <-> latest;
- later / earlier: start_at into the readings' range (STARTS, at half past an hour, so no reading is
  observed at a start), later than it is, or back earlier (to START too) once it was moved later (a goal
  never moved is moved to the last of STARTS first, in a revision of its own: `earlier` is two then);
- window: an anti-goal's (none, P2D, P7D); target / baseline: a hard goal's;
- deadline: a hard goal's, 10 or 60 days on or 10 days back (inside the readings' range), but never one
  behind goals' clock (as MoveClock steps moved it) that the goal had when it passed: a goal is missed once a
  deadline. One behind the clock is missed at once; a later one makes the goal live again;
- extend: a short goal's, to DEADLINE, once goals shows it missed (or achieved): live again.
Ladder rungs are not revised here (a rung's start_at is its unlock).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta

from tests.support.parity.draws import RevisionDraw, RevisionKind
from tests.support.parity.script import DEADLINE, FIRST_READING, START, Goal, Revise

SPARE = "spare"  # a metric nothing is ever sent to
STARTS = tuple(FIRST_READING + timedelta(hours=h, minutes=30) for h in (30, 120, 240, 360, 450))
SPANS = (5.0, 25.0, 60.0, -10.0)  # a new target, from the baseline
BASELINES = (0.0, 5.0, 10.0, 15.0)
DEADLINES = (timedelta(days=10), timedelta(days=60), timedelta(days=-10))
WINDOWS = (None, "P2D", "P7D")
NOW = timedelta(0)  # the example's start: a short goal's deadline, a few seconds later, is about then


def deadline_of(g: Goal) -> timedelta:
    """A hard goal's deadline from the example's start; a short goal's is a few seconds after it was created."""
    return g.deadline if g.deadline is not None else NOW if g.short else DEADLINE


def unrevised_short(g: Goal) -> bool:
    """A short goal whose deadline was never revised: missed a few seconds in, or not yet, by the real clock."""
    return g.short and g.deadline is None


_APPLIES: dict[RevisionKind, Callable[[Goal], bool]] = {
    "metric": lambda g: g.metric is not None,
    "aggregation": lambda g: g.metric is not None,
    "later": lambda g: True,
    "earlier": lambda g: g.kind == "anti" or deadline_of(g) > STARTS[-1],
    "window": lambda g: g.kind == "anti",
    "target": lambda g: g.kind == "hard",
    "baseline": lambda g: g.kind == "hard",
    "deadline": lambda g: g.kind == "hard" and not unrevised_short(g),
    "extend": lambda g: g.kind == "hard" and unrevised_short(g),
}


def _choices(
    kind: RevisionKind, g: Goal, metrics: Sequence[str], now: timedelta, passed: Mapping[str, set[timedelta]]
) -> list[Goal]:
    if kind == "metric":
        return [replace(g, metric=m) for m in (*metrics, SPARE) if m != g.metric]
    if kind == "aggregation":
        return [replace(g, aggregation="sum" if g.aggregation == "latest" else "latest")]
    if kind == "later":
        return [replace(g, start=t) for t in STARTS if g.start < t and (g.kind == "anti" or t < deadline_of(g))]
    if kind == "earlier":
        return [replace(g, start=t) for t in (START, *STARTS) if t < g.start]
    if kind == "window":
        return [replace(g, window=w) for w in WINDOWS if w != g.window]
    if kind == "target":
        return [replace(g, target=g.baseline + d) for d in SPANS if g.baseline + d != g.target]
    if kind == "baseline":
        return [replace(g, baseline=b) for b in BASELINES if b not in (g.baseline, g.target)]
    if kind == "deadline":
        again = passed.get(g.ref, set())  # one GoalMissed a deadline: a passed one is not given again
        fits = [t for t in DEADLINES if t != deadline_of(g) and t > g.start and (t > now or t not in again)]
        return [replace(g, deadline=t) for t in fits]
    return [replace(g, deadline=DEADLINE)]  # extend


FIELDS: dict[RevisionKind, str] = {
    "later": "start_at",
    "earlier": "start_at",
    "aggregation": "metric",
    "extend": "deadline",
}


def revise(
    alive: Sequence[Goal],
    d: RevisionDraw,
    metrics: Sequence[str],
    now: timedelta = NOW,
    passed: Mapping[str, set[timedelta]] | None = None,
) -> list[Revise]:
    """The draw's revision of one of the goals (not rungs) alive now, `now` goals' clock from the example's start
    and `passed` the deadlines each goal had when they passed; none when it applies to none of them."""
    goals = [g for g in alive if _APPLIES[d.kind](g)]
    if d.kind == "earlier":  # a goal moved later before, else one moved to the last start first
        goals = [g for g in goals if g.start > START] or goals
    if not goals:
        return []
    goal = goals[d.goal_pick % len(goals)]
    first = []
    if d.kind == "earlier" and goal.start == START:
        first = [Revise(replace(goal, start=STARTS[-1]), ("start_at",), "later")]
        goal = first[0].goal
    choices = _choices(d.kind, goal, metrics, now, passed or {})
    if not choices:
        return []
    field = FIELDS.get(d.kind, d.kind)
    return [*first, Revise(choices[d.pick % len(choices)], (field,), d.kind, once_closed=d.kind == "extend")]
