"""Bad input on the skeleton endpoints: a clear 4xx naming the problem, and nothing changed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.e2e.conftest import Platform

pytestmark = pytest.mark.e2e
JSON = {"content-type": "application/json"}
DEADLINE = (datetime.now(UTC) + timedelta(days=30)).isoformat()


def _goal(platform: Platform) -> str:
    response = httpx.post(
        f"{platform.goals.url}/v1/goals",
        headers=platform.auth,
        json={
            "title": "Bad input target",
            "metric": {"key": f"m.{uuid.uuid4().hex}", "aggregation": "sum"},
            "target": 10,
            "deadline": DEADLINE,
        },
    )
    assert response.status_code == 201, response.text
    goal_id: str = response.json()["id"]
    return goal_id


@pytest.mark.parametrize(
    ("body", "status", "error", "field"),
    [
        ('{"title": "x", "target": 10, "deadline": ', 400, "malformed_json", None),
        ('{"title": "x", "target": "ten", "deadline": "' + DEADLINE + '"}', 422, "invalid_request", "target"),
        ('{"title": "x", "target": NaN, "deadline": "' + DEADLINE + '"}', 422, "invalid_request", "target"),
        ('{"title": "x", "target": Infinity, "deadline": "' + DEADLINE + '"}', 422, "invalid_request", "target"),
        ('{"title": "x", "target": 10}', 422, "invalid_goal", "deadline"),
        (
            '{"title": "x", "target": 10, "deadline": "' + DEADLINE + '", "weight": -1}',
            422,
            "invalid_request",
            "weight",
        ),
        (
            '{"title": "x", "target": 10, "deadline": "' + DEADLINE + '", "colour": "red"}',
            422,
            "invalid_request",
            "colour",
        ),
        ('{"title": "x", "target": 0, "deadline": "' + DEADLINE + '"}', 422, "invalid_goal", "target"),
        (
            '{"title": "x", "target": 5, "deadline": "' + DEADLINE + '", "parent_id": "no-such-goal"}',
            404,
            "not_found",
            "parent_id",
        ),
        ("[1, 2]", 422, "invalid_request", None),
    ],
)
def test_create_goal_rejects(platform: Platform, body: str, status: int, error: str, field: str | None) -> None:
    response = httpx.post(f"{platform.goals.url}/v1/goals", headers={**platform.auth, **JSON}, content=body)
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["error"] == error
    assert answer["message"]
    if field is not None:
        assert field in [e["field"] for e in answer["errors"]], answer


def test_a_batch_with_one_bad_item_changes_nothing(platform: Platform) -> None:
    goal_id = _goal(platform)
    metric = httpx.get(f"{platform.goals.url}/v1/goals/{goal_id}", headers=platform.auth).json()["definition"][
        "metric"
    ]["key"]
    good = f'{{"id": "good-{goal_id}", "metric": "{metric}", "value": 3, "observed_at": "{DEADLINE}"}}'
    bad = f'{{"id": "bad-{goal_id}", "metric": "{metric}", "value": NaN, "observed_at": "{DEADLINE}"}}'
    response = httpx.post(
        f"{platform.goals.url}/v1/measurements",
        headers={**platform.auth, **JSON},
        content=f'{{"measurements": [{good}, {bad}]}}',
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "measurements.1.value"
    events = httpx.get(f"{platform.goals.url}/v1/goals/{goal_id}/events", headers=platform.auth).json()
    assert [e["type"] for e in events if e["type"] == "MeasurementRecorded"] == []
    # The good item was not half-applied: sent alone now, it is new, not a duplicate.
    again = httpx.post(
        f"{platform.goals.url}/v1/measurements",
        headers={**platform.auth, **JSON},
        content=f'{{"measurements": [{good}]}}',
    )
    assert again.status_code == 202
    assert again.json()["accepted"] == 1 and again.json()["duplicate"] == 0


def test_unknown_goal_is_404_everywhere(platform: Platform) -> None:
    missing = str(uuid.uuid4())
    for url in (
        f"{platform.goals.url}/v1/goals/{missing}",
        f"{platform.goals.url}/v1/goals/{missing}/events",
        f"{platform.tracking.url}/v1/goals/{missing}/progress",
    ):
        response = httpx.get(url, headers=platform.auth)
        assert response.status_code == 404, url
        assert response.json()["error"] == "not_found"


def test_a_check_in_for_an_unknown_goal_is_rejected_by_name(platform: Platform) -> None:
    response = httpx.post(
        f"{platform.goals.url}/v1/measurements",
        headers=platform.auth,
        json={"measurements": [{"metric": "x", "value": 1, "observed_at": DEADLINE, "goal_id": "no-such-goal"}]},
    )
    assert response.status_code == 202
    assert response.json()["rejected"] == 1
    assert "no-such-goal" in response.json()["results"][0]["reason"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer gs_wrong"}, {"Authorization": "Basic abc"}])
def test_missing_or_wrong_key_is_401_on_every_service(platform: Platform, headers: dict[str, str]) -> None:
    for method, url in (
        ("POST", f"{platform.goals.url}/v1/goals"),
        ("POST", f"{platform.goals.url}/v1/measurements"),
        ("GET", f"{platform.tracking.url}/v1/goals/x/progress"),
        ("POST", f"{platform.notifications.url}/v1/subscriptions"),
    ):
        response = httpx.request(method, url, headers=headers, json={})
        assert response.status_code == 401, (url, response.text)
        assert response.json()["error"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"


def test_an_oversized_body_is_413(platform: Platform) -> None:
    response = httpx.post(
        f"{platform.goals.url}/v1/measurements",
        headers={**platform.auth, **JSON},
        content=b"[" + b" " * (9 * 1024 * 1024) + b"]",
    )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


def _measurement(i: int) -> dict[str, object]:
    return {"id": f"lim-{i}", "metric": "limits.m", "value": 1, "observed_at": DEADLINE}


@pytest.mark.parametrize(
    ("service", "method", "path", "body", "field"),
    [
        (
            "goals",
            "POST",
            "/v1/measurements",
            {"measurements": [_measurement(i) for i in range(10_001)]},
            "measurements",
        ),
        ("goals", "POST", "/v1/goals", {"title": "t" * 201, "target": 1, "deadline": DEADLINE}, "title"),
        (
            "goals",
            "POST",
            "/v1/measurements",
            {"measurements": [{**_measurement(0), "metric": "m" * 201}]},
            "measurements.0.metric",
        ),
        ("goals", "POST", "/v1/ladders", {"title": "l", "rungs": [{"title": "r"}] * 51}, "rungs"),
        ("tracking", "GET", "/v1/rollups?level=1&limit=100000", None, "limit"),
        ("tracking", "GET", f"/v1/tree?root={'r' * 201}", None, "root"),
        (
            "notifications",
            "POST",
            "/v1/subscriptions",
            {"channel": "webhook", "target": "https://example.com/" + "p" * 2048, "event_types": ["GoalAchieved"]},
            "target",
        ),
        (
            "notifications",
            "POST",
            "/v1/subscriptions",
            {"channel": "webhook", "target": "https://example.com/h", "event_types": ["GoalAchieved"] * 101},
            "event_types",
        ),
    ],
    ids=["batch-size", "title-length", "metric-length", "rungs", "page-size", "root-length", "target-length", "types"],
)
def test_a_limit_is_422_naming_the_field(
    platform: Platform, service: str, method: str, path: str, body: object, field: str
) -> None:
    url = getattr(platform, service).url + path
    response = httpx.request(method, url, headers=platform.auth, json=body, timeout=60)
    assert response.status_code == 422, response.text[:500]
    answer = response.json()
    assert answer["error"] == "invalid_request"
    assert any(e["field"] == field or e["field"].startswith(f"{field}.") for e in answer["errors"]), answer
