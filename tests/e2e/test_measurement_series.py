"""Every accepted measurement is kept and counts, through the real services: goals' views and tracking agree."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from goalstream_contracts.measurements import MeasurementSubmitted
from tests.e2e.conftest import Platform
from tests.support.cli import goalstream
from tests.support.measurements import publish_measurements
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC).replace(microsecond=0)


def at(days: float) -> str:
    return (NOW + timedelta(days=days)).isoformat()


async def _post(client: httpx.AsyncClient, platform: Platform, path: str, body: dict[str, Any]) -> Any:
    response = await client.post(f"{platform.goals.url}{path}", headers=platform.auth, json=body)
    assert response.status_code in (201, 202), response.text
    return response.json()


async def _measure(client: httpx.AsyncClient, platform: Platform, *items: tuple[str, float, float]) -> Any:
    body = {"measurements": [{"metric": m, "value": v, "observed_at": at(days)} for m, v, days in items]}
    return await _post(client, platform, "/v1/measurements", body)


async def _tracked(client: httpx.AsyncClient, platform: Platform, path: str, ready: Any) -> Any:
    """Tracking's answer once `ready(answer)` holds (its projection follows the goal events)."""

    async def probe() -> Any:
        response = await client.get(f"{platform.tracking.url}{path}", headers=platform.auth)
        return response.json() if response.status_code == 200 and ready(response.json()) else None

    return await eventually(probe, 60, f"tracking's {path}")


async def _counter(client: httpx.AsyncClient, platform: Platform, name: str, **labels: str) -> float:
    text = (await client.get(f"{platform.goals.url}/metrics")).text
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and labels.items() <= s.labels.items()
    )


async def test_a_ladder_reads_the_same_whether_its_readings_came_apart_or_in_one_batch(platform: Platform) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        ladders = {}
        for way in ("apart", "together"):
            metric = f"ladder.{way}.{uuid.uuid4().hex[:6]}"
            rung = {"metric": {"key": metric}}
            body = {
                "title": way,
                "rungs": [
                    {"title": "24", "target": 24, "start_at": at(-10), "deadline": at(30), **rung},
                    {"title": "35", "target": 35, "deadline": at(40), **rung},
                ],
            }
            ladders[way] = ((await _post(client, platform, "/v1/ladders", body))["id"], metric)
        apart, together = ladders["apart"][1], ladders["together"][1]
        await _measure(client, platform, (apart, 24, -2))
        await _measure(client, platform, (apart, 28, -1))
        await _measure(client, platform, (together, 24, -2), (together, 28, -1))
        for way, (ladder_id, _) in ladders.items():
            view = (await client.get(f"{platform.goals.url}/v1/ladders/{ladder_id}", headers=platform.auth)).json()
            assert (view["rungs"][1]["progress"], view["progress"]) == (pytest.approx(0.8), pytest.approx(0.9)), way
            # Tracking may show rung 2 unlocked before its fold lands: wait until it has the rung at goals' version.
            rung = view["rungs"][1]["goal_id"]
            version = (await client.get(f"{platform.goals.url}/v1/goals/{rung}", headers=platform.auth)).json()[
                "version"
            ]
            await _tracked(client, platform, f"/v1/goals/{rung}/progress", lambda p, v=version: p["version"] >= v)
            tracked = await _tracked(client, platform, f"/v1/ladders/{ladder_id}/progress", lambda p: True)
            assert (tracked["rungs"][1]["progress"], tracked["progress"]) == (pytest.approx(0.8), pytest.approx(0.9))


async def test_an_unmatched_measurement_is_counted_kept_and_picked_up_by_a_goal_set_later(platform: Platform) -> None:
    metric = f"orphan.{uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(timeout=30) as client:
        before = await _counter(client, platform, "goalstream_measurements_unmatched_total", channel="http")
        answer = await _measure(client, platform, (metric, 3, -20), (metric, 4, -5))
        assert (answer["accepted"], answer["unmatched"], answer["duplicate"], answer["rejected"]) == (2, 2, 0, 0)
        assert await _counter(client, platform, "goalstream_measurements_unmatched_total", channel="http") == before + 2

        # On the topic too: the unmatched one is counted, and a marker that a goal uses shows it was handled.
        topic_before = await _counter(client, platform, "goalstream_measurements_unmatched_total", channel="topic")
        await publish_measurements(
            platform.kafka_bootstrap,
            platform.org_id,
            MeasurementSubmitted(id=f"{metric}-topic", metric=metric, value=5, observed_at=NOW - timedelta(days=1)),
        )

        async def counted() -> float | None:
            value = await _counter(client, platform, "goalstream_measurements_unmatched_total", channel="topic")
            return value if value > topic_before else None

        assert await eventually(counted, 60, "the topic's unmatched measurement counted") == topic_before + 1

        goal = await _post(
            client,
            platform,
            "/v1/goals",
            {
                "title": "set after its data",
                "metric": {"key": metric, "aggregation": "sum"},
                "target": 20,
                "start_at": at(-10),
                "deadline": at(20),
            },
        )
        assert goal["current_value"] == 4 + 5  # observed at or after start_at; the one 20 days ago is not
        tracked = await _tracked(
            client, platform, f"/v1/goals/{goal['id']}/progress", lambda p: p["current_value"] is not None
        )
        assert (tracked["current_value"], tracked["progress"]) == (9, pytest.approx(goal["progress"]))

        listed = await client.get(f"{platform.goals.url}/v1/metrics", headers=platform.auth)
        assert listed.status_code == 200, listed.text
        mine = [m for m in listed.json()["items"] if m["key"] == metric]
        assert [(m["last_value"], m["count"], m["goals"]) for m in mine] == [(5, 3, [goal["id"]])]
        assert datetime.fromisoformat(mine[0]["last_observed_at"]) == NOW - timedelta(days=1)
        assert (await client.get(f"{platform.goals.url}/v1/metrics")).status_code == 401
        schema = (await client.get(f"{platform.goals.url}/openapi.json")).json()
        assert "/v1/metrics" in schema["paths"]


def _summary_count(output: str, name: str) -> int:
    for line in output.splitlines():
        cells = [c.strip() for c in line.replace("│", "|").split("|") if c.strip()]
        if len(cells) == 2 and cells[0] == name:
            return int(cells[1])
    raise AssertionError(f"no {name!r} row in the summary:\n{output}")


async def test_the_import_summary_counts_unmatched_rows(platform: Platform, tmp_path: Path) -> None:
    bound, loose = f"import.bound.{uuid.uuid4().hex[:6]}", f"import.loose.{uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(timeout=30) as client:
        body = {"title": "imported", "metric": {"key": bound, "aggregation": "sum"}, "target": 9, "deadline": at(9)}
        await _post(client, platform, "/v1/goals", {**body, "start_at": at(-5)})
    export = tmp_path / "export.csv"
    rows = [(bound, 1), (loose, 2), (loose, 3)]
    export.write_text("metric,value,observed_at\n" + "".join(f"{m},{v},{at(-1)}\n" for m, v in rows))
    result = goalstream("import", str(export), "--api", platform.goals.url, "--key", platform.api_key)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _summary_count(result.stdout, "accepted") == 3
    assert _summary_count(result.stdout, "unmatched (accepted, no goal yet)") == 2
