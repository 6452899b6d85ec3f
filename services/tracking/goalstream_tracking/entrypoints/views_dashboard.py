"""Response bodies of the routes the dashboard reads (issue 20): ladders, a goal's series, the event stream, search."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from goalstream_rules.ladder import rung_shown_progress, rung_state
from goalstream_tracking.domain.ladder import LadderNode
from goalstream_tracking.domain.node import GoalNode
from goalstream_tracking.entrypoints.views import GoalProgress, LadderProgress, Milestone, Rung


class Ladders(BaseModel):
    items: list[LadderProgress] = Field(description="the ladders of this page, by id")
    next_after: str | None = Field(description="pass as `after` for the next page; null on the last page")


class SeriesPoint(BaseModel):
    at: datetime = Field(description="a value's observed time; a GoalSet's or GoalRevised's recorded time")
    value: float | None = Field(description="the goal's own current value as of `at`, counted in observed order")
    progress: float | None = Field(description="its own raw progress as of `at`")
    status: str | None = Field(description="its status as of `at` (as `as_of=at&as_of_mode=observed` answers it)")
    event_type: str = Field(description="the event of the point: MeasurementRecorded, GoalSet, GoalRevised, ...")
    source: str | None = Field(description="the measurement's source, when the point is a value that named one")
    kind: Literal["measurement", "check_in"] | None = Field(
        default=None, description="a value's kind (a check-in carries a comment or a confidence); null otherwise"
    )


class ExpectedPoint(BaseModel):
    at: datetime = Field(description="a corner of the expected line: the start, a milestone's due time, the deadline")
    progress: float = Field(description="the expected progress then (0 at the start, 1 at the deadline)")
    value: float | None = Field(description="the value that progress stands for; null without a target")


class Series(BaseModel):
    goal_id: str = Field(description="the goal's id")
    unit: str | None = Field(description="the unit of its values, for display")
    baseline: float | None = Field(description="the value progress counts from")
    target: float | None = Field(description="the value to reach")
    start_at: datetime | None = Field(description="when the goal's span begins")
    deadline: datetime | None = Field(description="when the target is due")
    points: list[SeriesPoint] = Field(
        description="its values over time, oldest first: one per value the goal counts under its definition as known,"
        " in observed order, and one per GoalSet and GoalRevised, each with the value, progress and status as of its"
        " time (the point at a time is what `GET /v1/goals/{id}/progress?as_of=<time>&as_of_mode=observed` answers;"
        " of several values observed at one time, the last). With `as_of`: from the events recorded by then"
        " (`as_of_mode=observed`: the values observed by then). A rollup parent has no values of its own: its points"
        " are its rollup after each change, as recorded"
    )
    expected: list[ExpectedPoint] = Field(
        description="the expected line, a polyline joined by straight lines; empty without a start and a deadline"
    )
    milestones: list[Milestone] = Field(description="its backward plan, oldest first")


class EventItem(BaseModel):
    cursor: str = Field(description="this event's place in the organisation's stream (`<generation>:<seq>`)")
    event_id: str = Field(description="the event's id")
    type: str = Field(description="the event type, e.g. MeasurementRecorded")
    goal_id: str | None = Field(description="the goal it concerns; null for a ladder event that names none")
    occurred_at: datetime = Field(description="when it happened (recorded time)")
    trace_id: str | None = Field(description="the W3C trace id its record carried; null when it carried none")


class Events(BaseModel):
    items: list[EventItem] = Field(
        description="without `after`: the latest events, newest first; with `after`: the events after it, oldest first"
    )
    next_after: str | None = Field(
        description="pass as `after` to get the events that arrive after this answer (the newest cursor seen);"
        " null while the organisation has no event"
    )


class SearchHit(GoalProgress):
    path: list[str] = Field(description="the ids of its ancestors, root first")


class SearchPage(BaseModel):
    items: list[SearchHit] = Field(description="the matching goals of this page, by id")
    next_after: str | None = Field(description="pass as `after` for the next page; null on the last page")


def ladder_progress(ladder: LadderNode, rungs: list[GoalNode], value: float, at: datetime) -> LadderProgress:
    """A ladder's answer from its rung goals (those the read model has applied)."""
    by_id = {r.goal_id: r for r in rungs}
    states = []
    for index, goal_id, title in ladder.rungs:
        n, unlocked_at = by_id.get(goal_id), ladder.unlocked_at(index)
        if n is None:  # a rung whose GoalSet this read model has not applied
            states.append(
                Rung(index=index, goal_id=goal_id, title=title, state="missing", progress=None, unlocked_at=unlocked_at)
            )
            continue
        state = rung_state(achieved=n.achieved, missed=n.missed, archived=n.archived, locked=n.locked)
        progress = rung_shown_progress(state, n.own_progress)
        states.append(
            Rung(index=index, goal_id=goal_id, title=title, state=state, progress=progress, unlocked_at=unlocked_at)
        )
    top_done = bool(states) and states[-1].state == "achieved"
    return LadderProgress(
        ladder_id=ladder.ladder_id,
        title=ladder.title,
        current_rung=None if top_done else ladder.current_rung,
        progress=value,
        rungs=states,
        version=ladder.version,
        as_of=at,
    )
