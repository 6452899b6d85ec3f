"""Tree answers from the stored views on real PostgreSQL (issue 17, item 4): the whole tree is the JSON the
response models give for the same nodes, and a deep tree pages, parents before children, with a cursor."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from goalstream_runtime.http import ApiError
from goalstream_tracking.entrypoints.http import _tree_cursor
from goalstream_tracking.entrypoints.views import GoalProgress, Tree
from goalstream_tracking.service_layer import answers, queries
from goalstream_tracking.service_layer.queries import NotFound
from goalstream_tracking.service_layer.read_models import as_of
from tests.integration.tracking.harness import Feed
from tests.integration.tracking.org_tree import events, generate

T0 = datetime.now(UTC) - timedelta(days=1)


def flatten(tree: dict[str, Any], depth: int = 0) -> list[tuple[tuple[int, str], dict[str, Any]]]:
    found = [((depth, tree["goal"]["goal_id"]), tree["goal"])]
    for child in tree["children"]:
        found += flatten(child, depth + 1)
    return found


async def org(feed: Feed) -> str:
    specs, antis = generate(f"p{uuid.uuid4().hex[:8]}", random.Random(5), (1, 3, 7, 15, 31), anti_goals=5)
    await feed.apply(events(specs, antis, T0), per_transaction=50)
    return specs[0].goal_id


async def test_the_whole_tree_from_stored_views_is_the_tree_the_response_models_give(feed: Feed) -> None:
    root, at = await org(feed), datetime.now(UTC)
    stored = json.loads(await answers.tree(feed.conn, feed.schema, feed.org_id, root, 10, at))
    folded = await as_of(feed.conn, feed.schema, feed.org_id, at)  # the same nodes, through pydantic
    assert stored == Tree.of(await queries.tree(folded, root, 10), at).model_dump(mode="json")
    assert len(flatten(stored)) == 1 + 3 + 7 + 15 + 31


@pytest.mark.parametrize("max_depth", [10, 2])
async def test_a_tree_pages_parents_first_to_the_same_goals_live_and_as_of(feed: Feed, max_depth: int) -> None:
    root, at = await org(feed), datetime.now(UTC)
    whole = dict(flatten(json.loads(await answers.tree(feed.conn, feed.schema, feed.org_id, root, max_depth, at))))
    folded = await as_of(feed.conn, feed.schema, feed.org_id, at)
    seen: list[dict[str, Any]] = []
    cursor: tuple[int, str] | None = None
    while True:
        page = json.loads(await answers.tree_page(feed.conn, feed.schema, feed.org_id, root, max_depth, cursor, 7, at))
        nodes, last = await queries.tree_page(folded, root, max_depth, cursor, 7)
        assert [GoalProgress.of(n, at).model_dump(mode="json") for n in nodes] == page["items"]
        assert page["next_after"] == (None if last is None else answers.tree_cursor(*last))
        seen += page["items"]
        if page["next_after"] is None:
            assert len(page["items"]) <= 7
            break
        assert len(page["items"]) == 7
        cursor = _tree_cursor(page["next_after"])
    assert [g["goal_id"] for g in seen] == [goal_id for _, goal_id in sorted(whole)]
    assert seen == [whole[key] for key in sorted(whole)]
    shown = set()
    for g in seen:  # parents before children
        assert g["goal_id"] == root or g["parent_id"] in shown
        shown.add(g["goal_id"])
    past_the_end = await answers.tree_page(feed.conn, feed.schema, feed.org_id, root, max_depth, (99, ""), 7, at)
    assert json.loads(past_the_end) == {"items": [], "next_after": None}


async def test_a_page_of_an_unknown_root_is_not_found_and_a_cursor_not_of_a_tree_names_after(feed: Feed) -> None:
    await org(feed)
    for cursor in (None, (1, "x")):
        with pytest.raises(NotFound):
            await answers.tree_page(feed.conn, feed.schema, feed.org_id, "no-such-goal", 10, cursor, 5, T0)
    assert _tree_cursor("") is None and _tree_cursor("3:a:b") == (3, "a:b")
    for bad in ("g-1", ":g", "x:g", "3:", "123:g"):
        with pytest.raises(ApiError) as refused:
            _tree_cursor(bad)
        assert refused.value.status == 422 and refused.value.field == "after"
