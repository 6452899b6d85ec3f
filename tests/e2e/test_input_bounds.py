"""Numbers and times out of bounds are refused with 422 naming the field, in every service, never a 5xx.

Every number a user sends is finite and at most 1e15 in magnitude, every time carries an offset and lies
in 1900-01-01T00:00:00Z..2999-12-31T23:59:59Z (goalstream_contracts.inputs; docs/decisions.md).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Platform

pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC)
START, DEADLINE = (NOW - timedelta(days=1)).isoformat(), (NOW + timedelta(days=30)).isoformat()
PAST_9999 = "9999-12-31T23:59:59-14:00"
BEFORE_1 = "0001-01-01T00:00:00+01:00"


def _sum_goal(platform: Platform) -> tuple[str, str]:
    metric = f"bounds.{uuid.uuid4().hex[:8]}"
    body = {"title": "bounds", "metric": {"key": metric, "aggregation": "sum"}, "target": 10, "start_at": START,
            "deadline": DEADLINE}  # fmt: skip
    response = httpx.post(f"{platform.goals.url}/v1/goals", headers=platform.auth, json=body, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["id"], metric


def _refused(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, (field, response.status_code, response.text)
    assert field in [e["field"] for e in response.json()["errors"]], response.json()


def test_the_overflow_pair_is_refused_on_the_first_value_and_never_a_500(platform: Platform) -> None:
    goal_id, metric = _sum_goal(platform)
    item = {"metric": metric, "value": 1.7e308, "observed_at": NOW.isoformat()}
    for _ in range(2):
        response = httpx.post(f"{platform.goals.url}/v1/measurements", headers=platform.auth,
                              json={"measurements": [item]})  # fmt: skip
        _refused(response, "measurements.0.value")
    pair = httpx.post(f"{platform.goals.url}/v1/measurements", headers=platform.auth,
                      json={"measurements": [item, item]})  # fmt: skip
    _refused(pair, "measurements.0.value")
    goal = httpx.get(f"{platform.goals.url}/v1/goals/{goal_id}", headers=platform.auth)
    assert goal.status_code == 200 and goal.json()["current_value"] is None, goal.text


@pytest.mark.parametrize("as_of", [PAST_9999, BEFORE_1, "1899-12-31T23:59:59Z", "3000-01-01T00:00:00Z"])
def test_an_as_of_out_of_range_is_422_naming_as_of_on_every_query(platform: Platform, as_of: str) -> None:
    goal_id, _ = _sum_goal(platform)
    for path in (
        "/v1/tree",
        f"/v1/tree?root={goal_id}",
        f"/v1/goals/{goal_id}/progress",
        f"/v1/goals/{uuid.uuid4()}/progress",  # the 422 comes before the 404
        "/v1/rollups?level=team",
        "/v1/anti-goals",
        f"/v1/ladders/{uuid.uuid4()}/progress",
    ):
        response = httpx.get(f"{platform.tracking.url}{path}", headers=platform.auth, params={"as_of": as_of})
        _refused(response, "as_of")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"deadline": PAST_9999}, "deadline"),
        ({"start_at": BEFORE_1}, "start_at"),
        ({"deadline": "2999-12-31T23:00:00-01:00"}, "deadline"),
        ({"target": 1e16}, "target"),
        ({"baseline": -1.7e308}, "baseline"),
        ({"weight": 2e15}, "weight"),
        ({"target": 10**30}, "target"),
        ({"checkin_every": "P99999999D"}, "checkin_every"),  # the next check-in overflowed a datetime: 500
    ],
)
def test_a_goal_out_of_bounds_is_422_naming_the_field(platform: Platform, fields: dict[str, Any], field: str) -> None:
    body = {"title": "x", "target": 10, "start_at": START, "deadline": DEADLINE} | fields
    _refused(httpx.post(f"{platform.goals.url}/v1/goals", headers=platform.auth, json=body), field)


def test_anti_goal_thresholds_plan_checkpoints_and_measurements_are_bounded(platform: Platform) -> None:
    goals, auth = platform.goals.url, platform.auth
    anti = {"title": "a", "kind": "anti", "metric": {"key": "m"}, "comparator": "above", "threshold": 5}
    _refused(httpx.post(f"{goals}/v1/goals", headers=auth, json=anti | {"threshold": 1e300}), "threshold")
    _refused(httpx.post(f"{goals}/v1/goals", headers=auth, json=anti | {"recovery_threshold": -1e16}),
             "recovery_threshold")  # fmt: skip
    _refused(httpx.post(f"{goals}/v1/goals", headers=auth, json=anti | {"window": "P99999999D"}), "window")
    goal_id, metric = _sum_goal(platform)
    for checkpoint, field in (
        ({"due": PAST_9999, "target": 5}, "checkpoints.0.due"),
        ({"due": DEADLINE, "target": 1e16}, "checkpoints.0.target"),
    ):
        plan = httpx.post(f"{goals}/v1/goals/{goal_id}/plan", headers=auth, json={"checkpoints": [checkpoint]})
        _refused(plan, field)
    item = {"metric": metric, "value": 1, "observed_at": BEFORE_1}
    _refused(httpx.post(f"{goals}/v1/measurements", headers=auth, json={"measurements": [item]}),
             "measurements.0.observed_at")  # fmt: skip
    ladder = {"title": "l", "rungs": [{"title": "r", "metric": {"key": metric}, "target": 1, "deadline": PAST_9999}]}
    _refused(httpx.post(f"{goals}/v1/ladders", headers=auth, json=ladder), "rungs.0.deadline")
