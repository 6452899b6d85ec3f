"""`build`: an organisation's draws as a script, creations and changes resolved against what is alive then."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from tests.support.parity.draws import LADDER_SHARE, OpDraw, OrgDraw, ReadingDraw, goal_of
from tests.support.parity.revisions import deadline_of, revise, unrevised_short
from tests.support.parity.script import (
    FIRST_READING,
    Archive,
    CreateGoal,
    CreateLadder,
    Goal,
    Ladder,
    MoveClock,
    Plan,
    Reading,
    Reparent,
    Script,
    Send,
    Step,
)

RARE = 6  # the largest goal pick an op draws


@dataclass
class _State:
    goals: dict[str, Goal] = field(default_factory=dict)  # as revised so far
    parent: dict[str, str | None] = field(default_factory=dict)
    alive: list[str] = field(default_factory=list)  # created, not archived (rungs too), in creation order
    readings: list[Reading] = field(default_factory=list)
    now: timedelta = timedelta(0)  # goals' clock, as the MoveClock steps so far moved it
    passed: dict[str, set[timedelta]] = field(default_factory=dict)  # deadlines each goal had once they passed

    def pass_deadlines(self) -> None:
        """Note the deadlines goals has now passed: a goal is missed once a deadline, so never given one again."""
        for ref in self.alive:
            g = self.goals.get(ref)
            if g is not None and g.kind == "hard" and not unrevised_short(g) and deadline_of(g) <= self.now:
                self.passed.setdefault(ref, set()).add(deadline_of(g))

    def parents(self, exclude: str | None = None) -> list[str]:
        """Alive rolled-up hard goals that may take `exclude` as a child (not itself nor one of its descendants)."""
        return [
            r for r in self.alive
            if r in self.goals and self.goals[r].kind == "hard" and self.goals[r].metric is None
            and (exclude is None or not self.below(r, exclude))
        ]  # fmt: skip

    def below(self, ref: str, ancestor: str) -> bool:
        while ref is not None:
            if ref == ancestor:
                return True
            ref = self.parent.get(ref)  # type: ignore[assignment]
        return False


def build(d: OrgDraw) -> Script:
    slots = len(d.batches) + 1
    s, steps = _State(), list[Step]()
    ladders = [
        Ladder(f"L{i}", f"ladder.L{i}", x.aggregation, (x.first, x.first + x.step)) for i, x in enumerate(d.ladders)
    ]
    metrics = sorted({g.metric for g in (goal_of(i, x, None) for i, x in enumerate(d.goals)) if g.metric})
    metrics += [x.metric for x in ladders] + ["unbound"]
    for ladder in ladders:
        steps.append(CreateLadder(ladder))
        s.alive += ladder.rungs
    for slot in range(slots):
        for move in (m for m in d.moves if slot and m.slot % slots == slot):
            moved = MoveClock(timedelta(hours=move.hours, minutes=7))
            s.now += moved.by
            steps.append(moved)
        for i, x in enumerate(d.goals):
            if x.slot % slots == slot:
                parents = s.parents()
                parent = None if x.parent_pick is None or not parents else parents[x.parent_pick % len(parents)]
                goal = goal_of(i, x, parent)
                s.goals[goal.ref], s.parent[goal.ref] = goal, parent
                s.alive.append(goal.ref)
                steps.append(CreateGoal(goal))
        steps += [step for op in d.ops if op.slot % slots == slot and (step := _op(s, op)) is not None]
        for rv in (rv for rv in d.revisions if rv.slot % slots == slot):
            s.pass_deadlines()
            for revised in revise([s.goals[r] for r in s.alive if r in s.goals], rv, metrics, s.now, s.passed):
                s.goals[revised.ref] = revised.goal
                steps.append(revised)
                s.pass_deadlines()
        if slot < len(d.batches):
            first = len(s.readings)
            for r in d.batches[slot]:
                s.readings.append(_reading(s, r, metrics, ladders))
            steps.append(Send(tuple(s.readings[first:])))
    return Script(tuple(steps))


def _op(s: _State, op: OpDraw) -> Step | None:
    goals = [r for r in s.alive if r in s.goals]
    if op.kind == "archive":
        # A rung only on the largest pick: an archived first rung would leave a ladder with nothing to climb.
        rungs = [r for r in s.alive if r not in s.goals] if op.goal_pick == RARE else []
        if not goals + rungs:
            return None
        ref = (rungs or goals)[op.goal_pick % len(rungs or goals)]
        s.alive.remove(ref)
        return Archive(ref)
    if op.kind == "plan":
        hard = [r for r in goals if s.goals[r].kind == "hard"]
        return Plan(hard[op.goal_pick % len(hard)], op.milestones) if hard else None
    if not goals:
        return None
    ref = goals[op.goal_pick % len(goals)]
    parents = s.parents(exclude=ref)
    parent = None if op.parent_pick is None or not parents else parents[op.parent_pick % len(parents)]
    s.parent[ref] = parent
    return Reparent(ref, parent)


def _reading(s: _State, r: ReadingDraw, metrics: list[str], ladders: list[Ladder]) -> Reading:
    k = len(s.readings)
    rid = s.readings[r.dup_pick % k].id if r.dup_pick is not None and k else f"r{k}"
    at = FIRST_READING + timedelta(hours=r.hour, seconds=k)  # the seconds keep every observed time apart
    # Goals on a goal's own metric (its own, or another's since a revision): a check-in goes to the goal's metric.
    own = [g for g in s.alive if g in s.goals and (s.goals[g].metric or "").startswith("own.")]
    if r.checkin_pick is not None and own:
        goal = own[r.checkin_pick % len(own)]
        return Reading(rid, str(s.goals[goal].metric), float(r.value), at, goal, r.confidence)
    if ladders and r.metric_pick < LADDER_SHARE:
        return Reading(rid, ladders[r.metric_pick % len(ladders)].metric, float(r.value), at)
    return Reading(rid, metrics[r.metric_pick % len(metrics)], float(r.value), at)
