"""One trace across the three services (issue: operable): HTTP request -> event-store append ->
relay `send <topic>` -> Kafka `traceparent` -> `process <topic>` in tracking and notifications -> webhook POST.

Each service subprocess writes its spans as JSON lines to its own `GOALSTREAM_TRACE_FILE`.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from goalstream_contracts.topics import GOAL_EVENTS
from goalstream_runtime.auth import new_api_key
from tests.e2e.conftest import Platform
from tests.e2e.test_walking_skeleton import _read_events, _until_authorised
from tests.support.infra import Endpoints, create_database, start_groups_at_end
from tests.support.polling import eventually
from tests.support.processes import ServiceProcess
from tests.support.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e

SERVICES = ("goals", "tracking", "notifications")


@dataclass
class TracedPlatform:
    platform: Platform
    trace_dir: Path

    def spans(self, service: str, trace_id: str) -> list[dict[str, Any]]:
        path = self.trace_dir / f"{service}.jsonl"
        if not path.exists():
            return []
        spans = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return [s for s in spans if s["trace_id"] == trace_id]


@pytest.fixture(scope="module")
def traced(infra: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TracedPlatform]:
    """The three services, each writing its spans to `<trace_dir>/<service>.jsonl`."""
    database_url = asyncio.run(create_database(infra.database_url))
    run_id = uuid.uuid4().hex[:8]
    org_id, api_key = f"org-{run_id}", new_api_key()
    trace_dir = tmp_path_factory.mktemp("traces")
    env = {
        "GOALSTREAM_DATABASE_URL": database_url,
        "GOALSTREAM_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
        "GOALSTREAM_CONSUMER_GROUP_PREFIX": f"e2e-trace-{run_id}",
        "GOALSTREAM_DEMO_API_KEY": api_key,
        "GOALSTREAM_DEMO_ORG_ID": org_id,
        "GOALSTREAM_EGRESS_ALLOW": '["127.0.0.0/8", "::1/128"]',
    }
    asyncio.run(start_groups_at_end(infra.kafka_bootstrap, env["GOALSTREAM_CONSUMER_GROUP_PREFIX"]))
    logs = tmp_path_factory.mktemp("service-logs")
    services = [
        ServiceProcess(name, env | {"GOALSTREAM_TRACE_FILE": str(trace_dir / f"{name}.jsonl")}, logs)
        for name in SERVICES
    ]
    try:
        for service in services:
            service.start()
        for service in services:
            service.wait_ready()
        goals, tracking, notifications = services
        prefix = env["GOALSTREAM_CONSUMER_GROUP_PREFIX"]
        platform = Platform(
            goals, tracking, notifications, infra.kafka_bootstrap, database_url, prefix, org_id=org_id, api_key=api_key
        )
        yield TracedPlatform(platform, trace_dir)
    finally:
        for service in services:
            service.stop()


def _traceparent() -> tuple[str, str]:
    trace_id, span_id = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    return trace_id, f"00-{trace_id}-{span_id}-01"


async def test_one_requests_trace_id_reaches_spans_in_all_three_services(traced: TracedPlatform) -> None:
    platform, now = traced.platform, datetime.now(UTC)
    async with WebhookReceiver().running() as receiver, httpx.AsyncClient(headers=platform.auth, timeout=10) as http:
        subscribed = await _until_authorised(
            http,
            "POST",
            f"{platform.notifications.url}/v1/subscriptions",
            json={"channel": "webhook", "target": receiver.url, "event_types": ["GoalAchieved"]},
        )
        assert subscribed.status_code == 201, subscribed.text

        goal_trace, goal_parent = _traceparent()
        created = await http.post(
            f"{platform.goals.url}/v1/goals",
            headers={"traceparent": goal_parent},
            json={
                "title": "Qualified leads",
                "metric": {"key": "crm.leads.qualified", "aggregation": "sum"},
                "target": 100,
                "start_at": (now - timedelta(days=10)).isoformat(),
                "deadline": (now + timedelta(days=80)).isoformat(),
            },
        )
        assert created.status_code == 201, created.text
        goal_id = created.json()["id"]

        trace_id, parent = _traceparent()
        accepted = await http.post(
            f"{platform.goals.url}/v1/measurements",
            headers={"traceparent": parent},
            json={
                "measurements": [
                    {
                        "id": f"m-{goal_id}",
                        "metric": "crm.leads.qualified",
                        "value": 120,
                        "observed_at": now.isoformat(),
                    }
                ]
            },
        )
        assert accepted.status_code == 202, accepted.text

        # The webhook of the GoalAchieved this request caused carries its trace onwards.
        hooks = await eventually(lambda: _nonempty(receiver.received), 30, "the GoalAchieved webhook")
        assert hooks[0].headers["traceparent"].split("-")[1] == trace_id

    def names(service: str, trace: str) -> set[str]:
        return {s["name"] for s in traced.spans(service, trace)}

    process = f"process {GOAL_EVENTS}"

    async def every_service_traced() -> bool:
        return {"notifications deliver", process} <= names("notifications", trace_id)

    async def tracking_traced() -> bool:
        return process in names("tracking", trace_id) and process in names("tracking", goal_trace)

    await eventually(every_service_traced, 30, "the delivery span in the notifications trace file")
    await eventually(tracking_traced, 60, "tracking's process spans")
    goals_spans = names("goals", trace_id)
    assert {"POST /v1/measurements", "goals append", f"send {GOAL_EVENTS}"} <= goals_spans
    # The goal's own request is a trace of its own, which tracking continued too.
    assert "POST /v1/goals" in names("goals", goal_trace)

    # The messaging conventions: the relay's send (PRODUCER) is the parent of tracking's process (CONSUMER).
    sends = {s["span_id"]: s for s in traced.spans("goals", trace_id) if s["name"] == f"send {GOAL_EVENTS}"}
    assert all(s["kind"] == "PRODUCER" and s["attributes"]["messaging.system"] == "kafka" for s in sends.values())
    applies = [s for s in traced.spans("tracking", trace_id) if s["name"] == process and s["parent_span_id"] in sends]
    assert applies and all(s["kind"] == "CONSUMER" for s in applies)
    assert all(s["attributes"]["goalstream.handler"] == "tracking apply" for s in applies)
    assert {s["attributes"]["messaging.message.id"] for s in applies} <= {
        s["attributes"]["messaging.message.id"] for s in sends.values()
    }

    # Client spans: the request's SQL statements (asyncpg) and the webhook's POST (httpx).
    sql = [s for s in traced.spans("goals", trace_id) if s["attributes"].get("db.system") == "postgresql"]
    assert sql and all(s["kind"] == "CLIENT" for s in sql)
    posts = [s for s in traced.spans("notifications", trace_id) if s["kind"] == "CLIENT" and s["name"] == "POST"]
    assert [s["attributes"].get("url.full", s["attributes"].get("http.url")) for s in posts] == [receiver.url]

    # The server span continues the caller's traceparent: its parent is the span the client named.
    (server,) = [s for s in traced.spans("goals", trace_id) if s["name"] == "POST /v1/measurements"]
    assert server["parent_span_id"] == parent.split("-")[2]

    # On Kafka: the GoalAchieved record names the trace in a W3C traceparent header.
    records = await _read_events(platform.kafka_bootstrap, platform.org_id, {"GoalAchieved"})
    achieved = [r for r in records if dict(r.headers)["ce_type"] == b"io.goalstream.GoalAchieved"]
    assert [dict(r.headers)["traceparent"].decode().split("-")[1] for r in achieved] == [trace_id]


async def _nonempty(items: list[Any]) -> list[Any] | None:
    return items or None
