"""Salesforce Outbound Messages from outside, on the running platform: a message shaped as Salesforce sends it (the
recorded envelope of the unit tests) moves the mapped goal in tracking and is acked; the same message again counts
once; a wrong token, another organisation, a malformed envelope and a body over the limit each get a SOAP fault
and change nothing (a sentinel after them shows it)."""

from __future__ import annotations

import secrets
import string
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from goalstream_goals.domain.inbound import salesforce
from tests.e2e.conftest import Platform
from tests.support.polling import eventually
from tests.unit.goals.inbound.salesforce_payloads import HEADER, ORG, SOAP_CLOSE, SOAP_OPEN, opportunity

pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC)


def organization() -> str:
    """A made-up 18-character organisation id of its own, so no other test's connection binds it."""
    return "00D" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(15))


def message(org: str, *items: tuple[str, str]) -> bytes:
    """An Outbound Message of `org` with one Opportunity notification per (notification id, amount)."""
    modified = NOW.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    notifications = "".join(
        opportunity(n, f"006{uuid.uuid4().hex[:15]}", amount, modified, "2026-12-31") for n, amount in items
    )
    return (SOAP_OPEN + HEADER.replace(ORG, org) + notifications + "  </notifications>\n" + SOAP_CLOSE).encode()


async def test_an_outbound_message_moves_the_mapped_goal_once_and_a_refused_one_changes_nothing(
    platform: Platform,
) -> None:
    org, metric = organization(), f"crm.revenue.{uuid.uuid4().hex[:8]}"
    goals, auth = platform.goals.url, platform.auth
    async with httpx.AsyncClient(timeout=30) as client:
        goal = await client.post(f"{goals}/v1/goals", headers=auth, json={
            "title": "Revenue won", "metric": {"key": metric, "aggregation": "sum"}, "target": 10**6,
            "start_at": (NOW - timedelta(days=1)).isoformat(), "deadline": (NOW + timedelta(days=30)).isoformat(),
        })  # fmt: skip
        # Bound with the 15-character form of the id; Salesforce sends the 18-character one.
        connection = await client.post(
            f"{goals}/v1/connections", headers=auth, json={"platform": "salesforce", "account": org[:15]}
        )
        assert connection.status_code == 201, connection.text
        token = connection.json()["receiver_token"]
        mapping = {"platform": "salesforce", "object_type": "Opportunity", "value_path": "Amount", "metric": metric,
                   "aggregation": "sum"}  # fmt: skip
        assert (await client.post(f"{goals}/v1/mappings", headers=auth, json=mapping)).status_code == 201
        goal_id, url = goal.json()["id"], f"{goals}/v1/receivers/salesforce/{token}"

        async def send(body: bytes, to: str = url) -> httpx.Response:
            return await client.post(to, content=body, headers={"Content-Type": "text/xml; charset=utf-8",
                                                                "SOAPAction": '""'})  # fmt: skip

        async def shown(value: float) -> None:
            async def reached() -> bool:
                answer = await client.get(f"{platform.tracking.url}/v1/goals/{goal_id}/progress", headers=auth)
                return answer.status_code == 200 and answer.json()["current_value"] == value

            await eventually(reached, 60, f"tracking showing {value}")

        def acked(answer: httpx.Response) -> bool:
            kind = answer.headers["content-type"]
            return (answer.status_code, answer.content) == (200, salesforce.ACK) and kind.startswith("text/xml")

        first = message(org, ("04l000000000001AAA", "125000.0"), ("04l000000000002AAA", "8000.5"))
        assert acked(await send(first))
        await shown(133000.5)

        # Salesforce's retry of the same message: acked (else it retries for a day), counted once; then a sentinel.
        assert acked(await send(first))
        assert acked(await send(message(org, ("04l000000000003AAA", "1"))))
        await shown(133001.5)

        # Refused messages change nothing: each would add 100; the sentinel after them adds 1.
        refusals = [
            await send(message(org, ("04l000000000004AAA", "100")), f"{goals}/v1/receivers/salesforce/gsr_wrong"),
            await send(message(organization(), ("04l000000000005AAA", "100"))),
            await send(message(org, ("04l000000000006AAA", "100")).replace(b">04l000000000006AAA<", b"><")),
            await send(b"<x/>" + b" " * 4_000_001),
            await send(b"<soapenv:Envelope"),
        ]
        assert [r.status_code for r in refusals] == [401, 401, 400, 413, 400]
        assert all(b"<faultstring>" in r.content and b"soapenv:Client" in r.content for r in refusals)
        assert b"unknown receiver token" in refusals[0].content and b"OrganizationId" in refusals[1].content
        assert acked(await send(message(org, ("04l000000000007AAA", "1"))))
        await shown(133002.5)
