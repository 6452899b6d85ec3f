"""The dashboard's API (issue 20) from outside, on the real services: the new fields on every goal, roots without
rungs, the ladders page, a goal's series with its expected line, the event stream with its ETag, search, and a 422
naming the field for each bad parameter."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Platform
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC).replace(microsecond=0)


def at(days: float) -> str:
    return (NOW + timedelta(days=days)).isoformat()


async def _post(
    client: httpx.AsyncClient, platform: Platform, path: str, body: dict[str, Any], trace_id: str | None = None
) -> Any:
    traced = {} if trace_id is None else {"traceparent": f"00-{trace_id}-{'1' * 16}-01"}
    response = await client.post(f"{platform.goals.url}{path}", headers={**platform.auth, **traced}, json=body)
    assert response.status_code in (201, 202), response.text
    return response.json()


async def _get(client: httpx.AsyncClient, platform: Platform, path: str, **params: Any) -> Any:
    response = await client.get(f"{platform.tracking.url}{path}", headers=platform.auth, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_every_dashboard_route_answers_from_outside(platform: Platform) -> None:
    tag = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(timeout=30) as client:
        span = {"start_at": at(-10), "deadline": at(20)}
        company = {"title": f"Company {tag}", "owner": "ana", "target": 1, "rollup": "weighted_mean", **span}
        caller_trace = uuid.uuid4().hex  # the caller's own trace: the event stream links the event to it
        top = (await _post(client, platform, "/v1/goals", company, caller_trace))["id"]
        metric = f"revenue.{tag}"
        body = {"title": f"Revenue EU {tag}", "owner": "bo", "parent_id": top, "metric": {"key": metric}, **span}
        leaf = (await _post(client, platform, "/v1/goals", {**body, "unit": "EUR", "baseline": 10, "target": 110}))[
            "id"
        ]
        rung = {"metric": {"key": f"rung.{tag}"}}
        rungs = [{"title": "1", "target": 5, **span, **rung}, {"title": "2", "target": 9, "deadline": at(40), **rung}]
        ladder = (await _post(client, platform, "/v1/ladders", {"title": "climb", "rungs": rungs}))["id"]
        reading = {"metric": metric, "value": 60, "observed_at": at(-1), "source": "crm"}
        await _post(client, platform, "/v1/measurements", {"measurements": [reading]})

        async def measured() -> Any:
            answer = await _get(client, platform, f"/v1/goals/{leaf}/series")
            return answer if any(p["source"] == "crm" for p in answer["points"]) else None

        series = await eventually(measured, 60, "the measurement in the series")
        assert series["unit"] == "EUR" and (series["baseline"], series["target"]) == (10.0, 110.0)
        point = next(p for p in series["points"] if p["source"] == "crm")
        assert point["value"] == 60.0 and point["progress"] == 0.5 and point["event_type"] == "MeasurementRecorded"
        assert [(e["progress"], e["value"]) for e in (series["expected"][0], series["expected"][-1])] == [
            (0.0, 10.0),
            (1.0, 110.0),
        ]

        oldest = (await _get(client, platform, f"/v1/goals/{leaf}/history"))["points"]
        newest = await _get(client, platform, f"/v1/goals/{leaf}/history", before_version=2**31, limit=1)
        assert [p["version"] for p in newest["points"]] == [oldest[-1]["version"]]  # the latest change first
        assert newest["next_before_version"] == oldest[-1]["version"] and len(oldest) > 1
        older = await _get(client, platform, f"/v1/goals/{leaf}/history", before_version=oldest[-1]["version"])
        assert [p["version"] for p in older["points"]] == [p["version"] for p in oldest[-2::-1]]

        goal = await _get(client, platform, f"/v1/goals/{leaf}/progress")
        assert (goal["owner"], goal["parent_id"], goal["ladder_id"], goal["rung"]) == ("bo", top, None, None)
        assert goal["deadline"] is not None and goal["start_at"] is not None

        parent = await _get(client, platform, f"/v1/goals/{top}/progress")
        added = [c["contribution"] for c in parent["source"]["children"]]
        assert added and sum(added) == pytest.approx(parent["progress"])  # what each child adds makes the whole

        guards = [{"threshold": 5, "recovery_threshold": 4}, {"threshold": 7}]
        anti_ids = []
        for i, guard in enumerate(guards):
            anti = {"title": f"churn {i} {tag}", "kind": "anti", "comparator": "above", "start_at": at(-10), **guard}
            anti_ids.append(
                (await _post(client, platform, "/v1/goals", {**anti, "metric": {"key": f"churn.{tag}"}}))["id"]
            )

        async def both_anti_goals() -> Any:
            items = (await _get(client, platform, "/v1/anti-goals", limit=1000))["items"]
            found = {a["goal_id"]: a["recovery_threshold"] for a in items if a["goal_id"] in anti_ids}
            return found if len(found) == 2 else None

        recovery = await eventually(both_anti_goals, 60, "both anti-goals in tracking")
        assert [recovery[g] for g in anti_ids] == [4.0, 7.0]  # without one set, a breach ends at the threshold

        roots = [g["goal_id"] for g in (await _get(client, platform, "/v1/tree", limit=1000))["items"]]
        assert top in roots
        ladders = (await _get(client, platform, "/v1/ladders"))["items"]
        (mine,) = [lad for lad in ladders if lad["ladder_id"] == ladder]
        assert mine["rungs"][0]["unlocked_at"] is not None and mine["rungs"][1]["unlocked_at"] is None
        assert not {r["goal_id"] for r in mine["rungs"]} & set(roots)  # rungs show in their ladder only
        rung_view = await _get(client, platform, f"/v1/goals/{mine['rungs'][0]['goal_id']}/progress")
        assert (rung_view["ladder_id"], rung_view["rung"]) == (ladder, 1)

        found = await _get(client, platform, "/v1/search", q=f"REVENUE eu {tag}", owner="bo")
        assert [(g["goal_id"], g["path"]) for g in found["items"]] == [(leaf, [top])]

        response = await client.get(f"{platform.tracking.url}/v1/events", headers=platform.auth, params={"limit": 3})
        latest, etag = response.json(), response.headers["ETag"]
        assert response.status_code == 200 and len(latest["items"]) == 3
        cursors = [int(e["cursor"].split(":")[1]) for e in latest["items"]]
        assert cursors == sorted(cursors, reverse=True) and latest["next_after"] == latest["items"][0]["cursor"]
        unchanged = await client.get(
            f"{platform.tracking.url}/v1/events", headers={**platform.auth, "If-None-Match": etag}
        )
        assert unchanged.status_code == 304
        mine_only = await _get(client, platform, "/v1/events", goal_id=leaf, type="MeasurementRecorded")
        assert [e["goal_id"] for e in mine_only["items"]] == [leaf]
        (goal_set,) = (await _get(client, platform, "/v1/events", goal_id=top, type="GoalSet"))["items"]
        assert goal_set["trace_id"] == caller_trace
        older = latest["items"][-1]["cursor"]
        after = await _get(client, platform, "/v1/events", after=older)
        assert [e["cursor"] for e in after["items"]][:2] == [e["cursor"] for e in latest["items"][:2]][::-1]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/events", {"after": "not-a-cursor"}, "after"),
        ("/v1/events", {"limit": 0}, "limit"),
        ("/v1/ladders", {"limit": 100000}, "limit"),
        ("/v1/ladders", {"as_of": "yesterday"}, "as_of"),
        ("/v1/search", {"status": "great"}, "status"),
        ("/v1/search", {"level": "galaxy"}, "level"),
        ("/v1/goals/x/series", {"as_of": "2026-13-01T00:00:00Z"}, "as_of"),
    ],
)
def test_a_bad_parameter_is_a_422_naming_it(platform: Platform, path: str, params: dict[str, Any], field: str) -> None:
    response = httpx.get(f"{platform.tracking.url}{path}", headers=platform.auth, params=params, timeout=30)
    assert response.status_code == 422, response.text
    assert field in response.text


def test_a_goal_of_no_series_is_a_404(platform: Platform) -> None:
    response = httpx.get(f"{platform.tracking.url}/v1/goals/nope/series", headers=platform.auth, timeout=30)
    assert response.status_code == 404
