"""`GET /v1/goals` on the real services (issue 18, item 6): filters, paging while goals are added, isolation, 422s.

Each test makes organisations of its own in the goals database (goals alone answers this listing), so the goals
listed are exactly the ones the test set.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from goalstream_goals.adapters.organisations import create_organisation
from goalstream_runtime.auth import new_api_key
from goalstream_runtime.db import connect
from tests.e2e.conftest import Platform

pytestmark = pytest.mark.e2e

NOW = datetime.now(UTC)
WHEN = {"start_at": (NOW - timedelta(days=1)).isoformat(), "deadline": (NOW + timedelta(days=30)).isoformat()}
Body = dict[str, Any]


class Org:
    """One new organisation's goals API."""

    def __init__(self, platform: Platform) -> None:
        self.org_id, key = f"list-{uuid.uuid4().hex[:8]}", new_api_key()
        asyncio.run(_create(platform.database_url, self.org_id, key))
        self.http = httpx.Client(base_url=platform.goals.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)

    def goal(self, **fields: Any) -> str:
        body = {"title": f"goal {uuid.uuid4().hex[:6]}", "target": 10, **WHEN, **fields}
        response = self.http.post("/v1/goals", json=body)
        assert response.status_code == 201, response.text
        goal_id: str = response.json()["id"]
        return goal_id

    def page(self, **params: Any) -> Body:
        response = self.http.get("/v1/goals", params=params)
        assert response.status_code == 200, response.text
        page: Body = response.json()
        return page

    def ids(self, **params: Any) -> list[str]:
        """Every goal the listing shows with these filters, page after page."""
        found: list[str] = []
        after = ""
        while True:
            page = self.page(**params, after=after, limit=500)
            found += [item["id"] for item in page["items"]]
            if page["next_after"] is None:
                return found
            after = page["next_after"]


async def _create(database_url: str, org_id: str, key: str) -> None:
    conn = await connect(database_url, "goals")
    try:
        async with conn.transaction():
            await create_organisation(conn, org_id, org_id, key, ("read", "write", "admin"), datetime.now(UTC))
    finally:
        await conn.close()


@pytest.fixture
def org(platform: Platform) -> Iterator[Org]:
    made = Org(platform)
    yield made
    made.http.close()


def test_each_filter_lists_exactly_the_goals_it_names(org: Org) -> None:
    parent = org.goal(level="organisation", owner="alice", rollup="weighted_mean")
    team_a = org.goal(level="team", owner="bob", parent_id=parent, metric={"key": "m.one"})
    team_b = org.goal(level="team", owner="alice", parent_id=parent, metric={"key": "m.two"})
    anti_body = {"kind": "anti", "title": "anti", "owner": "carol", "metric": {"key": "m.one"}, "comparator": "above",
                 "threshold": 5}  # fmt: skip
    anti = org.http.post("/v1/goals", json=anti_body).json()["id"]
    done = org.goal(level="individual", metric={"key": "m.three"}, target=1)
    gone = org.goal(owner="alice")
    assert org.http.delete(f"/v1/goals/{gone}").status_code == 200
    measured = org.http.post("/v1/measurements", json={"measurements": [{"metric": "m.three", "value": 1,
                             "observed_at": NOW.isoformat()}]})  # fmt: skip
    assert measured.status_code == 202, measured.text

    assert org.ids() == [parent, team_a, team_b, anti, done]  # the order they were set; archived left out
    assert org.ids(level="team") == [team_a, team_b]
    assert org.ids(owner="alice") == [parent, team_b]
    assert org.ids(owner="alice", archived="true") == [gone]
    assert org.ids(owner="alice", archived="any") == [parent, team_b, gone]
    assert org.ids(parent=parent) == [team_a, team_b]
    assert org.ids(parent="none") == [parent, anti, done]
    assert org.ids(parent="none", archived="any") == [parent, anti, done, gone]
    assert org.ids(parent=str(uuid.uuid4())) == []
    assert org.ids(metric="m.one") == [team_a, anti]
    assert org.ids(status="achieved") == [done]
    assert org.ids(status="on_track") == [parent, team_a, team_b]  # an anti-goal has no status
    assert org.ids(level="team", owner="alice", metric="m.two", parent=parent) == [team_b]

    # An item is the goal as GET /v1/goals/{goal_id} shows it.
    for item in org.page(archived="any")["items"]:
        assert item == org.http.get(f"/v1/goals/{item['id']}").json()

    # A revision moves the goal between filters; it keeps its place in the order.
    version = org.http.get(f"/v1/goals/{team_b}").json()["version"]
    revised = org.http.patch(f"/v1/goals/{team_b}", json={"owner": "dave", "level": "department", "parent_id": None},
                             headers={"If-Match": str(version)})  # fmt: skip
    assert revised.status_code == 200, revised.text
    assert org.ids(owner="alice") == [parent]
    assert org.ids(owner="dave", level="department", parent="none") == [team_b]
    assert org.ids(parent="none") == [parent, team_b, anti, done]


def test_pages_never_skip_or_repeat_a_goal_while_goals_are_added(org: Org) -> None:
    batch = org.http.post("/v1/goals/batch", json={"goals": [{"title": f"g{i}", "target": 1, "rollup": "sum",
                          **WHEN} for i in range(23)]})  # fmt: skip
    assert batch.status_code == 201, batch.text
    before = [g["goal_id"] for g in batch.json()["goals"]]
    seen: list[str] = []
    added: list[str] = []
    after = ""
    while True:
        page = org.page(limit=5, after=after)
        assert len(page["items"]) <= 5
        seen += [item["id"] for item in page["items"]]
        added += [org.goal(), org.goal()]  # set between two pages: they come after every goal already there
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert len(seen) == len(set(seen)), "a goal was listed twice"
    assert seen[: len(before)] == before, "a goal set before the listing began was skipped or moved"
    # Every goal added while paging comes after the others, in the order it was set, but those set after the last
    # page was read.
    assert seen[len(before) :] == added[: len(seen) - len(before)]
    assert len(seen) - len(before) == len(added) - 2


def test_another_organisations_goals_never_show(org: Org, platform: Platform) -> None:
    other = Org(platform)
    theirs = other.goal(owner="alice", level="team", metric={"key": "m.shared"})
    their_child = other.goal(owner="alice", parent_id=other.goal(rollup="weighted_mean"))
    mine = org.goal(owner="alice", level="team", metric={"key": "m.shared"})
    assert org.ids() == [mine]
    assert org.ids(owner="alice", level="team", metric="m.shared", archived="any") == [mine]
    assert org.ids(parent=other.ids(parent="none")[-1]) == []  # their parent: as an id nobody has
    assert theirs not in org.ids(archived="any") and their_child not in org.ids(archived="any")
    # Their cursor is refused with our key, naming the field.
    other.goal()
    their_cursor = other.page(limit=1)["next_after"]
    assert their_cursor is not None
    refused = org.http.get("/v1/goals", params={"after": their_cursor})
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["after"]
    assert "another organisation" in refused.json()["message"]
    other.http.close()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "sleeping"}, "status"),
        ({"level": "galaxy"}, "level"),
        ({"archived": "maybe"}, "archived"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"parent": ""}, "parent"),
        ({"owner": ""}, "owner"),
        ({"metric": "x" * 201}, "metric"),
        ({"owner": "a\u0000b"}, "owner"),
        ({"after": "not a cursor"}, "after"),
        ({"after": base64.urlsafe_b64encode(b"1.0123456789abcdef.-4").decode()}, "after"),
        ({"after": base64.urlsafe_b64encode(b"1.0123456789abcdef.99999999999999999999").decode()}, "after"),
        ({"after": base64.urlsafe_b64encode(b"\xff\xfe").decode()}, "after"),
    ],
)
def test_a_bad_filter_or_cursor_is_a_422_naming_the_field(org: Org, params: Body, field: str) -> None:
    response = org.http.get("/v1/goals", params=params)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]], response.text
