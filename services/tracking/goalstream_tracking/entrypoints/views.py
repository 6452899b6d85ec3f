"""The tracking API's response bodies: every number says where it came from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from goalstream_tracking.adapters import node_view
from goalstream_tracking.domain.node import GoalNode
from goalstream_tracking.service_layer.queries import TreeNode


class Milestone(BaseModel):
    index: int = Field(description="1-based position in the plan")
    due: datetime = Field(description="when it falls due")
    target: float = Field(description="the value to reach by `due`")
    state: str = Field(description="pending, hit or missed")
    at: datetime | None = Field(description="when it was hit or missed; null while pending")
    late: bool = Field(description="hit only after its due time")


class GoalProgress(BaseModel):
    goal_id: str = Field(description="the goal's id")
    title: str = Field(description="what the goal is, for people")
    kind: str = Field(description="`hard` or `anti`")
    level: str | None = Field(description="where it sits in the organisation")
    owner: str | None = Field(description="who owns it, as goals was told; null when nobody was named")
    parent_id: str | None = Field(description="the goal it rolls up into; null for a root")
    ladder_id: str | None = Field(description="the ladder it is a rung of; null when it is no rung")
    rung: int | None = Field(description="its 1-based rung index in that ladder; null when it is no rung")
    weight: float = Field(description="its weight in its parent's weighted rollup")
    rollup: str | None = Field(
        description="how it combines its children, if it is a parent (weighted_mean, sum, worst)"
    )
    metric: str | None = Field(description="the key of the metric that measures it")
    unit: str | None = Field(description="the unit of its values, for display")
    baseline: float | None = Field(description="the value progress counts from")
    target: float | None = Field(description="the value to reach")
    start_at: datetime | None = Field(description="when the goal's span begins (its expected progress starts at 0)")
    deadline: datetime | None = Field(description="when the target is due")
    current_value: float | None = Field(description="its own value, or for a `sum` parent its children's total")
    progress: float | None = Field(description="raw progress (may exceed 1); a rolled-up parent's is its rollup")
    progress_clamped: float | None = Field(description="progress in [0, 1], as it feeds its parent")
    expected_progress: float | None = Field(description="where the goal should be at the time of the answer")
    status: str | None = Field(
        description="its status band (on_track, at_risk, off_track, achieved, missed); null when it has none"
    )
    achieved: bool = Field(description="the target was reached")
    missed: bool = Field(description="the deadline passed short of the target")
    archived: bool = Field(description="archived in goals")
    breached: bool | None = Field(description="an anti-goal's open breach")
    open_breaches: int = Field(description="open anti-goal breaches on this goal and its subtree")
    counts: dict[str, int] = Field(description="goals in this subtree (itself included) by status")
    milestones: list[Milestone] = Field(description="its backward plan, oldest first")
    source: dict[str, Any] | None = Field(
        description="a measurement or check-in, or a rollup of children: each child's `weight`, `value` (its share:"
        " clamped progress, or for a `sum` its amount) and `contribution` (what it adds to this goal's number; the"
        " contributions add up to it)"
    )
    version: int = Field(description="the goal's stream version this answer reflects")
    as_of: datetime = Field(description="the time this answer is for (now, or the `as_of` asked)")

    @classmethod
    def of(cls, n: GoalNode, at: datetime) -> GoalProgress:
        # The same fields the projection keeps as each node's stored view (`node_view`).
        return cls(**node_view.fields(n), expected_progress=node_view.expected_of(node_view.plan_json(n), at), as_of=at)


class Tree(BaseModel):
    goal: GoalProgress = Field(description="the goal at this node")
    children: list[Tree] = Field(description="its children's subtrees")

    @classmethod
    def of(cls, t: TreeNode, at: datetime) -> Tree:
        return cls(goal=GoalProgress.of(t.node, at), children=[cls.of(c, at) for c in t.children])


class Page(BaseModel):
    items: list[GoalProgress] = Field(description="the goals of this page")
    next_after: str | None = Field(description="pass as `after` for the next page; null on the last page")


class LevelSummary(BaseModel):
    level: str = Field(description="the level summarised")
    goals: int = Field(description="goals at this level")
    mean_progress: float | None = Field(description="mean clamped progress of the goals at this level")
    counts: dict[str, int] = Field(description="goals at this level by status")


class Rollups(Page):
    summary: LevelSummary = Field(description="the figures of the whole level, not only this page")


class AntiGoal(GoalProgress):
    episodes: list[dict[str, Any]] = Field(
        description="its breaches, oldest first: `breached_at`, the `value` that breached, `recovered_at` (null: open)"
    )
    threshold: float | None = Field(description="the value a breach begins past")
    recovery_threshold: float | None = Field(
        description="the value an open breach ends past, back on the safe side (the threshold when none was set)"
    )
    comparator: str | None = Field(description="breached `above` or `below` the threshold")
    severity: str | None = Field(description="how bad a breach is")
    guards: str | None = Field(description="the id of the hard goal it protects")


class AntiGoals(BaseModel):
    items: list[AntiGoal] = Field(description="the anti-goals of this page")
    next_after: str | None = Field(description="pass as `after` for the next page; null on the last page")


class Rung(BaseModel):
    index: int = Field(description="1-based position from the bottom rung")
    goal_id: str = Field(description="the rung's goal id")
    title: str = Field(description="what the rung is, for people")
    state: str = Field(description="locked, active, achieved, missed or archived")
    progress: float | None = Field(description="the rung's progress; null while locked")
    unlocked_at: datetime | None = Field(
        description="when the rung was unlocked (the bottom rung: when the ladder was set); null while locked, or for"
        " a ladder stored before this field until a rebuild"
    )


class LadderProgress(BaseModel):
    ladder_id: str = Field(description="the ladder's id")
    title: str = Field(description="what the ladder is, for people")
    current_rung: int | None = Field(description="index of the active rung; null once the top rung is achieved")
    progress: float = Field(description="(achieved rungs + clamped progress of the current rung) / rungs")
    rungs: list[Rung] = Field(description="its rungs from the bottom")
    version: int = Field(description="the ladder's stream version this answer reflects")
    as_of: datetime = Field(description="the time this answer is for (now, or the `as_of` asked)")


class HistoryPoint(BaseModel):
    version: int = Field(description="the goal's stream version after this change")
    at: datetime = Field(description="observed time of a measurement, else when the event occurred")
    event_type: str = Field(description="the event that made the change")
    current: float | None = Field(description="its current value after it")
    progress: float | None = Field(description="its raw progress after it")
    status: str | None = Field(description="its status after it")


class History(BaseModel):
    goal_id: str = Field(description="the goal's id")
    points: list[HistoryPoint] = Field(description="its changes, oldest first (newest first with `before_version`)")
    next_after_version: int | None = Field(
        description="pass as `after_version` for the next page; null on the last page (and with `before_version`)"
    )
    next_before_version: int | None = Field(
        default=None, description="with `before_version`: pass it again as this for the next older page; null: none"
    )
