"""Segment from outside, on the running platform: `track` events built by Segment's own Python client (its message
builder, nothing leaves the process), stamped with the source as Segment forwards them and signed by the test as
the Webhooks destination signs (hex HMAC-SHA1 of the body), move the mapped goal in tracking; the same messageId
again counts once; a wrong or missing signature changes nothing (a sentinel after them shows it)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from segment.analytics.client import Client  # type: ignore[import-untyped]
from segment.analytics.request import DatetimeSerializer  # type: ignore[import-untyped]

from tests.e2e.conftest import Platform
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC)
SECRET = f"segment-shared-secret-{uuid.uuid4()}"


def track(message_id: str, amount: float, source: str | None) -> bytes:
    """The body Segment's destination posts: the client's track message, with the source Segment stamps on it."""
    _, built = Client(write_key="e2e", send=False, sync_mode=True).track(
        user_id="rep-42", event="Deal Closed", properties={"amount": amount}, timestamp=NOW, message_id=message_id
    )
    event: dict[str, Any] = {**built, **({"projectId": source} if source else {})}
    return json.dumps(event, cls=DatetimeSerializer).encode()


def sign(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {
        "X-Signature": hmac.new(secret.encode(), body, hashlib.sha1).hexdigest(),
        "Content-Type": "application/json",
    }


async def test_a_signed_track_event_moves_the_mapped_goal_once_and_a_refused_one_changes_nothing(
    platform: Platform,
) -> None:
    source, metric = f"src{secrets.token_hex(8)}", f"web.signups.{uuid.uuid4().hex[:8]}"
    goals, auth = platform.goals.url, platform.auth
    url = f"{goals}/v1/receivers/segment"
    async with httpx.AsyncClient(timeout=30) as client:
        goal = await client.post(f"{goals}/v1/goals", headers=auth, json={
            "title": "Deals", "metric": {"key": metric, "aggregation": "sum"}, "target": 10000,
            "start_at": (NOW - timedelta(days=1)).isoformat(), "deadline": (NOW + timedelta(days=30)).isoformat(),
        })  # fmt: skip
        connection = {"platform": "segment", "account": source, "secret": SECRET}
        assert (await client.post(f"{goals}/v1/connections", headers=auth, json=connection)).status_code == 201
        mapping = {"platform": "segment", "object_type": "Deal Closed", "value_path": "amount", "metric": metric}
        assert (await client.post(f"{goals}/v1/mappings", headers=auth, json=mapping)).status_code == 201
        goal_id = goal.json()["id"]

        async def send(body: bytes, headers: dict[str, str]) -> httpx.Response:
            return await client.post(url, content=body, headers=headers)

        async def shown(value: float) -> None:
            async def reached() -> bool:
                answer = await client.get(f"{platform.tracking.url}/v1/goals/{goal_id}/progress", headers=auth)
                return answer.status_code == 200 and answer.json()["current_value"] == value

            await eventually(reached, 60, f"tracking showing {value}")

        first = track("msg-1", 1500, source)
        answer = await send(first, sign(first))
        assert answer.status_code == 200 and answer.json()["accepted"] == 1, answer.text
        await shown(1500)

        # Segment's retry of the same event: a duplicate, then a sentinel.
        again = await send(first, sign(first))
        assert (again.status_code, again.json()["accepted"], again.json()["duplicate"]) == (200, 0, 1)
        sentinel = track("msg-2", 1, source)
        assert (await send(sentinel, sign(sentinel))).json()["accepted"] == 1
        await shown(1501)

        # Refused events change nothing: each would add 100; the sentinel after them adds 1.
        bodies = [track(f"msg-{n}", 100, s) for n, s in ((3, source), (4, source), (5, None), (6, "unbound"))]
        refusals = [
            await send(bodies[0], sign(bodies[0], "not-the-shared-secret")),
            await send(bodies[1], {"Content-Type": "application/json"}),
            await send(bodies[2], sign(bodies[2], "not-the-shared-secret")),
            await send(bodies[3], sign(bodies[3])),
        ]
        assert [(r.status_code, r.json()["error"]) for r in refusals] == [(401, "unauthorized")] * 4
        _, built = Client(write_key="e2e", send=False, sync_mode=True).identify(user_id="rep-42", message_id="id-1")
        identify = json.dumps({**built, "projectId": source}, cls=DatetimeSerializer).encode()
        ignored = await send(identify, sign(identify))
        assert (ignored.status_code, ignored.json()["ignored"], ignored.json()["accepted"]) == (200, 1, 0)
        sentinel = track("msg-7", 1, source)
        assert (await send(sentinel, sign(sentinel))).json()["accepted"] == 1
        await shown(1502)

        # An event without projectId (an Actions mapping whose Data leaves it out): the secret that verifies it
        # names the connection.
        bare = track("msg-8", 10, None)
        answer = await send(bare, sign(bare))
        assert answer.status_code == 200 and answer.json()["accepted"] == 1, answer.text
        await shown(1512)
