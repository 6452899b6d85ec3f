"""HubSpot webhooks from outside, on the running platform: a batch signed as HubSpot signs (the test computes the
v3 signature from HubSpot's documented algorithm) moves the mapped goal in tracking; the same delivery again counts
once; a wrong signature, a stale timestamp, an unknown portal or a malformed batch changes nothing; a record no
mapping matches is counted and shown on its connection."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Platform
from tests.support.cli import goalstream
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC)
SECRET = f"hubspot-client-secret-{uuid.uuid4()}"


def sign(uri: str, body: bytes, timestamp: str, secret: str = SECRET) -> str:
    """HubSpot's v3: base64(HMAC-SHA256(client secret, method + URI + body + timestamp))."""
    return base64.b64encode(hmac.new(secret.encode(), b"POST" + uri.encode() + body + timestamp.encode(),
                                     hashlib.sha256).digest()).decode()  # fmt: skip


def event(portal: int, event_id: int, name: str, value: str) -> dict[str, Any]:
    return {
        "eventId": event_id, "subscriptionId": 4711, "portalId": portal, "appId": 1160452,
        "occurredAt": int(NOW.timestamp() * 1000), "subscriptionType": "deal.propertyChange", "attemptNumber": 0,
        "objectId": 900 + event_id, "propertyName": name, "propertyValue": value, "changeSource": "CRM",
    }  # fmt: skip


class HubSpot:
    """Sends batches to the receiver as HubSpot does."""

    def __init__(self, client: httpx.AsyncClient, platform: Platform) -> None:
        self.client, self.uri = client, f"{platform.goals.url}/v1/receivers/hubspot"

    async def send(self, events: list[dict[str, Any]], secret: str = SECRET, age: float = 0) -> httpx.Response:
        body = json.dumps(events).encode()
        stamp = str(int((time.time() - age) * 1000))
        headers = {"X-HubSpot-Signature-v3": sign(self.uri, body, stamp, secret), "X-HubSpot-Request-Timestamp": stamp,
                   "X-HubSpot-Signature-Version": "v3", "Content-Type": "application/json"}  # fmt: skip
        return await self.client.post(self.uri, content=body, headers=headers)


async def test_a_signed_hubspot_batch_moves_the_mapped_goal_once_and_nothing_else_does(platform: Platform) -> None:
    portal, metric = secrets.randbelow(10**9) + 10**9, f"crm.pipeline.{uuid.uuid4().hex[:8]}"
    goals, auth = platform.goals.url, platform.auth
    async with httpx.AsyncClient(timeout=30) as client:
        goal = await client.post(f"{goals}/v1/goals", headers=auth, json={
            "title": "Pipeline", "metric": {"key": metric, "aggregation": "sum"}, "target": 10000,
            "start_at": (NOW - timedelta(days=1)).isoformat(), "deadline": (NOW + timedelta(days=30)).isoformat(),
        })  # fmt: skip
        connection = await client.post(
            f"{goals}/v1/connections",
            headers=auth,
            json={"platform": "hubspot", "account": str(portal), "secret": SECRET},
        )
        assert connection.status_code == 201, connection.text
        assert "secret" not in connection.json()
        mapping = {"platform": "hubspot", "object_type": "deal", "value_path": "properties.amount", "metric": metric}
        assert (await client.post(f"{goals}/v1/mappings", headers=auth, json=mapping)).status_code == 201
        goal_id, hubspot = goal.json()["id"], HubSpot(client, platform)

        async def shown(value: float) -> None:
            async def reached() -> bool:
                answer = await client.get(f"{platform.tracking.url}/v1/goals/{goal_id}/progress", headers=auth)
                return answer.status_code == 200 and answer.json()["current_value"] == value

            await eventually(reached, 60, f"tracking showing {value}")

        batch = [event(portal, 1, "amount", "1500"), event(portal, 2, "amount", "500")]
        first = await hubspot.send(batch)
        assert first.status_code == 200, first.text
        assert (first.json()["accepted"], first.json()["unmatched"]) == (2, [])
        await shown(2000)

        # HubSpot's retry of the same delivery (a new timestamp, the same events): duplicates, then a sentinel.
        again = await hubspot.send(batch, age=1)
        assert (again.status_code, again.json()["accepted"], again.json()["duplicate"]) == (200, 0, 2)
        assert (await hubspot.send([event(portal, 3, "amount", "1")])).json()["accepted"] == 1
        await shown(2001)

        # Refused deliveries change nothing: each would add 100; the sentinel after them adds 1.
        refusals = [
            await hubspot.send([event(portal, 4, "amount", "100")], secret="not-the-client-secret"),
            await hubspot.send([event(portal, 5, "amount", "100")], age=6 * 60),
            await hubspot.send([event(portal + 1, 6, "amount", "100")]),
        ]
        assert [(r.status_code, r.json()["error"]) for r in refusals] == [(401, "unauthorized")] * 3
        malformed = [b"[{", json.dumps([event(portal, 7, "amount", "100")] * 101).encode(), b"x" * 1_100_000]
        answers = []
        for body in malformed:
            stamp = str(int(time.time() * 1000))
            headers = {"X-HubSpot-Signature-v3": sign(hubspot.uri, body, stamp), "X-HubSpot-Request-Timestamp": stamp}
            answer = await client.post(hubspot.uri, content=body, headers=headers)
            answers.append((answer.status_code, answer.json()["error"]))
        assert answers == [(400, "malformed_json"), (400, "malformed_batch"), (413, "payload_too_large")]
        assert (await hubspot.send([event(portal, 8, "amount", "1")])).json()["accepted"] == 1
        await shown(2002)

        # A change of a property no mapping reads: counted, answered and shown on the connection.
        stage = await hubspot.send([event(portal, 9, "dealstage", "closedwon")])
        assert stage.status_code == 200 and stage.json()["unmatched"][0]["event_id"] == "9", stage.text
        shown_on = await client.get(f"{goals}/v1/connections/{connection.json()['id']}", headers=auth)
        [unmatched] = shown_on.json()["unmatched"]
        assert (unmatched["object_type"], unmatched["count"], unmatched["last_event_id"]) == ("deal", 1, "9")
        assert unmatched["last_fields"]["properties"] == {"dealstage": "closedwon"}
        exported = (await client.get(f"{goals}/metrics")).text
        counted = [line for line in exported.splitlines() if line.startswith("goalstream_inbound_records")]
        assert 'goalstream_inbound_records_total{outcome="unmatched",platform="hubspot"} 1.0' in counted, counted
        assert (await hubspot.send([event(portal, 10, "amount", "1")])).json()["accepted"] == 1
        await shown(2003)


def test_the_cli_adds_lists_and_removes_connections_and_mappings(platform: Platform) -> None:
    where = ["--api", platform.goals.url, "--key", platform.api_key]
    portal, metric = str(secrets.randbelow(10**9) + 2 * 10**9), f"crm.cli.{uuid.uuid4().hex[:8]}"
    secret = {"GOALSTREAM_CONNECTION_SECRET": SECRET}
    added = goalstream("connections", "add", "--platform", "hubspot", "--account", portal, *where, env=secret)
    assert added.returncode == 0 and f"hubspot {portal}" in added.stdout, added.stdout + added.stderr
    connection_id = added.stdout.split()[1]
    listed = goalstream("connections", "list", *where)
    assert connection_id in listed.stdout and SECRET not in listed.stdout + added.stdout
    refused = goalstream("mappings", "add", "--platform", "hubspot", "--object-type", "deal", "--value-path", "a..b",
                         "--metric", metric, *where)  # fmt: skip
    assert refused.returncode == 1 and "value_path" in refused.stdout, refused.stdout
    mapping = goalstream("mappings", "add", "--platform", "hubspot", "--object-type", "deal", "--value-path",
                         "properties.amount", "--metric", metric, "--aggregation", "sum", *where)  # fmt: skip
    assert mapping.returncode == 0, mapping.stdout + mapping.stderr
    mapping_id = mapping.stdout.split()[1]
    assert metric in goalstream("mappings", "list", "--platform", "hubspot", *where).stdout
    assert goalstream("connections", "show", connection_id, *where).returncode == 0
    assert goalstream("mappings", "remove", mapping_id, *where).returncode == 0
    assert metric not in goalstream("mappings", "list", *where).stdout
    assert goalstream("connections", "remove", connection_id, *where).returncode == 0
    gone = goalstream("connections", "remove", connection_id, *where)
    assert gone.returncode == 1 and "404" in gone.stdout
