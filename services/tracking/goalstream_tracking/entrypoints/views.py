"""The tracking API's response bodies: every number says where it came from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from goalstream_tracking.adapters import node_view
from goalstream_tracking.domain.node import GoalNode
from goalstream_tracking.service_layer.queries import TreeNode


class Milestone(BaseModel):
    index: int
    due: datetime
    target: float
    state: str = Field(description="pending, hit or missed")
    at: datetime | None
    late: bool


class GoalProgress(BaseModel):
    goal_id: str
    title: str
    kind: str
    level: str | None
    parent_id: str | None
    weight: float
    rollup: str | None
    metric: str | None
    unit: str | None
    baseline: float | None
    target: float | None
    current_value: float | None = Field(description="its own value, or for a `sum` parent its children's total")
    progress: float | None = Field(description="raw progress (may exceed 1); a rolled-up parent's is its rollup")
    progress_clamped: float | None = Field(description="progress in [0, 1], as it feeds its parent")
    expected_progress: float | None = Field(description="where the goal should be at the time of the answer")
    status: str | None
    achieved: bool
    missed: bool
    archived: bool
    breached: bool | None = Field(description="an anti-goal's open breach")
    open_breaches: int = Field(description="open anti-goal breaches on this goal and its subtree")
    counts: dict[str, int] = Field(description="goals in this subtree (itself included) by status")
    milestones: list[Milestone]
    source: dict[str, Any] | None = Field(description="a measurement or check-in, or a rollup of children")
    version: int = Field(description="the goal's stream version this answer reflects")
    as_of: datetime

    @classmethod
    def of(cls, n: GoalNode, at: datetime) -> GoalProgress:
        # The same fields the projection keeps as each node's stored view (`node_view`).
        return cls(**node_view.fields(n), expected_progress=node_view.expected_of(node_view.plan_json(n), at), as_of=at)


class Tree(BaseModel):
    goal: GoalProgress
    children: list[Tree]

    @classmethod
    def of(cls, t: TreeNode, at: datetime) -> Tree:
        return cls(goal=GoalProgress.of(t.node, at), children=[cls.of(c, at) for c in t.children])


class Page(BaseModel):
    items: list[GoalProgress]
    next_after: str | None = Field(description="pass as `after` for the next page; null on the last page")


class LevelSummary(BaseModel):
    level: str
    goals: int
    mean_progress: float | None = Field(description="mean clamped progress of the goals at this level")
    counts: dict[str, int] = Field(description="goals at this level by status")


class Rollups(Page):
    summary: LevelSummary


class AntiGoal(GoalProgress):
    episodes: list[dict[str, Any]]
    threshold: float | None
    comparator: str | None
    severity: str | None
    guards: str | None


class AntiGoals(BaseModel):
    items: list[AntiGoal]
    next_after: str | None


class Rung(BaseModel):
    index: int
    goal_id: str
    title: str
    state: str
    progress: float | None


class LadderProgress(BaseModel):
    ladder_id: str
    title: str
    current_rung: int | None
    progress: float = Field(description="(achieved rungs + clamped progress of the current rung) / rungs")
    rungs: list[Rung]
    version: int
    as_of: datetime


class HistoryPoint(BaseModel):
    version: int
    at: datetime = Field(description="observed time of a measurement, else when the event occurred")
    event_type: str
    current: float | None
    progress: float | None
    status: str | None


class History(BaseModel):
    goal_id: str
    points: list[HistoryPoint]
    next_after_version: int | None
