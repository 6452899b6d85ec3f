"""The routes the dashboard reads (issue 20), documented for any client: ladders, a goal's series, the event stream
and search. `as_of` goes through `Tracking.read_model`, as every other read's."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response

from goalstream_rules.expected import expected_line
from goalstream_runtime.auth import Reader
from goalstream_runtime.db import Connection
from goalstream_runtime.http import ApiError
from goalstream_tracking.adapters import generations
from goalstream_tracking.domain.node import GoalNode
from goalstream_tracking.domain.series import points as value_points
from goalstream_tracking.entrypoints.http import After, AsOf, AsOfModeQuery, Limit, Service, _not_found, mode_of
from goalstream_tracking.entrypoints.views import GoalProgress, Milestone
from goalstream_tracking.entrypoints.views_dashboard import (
    EventItem,
    Events,
    ExpectedPoint,
    Ladders,
    SearchHit,
    SearchPage,
    Series,
    SeriesPoint,
    ladder_progress,
)
from goalstream_tracking.service_layer import dashboard, queries
from goalstream_tracking.service_layer.queries import Tracking
from goalstream_tracking.service_layer.read_models import AsOfMode, LiveReadModel, MemoryReadModel, ReadModel

router = APIRouter(prefix="/v1", tags=["tracking"])


@contextlib.asynccontextmanager
async def _conn(service: Tracking, rm: ReadModel) -> AsyncIterator[tuple[Connection, str]]:
    """The read model's own connection and generation (its snapshot), else (a test's) one of the pool's."""
    if isinstance(rm, LiveReadModel):
        yield rm.conn, rm.schema
        return
    if isinstance(rm, MemoryReadModel) and rm.source is not None:
        yield rm.source
        return
    async with service.pool.acquire() as conn:
        yield conn, await generations.live_name(conn) or ""


@router.get("/ladders", response_model=Ladders)
async def ladders(
    caller: Reader,
    service: Service,
    as_of: AsOf = None,
    as_of_mode: AsOfModeQuery = None,
    after: After = "",
    limit: Limit = 100,
) -> Ladders:
    async with service.read_model(caller.org_id, as_of, mode_of(as_of, as_of_mode)) as (rm, at):
        page = await queries.ladders(rm, await rm.ladders_page(after, limit))
        items = [ladder_progress(found, rungs, value, at) for found, rungs, value in page]
    return Ladders(items=items, next_after=items[-1].ladder_id if len(items) == limit else None)


@router.get("/goals/{goal_id}/series", response_model=Series)
async def series(
    goal_id: str, caller: Reader, service: Service, as_of: AsOf = None, as_of_mode: AsOfModeQuery = None
) -> Series:
    """A goal's values over time, by observed time, with its expected line and milestones. Each point of a goal
    with a metric is its value, progress and status as of the point's time, its values counted in observed order
    (a value imported late counts where it was observed): what `GET /v1/goals/{goal_id}/progress` answers with
    `as_of` at that time and `as_of_mode=observed`. A rollup parent (no metric) has no values of its own: its
    points are its rollup after each change, as tracking recorded it."""
    mode = mode_of(as_of, as_of_mode)
    with _not_found():
        async with service.read_model(caller.org_id, as_of, mode) as (rm, at):
            n = await queries.goal(rm, goal_id)
            async with _conn(service, rm) as (conn, schema):
                points = await _points(conn, schema, caller.org_id, n, as_of, mode)
    shown = GoalProgress.of(n, at)
    expected = []
    if n.kind == "hard" and shown.start_at is not None and shown.deadline is not None:
        plan = [(m.due, m.fraction) for m in n.milestones]
        line = expected_line(shown.start_at, shown.deadline, plan, shown.baseline or 0.0, shown.target)
        expected = [ExpectedPoint(at=t, progress=f, value=v) for t, f, v in line]
    return Series(
        goal_id=goal_id,
        unit=shown.unit,
        baseline=shown.baseline,
        target=shown.target,
        start_at=shown.start_at,
        deadline=shown.deadline,
        points=points,
        expected=expected,
        milestones=[Milestone.model_validate(m.model_dump()) for m in shown.milestones],
    )


async def _points(
    conn: Connection, schema: str, org_id: str, n: GoalNode, as_of: datetime | None, mode: AsOfMode
) -> list[SeriesPoint]:
    """A goal with a metric: its values folded by observed time (`domain.series`) from the events recorded by
    `as_of` (recorded mode), or from all of them up to the values observed by `as_of` (observed mode). A rollup
    parent: its history points."""
    observed = mode == "observed"
    if n.definition.get("metric") is None:
        rows = await dashboard.points(conn, schema, org_id, n.goal_id, as_of, observed=observed)
        return [SeriesPoint(**dict(r)) for r in rows]
    logged = await dashboard.goal_events(conn, schema, org_id, n.goal_id, None if observed else as_of)
    found = value_points(logged, org_id, n.goal_id, as_of if observed else None)
    return [SeriesPoint(**asdict(p)) for p in found]


@router.get("/events", response_model=Events, responses={304: {"description": "nothing new since `If-None-Match`"}})
async def events(
    caller: Reader,
    service: Service,
    response: Response,
    after: Annotated[
        str,
        Query(
            max_length=40,
            description="a previous answer's cursor (`<generation>:<seq>`): the events after it, oldest first. A"
            " cursor of an older generation (a rebuild renumbers the log) answers the latest page instead",
        ),
    ] = "",
    type: Annotated[str | None, Query(min_length=1, max_length=100, description="only events of this type")] = None,
    goal_id: Annotated[str | None, Query(min_length=1, max_length=200, description="only this goal's events")] = None,
    limit: Limit = 100,
    if_none_match: Annotated[
        str | None,
        Header(
            max_length=200,
            description="the `ETag` of an earlier answer (weakly compared: `W/` ignored, `*` matches any): 304 with no"
            " body while nothing is new",
        ),
    ] = None,
) -> Response:
    cursor = dashboard.parse_cursor(after) if after else None
    if after and cursor is None:
        raise ApiError(
            422, "invalid_request", "after: not a cursor of the event stream (`<generation>:<seq>`)", "after"
        )
    async with service.read_model(caller.org_id) as (rm, _), _conn(service, rm) as (conn, schema):
        generation = dashboard.generation_number(schema)
        latest = await dashboard.latest_seq(conn, schema, caller.org_id)
        etag = f'"{dashboard.Cursor(generation, latest or 0)}"'
        if if_none_match is not None and _matches(if_none_match, etag):
            return Response(status_code=304, headers={"ETag": etag})
        since = cursor.seq if cursor is not None and cursor.generation == generation else None
        rows = await dashboard.events(conn, schema, caller.org_id, since, type, goal_id, limit)
    items = [
        EventItem(
            cursor=str(dashboard.Cursor(generation, r["seq"])),
            event_id=r["event_id"],
            type=r["event_type"],
            goal_id=r["goal_id"],
            occurred_at=r["occurred_at"],
            trace_id=r["trace_id"],
        )
        for r in rows
    ]
    newest = max((r["seq"] for r in rows), default=None)
    if newest is None:
        newest = since if since is not None else latest
    next_after = None if newest is None else str(dashboard.Cursor(generation, newest))
    body = Events(items=items, next_after=next_after)
    return Response(body.model_dump_json(), media_type="application/json", headers={"ETag": etag})


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110's weak comparison, as If-None-Match asks: `W/` ignored (a compressing proxy weakens the ETag),
    `*` matches any."""
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


@router.get("/search", response_model=SearchPage)
async def search(
    caller: Reader,
    service: Service,
    q: Annotated[str, Query(max_length=200, description="text the title contains, case-insensitively")] = "",
    level: Literal["organisation", "department", "team", "individual"] | None = None,
    owner: Annotated[str | None, Query(min_length=1, max_length=200, description="only goals of this owner")] = None,
    status: Literal["on_track", "at_risk", "off_track", "achieved", "missed"] | None = None,
    as_of: AsOf = None,
    as_of_mode: AsOfModeQuery = None,
    after: After = "",
    limit: Limit = 100,
) -> SearchPage:
    text = q.lower()
    async with service.read_model(caller.org_id, as_of, mode_of(as_of, as_of_mode)) as (rm, at):
        found = await rm.page(
            "in_tree AND strpos(lower(doc->>'title'), $2) > 0 AND ($3::text IS NULL OR level = $3)"
            " AND ($4::text IS NULL OR doc->'definition'->>'owner' = $4) AND ($5::text IS NULL OR status = $5)",
            lambda n: (
                n.in_tree
                and text in n.title.lower()
                and level in (None, n.level)
                and owner in (None, n.definition.get("owner"))
                and status in (None, n.status)
            ),
            (text, level, owner, status),
            after,
            limit,
        )
        if isinstance(rm, MemoryReadModel):
            parents = {g: n.parent_id for g, n in rm.nodes.items()}
            paths = {n.goal_id: dashboard.memory_ancestors(parents, n.goal_id) for n in found}
        else:
            async with _conn(service, rm) as (conn, schema):
                paths = await dashboard.ancestors(conn, schema, caller.org_id, [n.goal_id for n in found])
    items = [SearchHit(**GoalProgress.of(n, at).model_dump(), path=paths[n.goal_id]) for n in found]
    return SearchPage(items=items, next_after=items[-1].goal_id if len(items) == limit else None)
