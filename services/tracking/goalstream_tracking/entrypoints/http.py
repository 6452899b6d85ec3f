"""The tracking HTTP API: read models scoped to the caller's organisation; `as_of` answers from the event log."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from goalstream_rules.ladder import rung_shown_progress, rung_state
from goalstream_rules.rollup import level_mean
from goalstream_runtime.auth import Reader
from goalstream_runtime.http import ApiError, IsoTime
from goalstream_tracking.entrypoints.views import (
    AntiGoal,
    AntiGoals,
    GoalProgress,
    History,
    HistoryPoint,
    LadderProgress,
    LevelSummary,
    Page,
    Rollups,
    Rung,
    Tree,
)
from goalstream_tracking.service_layer import queries
from goalstream_tracking.service_layer.queries import MAX_PAGE, NotFound, Tracking


def _tracking(request: Request) -> Tracking:
    tracking: Tracking = request.app.state.tracking
    return tracking


Service = Annotated[Tracking, Depends(_tracking)]
AsOf = Annotated[IsoTime | None, Query(description="answer as things stood then (ISO-8601 with zone)")]
After = Annotated[str, Query(max_length=200, description="the `next_after` of the previous page")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
JSON = "application/json"
router = APIRouter(prefix="/v1", tags=["tracking"])


@contextlib.contextmanager
def _not_found(kind: str = "goal") -> Iterator[None]:
    try:
        yield
    except NotFound as exc:
        raise ApiError(404, "not_found", f"{kind} {exc} not found") from exc


def _next(items: list[GoalProgress] | list[AntiGoal], limit: int) -> str | None:
    return items[-1].goal_id if len(items) == limit else None


@router.get("/goals/{goal_id}/progress", response_model=GoalProgress)
async def goal_progress(goal_id: str, caller: Reader, service: Service, as_of: AsOf = None) -> GoalProgress:
    with _not_found():
        async with service.read_model(caller.org_id, as_of) as (rm, at):
            return GoalProgress.of(await queries.goal(rm, goal_id), at)


@router.get("/tree", response_model=Tree | Page)
async def tree(
    caller: Reader,
    service: Service,
    root: Annotated[str | None, Query(max_length=200, description="the subtree's root; none: list the roots")] = None,
    max_depth: Annotated[int, Query(ge=0, le=50)] = 10,
    as_of: AsOf = None,
    after: After = "",
    limit: Limit = 100,
) -> Page | Response:
    with _not_found():
        async with service.read_model(caller.org_id, as_of) as (rm, at):
            if root is None:
                items = [GoalProgress.of(n, at) for n in await queries.roots(rm, after, limit)]
                return Page(items=items, next_after=_next(items, limit))
            # Serialised here: FastAPI would validate the whole tree again against `Tree | Page` first.
            return Response(Tree.of(await queries.tree(rm, root, max_depth), at).model_dump_json(), media_type=JSON)


@router.get("/rollups", response_model=Rollups)
async def rollups(
    caller: Reader,
    service: Service,
    level: Literal["organisation", "department", "team", "individual"],
    as_of: AsOf = None,
    after: After = "",
    limit: Limit = 100,
) -> Rollups:
    async with service.read_model(caller.org_id, as_of) as (rm, at):
        every = await queries.at_level(rm, level, "", 1_000_000)
        page = [GoalProgress.of(n, at) for n in every if n.goal_id > after][:limit]
    counts: dict[str, int] = {}
    for n in every:
        if n.status is not None:
            counts[n.status] = counts.get(n.status, 0) + 1
    summary = LevelSummary(
        level=level, goals=len(every), mean_progress=level_mean(n.progress for n in every), counts=counts
    )
    return Rollups(items=page, next_after=_next(page, limit), summary=summary)


@router.get("/anti-goals", response_model=AntiGoals)
async def anti_goals(
    caller: Reader,
    service: Service,
    state: Literal["breached", "ok"] | None = None,
    as_of: AsOf = None,
    after: After = "",
    limit: Limit = 100,
) -> AntiGoals:
    async with service.read_model(caller.org_id, as_of) as (rm, at):
        found = await queries.anti_goals(rm, state, after, limit)
    items = [
        AntiGoal(
            **GoalProgress.of(n, at).model_dump(),
            episodes=[e.__dict__ for e in n.episodes],
            threshold=n.definition.get("threshold"),
            comparator=n.definition.get("comparator"),
            severity=n.definition.get("severity"),
            guards=n.guards,
        )
        for n in found
    ]
    return AntiGoals(items=items, next_after=_next(items, limit))


@router.get("/goals/{goal_id}/history", response_model=History)
async def history(
    goal_id: str,
    caller: Reader,
    service: Service,
    after_version: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,  # versions are PostgreSQL integers
    limit: Limit = 500,
) -> History:
    with _not_found():
        rows = await service.history(caller.org_id, goal_id, after_version, limit)
    points = [HistoryPoint(**r) for r in rows]
    return History(
        goal_id=goal_id, points=points, next_after_version=points[-1].version if len(points) == limit else None
    )


@router.get("/ladders/{ladder_id}/progress", response_model=LadderProgress)
async def ladder_progress(ladder_id: str, caller: Reader, service: Service, as_of: AsOf = None) -> LadderProgress:
    with _not_found("ladder"):
        async with service.read_model(caller.org_id, as_of) as (rm, at):
            ladder, rungs, value = await queries.ladder(rm, ladder_id)
    by_id = {r.goal_id: r for r in rungs}
    states = []
    for index, goal_id, title in ladder.rungs:
        n = by_id.get(goal_id)
        if n is None:  # a rung whose GoalSet this read model has not applied
            states.append(Rung(index=index, goal_id=goal_id, title=title, state="missing", progress=None))
            continue
        state = rung_state(achieved=n.achieved, missed=n.missed, archived=n.archived, locked=n.locked)
        progress = rung_shown_progress(state, n.own_progress)
        states.append(Rung(index=index, goal_id=goal_id, title=title, state=state, progress=progress))
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
