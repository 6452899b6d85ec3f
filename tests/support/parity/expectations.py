"""The reference (reference.py, rollups.py) against both services' final numbers: one list of problems per rule."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from goalstream_contracts.events import LadderRungUnlocked
from tests.support.parity.reference import EPSILON, aggregate, archived_at, climb, counted
from tests.support.parity.revisions import deadline_of, unrevised_short
from tests.support.parity.rollups import Tree
from tests.support.parity.script import Script
from tests.support.parity.snapshot import Snapshot


def same(a: float | None, b: float | None) -> bool:
    """Equal numbers, up to float summation order."""
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _shown(snap: Snapshot, ref: str, name: str) -> tuple[Any, Any]:
    return snap.goals[ref][name], snap.tracking[ref][name]


def _differs(ref: str, name: str, expected: float | None, shown: tuple[Any, Any], why: str) -> list[str]:
    if same(shown[0], expected) and same(shown[1], expected):
        return []
    return [f"{ref} {name}: goals {shown[0]}, tracking {shown[1]}, expected {expected} ({why})"]


def value_problems(script: Script, snap: Snapshot) -> list[str]:
    """Measured goals (not ladder rungs): every accepted reading of the metric counts, once."""
    problems: list[str] = []
    for ref, g in script.goals.items():
        if g.metric is not None:
            readings = counted(script, g)
            start = f" from {g.start.total_seconds() / 3600:+.1f}h" if g.aggregation == "sum" else ""
            why = f"{g.aggregation}{start}{' window ' + g.window if g.window else ''} of {[r.id for r in readings]}"
            expected = aggregate(readings, g.aggregation, g.window)
            problems += _differs(ref, "current_value", expected, _shown(snap, ref, "current_value"), why)
    return problems


def deadline_problems(script: Script, snap: Snapshot, now: timedelta) -> list[str]:
    """Hard goals whose deadline (as revised) lies ahead of goals' clock `now` (from the example's start): never
    missed, nor in status `missed` but for a `worst` parent, which takes its worst child's (a missed goal whose
    deadline is extended past now is live again); and achieved when a measured one's value meets its target (as
    revised). Once the clock moved, a deadline behind it has passed: its goal is missed, or was achieved."""
    problems: list[str] = []
    archived = archived_at(script)
    moved = now > timedelta(0)  # the clock moved: the runner then waited for the scheduler at the end
    for ref, g in script.goals.items():
        if g.kind != "hard" or ref in archived or unrevised_short(g):
            continue
        if deadline_of(g) <= now:
            closed = {
                n: (v[ref]["missed"], v[ref]["achieved"])
                for n, v in (("goals", snap.goals), ("tracking", snap.tracking))
            }
            problems += [
                f"{ref} neither missed nor achieved in {n}, deadline {deadline_of(g)} behind the clock {now}"
                for n, (missed, achieved) in closed.items()
                if moved and not missed and not achieved
            ]
            continue
        shown = [
            (name, view["missed"], view["status"])
            for name, view in (("goals", snap.goals[ref]), ("tracking", snap.tracking[ref]))
        ]
        problems += [
            f"{ref} missed {m} status {s} in {n}, deadline {deadline_of(g)} ahead"
            for n, m, s in shown
            if m or (s == "missed" and g.rollup != "worst")
        ]
        value = snap.goals[ref]["current_value"]
        if g.metric is None or value is None or g.target is None:
            continue
        if (value - g.baseline) / (g.target - g.baseline) >= 1 - EPSILON:
            achieved = [snap.goals[ref]["achieved"], snap.tracking[ref]["achieved"]]
            if not all(achieved):
                problems.append(
                    f"{ref} value {value} meets target {g.target:g} (baseline {g.baseline:g}): achieved {achieved}"
                )
    return problems


def rung_problems(script: Script, snap: Snapshot, base: datetime) -> list[str]:
    problems: list[str] = []
    for lref, ladder in script.ladders.items():
        c = climb(script, ladder)
        first, second = ladder.rungs
        problems += _differs(first, "current_value", c.first, _shown(snap, first, "current_value"), "rung 1")
        unlocks = [e.payload for e in snap.events[snap.ladder_ids[lref]] if isinstance(e.payload, LadderRungUnlocked)]
        expected_at = None if c.unlocked_at is None else base + c.unlocked_at
        if [u.unlocked_at for u in unlocks] != ([] if expected_at is None else [expected_at]):
            problems.append(f"{lref} unlocked rung 2 at {[u.unlocked_at for u in unlocks]}, expected {expected_at}")
        why = f"rung 2: every {ladder.metric} reading observed after the unlock at {expected_at}"
        problems += _differs(second, "current_value", c.second, _shown(snap, second, "current_value"), why)
    return problems


def rollup_problems(script: Script, snap: Snapshot) -> list[str]:
    """Rolled-up parents, from their children's values as goals shows them."""
    tree = Tree.of(script, {ref: snap.goals[ref]["current_value"] for ref in script.goals})
    problems: list[str] = []
    for ref in tree.rolled_up():
        progress, total = tree.rollup(ref)
        kids = [f"{k.ref} w={k.weight:g} p={tree.progress(k.ref):.4g}" for k in tree.children(ref)]
        why = f"{tree.goals[ref].rollup} of {kids}"
        problems += _differs(ref, "progress", progress, _shown(snap, ref, "progress"), why)
        if total is not None:
            problems += _differs(ref, "current_value", total, _shown(snap, ref, "current_value"), why)
    return problems
