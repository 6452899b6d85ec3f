"""A goal as tracking sees it, and `evolve_node`, which folds one goal event into it. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from goalstream_contracts.base import Payload
from goalstream_contracts.common import GoalStatus
from goalstream_contracts.events import (
    AntiGoalBreached,
    AntiGoalRecovered,
    GoalAchieved,
    GoalArchived,
    GoalMissed,
    GoalPlanned,
    GoalRevised,
    GoalSet,
    GoalStatusChanged,
    MeasurementRecorded,
    MilestoneHit,
    MilestoneMissed,
)
from goalstream_rules.lifecycle import Lifecycle, lifecycle_after
from goalstream_rules.plan import milestone_target
from goalstream_rules.progress import progress
from goalstream_rules.recount import recounts
from goalstream_rules.status import missed_after_revision

STATUSES = ("on_track", "at_risk", "off_track", "achieved", "missed")


@dataclass(frozen=True)
class MilestoneState:
    index: int
    due: datetime
    target: float
    fraction: float
    state: str = "pending"  # pending | hit | missed
    at: datetime | None = None  # when hit (observed time)
    late: bool = False


@dataclass(frozen=True)
class Episode:
    breached_at: datetime
    value: float
    recovered_at: datetime | None = None


@dataclass(frozen=True)
class GoalNode:
    """Own numbers come from the goal's events; `rollup_*`, `counts` and `open_breaches` from its subtree."""

    goal_id: str
    org_id: str
    kind: str
    title: str
    definition: dict[str, Any]  # the goal's fields as last set or revised (JSON)
    version: int
    event_time: datetime  # when the last applied event occurred
    current: float | None = None
    own_progress: float | None = None
    status: GoalStatus | None = None
    achieved: bool = False
    missed: bool = False
    archived: bool = False
    source: dict[str, Any] | None = None  # the measurement or check-in behind `current`
    milestones: tuple[MilestoneState, ...] = ()
    breached: bool = False
    episodes: tuple[Episode, ...] = ()
    # Filled by the rollup from the subtree:
    progress: float | None = None  # what this goal shows: its own, or its rollup's
    rollup_current: float | None = None  # a `sum` parent's total
    rollup_value: float | None = None  # clamped progress, as it feeds the parent
    counts: dict[str, int] = field(default_factory=dict)  # subtree goals by status
    open_breaches: int = 0
    rolled_from: tuple[tuple[str, float, float], ...] = ()  # (child id, weight, value)

    @property
    def parent_id(self) -> str | None:
        value: str | None = self.definition.get("parent_id")
        return value

    @property
    def guards(self) -> str | None:
        value: str | None = self.definition.get("guards")
        return value

    @property
    def level(self) -> str | None:
        value: str | None = self.definition.get("level")
        return value

    @property
    def locked(self) -> bool:
        d = self.definition
        return d.get("ladder_id") is not None and (d.get("rung_index") or 1) > 1 and d.get("start_at") is None

    @property
    def in_tree(self) -> bool:
        """Archived goals (and rungs not yet unlocked) leave the tree."""
        return not self.archived and not self.locked

    @property
    def breach_target(self) -> str | None:
        """The goal an anti-goal's open breach counts on: the goal it guards, or else its parent."""
        return self.guards or self.parent_id


_NODE_FIELDS = frozenset(f.name for f in fields(GoalNode))


def _with(node: GoalNode, **changes: Any) -> GoalNode:
    """`dataclasses.replace` without `__init__`: the node's fields with `changes`. A fold makes a few new nodes per
    event, and `replace` (a keyword call of 22 fields, each set through the frozen class's guard) was a quarter of
    a rebuild's time."""
    if not changes.keys() <= _NODE_FIELDS:
        raise TypeError(f"GoalNode has no field {sorted(changes.keys() - _NODE_FIELDS)}")
    new = object.__new__(GoalNode)
    new.__dict__.update(node.__dict__, **changes)
    return new


def evolve_node(node: GoalNode | None, event: Payload, occurred_at: datetime, org_id: str) -> GoalNode:
    if isinstance(event, GoalSet):
        definition = event.model_dump(mode="json", exclude_none=True)
        node = GoalNode(event.goal_id, org_id, event.kind, event.title, definition, 1, occurred_at)
        return _own_progress(node)
    if node is None:
        raise LookupError(f"{event.event_type} for a goal this read model has never seen set")
    node = _with(node, version=node.version + 1, event_time=occurred_at)
    match event:
        case MeasurementRecorded() if event.counted:
            source = {
                "kind": "check_in" if event.comment is not None or event.confidence is not None else "measurement",
                "measurement_id": event.measurement_id,
                "source": event.source,
                "observed_at": event.observed_at.isoformat(),
                "value": event.value,
                "comment": event.comment,
                "confidence": event.confidence,
            }
            return _own_progress(_with(node, current=event.current_value, source=source))
        case GoalRevised():
            changed = event.model_dump(mode="json", include=set(event.changed))
            definition = {k: v for k, v in {**node.definition, **changed}.items() if v is not None}
            node = _replanned(node, definition) if {"baseline", "target"} & set(event.changed) else node
            if recounts(event.changed):  # goals starts the count again: its refolded values follow this event
                node = _with(node, current=None, source=None)
            node = _with(node, missed=missed_after_revision(node.missed, event.changed))
            return _own_progress(_with(node, definition=definition, title=definition.get("title", node.title)))
        case GoalStatusChanged() | GoalAchieved() | GoalMissed():
            after = lifecycle_after(
                Lifecycle(node.status, node.achieved, node.missed), event.event_type, getattr(event, "status", None)
            )
            return _with(node, status=after.status, achieved=after.achieved, missed=after.missed)
        case GoalArchived():
            return _with(node, archived=True)
        case GoalPlanned():
            plan = tuple(MilestoneState(m.index, m.due, m.target, m.fraction) for m in event.milestones)
            return _with(node, milestones=plan)
        case MilestoneHit():
            return _milestone(node, event.milestone_index, "hit", event.hit_at, event.late)
        case MilestoneMissed():
            return _milestone(node, event.milestone_index, "missed", event.due, False)
        case AntiGoalBreached():
            episode = Episode(event.breached_at, event.value)
            return _with(node, breached=True, current=event.value, episodes=(*node.episodes, episode))
        case AntiGoalRecovered():
            episodes = node.episodes
            if episodes and episodes[-1].recovered_at is None:
                episodes = (*episodes[:-1], replace(episodes[-1], recovered_at=event.recovered_at))
            return _with(node, breached=False, current=event.value, episodes=episodes)
    return node


def _milestone(node: GoalNode, index: int, state: str, at: datetime, late: bool) -> GoalNode:
    milestones = tuple(
        replace(m, state="hit" if state == "hit" or m.state == "hit" else state, at=at, late=late)
        if m.index == index and not (m.state == "hit" and state == "missed")
        else m
        for m in node.milestones
    )
    return _with(node, milestones=milestones)


def _replanned(node: GoalNode, definition: dict[str, Any]) -> GoalNode:
    """A new baseline or target: the milestones keep their fractions, their targets are worked out again."""
    if definition.get("target") is None:
        return node
    baseline, target = float(definition.get("baseline") or 0.0), float(definition["target"])
    plan = tuple(replace(m, target=milestone_target(baseline, target, m.fraction)) for m in node.milestones)
    return _with(node, milestones=plan)


def _own_progress(node: GoalNode) -> GoalNode:
    d = node.definition
    target = d.get("target")
    if node.kind != "hard" or target is None:
        return _with(node, own_progress=None)
    baseline = float(d.get("baseline") or 0.0)
    value = baseline if node.current is None else node.current
    return _with(node, own_progress=progress(value, baseline, float(target)))
