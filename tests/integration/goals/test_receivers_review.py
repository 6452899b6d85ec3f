"""The receivers against hostile and odd input, on real PostgreSQL: a refusal claims no bearer scheme, a body a
platform never sends is a 4xx naming why (never a 5xx), a record outside the bounds every other way in keeps is
not recorded but shown as unmatched, and an answer holding a secret is not kept by caches."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.integration.goals.admin_harness import Goals, bearer, running_goals
from tests.support.infra import Endpoints

SECRET = "a-shared-secret-for-the-review"
HUBSPOT_URL = "http://goals/v1/receivers/hubspot"


@pytest.fixture
async def goals(database_url: str, infra: Endpoints) -> AsyncIterator[Goals]:
    async with running_goals(database_url, infra.kafka_bootstrap) as running:
        yield running


async def _connected(goals: Goals, platform: str, account: str, **mapping: str) -> str:
    _, key = await goals.create_org()
    secret = None if platform == "salesforce" else SECRET
    made = await goals.http.post(
        "/v1/connections", json={"platform": platform, "account": account, "secret": secret}, headers=bearer(key)
    )
    assert made.status_code == 201, made.text
    body = {"platform": platform, "metric": f"m.{secrets.token_hex(4)}", **mapping}
    assert (await goals.http.post("/v1/mappings", json=body, headers=bearer(key))).status_code == 201
    token: str = made.json()["receiver_token"] or ""
    return token


def _segment(body: bytes) -> dict[str, str]:
    return {
        "X-Signature": hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest(),
        "content-type": "application/json",
    }


def _hubspot(body: bytes) -> dict[str, str]:
    stamp = str(int(time.time() * 1000))
    digest = hmac.new(SECRET.encode(), b"POST" + HUBSPOT_URL.encode() + body + stamp.encode(), hashlib.sha256)
    return {
        "X-HubSpot-Signature-v3": base64.b64encode(digest.digest()).decode(),
        "X-HubSpot-Request-Timestamp": stamp,
        "content-type": "application/json",
    }


def _track(source: str, **event: Any) -> dict[str, Any]:
    return {"type": "track", "event": "Deal Closed", "messageId": secrets.token_hex(8), "projectId": source, **event}


async def test_a_receivers_401_does_not_ask_for_a_bearer_key(goals: Goals) -> None:
    portal, source = str(secrets.randbelow(10**9)), f"src{secrets.token_hex(6)}"
    await _connected(goals, "hubspot", portal, object_type="deal", value_path="properties.amount")
    await _connected(goals, "segment", source, object_type="Deal Closed", value_path="amount")
    hubspot = json.dumps([{"portalId": int(portal), "eventId": 1, "subscriptionType": "deal.propertyChange"}]).encode()
    segment = json.dumps(_track(source, properties={"amount": 1})).encode()
    wrong_hubspot = {**_hubspot(hubspot), "X-HubSpot-Signature-v3": "AAAA"}
    refused = [
        await goals.http.post("/v1/receivers/hubspot", content=hubspot, headers=wrong_hubspot),
        await goals.http.post(
            "/v1/receivers/segment", content=segment, headers={**_segment(segment), "X-Signature": "0"}
        ),
    ]
    for answer in refused:
        assert answer.status_code == 401, answer.text
        assert "www-authenticate" not in answer.headers, answer.headers
        assert answer.json()["error"] == "unauthorized"


async def test_a_signature_header_that_is_not_ascii_is_refused_not_a_500(goals: Goals) -> None:
    portal = str(secrets.randbelow(10**9))
    await _connected(goals, "hubspot", portal, object_type="deal", value_path="properties.amount")
    body = json.dumps([{"portalId": int(portal), "eventId": 1, "subscriptionType": "deal.propertyChange"}]).encode()
    headers = [(k.encode(), v.encode()) for k, v in _hubspot(body).items() if k != "X-HubSpot-Signature-v3"]
    headers.append((b"X-HubSpot-Signature-v3", "sig\xe9n\xe9".encode("latin-1")))
    answer = await goals.http.post("/v1/receivers/hubspot", content=body, headers=headers)
    assert answer.status_code == 401, answer.text


@pytest.mark.parametrize(
    "body",
    [
        b'[{"portalId": 1, "eventId": 1, "subscriptionType": "deal.propertyChange", "propertyValue": NaN}]',
        b'[{"portalId": 1, "eventId": 1, "subscriptionType": "deal.propertyChange", "propertyValue": 1e999}]',
        b'[{"portalId": 1, "eventId": "e-\\ud800", "subscriptionType": "deal.propertyChange"}]',
        b"[" * 50_000 + b"]" * 50_000,
    ],
    ids=["nan", "infinite", "lone-surrogate", "deep"],
)
async def test_a_json_body_no_platform_sends_is_a_400_on_both_json_receivers(goals: Goals, body: bytes) -> None:
    """NaN, Infinity, a number too large for a double and a lone surrogate are not JSON a platform sends (RFC
    8259) and PostgreSQL stores none of them; a body nested deeper than the parser goes is no delivery either."""
    portal = str(secrets.randbelow(10**9))
    await _connected(goals, "hubspot", portal, object_type="deal", value_path="properties.amount")
    hubspot = body.replace(b'"portalId": 1', f'"portalId": {portal}'.encode())
    answer = await goals.http.post("/v1/receivers/hubspot", content=hubspot, headers=_hubspot(hubspot))
    assert (answer.status_code, answer.json()["error"]) == (400, "malformed_json"), answer.text
    answer = await goals.http.post("/v1/receivers/segment", content=body, headers=_segment(body))
    assert (answer.status_code, answer.json()["error"]) == (400, "malformed_json"), answer.text


@pytest.mark.parametrize(
    ("event", "why"),
    [
        ({"properties": {"amount": 1e300, "order": "o-1"}}, "amount"),
        ({"properties": {"amount": 5, "order": "o-1"}, "timestamp": "1066-10-14T09:00:00Z"}, "time"),
        ({"properties": {"amount": 5, "order": "o-1\x1b[2J"}}, "id"),
    ],
    ids=["huge-value", "ancient-time", "escape-in-id"],
)
async def test_a_record_outside_the_bounds_of_every_way_in_is_unmatched_not_recorded(
    goals: Goals, event: dict[str, Any], why: str
) -> None:
    """`POST /v1/measurements` refuses these (goalstream_contracts.inputs); a receiver must not let them in."""
    source = f"src{secrets.token_hex(6)}"
    await _connected(goals, "segment", source, object_type="Deal Closed", value_path="amount", id_path="order")
    body = json.dumps(_track(source, **event)).encode()
    answer = await goals.http.post("/v1/receivers/segment", content=body, headers=_segment(body))
    assert answer.status_code == 200, answer.text
    taken = answer.json()
    assert (taken["accepted"], len(taken["unmatched"])) == (0, 1), taken
    assert why in taken["unmatched"][0]["reason"]


async def test_an_unmatched_event_with_a_very_long_name_is_noted_not_a_500(goals: Goals) -> None:
    source = f"src{secrets.token_hex(6)}"
    await _connected(goals, "segment", source, object_type="Deal Closed", value_path="amount")
    name = secrets.token_urlsafe(9000)  # random, so PostgreSQL cannot compress it under its index row limit
    body = json.dumps(_track(source, event=name, properties={"amount": 1})).encode()
    answer = await goals.http.post("/v1/receivers/segment", content=body, headers=_segment(body))
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["unmatched"]) == 1
    noted = await goals.pool.fetch("SELECT object_type, count FROM inbound_unmatched")
    assert any(name.startswith(r["object_type"]) and r["count"] == 1 for r in noted)


async def test_a_salesforce_body_over_the_services_limit_gets_a_soap_fault(goals: Goals) -> None:
    """Streamed (no Content-Length): the size limit finds out while the route reads the body."""
    token = await _connected(goals, "salesforce", "00D000000000" + secrets.token_hex(3)[:3].upper(),
                             object_type="Opportunity", value_path="Amount")  # fmt: skip

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(9):
            yield b"<" * 1_000_000

    answer = await goals.http.post(
        f"/v1/receivers/salesforce/{token}", content=chunks(), headers={"content-type": "text/xml"}
    )
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("text/xml"), answer.headers
    assert b"<faultcode>soapenv:Client</faultcode>" in answer.content


async def test_every_answer_holding_a_secret_is_not_stored_by_caches(goals: Goals) -> None:
    org_id, key = await goals.create_org()
    answers: list[httpx.Response] = [
        await goals.http.post("/v1/connections", json={"platform": "salesforce", "account": "00D000000000777"},
                              headers=bearer(key)),
        await goals.http.post("/v1/keys", json={"scopes": ["read"]}, headers=bearer(key)),
        await goals.http.post(f"/v1/admin/organisations/{org_id}/keys", json={"scopes": ["read"]},
                              headers=goals.operator),
        await goals.http.post("/v1/admin/organisations", json={"org_id": f"o{secrets.token_hex(6)}", "name": "x",
                              "scopes": ["read"]}, headers=goals.operator),
    ]  # fmt: skip
    for answer in answers:
        assert answer.status_code == 201, answer.text
        assert answer.headers.get("cache-control") == "no-store", (answer.request.url, answer.headers)
    document = (await goals.http.get("/openapi.json")).json()["paths"]
    for path in ("/v1/connections", "/v1/keys", "/v1/admin/organisations/{org_id}/keys", "/v1/admin/organisations"):
        assert "Cache-Control" in document[path]["post"]["responses"]["201"]["headers"], path
    for path, item in document.items():
        if path.startswith("/v1/receivers/"):
            assert "WWW-Authenticate" not in item["post"]["responses"]["401"].get("headers", {}), path


async def test_a_segment_event_without_its_source_is_at_most_segments_own_event_size(goals: Goals) -> None:
    """Without projectId an event is checked against every Segment connection's secret: an unsigned caller must not
    make each of those HMACs run over a megabyte. Segment's events are at most 32 kB."""
    source = f"src{secrets.token_hex(6)}"
    await _connected(goals, "segment", source, object_type="Deal Closed", value_path="amount")
    event = _track(source, properties={"amount": 1, "note": "x" * 40_000})
    del event["projectId"]
    body = json.dumps(event).encode()
    answer = await goals.http.post("/v1/receivers/segment", content=body, headers=_segment(body))
    assert answer.status_code == 413, answer.text
    assert answer.json()["errors"][0]["field"] == "projectId"
    sourced = json.dumps({**event, "projectId": source}).encode()  # the same size with its source: taken
    taken = await goals.http.post("/v1/receivers/segment", content=sourced, headers=_segment(sourced))
    assert taken.status_code == 200 and taken.json()["accepted"] == 1, taken.text
