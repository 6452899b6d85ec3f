"""The tracking HTTP API: read models scoped to the caller's organisation; `as_of` answers from the event log."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from goalstream_rules.anti import recovery_at
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
    Tree,
)
from goalstream_tracking.entrypoints.views_dashboard import ladder_progress as ladder_answer
from goalstream_tracking.service_layer import answers, queries
from goalstream_tracking.service_layer.queries import MAX_PAGE, NotFound, Tracking
from goalstream_tracking.service_layer.read_models import AsOfMode, LiveReadModel


def _tracking(request: Request) -> Tracking:
    tracking: Tracking = request.app.state.tracking
    return tracking


Service = Annotated[Tracking, Depends(_tracking)]
AsOf = Annotated[IsoTime | None, Query(description="answer as things stood then (ISO-8601 with zone)")]
AsOfModeQuery = Annotated[
    Literal["recorded", "observed"] | None,
    Query(
        description='with `as_of` only; what "then" means. `recorded` (the default): as tracking knew it then, from'
        " the events recorded by `as_of` (a goal created later is not found). `observed`: as things stood then by the"
        " measurements' own (observed) time: every goal and ladder known now, with its definition as last set or"
        " revised; only the measurements observed by `as_of`, folded in observed order; progress, status, achieved,"
        " missed, milestones (hit, late, missed), breach episodes, rollups and rung unlocks worked out as of `as_of`"
        " by the rules goals decides with; an archive counts from when it was recorded. Band statuses use the"
        " default tolerances (0.10, 0.25)",
    ),
]
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


def mode_of(as_of: object, as_of_mode: AsOfMode | None) -> AsOfMode:
    """`as_of_mode` says which time `as_of` is in: without `as_of` it has nothing to say, and says so."""
    if as_of_mode is not None and as_of is None:
        raise ApiError(
            422, "invalid_request", "as_of_mode: only with as_of (the time it says how to read)", "as_of_mode"
        )
    return as_of_mode or "recorded"


def _json(text: str) -> Response:
    # Built from the stored views (`answers`), or serialised here: FastAPI would validate the answer again.
    return Response(text, media_type=JSON)


@router.get("/goals/{goal_id}/progress", response_model=GoalProgress)
async def goal_progress(
    goal_id: str, caller: Reader, service: Service, as_of: AsOf = None, as_of_mode: AsOfModeQuery = None
) -> Response:
    with _not_found():
        async with service.read_model(caller.org_id, as_of, mode_of(as_of, as_of_mode)) as (rm, at):
            if isinstance(rm, LiveReadModel):
                return _json(await answers.goal(rm.conn, rm.schema, rm.org_id, goal_id, at))
            return _json(GoalProgress.of(await queries.goal(rm, goal_id), at).model_dump_json())


TREE_CURSOR = re.compile(r"(\d{1,2}):(.+)", re.DOTALL)


def _tree_cursor(after: str) -> tuple[int, str] | None:
    if not after:
        return None
    if (m := TREE_CURSOR.fullmatch(after)) is None:
        raise ApiError(422, "invalid_request", "after: not a cursor of this tree (`<depth>:<goal id>`)", "after")
    return int(m[1]), m[2]


@router.get("/tree", response_model=Tree | Page)
async def tree(
    caller: Reader,
    service: Service,
    root: Annotated[str | None, Query(max_length=200, description="the subtree's root; none: list the roots")] = None,
    max_depth: Annotated[int, Query(ge=0, le=50)] = 10,
    as_of: AsOf = None,
    as_of_mode: AsOfModeQuery = None,
    after: Annotated[str, Query(max_length=300, description="the `next_after` of the previous page")] = "",
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_PAGE,
            description="without `root`: roots per page (100 if not given). With `root`: answer a page of this many"
            " goals of the subtree, flat (a `Page`), parents before children (by depth, then goal id); without"
            " it the whole subtree, nested (a `Tree`)",
        ),
    ] = None,
) -> Response:
    cursor = _tree_cursor(after) if root is not None and limit is not None else None
    with _not_found():
        async with service.read_model(caller.org_id, as_of, mode_of(as_of, as_of_mode)) as (rm, at):
            live = rm if isinstance(rm, LiveReadModel) else None
            if root is None:
                size = limit or 100
                if live is not None:
                    condition = (
                        f"n.parent_id IS NULL AND n.kind = 'hard' AND n.in_tree AND {queries.NOT_A_RUNG.format(n='n.')}"
                    )
                    return _json(
                        await answers.page(live.conn, live.schema, live.org_id, condition, (), after, size, at)
                    )
                items = [GoalProgress.of(n, at) for n in await queries.roots(rm, after, size)]
                return _json(Page(items=items, next_after=_next(items, size)).model_dump_json())
            if live is not None:
                c, s, o = live.conn, live.schema, live.org_id
                if limit is None:
                    return _json(await answers.tree(c, s, o, root, max_depth, at))
                return _json(await answers.tree_page(c, s, o, root, max_depth, cursor, limit, at))
            if limit is None:
                return _json(Tree.of(await queries.tree(rm, root, max_depth), at).model_dump_json())
            nodes, last = await queries.tree_page(rm, root, max_depth, cursor, limit)
            next_after = None if last is None else answers.tree_cursor(*last)
            return _json(Page(items=[GoalProgress.of(n, at) for n in nodes], next_after=next_after).model_dump_json())


@router.get("/rollups", response_model=Rollups)
async def rollups(
    caller: Reader,
    service: Service,
    level: Literal["organisation", "department", "team", "individual"],
    as_of: AsOf = None,
    as_of_mode: AsOfModeQuery = None,
    after: After = "",
    limit: Limit = 100,
) -> Response:
    async with service.read_model(caller.org_id, as_of, mode_of(as_of, as_of_mode)) as (rm, at):
        if isinstance(rm, LiveReadModel):
            return _json(await answers.rollups(rm.conn, rm.schema, rm.org_id, level, after, limit, at))
        every = await queries.at_level(rm, level, "", 1_000_000)
        page = [GoalProgress.of(n, at) for n in every if n.goal_id > after][:limit]
    counts: dict[str, int] = {}
    for n in every:
        if n.status is not None:
            counts[n.status] = counts.get(n.status, 0) + 1
    summary = LevelSummary(
        level=level, goals=len(every), mean_progress=level_mean(n.progress for n in every), counts=counts
    )
    return _json(Rollups(items=page, next_after=_next(page, limit), summary=summary).model_dump_json())


@router.get("/anti-goals", response_model=AntiGoals)
async def anti_goals(
    caller: Reader,
    service: Service,
    state: Literal["breached", "ok"] | None = None,
    as_of: AsOf = None,
    as_of_mode: AsOfModeQuery = None,
    after: After = "",
    limit: Limit = 100,
) -> AntiGoals:
    async with service.read_model(caller.org_id, as_of, mode_of(as_of, as_of_mode)) as (rm, at):
        found = await queries.anti_goals(rm, state, after, limit)
    items = [
        AntiGoal(
            **GoalProgress.of(n, at).model_dump(),
            episodes=[e.__dict__ for e in n.episodes],
            threshold=n.definition.get("threshold"),
            recovery_threshold=None
            if n.definition.get("threshold") is None
            else recovery_at(float(n.definition["threshold"]), n.definition.get("recovery_threshold")),
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
    before_version: Annotated[
        int | None,
        Query(
            ge=1,
            le=2**31,
            description="the changes before this version, newest first (2147483648: the latest); without it, the"
            " changes after `after_version`, oldest first",
        ),
    ] = None,
    limit: Limit = 500,
) -> History:
    with _not_found():
        rows = await service.history(caller.org_id, goal_id, after_version, limit, before_version)
    points = [HistoryPoint(**r) for r in rows]
    full = len(points) == limit
    if before_version is not None:
        return History(
            goal_id=goal_id,
            points=points,
            next_after_version=None,
            next_before_version=points[-1].version if full else None,
        )
    return History(goal_id=goal_id, points=points, next_after_version=points[-1].version if full else None)


@router.get("/ladders/{ladder_id}/progress", response_model=LadderProgress)
async def ladder_progress(
    ladder_id: str, caller: Reader, service: Service, as_of: AsOf = None, as_of_mode: AsOfModeQuery = None
) -> LadderProgress:
    with _not_found("ladder"):
        async with service.read_model(caller.org_id, as_of, mode_of(as_of, as_of_mode)) as (rm, at):
            ladder, rungs, value = await queries.ladder(rm, ladder_id)
    return ladder_answer(ladder, rungs, value, at)
