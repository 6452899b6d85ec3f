"""`POST /v1/goals/batch` on real PostgreSQL and Kafka: a tree in any order, all or nothing, refusals naming the
item and the field, and an Idempotency-Key sent again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.integration.goals.admin_harness import Goals, bearer, running_goals
from tests.support.infra import Endpoints

DEADLINE = "2030-01-01T00:00:00Z"


@pytest.fixture
async def goals(database_url: str, infra: Endpoints) -> AsyncIterator[Goals]:
    async with running_goals(database_url, infra.kafka_bootstrap) as running:
        yield running


@pytest.fixture
async def org(goals: Goals) -> tuple[str, dict[str, str]]:
    org_id, key = await goals.create_org(["read", "write"])
    return org_id, bearer(key)


def leaf(ref: str, metric: str, parent_ref: str | None = None, **extra: Any) -> dict[str, Any]:
    item = {"ref": ref, "title": ref, "metric": {"key": metric, "aggregation": "sum"}, "target": 100}
    return item | {"deadline": DEADLINE} | ({"parent_ref": parent_ref} if parent_ref else {}) | extra


def parent(ref: str, parent_ref: str | None = None, **extra: Any) -> dict[str, Any]:
    item = {"ref": ref, "title": ref, "rollup": "sum", "target": 100, "deadline": DEADLINE}
    return item | ({"parent_ref": parent_ref} if parent_ref else {}) | extra


async def goal_count(goals: Goals, org_id: str) -> int:
    """The organisation's goal streams and tree rows: a refused batch leaves both at what they were."""
    streams = await goals.pool.fetchval(
        "SELECT count(*) FROM events WHERE org_id = $1 AND event_type = 'GoalSet'", org_id
    )
    rows = await goals.pool.fetchval("SELECT count(*) FROM goal_nodes WHERE org_id = $1", org_id)
    assert streams == rows
    return int(streams)


def refused(response: Any, status: int, field: str, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert [e["field"] for e in body["errors"]][:1] == [field], body
    if code is not None:
        assert body["error"] == code, body
    return body


async def test_a_tree_sent_children_first_is_created_parents_first_and_rolls_up(
    goals: Goals, org: tuple[str, dict[str, str]]
) -> None:
    org_id, auth = org
    kept = {"metric": "crm.won", "value": 7, "observed_at": "2026-01-02T00:00:00Z", "id": "won-1"}
    measured = await goals.http.post("/v1/measurements", json={"measurements": [kept]}, headers=auth)
    assert measured.status_code == 202, measured.text
    items = [  # reverse order: every child comes before its parent
        leaf("b2", "crm.lost", "team-b"),
        leaf("b1", "crm.won", "team-b", start_at="2026-01-01T00:00:00Z"),
        leaf("a1", "crm.won", "team-a", start_at="2026-01-01T00:00:00Z"),
        parent("team-b", "root"),
        parent("team-a", "root"),
        parent("root"),
    ]
    response = await goals.http.post("/v1/goals/batch", json={"goals": items}, headers=auth)
    assert response.status_code == 201, response.text
    created = response.json()["goals"]
    assert [(c["index"], c["ref"]) for c in created] == [(i, item["ref"]) for i, item in enumerate(items)]
    ids = {c["ref"]: c["goal_id"] for c in created}
    parent_of = {c["ref"]: c["parent_id"] for c in created}
    assert parent_of == {
        "b2": ids["team-b"], "b1": ids["team-b"], "a1": ids["team-a"],
        "team-b": ids["root"], "team-a": ids["root"], "root": None,
    }  # fmt: skip
    assert await goal_count(goals, org_id) == 6

    # The kept value folded into both leaves on its metric, and the sums rolled up to the root.
    root = (await goals.http.get(f"/v1/goals/{ids['root']}", headers=auth)).json()
    assert root["current_value"] == 14 and root["version"] == next(c["version"] for c in created if c["ref"] == "root")
    team_b = (await goals.http.get(f"/v1/goals/{ids['team-b']}", headers=auth)).json()
    assert team_b["current_value"] == 7 and team_b["definition"]["parent_id"] == ids["root"]
    # A value arriving afterwards reaches the new tree as it would a tree made goal by goal.
    later = kept | {"id": "won-2", "value": 3}
    assert (await goals.http.post("/v1/measurements", json={"measurements": [later]}, headers=auth)).status_code == 202
    root = (await goals.http.get(f"/v1/goals/{ids['root']}", headers=auth)).json()
    assert root["current_value"] == 20


async def test_one_invalid_item_refuses_the_batch_naming_it_and_nothing_is_created(
    goals: Goals, org: tuple[str, dict[str, str]]
) -> None:
    org_id, auth = org
    same_as_baseline = leaf("c", "m3", "root", baseline=100)  # decide_set refuses it: target must differ
    items = [parent("root"), leaf("a", "m1", "root"), leaf("b", "m2", "root"), same_as_baseline]
    response = await goals.http.post("/v1/goals/batch", json={"goals": items}, headers=auth)
    refused(response, 422, "goals.3.target")
    assert await goal_count(goals, org_id) == 0

    # The schema's own refusals name the item too.
    wrong_type = [parent("root"), leaf("a", "m1", "root", target="high")]
    refused(await goals.http.post("/v1/goals/batch", json={"goals": wrong_type}, headers=auth), 422, "goals.1.target")
    unknown_field = [parent("root", colour="red")]
    refused(
        await goals.http.post("/v1/goals/batch", json={"goals": unknown_field}, headers=auth), 422, "goals.0.colour"
    )
    empty = await goals.http.post("/v1/goals/batch", json={"goals": []}, headers=auth)
    refused(empty, 422, "goals")
    assert await goal_count(goals, org_id) == 0


@pytest.mark.parametrize(
    ("items", "field", "code"),
    [
        pytest.param(
            [parent("x", "z"), parent("y", "x"), parent("z", "y"), parent("free")],
            "goals.0.parent_ref",
            "cycle",
            id="cycle",
        ),
        pytest.param([parent("x", "x")], "goals.0.parent_ref", "cycle", id="own-parent"),
        pytest.param([parent("x"), parent("y", "nobody")], "goals.1.parent_ref", "unknown_ref", id="unknown-ref"),
        pytest.param([parent("x"), parent("x")], "goals.1.ref", "duplicate_ref", id="duplicate-ref"),
        pytest.param(
            [parent("x"), parent("y", "x", parent_id="g-1")], "goals.1.parent_ref", "invalid_goal", id="both-parents"
        ),
        pytest.param(
            [
                {
                    "ref": "x",
                    "title": "anti",
                    "kind": "anti",
                    "metric": {"key": "m"},
                    "comparator": "above",
                    "threshold": 1,
                },
                parent("y", "x"),
            ],
            "goals.1.parent_id",
            "invalid_goal",
            id="anti-parent",
        ),
    ],
)
async def test_references_that_cannot_make_a_tree_are_refused(
    goals: Goals, org: tuple[str, dict[str, str]], items: list[dict[str, Any]], field: str, code: str
) -> None:
    org_id, auth = org
    response = await goals.http.post("/v1/goals/batch", json={"goals": items}, headers=auth)
    refused(response, 422, field, code)
    assert await goal_count(goals, org_id) == 0


async def test_a_parent_of_another_organisation_is_not_found_and_nothing_is_created(
    goals: Goals, org: tuple[str, dict[str, str]]
) -> None:
    org_id, auth = org
    _, other_key = await goals.create_org(["read", "write"])
    theirs = await goals.http.post("/v1/goals/batch", json={"goals": [parent("theirs")]}, headers=bearer(other_key))
    assert theirs.status_code == 201, theirs.text
    their_id = theirs.json()["goals"][0]["goal_id"]
    mine = await goals.http.post("/v1/goals/batch", json={"goals": [parent("mine")]}, headers=auth)
    my_id = mine.json()["goals"][0]["goal_id"]

    items = [parent("a", parent_id=my_id), parent("b", parent_id=their_id)]
    response = await goals.http.post("/v1/goals/batch", json={"goals": items}, headers=auth)
    refused(response, 404, "goals.1.parent_id", "not_found")
    guarding = [{"title": "g", "kind": "anti", "metric": {"key": "m"}, "comparator": "above", "threshold": 1,
                 "guards": their_id}]  # fmt: skip
    response = await goals.http.post("/v1/goals/batch", json={"goals": guarding}, headers=auth)
    refused(response, 404, "goals.0.guards", "not_found")
    assert await goal_count(goals, org_id) == 1  # only "mine"


async def test_an_idempotency_key_replays_the_batch_and_refuses_another(
    goals: Goals, org: tuple[str, dict[str, str]]
) -> None:
    org_id, auth = org
    items = [leaf("a", "m1", "root"), parent("root"), leaf("b", "m2", "root")]
    keyed = auth | {"Idempotency-Key": "quarter-plan-1"}
    first = await goals.http.post("/v1/goals/batch", json={"goals": items}, headers=keyed)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers, first.text
    again = await goals.http.post("/v1/goals/batch", json={"goals": items}, headers=keyed)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true", again.text
    assert again.json() == first.json()
    assert await goal_count(goals, org_id) == 3

    other = [*items[:2], leaf("b", "m2", "root", target=50)]
    refused(await goals.http.post("/v1/goals/batch", json={"goals": other}, headers=keyed), 422, "Idempotency-Key")
    fewer = items[:2]
    refused(await goals.http.post("/v1/goals/batch", json={"goals": fewer}, headers=keyed), 422, "Idempotency-Key")
    more = [*items, parent("extra")]
    refused(await goals.http.post("/v1/goals/batch", json={"goals": more}, headers=keyed), 422, "Idempotency-Key")
    assert await goal_count(goals, org_id) == 3

    # Another key is another batch; the same key in another organisation is theirs alone.
    fresh = await goals.http.post("/v1/goals/batch", json={"goals": items}, headers=auth | {"Idempotency-Key": "2"})
    assert fresh.status_code == 201, fresh.text
    assert {g["goal_id"] for g in fresh.json()["goals"]}.isdisjoint(g["goal_id"] for g in first.json()["goals"])
    assert await goal_count(goals, org_id) == 6
