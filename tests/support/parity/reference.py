"""What the numbers must be, from the script alone, where the product's rules leave no choice.

Parity cannot see a rule both services break the same way (they fold the same events), so these are
checked against the script itself:
- every accepted measurement counts, however it was batched and whether or not its goal existed yet:
  a measured goal's current value is its aggregation over the first copy of every reading of its
  metric (or of a check-in on it) sent before it was archived;
- a revision of what counts (metric key or aggregation, start_at, window) counts again: the value is
  then what the goal's final definition makes of every reading, sent before the revision or after it
  (goals keeps them all), as if the goal had always been defined so: its final metric's readings (a
  check-in on another goal never), a `sum` goal's only those observed at or after its final start_at,
  a gauge's newest whenever observed, a window's mean over those within it of the newest;
- a ladder's second rung starts at the observed time of the reading that achieved the first (readings
  in the order sent) and counts every reading observed after that, sent before or after the unlock;
- a rolled-up parent's progress follows from its active hard children as they are now, a metric-less
  child without children counting 0 (the project's decision).
Choices the rules leave open are avoided by the script, not decided here: observed times never tie (nor
with a start_at), and ladders exist before their metric's readings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from tests.support.parity.script import WINDOWS, Archive, Goal, Ladder, Reading, Script, Send

EPSILON = 1e-9  # as the product's `reached`: within this of the target is reaching it


def firsts(script: Script) -> list[tuple[int, Reading]]:
    """(step, reading) for the first copy of each measurement id, in the order sent."""
    seen: set[str] = set()
    out: list[tuple[int, Reading]] = []
    for i, step in enumerate(script.steps):
        for r in step.readings if isinstance(step, Send) else ():
            if r.id not in seen:
                seen.add(r.id)
                out.append((i, r))
    return out


def archived_at(script: Script) -> dict[str, int]:
    return {step.ref: i for i, step in enumerate(script.steps) if isinstance(step, Archive)}


def aggregate(readings: list[Reading], aggregation: str, window: str | None = None) -> float | None:
    if not readings:
        return None
    if window is not None:  # an anti-goal's window: the mean of what was observed within it of the newest
        newest = max(r.at for r in readings)
        kept = [r.value for r in readings if r.at > newest - WINDOWS[window]]
        return sum(kept) / len(kept)
    if aggregation == "sum":
        return math.fsum(r.value for r in readings)
    return max(readings, key=lambda r: r.at).value  # a gauge: the newest observation


def counted(script: Script, goal: Goal) -> list[Reading]:
    """The readings a measured goal (not a rung), as the script leaves it, counts: its metric's, or check-ins on it,
    sent until it is archived; a `sum` goal's (an anti-goal's, windowed or not, too) observed from its start_at."""
    until = archived_at(script).get(goal.ref, len(script.steps))
    return [
        r for i, r in firsts(script)
        if r.metric == goal.metric and r.goal in (None, goal.ref) and i < until
        and (goal.aggregation != "sum" or r.at >= goal.start)
    ]  # fmt: skip


@dataclass(frozen=True)
class Climb:
    first: float | None  # rung 1's current value
    unlocked_at: timedelta | None  # observed time of the reading that achieved rung 1
    second: float | None  # rung 2's current value


def climb(script: Script, ladder: Ladder) -> Climb:
    archived = archived_at(script)
    ends = [archived.get(ref, len(script.steps)) for ref in ladder.rungs]
    readings = [(i, r) for i, r in firsts(script) if r.metric == ladder.metric]
    current: float | None = None
    newest: timedelta | None = None
    unlock: tuple[int, timedelta] | None = None
    for i, r in readings:
        if i >= ends[0]:
            break
        counts = ladder.aggregation == "sum" or newest is None or r.at >= newest  # a late gauge value does not
        if counts:
            current = (current or 0.0) + r.value if ladder.aggregation == "sum" else r.value
            newest = r.at if newest is None else max(newest, r.at)
        if counts and unlock is None and current is not None and current / ladder.targets[0] >= 1 - EPSILON:
            unlock = (i, r.at)
    first = aggregate([r for i, r in readings if i < ends[0]], ladder.aggregation)
    if unlock is None or ends[1] < unlock[0]:  # never unlocked (or archived before): no value of its own
        return Climb(first, None if unlock is None else unlock[1], None)
    later = [r for i, r in readings if r.at > unlock[1] and i < ends[1]]
    return Climb(first, unlock[1], aggregate(later, ladder.aggregation))
