"""Every bad input of DESIGN §4 on the goals API: a clear 4xx naming the field, and nothing changed.

"Nothing changed" is shown on the goal itself (its ETag, its body and its event history are the same
before and after the refused request) or, for a refused create, in the event store: no GoalSet or
LadderSet with the request's (unique) title was stored, not even for a ladder's earlier rungs.
Another organisation is a second organisation with its own API key, made in the goals database.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
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
START = NOW - timedelta(days=1)
DEADLINE = NOW + timedelta(days=30)
INSIDE = NOW + timedelta(days=10)
Body = dict[str, Any]
State = tuple[str, Body, list[Body]]


def _iso(t: datetime) -> str:
    return t.isoformat()


def _title(what: str) -> str:
    return f"{what} {uuid.uuid4().hex[:10]}"


@dataclass
class Api:
    """The goals API as one organisation sees it."""

    url: str
    auth: dict[str, str]

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = {**self.auth, **(headers or {})}
        if content is not None:
            sent["content-type"] = "application/json"
            return httpx.request(method, f"{self.url}{path}", headers=sent, content=content, timeout=30)
        return httpx.request(method, f"{self.url}{path}", headers=sent, json=body, timeout=30)

    def create(self, **fields: Any) -> Body:
        response = self.request("POST", "/v1/goals", fields)
        assert response.status_code == 201, response.text
        created: Body = response.json()
        return created

    def hard(self, **over: Any) -> Body:
        """A hard goal with its own metric, started a day ago, due in 30 days."""
        fields: Body = {
            "title": _title("hard"),
            "metric": {"key": f"m.{uuid.uuid4().hex}", "aggregation": "sum"},
            "target": 100,
            "start_at": _iso(START),
            "deadline": _iso(DEADLINE),
        }
        return self.create(**{**fields, **over})

    def rolled_up(self, **over: Any) -> Body:
        """A hard goal without a metric: its progress is its children's rollup."""
        fields: Body = {"title": _title("parent"), "target": 1, "start_at": _iso(START), "deadline": _iso(DEADLINE)}
        return self.create(**{**fields, **over})

    def anti(self, **over: Any) -> Body:
        fields: Body = {
            "kind": "anti",
            "title": _title("anti"),
            "metric": {"key": f"m.{uuid.uuid4().hex}"},
            "comparator": "above",
            "threshold": 10,
        }
        return self.create(**{**fields, **over})

    def state(self, goal_id: str) -> State:
        """What a refused request must leave as it was: ETag, body, event history."""
        goal = self.request("GET", f"/v1/goals/{goal_id}")
        assert goal.status_code == 200, goal.text
        events = self.request("GET", f"/v1/goals/{goal_id}/events")
        assert events.status_code == 200, events.text
        return goal.headers["etag"], goal.json(), events.json()


def _if_match(version: int) -> dict[str, str]:
    return {"If-Match": f'"{version}"'}


def assert_refused(response: httpx.Response, status: int, error: str, field: str | None) -> Body:
    """`status` with error `error`, a message, and (field given) `field` named among the errors."""
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    answer: Body = response.json()
    assert answer["error"] == error, answer
    assert answer["message"], answer
    if field is not None:
        assert field in [e["field"] for e in answer["errors"]], answer
    return answer


def stored(platform: Platform, *titles: str) -> int:
    """How many goals or ladders with these titles the event store holds (any organisation)."""

    async def count() -> int:
        conn = await connect(platform.database_url, "goals")
        try:
            found: int = await conn.fetchval(
                "SELECT count(*) FROM events WHERE event_type IN ('GoalSet', 'LadderSet')"
                " AND payload->>'title' = ANY($1::text[])",
                list(titles),
            )
            return found
        finally:
            await conn.close()

    return asyncio.run(count())


@pytest.fixture(scope="module")
def api(platform: Platform) -> Api:
    return Api(platform.goals.url, platform.auth)


@pytest.fixture(scope="module")
def other(platform: Platform) -> Api:
    """A second organisation with its own read/write key."""
    org_id, key = f"other-{uuid.uuid4().hex[:8]}", new_api_key()

    async def create() -> None:
        conn = await connect(platform.database_url, "goals")
        try:
            async with conn.transaction():
                await create_organisation(conn, org_id, "Another organisation", key, ("read", "write"), NOW)
        finally:
            await conn.close()

    asyncio.run(create())
    return Api(platform.goals.url, {"Authorization": f"Bearer {key}"})


@pytest.fixture
def goal(api: Api) -> Iterator[Body]:
    yield api.hard()


# --- PATCH /v1/goals/{id} ---------------------------------------------------------------------

PATCH_CASES = [
    pytest.param('{"title": ', 400, "malformed_json", None, id="malformed-json"),
    pytest.param('{"target": "ten"}', 422, "invalid_request", "target", id="target-string"),
    pytest.param('{"metric": "crm.leads"}', 422, "invalid_request", "metric", id="metric-string"),
    pytest.param('{"deadline": "2030-01-01T00:00:00"}', 422, "invalid_request", "deadline", id="naive-deadline"),
    pytest.param('{"deadline": "next tuesday"}', 422, "invalid_request", "deadline", id="deadline-text"),
    pytest.param('{"target": NaN}', 422, "invalid_request", "target", id="target-nan"),
    pytest.param('{"baseline": Infinity}', 422, "invalid_request", "baseline", id="baseline-infinity"),
    pytest.param('{"weight": -Infinity}', 422, "invalid_request", "weight", id="weight-minus-infinity"),
    pytest.param('{"colour": "red"}', 422, "invalid_request", "colour", id="unknown-field"),
    pytest.param('{"kind": "anti"}', 422, "invalid_request", "kind", id="kind-not-revisable"),
    pytest.param("[1, 2]", 422, "invalid_request", None, id="not-an-object"),
    pytest.param('{"weight": 0}', 422, "invalid_request", "weight", id="weight-zero"),
    pytest.param('{"weight": -1}', 422, "invalid_request", "weight", id="weight-negative"),
    pytest.param(
        json.dumps({"deadline": _iso(START - timedelta(hours=1))}),
        422,
        "invalid_goal",
        "deadline",
        id="deadline-before-start",
    ),
    pytest.param(json.dumps({"deadline": _iso(START)}), 422, "invalid_goal", "deadline", id="deadline-at-start"),
    pytest.param(
        json.dumps({"start_at": _iso(DEADLINE + timedelta(days=1))}),
        422,
        "invalid_goal",
        "deadline",
        id="start-after-deadline",
    ),
    pytest.param('{"target": 0}', 422, "invalid_goal", "target", id="target-equals-baseline"),
    pytest.param('{"target": null}', 422, "invalid_goal", "target", id="target-cleared"),
    pytest.param('{"deadline": null}', 422, "invalid_goal", "deadline", id="deadline-cleared"),
    pytest.param('{"comparator": "above"}', 422, "invalid_goal", "comparator", id="anti-field-on-hard-goal"),
    pytest.param('{"checkin_every": "P1M"}', 422, "invalid_goal", "checkin_every", id="checkin-in-months"),
    pytest.param('{"checkin_every": "weekly"}', 422, "invalid_goal", "checkin_every", id="checkin-not-iso"),
    pytest.param('{"parent_id": "no-such-goal"}', 404, "not_found", "parent_id", id="unknown-parent"),
]


@pytest.mark.parametrize(("content", "status", "error", "field"), PATCH_CASES)
def test_patch_refuses_bad_input_and_changes_nothing(
    api: Api, goal: Body, content: str, status: int, error: str, field: str | None
) -> None:
    before = api.state(goal["id"])
    response = api.request("PATCH", f"/v1/goals/{goal['id']}", content=content, headers=_if_match(goal["version"]))
    assert_refused(response, status, error, field)
    assert api.state(goal["id"]) == before


@pytest.mark.parametrize("name", ["title", "weight", "start_at"])
def test_patch_cannot_clear_a_field_every_goal_needs(api: Api, goal: Body, name: str) -> None:
    """null clears an optional field; for one a (non-ladder) hard goal must have it is bad input: 422 naming it."""
    before = api.state(goal["id"])
    response = api.request("PATCH", f"/v1/goals/{goal['id']}", {name: None}, headers=_if_match(goal["version"]))
    unchanged = api.state(goal["id"]) == before
    assert response.status_code == 422, f"{response.status_code} {response.text!r}; goal unchanged: {unchanged}"
    assert name in [e["field"] for e in response.json()["errors"]], response.text
    assert unchanged


def test_patch_without_if_match_is_428(api: Api, goal: Body) -> None:
    before = api.state(goal["id"])
    response = api.request("PATCH", f"/v1/goals/{goal['id']}", {"title": _title("renamed")})
    assert_refused(response, 428, "precondition_required", "If-Match")
    assert api.state(goal["id"]) == before


def test_patch_with_a_malformed_if_match_is_400(api: Api, goal: Body) -> None:
    before = api.state(goal["id"])
    response = api.request("PATCH", f"/v1/goals/{goal['id']}", {"title": "x"}, headers={"If-Match": "latest"})
    assert_refused(response, 400, "invalid_if_match", "If-Match")
    assert api.state(goal["id"]) == before


def test_patch_with_a_stale_if_match_is_409(api: Api, goal: Body) -> None:
    path = f"/v1/goals/{goal['id']}"
    first = api.request("PATCH", path, {"title": _title("renamed")}, headers=_if_match(goal["version"]))
    assert first.status_code == 200, first.text
    assert first.json()["version"] == goal["version"] + 1
    assert first.headers["etag"] == f'"{goal["version"] + 1}"'
    before = api.state(goal["id"])
    stale = api.request("PATCH", path, {"title": _title("lost update")}, headers=_if_match(goal["version"]))
    answer = assert_refused(stale, 409, "version_conflict", "If-Match")
    assert str(goal["version"] + 1) in answer["message"]
    ahead = api.request("PATCH", path, {"title": _title("from the future")}, headers=_if_match(goal["version"] + 5))
    assert_refused(ahead, 409, "version_conflict", "If-Match")
    assert api.state(goal["id"]) == before


@pytest.mark.parametrize(
    ("revised", "new_parent"),
    [
        pytest.param("a", "c", id="root-under-grandchild"),
        pytest.param("a", "b", id="root-under-child"),
        pytest.param("b", "c", id="parent-under-child"),
        pytest.param("c", "c", id="own-parent"),
    ],
)
def test_a_cycle_is_refused_and_changes_nothing(api: Api, revised: str, new_parent: str) -> None:
    a = api.rolled_up()
    b = api.rolled_up(parent_id=a["id"])
    c = api.hard(parent_id=b["id"])
    tree = {"a": a, "b": b, "c": c}
    before = {name: api.state(g["id"]) for name, g in tree.items()}
    target = tree[revised]
    response = api.request(
        "PATCH",
        f"/v1/goals/{target['id']}",
        {"parent_id": tree[new_parent]["id"]},
        headers=_if_match(before[revised][1]["version"]),
    )
    answer = assert_refused(response, 422, "cycle", "parent_id")
    assert answer["errors"][0]["field"] == "parent_id"
    assert {name: api.state(g["id"]) for name, g in tree.items()} == before


def test_a_parent_must_be_an_active_hard_goal(api: Api, goal: Body) -> None:
    anti = api.anti()
    archived = api.rolled_up()
    assert api.request("DELETE", f"/v1/goals/{archived['id']}").status_code == 200
    before = api.state(goal["id"])
    for parent in (anti["id"], archived["id"]):
        response = api.request(
            "PATCH", f"/v1/goals/{goal['id']}", {"parent_id": parent}, headers=_if_match(goal["version"])
        )
        assert_refused(response, 422, "invalid_goal", "parent_id")
    assert api.state(goal["id"]) == before


def test_revising_an_archived_goal_is_409(api: Api, goal: Body) -> None:
    archived = api.request("DELETE", f"/v1/goals/{goal['id']}")
    assert archived.status_code == 200, archived.text
    assert archived.json()["archived"] is True
    before = api.state(goal["id"])
    response = api.request(
        "PATCH", f"/v1/goals/{goal['id']}", {"title": _title("revived")}, headers=_if_match(before[1]["version"])
    )
    assert_refused(response, 409, "archived", None)
    plan = api.request("POST", f"/v1/goals/{goal['id']}/plan", {"milestones": 3})
    assert_refused(plan, 409, "archived", None)
    assert api.state(goal["id"]) == before


def test_patch_of_an_anti_goal_keeps_recovery_on_the_safe_side(api: Api) -> None:
    anti = api.anti(recovery_threshold=8)
    before = api.state(anti["id"])
    for change, field in (
        ({"recovery_threshold": 12}, "recovery_threshold"),
        ({"threshold": 5}, "recovery_threshold"),  # the threshold moved below the recovery threshold
        ({"comparator": "below"}, "recovery_threshold"),  # the recovery threshold is now on the breached side
        ({"target": 3}, "target"),
        ({"window": "P1Y"}, "window"),
        ({"guards": "no-such-goal"}, "guards"),
    ):
        response = api.request("PATCH", f"/v1/goals/{anti['id']}", change, headers=_if_match(anti["version"]))
        assert_refused(
            response, 404 if field == "guards" else 422, "not_found" if field == "guards" else "invalid_goal", field
        )
    assert api.state(anti["id"]) == before


# --- DELETE /v1/goals/{id} --------------------------------------------------------------------


def test_archiving_an_unknown_goal_is_404(api: Api) -> None:
    missing = str(uuid.uuid4())
    assert_refused(api.request("DELETE", f"/v1/goals/{missing}"), 404, "not_found", None)
    assert_refused(api.request("GET", f"/v1/goals/{missing}"), 404, "not_found", None)


def test_archiving_with_a_stale_if_match_is_409(api: Api, goal: Body) -> None:
    before = api.state(goal["id"])
    response = api.request("DELETE", f"/v1/goals/{goal['id']}", headers=_if_match(goal["version"] + 1))
    assert_refused(response, 409, "version_conflict", "If-Match")
    assert api.state(goal["id"]) == before


def test_archiving_twice_is_idempotent(api: Api, goal: Body) -> None:
    path = f"/v1/goals/{goal['id']}"
    first = api.request("DELETE", path)
    assert first.status_code == 200, first.text
    assert first.json()["archived"] is True and first.json()["active"] is False
    assert first.json()["version"] == goal["version"] + 1
    after_first = api.state(goal["id"])
    assert [e["type"] for e in after_first[2]].count("GoalArchived") == 1
    second = api.request("DELETE", path)
    assert second.status_code == 200, second.text
    assert second.json()["version"] == first.json()["version"]
    assert second.headers["etag"] == first.headers["etag"]
    assert api.state(goal["id"]) == after_first


# --- POST /v1/goals/{id}/plan -----------------------------------------------------------------

PLAN_CASES = [
    pytest.param(
        {"milestones": 3, "checkpoints": [{"due": _iso(INSIDE), "target": 30}]},
        422,
        "invalid_goal",
        "milestones",
        id="both",
    ),
    pytest.param({}, 422, "invalid_goal", "milestones", id="neither"),
    pytest.param({"milestones": 0}, 422, "invalid_request", "milestones", id="milestones-zero"),
    pytest.param({"milestones": -2}, 422, "invalid_request", "milestones", id="milestones-negative"),
    pytest.param({"milestones": 367}, 422, "invalid_request", "milestones", id="milestones-too-many"),
    pytest.param({"milestones": "three"}, 422, "invalid_request", "milestones", id="milestones-string"),
    pytest.param({"checkpoints": []}, 422, "invalid_request", "checkpoints", id="checkpoints-empty"),
    pytest.param(
        {"checkpoints": [{"due": _iso(START - timedelta(days=1)), "target": 30}]},
        422,
        "invalid_goal",
        "checkpoints",
        id="checkpoint-before-start",
    ),
    pytest.param(
        {"checkpoints": [{"due": _iso(START), "target": 30}]},
        422,
        "invalid_goal",
        "checkpoints",
        id="checkpoint-at-start",
    ),
    pytest.param(
        {
            "checkpoints": [
                {"due": _iso(INSIDE), "target": 30},
                {"due": _iso(DEADLINE + timedelta(days=1)), "target": 90},
            ]
        },
        422,
        "invalid_goal",
        "checkpoints",
        id="checkpoint-after-deadline",
    ),
    pytest.param(
        {"checkpoints": [{"due": _iso(INSIDE), "target": 150}]},
        422,
        "invalid_goal",
        "checkpoints",
        id="checkpoint-past-target",
    ),
    pytest.param(
        {"checkpoints": [{"due": _iso(INSIDE), "target": 60}, {"due": _iso(INSIDE + timedelta(days=5)), "target": 40}]},
        422,
        "invalid_goal",
        "checkpoints",
        id="checkpoints-going-back",
    ),
    pytest.param(
        {"checkpoints": [{"due": _iso(INSIDE), "target": 30}, {"due": _iso(INSIDE), "target": 40}]},
        422,
        "invalid_goal",
        "checkpoints",
        id="checkpoints-same-due",
    ),
    pytest.param(
        {"checkpoints": [{"due": _iso(INSIDE)}]}, 422, "invalid_request", "checkpoints.0.target", id="no-target"
    ),
    pytest.param({"milestones": 3, "spread": "even"}, 422, "invalid_request", "spread", id="unknown-field"),
]


@pytest.mark.parametrize(("body", "status", "error", "field"), PLAN_CASES)
def test_plan_refuses_bad_input_and_changes_nothing(
    api: Api, goal: Body, body: Body, status: int, error: str, field: str
) -> None:
    before = api.state(goal["id"])
    response = api.request("POST", f"/v1/goals/{goal['id']}/plan", body)
    assert_refused(response, status, error, field)
    assert api.state(goal["id"]) == before


def test_plan_with_a_nan_checkpoint_target_is_422(api: Api, goal: Body) -> None:
    before = api.state(goal["id"])
    content = f'{{"checkpoints": [{{"due": "{_iso(INSIDE)}", "target": NaN}}]}}'
    response = api.request("POST", f"/v1/goals/{goal['id']}/plan", content=content)
    assert_refused(response, 422, "invalid_request", "checkpoints.0.target")
    assert api.state(goal["id"]) == before


def test_an_anti_goal_cannot_be_planned(api: Api) -> None:
    anti = api.anti()
    before = api.state(anti["id"])
    response = api.request("POST", f"/v1/goals/{anti['id']}/plan", {"milestones": 3})
    assert_refused(response, 422, "invalid_goal", "kind")
    assert api.state(anti["id"]) == before


def test_planning_an_unknown_goal_is_404(api: Api) -> None:
    response = api.request("POST", f"/v1/goals/{uuid.uuid4()}/plan", {"milestones": 3})
    assert_refused(response, 404, "not_found", None)


# --- POST /v1/ladders, GET /v1/ladders/{id} ---------------------------------------------------


def _rung(title: str, **over: Any) -> Body:
    fields: Body = {
        "title": title,
        "metric": {"key": f"m.{uuid.uuid4().hex}", "aggregation": "latest"},
        "target": 100,
        "deadline": _iso(DEADLINE),
    }
    return {**fields, **over}


def _without(body: Body, name: str) -> Body:
    return {k: v for k, v in body.items() if k != name}


def _ladder_cases() -> list[Any]:
    """(rungs, status, error, field); each rung's title is replaced by a unique one at run time."""
    return [
        pytest.param([], 422, "invalid_request", "rungs", id="no-rungs"),
        pytest.param(
            [_without(_rung("r1"), "target")], 422, "invalid_request", "rungs.0.target", id="rung-0-no-target"
        ),
        pytest.param(
            [_rung("r1"), _without(_rung("r2"), "target")],
            422,
            "invalid_request",
            "rungs.1.target",
            id="rung-1-no-target",
        ),
        pytest.param(
            [_rung("r1"), _rung("r2", start_at=_iso(INSIDE))],
            422,
            "invalid_goal",
            "rungs.1.start_at",
            id="start-on-second-rung",
        ),
        pytest.param(
            [_rung("r1"), _rung("r2", target=0)],
            422,
            "invalid_goal",
            "rungs.1.target",
            id="second-rung-target-at-baseline",
        ),
        pytest.param(
            [_rung("r1", start_at=_iso(DEADLINE + timedelta(days=1))), _rung("r2")],
            422,
            "invalid_goal",
            "rungs.0.deadline",
            id="first-rung-deadline-before-start",
        ),
        pytest.param(
            [_rung("r1"), _rung("r2", checkin_every="P1M")],
            422,
            "invalid_goal",
            "rungs.1.checkin_every",
            id="rung-checkin-in-months",
        ),
        pytest.param([_rung("r1", target="high")], 422, "invalid_request", "rungs.0.target", id="rung-target-string"),
        pytest.param([_rung("r1", kind="anti")], 422, "invalid_request", "rungs.0.kind", id="rung-unknown-field"),
    ]


@pytest.mark.parametrize(("rungs", "status", "error", "field"), _ladder_cases())
def test_a_bad_ladder_is_refused_and_stores_no_rung(
    api: Api, platform: Platform, rungs: list[Body], status: int, error: str, field: str
) -> None:
    title = _title("ladder")
    rungs = [{**r, "title": _title(f"{title} rung")} for r in rungs]
    response = api.request("POST", "/v1/ladders", {"title": title, "rungs": rungs})
    assert_refused(response, status, error, field)
    assert stored(platform, title, *[r["title"] for r in rungs]) == 0


def test_the_corrected_ladder_is_stored(api: Api, platform: Platform) -> None:
    """The control for the test above: the same ladder, without the fault, stores the ladder and its rungs."""
    title = _title("ladder")
    rungs = [_rung(_title(f"{title} rung")), _rung(_title(f"{title} rung"))]
    response = api.request("POST", "/v1/ladders", {"title": title, "rungs": rungs})
    assert response.status_code == 201, response.text
    assert stored(platform, title, *[r["title"] for r in rungs]) == 3


def test_an_unknown_ladder_is_404(api: Api, goal: Body) -> None:
    for ladder_id in (str(uuid.uuid4()), goal["id"]):  # a goal is not a ladder either
        assert_refused(api.request("GET", f"/v1/ladders/{ladder_id}"), 404, "not_found", None)
        assert_refused(api.request("GET", f"/v1/ladders/{ladder_id}/events"), 404, "not_found", None)


def test_a_ladder_is_not_a_goal(api: Api) -> None:
    created = api.request("POST", "/v1/ladders", {"title": _title("ladder"), "rungs": [_rung(_title("rung"))]})
    assert created.status_code == 201, created.text
    ladder_id = created.json()["id"]
    before = api.request("GET", f"/v1/ladders/{ladder_id}/events").json()
    for method, path, body in (
        ("GET", f"/v1/goals/{ladder_id}", None),
        ("GET", f"/v1/goals/{ladder_id}/events", None),
        ("PATCH", f"/v1/goals/{ladder_id}", {"title": "x"}),
        ("DELETE", f"/v1/goals/{ladder_id}", None),
        ("POST", f"/v1/goals/{ladder_id}/plan", {"milestones": 2}),
    ):
        response = api.request(method, path, body, headers=_if_match(1))
        assert_refused(response, 404, "not_found", None)
    assert api.request("GET", f"/v1/ladders/{ladder_id}/events").json() == before


# --- anti-goals (POST /v1/goals with kind "anti") ---------------------------------------------

ANTI = {"kind": "anti", "metric": {"key": "ops.incidents"}, "comparator": "above", "threshold": 10}

ANTI_CASES = [
    pytest.param(_without(ANTI, "comparator"), 422, "invalid_goal", "comparator", id="no-comparator"),
    pytest.param(_without(ANTI, "threshold"), 422, "invalid_goal", "threshold", id="no-threshold"),
    pytest.param(_without(ANTI, "metric"), 422, "invalid_goal", "metric", id="no-metric"),
    pytest.param({**ANTI, "comparator": "sideways"}, 422, "invalid_request", "comparator", id="unknown-comparator"),
    pytest.param({**ANTI, "severity": "apocalyptic"}, 422, "invalid_request", "severity", id="unknown-severity"),
    pytest.param({**ANTI, "threshold": "ten"}, 422, "invalid_request", "threshold", id="threshold-string"),
    pytest.param(
        {**ANTI, "recovery_threshold": 12}, 422, "invalid_goal", "recovery_threshold", id="recovery-above-upper-limit"
    ),
    pytest.param(
        {**ANTI, "comparator": "below", "recovery_threshold": 8},
        422,
        "invalid_goal",
        "recovery_threshold",
        id="recovery-below-lower-limit",
    ),
    pytest.param({**ANTI, "target": 5}, 422, "invalid_goal", "target", id="target"),
    pytest.param({**ANTI, "deadline": _iso(DEADLINE)}, 422, "invalid_goal", "deadline", id="deadline"),
    pytest.param({**ANTI, "rollup": "sum"}, 422, "invalid_goal", "rollup", id="rollup"),
    pytest.param({**ANTI, "guards": "no-such-goal"}, 404, "not_found", "guards", id="guards-unknown"),
    pytest.param({**ANTI, "checkin_every": "7 days"}, 422, "invalid_goal", "checkin_every", id="checkin-not-iso"),
    pytest.param({**ANTI, "checkin_every": "P1M"}, 422, "invalid_goal", "checkin_every", id="checkin-months"),
    pytest.param({**ANTI, "checkin_every": "P0D"}, 422, "invalid_goal", "checkin_every", id="checkin-zero"),
    pytest.param({**ANTI, "window": "P1M"}, 422, "invalid_goal", "window", id="window-months"),
    pytest.param({**ANTI, "window": "P1Y"}, 422, "invalid_goal", "window", id="window-years"),
    pytest.param({**ANTI, "window": "P1Y2D"}, 422, "invalid_goal", "window", id="window-years-and-days"),
    pytest.param({**ANTI, "window": "weekly"}, 422, "invalid_goal", "window", id="window-not-iso"),
    pytest.param({**ANTI, "window": "7D"}, 422, "invalid_goal", "window", id="window-no-p"),
    pytest.param({**ANTI, "window": "PT0S"}, 422, "invalid_goal", "window", id="window-zero"),
    pytest.param({**ANTI, "window": 7}, 422, "invalid_request", "window", id="window-number"),
    pytest.param({**ANTI, "kind": "soft"}, 422, "invalid_request", "kind", id="unknown-kind"),
]


@pytest.mark.parametrize(("body", "status", "error", "field"), ANTI_CASES)
def test_a_bad_anti_goal_is_refused_and_not_stored(
    api: Api, platform: Platform, body: Body, status: int, error: str, field: str
) -> None:
    title = _title("anti")
    response = api.request("POST", "/v1/goals", {**body, "title": title})
    assert_refused(response, status, error, field)
    assert stored(platform, title) == 0


def test_an_anti_goal_guards_only_a_hard_goal(api: Api, platform: Platform) -> None:
    guarded_anti = api.anti()
    before = api.state(guarded_anti["id"])
    title = _title("anti")
    response = api.request("POST", "/v1/goals", {**ANTI, "title": title, "guards": guarded_anti["id"]})
    assert_refused(response, 422, "invalid_goal", "guards")
    assert stored(platform, title) == 0
    assert api.state(guarded_anti["id"]) == before


def test_a_hard_goal_does_not_guard(api: Api, platform: Platform, goal: Body) -> None:
    title = _title("hard")
    body = {"title": title, "target": 5, "deadline": _iso(DEADLINE), "guards": goal["id"]}
    assert_refused(api.request("POST", "/v1/goals", body), 422, "invalid_goal", "guards")
    assert stored(platform, title) == 0


def test_the_corrected_anti_goal_is_stored(api: Api, platform: Platform, goal: Body) -> None:
    """The control for the anti-goal cases: the same body without the fault is stored once."""
    title = _title("anti")
    body = {**ANTI, "title": title, "recovery_threshold": 8, "window": "P7D", "guards": goal["id"]}
    response = api.request("POST", "/v1/goals", body)
    assert response.status_code == 201, response.text
    assert stored(platform, title) == 1


# --- another organisation's goal: 404, never 403, and indistinguishable from a missing one ----


def _same_as_missing(response: httpx.Response, unknown: httpx.Response, real_id: str, missing_id: str) -> None:
    assert response.status_code == unknown.status_code == 404, (response.text, unknown.text)
    assert response.text.replace(real_id, "<id>") == unknown.text.replace(missing_id, "<id>")


def test_another_organisations_goal_is_not_found(api: Api, other: Api, goal: Body) -> None:
    before = api.state(goal["id"])
    missing = str(uuid.uuid4())
    version = _if_match(goal["version"])
    for method, suffix, body, headers in (
        ("GET", "", None, None),
        ("GET", "/events", None, None),
        ("PATCH", "", {"title": _title("taken over")}, version),
        ("PATCH", "", {"title": _title("taken over")}, _if_match(goal["version"] + 3)),
        ("DELETE", "", None, None),
        ("DELETE", "", None, version),
        ("POST", "/plan", {"milestones": 4}, None),
    ):
        response = other.request(method, f"/v1/goals/{goal['id']}{suffix}", body, headers=headers)
        assert_refused(response, 404, "not_found", None)
        unknown = other.request(method, f"/v1/goals/{missing}{suffix}", body, headers=headers)
        _same_as_missing(response, unknown, goal["id"], missing)
    assert api.state(goal["id"]) == before


def test_another_organisations_goal_cannot_be_linked(api: Api, other: Api, platform: Platform) -> None:
    parent = api.rolled_up()
    before = api.state(parent["id"])
    metric = {"key": f"m.{uuid.uuid4().hex}"}
    child = _title("child")
    hard = {"title": child, "metric": metric, "target": 5, "deadline": _iso(DEADLINE)}
    answer = assert_refused(
        other.request("POST", "/v1/goals", {**hard, "parent_id": parent["id"]}), 404, "not_found", None
    )
    assert answer["errors"][0]["field"] == "parent_id"
    guard = _title("guard")
    answer = assert_refused(
        other.request("POST", "/v1/goals", {**ANTI, "title": guard, "guards": parent["id"]}), 404, "not_found", None
    )
    assert answer["errors"][0]["field"] == "guards"
    assert stored(platform, child, guard) == 0
    # Its own goal cannot be moved under the first organisation's either.
    own = other.create(**{**hard, "title": _title("own")})
    own_before = other.state(own["id"])
    moved = other.request(
        "PATCH", f"/v1/goals/{own['id']}", {"parent_id": parent["id"]}, headers=_if_match(own["version"])
    )
    answer = assert_refused(moved, 404, "not_found", None)
    assert answer["errors"][0]["field"] == "parent_id"
    assert other.state(own["id"]) == own_before
    assert api.state(parent["id"]) == before


def test_another_organisations_ladder_is_not_found(api: Api, other: Api) -> None:
    created = api.request("POST", "/v1/ladders", {"title": _title("ladder"), "rungs": [_rung(_title("rung"))]})
    assert created.status_code == 201, created.text
    ladder_id, missing = created.json()["id"], str(uuid.uuid4())
    for suffix in ("", "/events"):
        response = other.request("GET", f"/v1/ladders/{ladder_id}{suffix}")
        assert_refused(response, 404, "not_found", None)
        _same_as_missing(response, other.request("GET", f"/v1/ladders/{missing}{suffix}"), ladder_id, missing)


# --- POST /v1/measurements --------------------------------------------------------------------


def _measurement(goal: Body, measurement_id: str, value: float = 5, **over: Any) -> Body:
    m: Body = {
        "id": measurement_id,
        "metric": goal["definition"]["metric"]["key"],
        "value": value,
        "observed_at": _iso(NOW),
    }
    return {**m, **over}


def _recorded(state: State) -> list[str]:
    return [e["payload"]["measurement_id"] for e in state[2] if e["type"] == "MeasurementRecorded"]


def test_a_check_in_on_another_organisations_goal_is_rejected(api: Api, other: Api, goal: Body) -> None:
    before = api.state(goal["id"])
    mid = f"cross-{uuid.uuid4().hex}"
    response = other.request(
        "POST", "/v1/measurements", {"measurements": [_measurement(goal, mid, goal_id=goal["id"])]}
    )
    assert response.status_code == 202, response.text
    answer = response.json()
    assert (answer["accepted"], answer["duplicate"], answer["rejected"]) == (0, 0, 1), answer
    result = answer["results"][0]
    assert result["status"] == "rejected" and result["id"] == mid and result["goals"] == 0
    assert goal["id"] in result["reason"]
    # By metric key alone, the other organisation's value reaches none of the first one's goals.
    by_metric = other.request("POST", "/v1/measurements", {"measurements": [_measurement(goal, f"{mid}-metric")]})
    assert by_metric.status_code == 202, by_metric.text
    assert by_metric.json()["results"][0]["goals"] == 0
    assert api.state(goal["id"]) == before
    # The rejected item did not use up its id: the other organisation can still record it on its own goal.
    own = other.hard()
    again = other.request("POST", "/v1/measurements", {"measurements": [_measurement(own, mid, goal_id=own["id"])]})
    assert again.json()["results"][0]["status"] == "accepted", again.text
    assert _recorded(other.state(own["id"])) == [mid]


def test_the_same_measurement_twice_takes_effect_once(api: Api, goal: Body) -> None:
    mid = f"twice-{uuid.uuid4().hex}"
    first = api.request("POST", "/v1/measurements", {"measurements": [_measurement(goal, mid, 7)]})
    assert first.status_code == 202, first.text
    assert first.json()["results"][0] == {"index": 0, "id": mid, "status": "accepted", "goals": 1, "reason": None}
    after_first = api.state(goal["id"])
    assert _recorded(after_first) == [mid]
    assert after_first[1]["current_value"] == 7
    # Sent again (even with another value), it is a duplicate and changes nothing.
    second = api.request("POST", "/v1/measurements", {"measurements": [_measurement(goal, mid, 50)]})
    assert second.status_code == 202, second.text
    assert (second.json()["accepted"], second.json()["duplicate"], second.json()["rejected"]) == (0, 1, 0)
    assert second.json()["results"][0]["status"] == "duplicate"
    assert second.json()["results"][0]["goals"] == 0
    assert api.state(goal["id"]) == after_first


def test_the_same_measurement_twice_in_one_batch_takes_effect_once(api: Api, goal: Body) -> None:
    mid = f"batch-{uuid.uuid4().hex}"
    response = api.request(
        "POST", "/v1/measurements", {"measurements": [_measurement(goal, mid, 3), _measurement(goal, mid, 9)]}
    )
    assert response.status_code == 202, response.text
    assert [r["status"] for r in response.json()["results"]] == ["accepted", "duplicate"]
    state = api.state(goal["id"])
    assert _recorded(state) == [mid]
    assert state[1]["current_value"] == 3
