"""The marketing-quarter scenario read from the tracking service's read models, live and as of a past time.

Every `progress`, `current`, `status`, `open_breaches` and `ladder_progress` number the file lists is
read from the tracking API (within 1e-6). Then the tree as of the moment between steps 1 and 2 must show
step 1's numbers, rebuilt from tracking's event log.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import sys
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from goalstream_contracts.topics import GOAL_EVENTS
from tests.e2e.conftest import Platform
from tests.support.polling import eventually
from tests.support.scenario import SCENARIOS_DIR, Check, GoalReading, Scenario, ScenarioRunner

pytestmark = pytest.mark.e2e
TRACKED = frozenset({Check.PROGRESS, Check.CURRENT, Check.STATUS, Check.OPEN_BREACHES, Check.LADDER_PROGRESS})


class TrackingRunner(ScenarioRunner):
    """Reads numbers from tracking (port 8002's API) instead of the goals service."""

    def __init__(self, tracking_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tracking_url = tracking_url.rstrip("/")
        self.as_of: str | None = None

    async def _tracking(self, path: str) -> Any:
        params = {"as_of": self.as_of} if self.as_of else {}
        response = await self.http.get(f"{self.tracking_url}{path}", params=params)
        if response.status_code != 200:
            raise AssertionError(f"GET {path}: {response.status_code} {response.text}")
        return response.json()

    async def read_goal(self, goal_id: str) -> GoalReading:
        view = await self._tracking(f"/v1/goals/{goal_id}/progress")
        return GoalReading(progress=view["progress"], current=view["current_value"], status=view["status"])

    async def read_ladder(self, ladder_id: str) -> float | None:
        progress: float = (await self._tracking(f"/v1/ladders/{ladder_id}/progress"))["progress"]
        return progress

    async def read_open_breaches(self, goal_id: str) -> int:
        count: int = (await self._tracking(f"/v1/goals/{goal_id}/progress"))["open_breaches"]
        return count


async def test_marketing_quarter_numbers_from_tracking_live_and_as_of(platform: Platform) -> None:
    scenario = Scenario.load(SCENARIOS_DIR / "marketing-quarter.json")
    runner = TrackingRunner(
        platform.tracking.url,
        scenario=scenario,
        now=datetime.now(UTC),
        goals_url=platform.goals.url,
        headers=platform.auth,
        kafka_bootstrap=platform.kafka_bootstrap,
        org_id=platform.org_id,
        checks=TRACKED,
        settle_timeout=60,
    )
    async with runner:
        await runner.setup()
        others = await _critical_breaches(platform)  # the services' other organisations' breaches, on the same gauge
        first, *rest = scenario.steps
        await runner.run_step(first)
        between = datetime.now(UTC).isoformat()  # after step 1 settled, before step 2 was sent
        for step in rest:
            await runner.run_step(step)
            # tracking's /metrics counts anti-goals in breach: A1 (critical) after step 2, none after its recovery
            assert await _critical_breaches(platform) - others == (1 if step.index == 2 else 0), step.index
        assert runner.skipped == [(s.index, Check.EVENTS) for s in scenario.steps if s.expect.events]

        # As of the moment between steps 1 and 2: step 1's numbers, and no breach yet (A1 breached in step 2).
        runner.as_of = between
        problems = await runner.mismatches(first.expect, TRACKED)
        assert problems == [], problems
        g0 = runner.refs.goal_id("G0")
        async with httpx.AsyncClient(headers=platform.auth) as client:
            tree = (await client.get(f"{platform.tracking.url}/v1/tree", params={"root": g0, "as_of": between})).json()
            live = (await client.get(f"{platform.tracking.url}/v1/tree", params={"root": g0})).json()
        assert tree["goal"]["open_breaches"] == 0 and live["goal"]["open_breaches"] == 0
        assert tree["goal"]["progress"] == pytest.approx(0.5625, abs=1e-6)
        assert {c["goal"]["goal_id"] for c in tree["children"]} == {
            runner.refs.goal_id("D1"),
            runner.refs.goal_id("D2"),
        }
        # The rollup says where it came from: D1 and D2 with weights 1 and 3.
        source = live["goal"]["source"]
        assert source["kind"] == "rollup", live["goal"]
        assert sorted(c["weight"] for c in source["children"]) == [1.0, 3.0]

        # Every event of the scenario a second time, shuffled across goals: the read models do not change.
        before = await _answers(platform, runner)
        replay = list(runner.log.events)
        random.Random(11).shuffle(replay)
        producer = AIOKafkaProducer(bootstrap_servers=platform.kafka_bootstrap)
        await producer.start()
        try:
            for e in replay:
                headers = [(k, v.encode()) for k, v in e.headers.items()]
                await producer.send_and_wait(GOAL_EVENTS, e.value, key=e.key, headers=headers)
        finally:
            await producer.stop()
        await _marker_seen(platform)  # published after the replay on the same partition: the replay was consumed
        assert await _answers(platform, runner) == before

        # A rebuild from the topic by the command, with its progress bar: the same answers afterwards.
        env = {
            **os.environ,
            "GOALSTREAM_DATABASE_URL": platform.database_url,
            "GOALSTREAM_KAFKA_BOOTSTRAP": platform.kafka_bootstrap,
        }
        command = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "goalstream_tracking", "rebuild", env=env, stderr=asyncio.subprocess.PIPE
        )
        _, err = await asyncio.wait_for(command.communicate(), 300)
        stderr = err.decode()
        assert command.returncode == 0, stderr
        # Another module may have rebuilt the shared services' read models already: the next generation, whichever.
        switched = re.search(r"live generation is now tracking_rm_(\d+) \(was tracking_rm_(\d+)\)", stderr)
        assert "rebuilding read models" in stderr and switched is not None, stderr
        assert int(switched.group(1)) == int(switched.group(2)) + 1
        assert await _answers(platform, runner) == before


async def _answers(platform: Platform, runner: TrackingRunner) -> dict[str, Any]:
    """Everything tracking says about the scenario's goals and ladders (minus the time of the answer)."""
    answers: dict[str, Any] = {}
    async with httpx.AsyncClient(headers=platform.auth) as client:
        for ref, goal_id in sorted(runner.refs.goal_ids().items()):
            view = (await client.get(f"{platform.tracking.url}/v1/goals/{goal_id}/progress")).json()
            history = (await client.get(f"{platform.tracking.url}/v1/goals/{goal_id}/history")).json()
            answers[ref] = {k: v for k, v in view.items() if k not in ("as_of", "expected_progress")} | {
                "history": history
            }
        for ref in runner.scenario.ladder_refs():
            view = (
                await client.get(f"{platform.tracking.url}/v1/ladders/{runner.refs.ladder_id(ref)}/progress")
            ).json()
            answers[ref] = {k: v for k, v in view.items() if k != "as_of"}
        anti = (await client.get(f"{platform.tracking.url}/v1/anti-goals")).json()
        answers["anti-goals"] = [
            {k: v for k, v in a.items() if k not in ("as_of", "expected_progress")} for a in anti["items"]
        ]
    return answers


async def _marker_seen(platform: Platform) -> None:
    async with httpx.AsyncClient(headers=platform.auth) as client:
        created = await client.post(
            f"{platform.goals.url}/v1/goals",
            json={"title": "marker", "target": 1, "deadline": "2099-01-01T00:00:00Z"},
        )
        marker = created.json()["id"]

        async def seen() -> bool | None:
            response = await client.get(f"{platform.tracking.url}/v1/goals/{marker}/progress")
            return True if response.status_code == 200 else None

        await eventually(seen, 60, "the marker goal in tracking")


def test_the_dashboard_is_served_at_the_root(platform: Platform) -> None:
    response = httpx.get(f"{platform.tracking.url}/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'type="module" src="/static/app.js"' in response.text  # the page's script is a file of its own (the CSP)
    for module, route in (("treedata.js", 'json("/v1/tree"'), ("anti.js", 'pages("/v1/anti-goals"')):
        script = httpx.get(f"{platform.tracking.url}/static/{module}")
        assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
        assert route in script.text


async def _critical_breaches(platform: Platform) -> float:
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{platform.tracking.url}/metrics")).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "goalstream_anti_goals_breached"
        for sample in family.samples
        if sample.labels.get("severity") == "critical"
    )
