"""Two small things of issue 18, item 11, on the real services.

- `DELETE /v1/goals/{goal_id}` honours `If-Match` when given, like PATCH (a stale version: 409 `version_conflict`,
  nothing changed), and keeps it optional; a goal archived already answers 200 whatever the version, so a DELETE
  retried after its answer was lost does not report a conflict with itself.
- A hard goal with no value yet shows progress 0 on goals as on tracking; only an anti-goal shows none.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Platform
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e

NOW = datetime.now(UTC)
WHEN = {"start_at": (NOW - timedelta(days=1)).isoformat(), "deadline": (NOW + timedelta(days=30)).isoformat()}


def _goals(platform: Platform) -> httpx.Client:
    return httpx.Client(base_url=platform.goals.url, headers=platform.auth, timeout=30)


def _create(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/goals", json={"title": "a goal", **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_delete_honours_if_match_when_given_and_a_retry_is_not_a_conflict(platform: Platform) -> None:
    with _goals(platform) as goals:
        goal = _create(goals, metric={"key": "archive.m"}, target=10, **WHEN)
        path, version = f"/v1/goals/{goal['id']}", goal["version"]
        events = len(goals.get(f"{path}/events").json())

        stale = goals.delete(path, headers={"If-Match": f'"{version + 3}"'})
        assert stale.status_code == 409, stale.text
        assert stale.json()["error"] == "version_conflict"
        assert [e["field"] for e in stale.json()["errors"]] == ["If-Match"]
        assert goals.get(path).json() == goal  # nothing changed

        archived = goals.delete(path, headers={"If-Match": f'"{version}"'})
        assert archived.status_code == 200, archived.text
        assert archived.json()["archived"] is True
        assert archived.headers["etag"] == f'"{version + 1}"'

        # The same request again (its answer lost): the archive it asks for has happened, so 200, and no new event.
        retried = goals.delete(path, headers={"If-Match": f'"{version}"'})
        assert retried.status_code == 200, retried.text
        assert retried.json() == archived.json()
        assert goals.delete(path).status_code == 200  # If-Match stays optional
        assert len(goals.get(f"{path}/events").json()) == events + 1

        # Without If-Match, a live goal is archived as before.
        other = _create(goals, metric={"key": "archive.m"}, target=10, **WHEN)
        assert goals.delete(f"/v1/goals/{other['id']}").json()["archived"] is True

        parameters = goals.get("/openapi.json").json()["paths"]["/v1/goals/{goal_id}"]["delete"]["parameters"]
        (if_match,) = [p for p in parameters if p["name"].lower() == "if-match"]
        assert if_match["required"] is False
        assert "409" in if_match["description"] and "optional" in if_match["description"]


def test_a_hard_goal_with_no_value_shows_progress_zero_on_goals_as_on_tracking(platform: Platform) -> None:
    with _goals(platform) as goals:
        forms = {
            "measured": _create(goals, metric={"key": "none.yet"}, target=10, **WHEN),
            "rolled up": _create(goals, rollup="weighted_mean", **WHEN),
            "sum": _create(goals, rollup="sum", target=5, **WHEN),
            "anti": _create(goals, kind="anti", metric={"key": "none.yet"}, comparator="above", threshold=3),
        }
        forms["child"] = _create(goals, parent_id=forms["rolled up"]["id"], rollup="worst", **WHEN)
        shown = {name: goals.get(f"/v1/goals/{g['id']}").json() for name, g in forms.items()}
    assert {name: g["progress"] for name, g in shown.items()} == {
        "measured": 0.0, "rolled up": 0.0, "sum": 0.0, "anti": None, "child": 0.0,
    }  # fmt: skip

    async def tracked() -> dict[str, Any] | None:
        async with httpx.AsyncClient(base_url=platform.tracking.url, headers=platform.auth, timeout=30) as client:
            seen = {name: (await client.get(f"/v1/goals/{g['id']}/progress")).json() for name, g in shown.items()}
        return seen if all(seen[n].get("version") == g["version"] for n, g in shown.items()) else None

    tracking = asyncio.run(eventually(tracked, 30, "tracking at goals' versions"))
    assert {n: t["progress"] for n, t in tracking.items()} == {n: g["progress"] for n, g in shown.items()}
