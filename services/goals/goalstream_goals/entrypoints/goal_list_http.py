"""`GET /v1/goals`: the caller's goals, filtered and paged; translates the query into `goal_listing`, nothing more.

The cursor (`after`, from the previous page's `next_after`) is opaque to clients: a version, a tag of the
organisation that was given it, and the position of the last goal shown. The tag lets a cursor used with another
organisation's key be refused as such (a 422 naming `after`) instead of quietly paging someone else's positions.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from goalstream_contracts.common import GoalStatus, Level
from goalstream_contracts.inputs import Text
from goalstream_goals.entrypoints.views import GoalView
from goalstream_goals.service_layer.goal_listing import Filters, list_goals
from goalstream_goals.service_layer.goals import GoalsService
from goalstream_runtime.auth import Reader
from goalstream_runtime.http import ApiError

router = APIRouter(prefix="/v1", tags=["goals"])
MAX_LIMIT = 500
ROOTS = "none"  # `parent=none`: the goals without a parent (goal ids are UUIDs, so no goal is called that)
_MAX_POSITION = 2**63 - 1


class GoalPage(BaseModel):
    items: list[GoalView] = Field(description="the goals, oldest first (the order they were set), as GET shows each")
    next_after: str | None = Field(description="pass as `after` for the next page; null on the last page")


def _tag(org_id: str) -> str:
    return hashlib.sha256(org_id.encode()).hexdigest()[:16]


def cursor(org_id: str, position: int) -> str:
    return base64.urlsafe_b64encode(f"1.{_tag(org_id)}.{position}".encode()).decode().rstrip("=")


def position_of(after: str, org_id: str) -> int:
    """The position a cursor stands for; 422 naming `after` for anything this listing did not give this caller."""
    if not after:
        return 0
    try:
        version, tag, position = base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)).decode().split(".")
        number = int(position) if position.isascii() and position.isdigit() else -1
    except (binascii.Error, UnicodeDecodeError, ValueError):  # not base64, not text, not three parts
        version, tag, number = "", "", -1
    if version != "1" or not 0 <= number <= _MAX_POSITION or len(tag) != 16:
        message = "after: not a cursor of this listing; pass `next_after` back as it was given"
        raise ApiError(422, "invalid_request", message, "after")
    if tag != _tag(org_id):
        raise ApiError(422, "invalid_request", "after: this cursor was given to another organisation", "after")
    return number


@router.get("/goals", response_model=GoalPage)
async def list_organisation_goals(
    request: Request,
    caller: Reader,
    level: Annotated[Level | None, Query(description="only goals at this level")] = None,
    owner: Annotated[Text | None, Query(min_length=1, max_length=200, description="only this owner's goals")] = None,
    status: Annotated[
        GoalStatus | None, Query(description="only goals with this status (an anti-goal has none)")
    ] = None,
    parent: Annotated[
        Text | None,
        Query(min_length=1, max_length=200, description="a goal id: its direct children; `none`: the top-level goals"),
    ] = None,
    metric: Annotated[Text | None, Query(min_length=1, max_length=200, description="only goals measured by it")] = None,
    archived: Annotated[
        Literal["false", "true", "any"],
        Query(description="`false` (default): live goals only; `true`: archived goals only; `any`: both"),
    ] = "false",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"goals per page, 1 to {MAX_LIMIT}")] = 100,
    after: Annotated[Text, Query(max_length=200, description="the `next_after` of the previous page")] = "",
) -> GoalPage:
    """The organisation's goals in the order they were set, each as `GET /v1/goals/{goal_id}` shows it.

    Pages never skip or repeat a goal: a goal keeps its place, and one set while you page comes after the rest.
    An unknown `parent` (or another organisation's) lists nothing.
    """
    service: GoalsService = request.app.state.goals
    filters = Filters(
        level=level,
        owner=owner,
        status=status,
        parent_id=None if parent == ROOTS else parent,
        roots=parent == ROOTS,
        metric_key=metric,
        archived=None if archived == "any" else archived == "true",
    )
    page = await list_goals(service, caller.org_id, filters, position_of(after, caller.org_id), limit)
    next_after = None if page.last is None else cursor(caller.org_id, page.last)
    return GoalPage(items=[GoalView.of(r) for r in page.records], next_after=next_after)
