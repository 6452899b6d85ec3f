"""A rolled-up parent's numbers from the tree as the script left it and its measured children's values.

The measured children's values are taken as the services show them (their own check is elsewhere), so a
difference here is a difference in the rollup rule alone: the weighted mean of the active hard children's
clamped progress (`worst` parents too), a metric-less child without children counting 0; a `sum`
parent's total of its children's current values (a child without one: its baseline).
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.parity.script import Archive, CreateGoal, Goal, Reparent, Script


@dataclass(frozen=True)
class Tree:
    goals: dict[str, Goal]
    parent: dict[str, str | None]  # as the script left it
    archived: set[str]
    measured: dict[str, float | None]  # a measured goal's current value, as shown

    @classmethod
    def of(cls, script: Script, measured: dict[str, float | None]) -> Tree:
        parent: dict[str, str | None] = {}
        for step in script.steps:
            if isinstance(step, CreateGoal):
                parent[step.goal.ref] = step.goal.parent
            elif isinstance(step, Reparent):
                parent[step.ref] = step.parent
        archived = {s.ref for s in script.steps if isinstance(s, Archive)}
        return cls(script.goals, parent, archived, measured)

    def children(self, ref: str) -> list[Goal]:
        """The active hard children: archived goals and anti-goals take no part in a rollup."""
        return [
            g for r, g in sorted(self.goals.items())
            if self.parent.get(r) == ref and r not in self.archived and g.kind == "hard"
        ]  # fmt: skip

    def rolled_up(self) -> list[str]:
        """The parents with something to roll up: metric-less, active, with at least one active hard child."""
        return [
            r for r, g in sorted(self.goals.items()) if g.metric is None and r not in self.archived and self.children(r)
        ]

    def progress(self, ref: str) -> float:
        """A goal's raw progress as it feeds its parent (before clamping)."""
        g = self.goals[ref]
        if g.metric is None:
            if not self.children(ref):
                return 0.0  # a metric-less goal without children has made no progress
            return self.rollup(ref)[0]
        assert g.target is not None
        value = self.measured[ref]
        return ((g.baseline if value is None else value) - g.baseline) / (g.target - g.baseline)

    def total(self, ref: str) -> float:
        """A child's current value as a `sum` parent adds it."""
        g = self.goals[ref]
        total = self.rollup(ref)[1] if g.metric is None and g.rollup == "sum" and self.children(ref) else None
        if g.metric is None:
            return g.baseline if total is None else total
        value = self.measured[ref]
        return g.baseline if value is None else value

    def rollup(self, ref: str) -> tuple[float, float | None]:
        """(progress, a `sum` parent's total) of a parent with children."""
        g, kids = self.goals[ref], self.children(ref)
        assert g.target is not None and kids
        if g.rollup == "sum":
            total = sum(self.total(k.ref) for k in kids)
            return (total - g.baseline) / (g.target - g.baseline), total
        weights = sum(k.weight for k in kids)
        return sum(k.weight * min(1.0, max(0.0, self.progress(k.ref))) for k in kids) / weights, None
