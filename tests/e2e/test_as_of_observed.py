"""`as_of_mode=observed` (issue 20) on the real services: a goal created now, its history imported with observed
times in the past, answers as of a past time by observed time, while as of the same recorded time it did not exist.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.e2e.conftest import Platform
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e

NOW = datetime.now(UTC)
DAY = timedelta(days=1)


def _at(t: datetime, mode: str | None = "observed") -> dict[str, str]:
    return {"as_of": t.isoformat()} | ({} if mode is None else {"as_of_mode": mode})


def _goal_with_history(platform: Platform) -> str:
    """A goal created now (a sum, 60 days from 40 days ago, two milestones) and values observed 30 and 15 days ago."""
    metric = f"observed.{NOW.timestamp()}"
    with httpx.Client(base_url=platform.goals.url, headers=platform.auth, timeout=30) as goals:
        created = goals.post(
            "/v1/goals",
            json={
                "title": "signups",
                "metric": {"key": metric, "aggregation": "sum"},
                "target": 100,
                "start_at": (NOW - 40 * DAY).isoformat(),
                "deadline": (NOW + 20 * DAY).isoformat(),
            },
        )
        assert created.status_code == 201, created.text
        goal_id = created.json()["id"]
        assert goals.post(f"/v1/goals/{goal_id}/plan", json={"milestones": 2}).status_code in (200, 201)
        history = [
            {"id": f"{metric}-a", "metric": metric, "value": 20, "observed_at": (NOW - 30 * DAY).isoformat()},
            {"id": f"{metric}-b", "metric": metric, "value": 40, "observed_at": (NOW - 15 * DAY).isoformat()},
        ]
        imported = goals.post("/v1/measurements", json={"measurements": history})
        assert imported.status_code == 202, imported.text
    return str(goal_id)


async def test_history_imported_into_a_new_goal_answers_by_observed_time(platform: Platform) -> None:
    goal_id = _goal_with_history(platform)

    async with httpx.AsyncClient(base_url=platform.tracking.url, headers=platform.auth, timeout=30) as tracking:
        path = f"/v1/goals/{goal_id}/progress"

        async def caught_up() -> bool:
            return (await tracking.get(path)).json().get("current_value") == 60.0

        await eventually(caught_up, what="tracking applied the import")
        then = NOW - 20 * DAY
        recorded = await tracking.get(path, params=_at(then, "recorded"))
        assert recorded.status_code == 404, recorded.text  # the platform did not know the goal then
        assert (await tracking.get(path, params=_at(then, None))).status_code == 404  # recorded is the default

        early = (await tracking.get(path, params=_at(then))).json()
        assert (early["current_value"], early["progress"]) == (20.0, 0.2)
        # expected 0.5 * 20/30 by then (the first milestone, half the way, falls due 10 days ago): 0.33 - 0.2
        assert early["status"] == "at_risk"
        assert [m["state"] for m in early["milestones"]] == ["pending", "pending"]

        later = (await tracking.get(path, params=_at(NOW - 5 * DAY))).json()
        assert later["current_value"] == 60.0 and later["status"] == "on_track"
        first = later["milestones"][0]
        assert (first["state"], first["late"]) == ("hit", False)
        assert datetime.fromisoformat(first["at"]) == NOW - 15 * DAY

        series = (await tracking.get(f"/v1/goals/{goal_id}/series", params=_at(then))).json()
        measured = [(p["at"], p["value"]) for p in series["points"] if p["event_type"] == "MeasurementRecorded"]
        assert [(datetime.fromisoformat(at), value) for at, value in measured] == [(NOW - 30 * DAY, 20.0)]
        found = await tracking.get("/v1/search", params={"q": "signups", **_at(then)})
        assert goal_id in [g["goal_id"] for g in found.json()["items"]], found.text

        tree = await tracking.get("/v1/tree", params={"root": goal_id, **_at(then)})
        assert tree.status_code == 200 and tree.json()["goal"]["current_value"] == 20.0, tree.text

        alone = await tracking.get(path, params={"as_of_mode": "observed"})
        assert alone.status_code == 422, alone.text
        assert [e["field"] for e in alone.json()["errors"]] == ["as_of_mode"]
        bad = await tracking.get(path, params={**_at(then), "as_of_mode": "sometime"})
        assert bad.status_code == 422 and "as_of_mode" in bad.text


async def test_a_sum_imported_out_of_order_charts_at_each_time_what_observed_mode_answers_then(
    platform: Platform,
) -> None:
    """The newer value is imported first, the older one after: goals' running totals are in recorded order (40,
    then 60 at the older time); the series counts by observed time, as `as_of_mode=observed` does."""
    metric = f"unordered.{NOW.timestamp()}"
    late, early = NOW - 15 * DAY, NOW - 30 * DAY
    async with (
        httpx.AsyncClient(base_url=platform.goals.url, headers=platform.auth, timeout=30) as goals,
        httpx.AsyncClient(base_url=platform.tracking.url, headers=platform.auth, timeout=30) as tracking,
    ):
        created = await goals.post(
            "/v1/goals",
            json={
                "title": "unordered",
                "metric": {"key": metric, "aggregation": "sum"},
                "target": 100,
                "start_at": (NOW - 40 * DAY).isoformat(),
                "deadline": (NOW + 20 * DAY).isoformat(),
            },
        )
        assert created.status_code == 201, created.text
        goal_id = created.json()["id"]
        for value, at, total in ((40, late, 40.0), (20, early, 60.0)):  # one after the other: recorded in this order
            one = {"id": f"{metric}-{value}", "metric": metric, "value": value, "observed_at": at.isoformat()}
            assert (await goals.post("/v1/measurements", json={"measurements": [one]})).status_code == 202

            async def applied(total: float = total) -> bool:
                return (await tracking.get(f"/v1/goals/{goal_id}/progress")).json().get("current_value") == total

            await eventually(applied, what=f"tracking applied the value of {value}")

        series = (await tracking.get(f"/v1/goals/{goal_id}/series")).json()
        measured = [p for p in series["points"] if p["event_type"] == "MeasurementRecorded"]
        assert [(datetime.fromisoformat(p["at"]), p["value"]) for p in measured] == [(early, 20.0), (late, 60.0)]
        for p in measured:
            then = await tracking.get(f"/v1/goals/{goal_id}/progress", params=_at(datetime.fromisoformat(p["at"])))
            assert then.status_code == 200, then.text
            assert (p["value"], p["progress"]) == (then.json()["current_value"], then.json()["progress"])
        observed_then = (await tracking.get(f"/v1/goals/{goal_id}/series", params=_at(NOW - 20 * DAY))).json()
        assert [(p["at"], p["value"]) for p in observed_then["points"]] == [(measured[0]["at"], 20.0)]
