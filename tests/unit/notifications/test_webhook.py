"""Standard Webhooks signing, the message body, and one attempt over HTTP (against a mock transport)."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import GoalAchieved
from goalstream_notifications.adapters.webhook import WebhookSender, signed_headers
from goalstream_notifications.domain.message import webhook_body
from goalstream_notifications.domain.subscription import new_secret

BODY = '{"type":"io.goalstream.GoalAchieved","data":{"goal_id":"g-1"}}'


def test_new_secret_is_whsec_and_24_random_bytes() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert new_secret() != secret


def test_signed_headers_verify_with_standardwebhooks() -> None:
    secret = new_secret()
    headers = signed_headers("dlv-1", secret, BODY, datetime.now(UTC))
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)
    assert headers["webhook-id"] == "dlv-1"
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["content-type"] == "application/json"


def test_a_tampered_body_or_another_secret_is_rejected() -> None:
    secret = new_secret()
    headers = signed_headers("dlv-1", secret, BODY, datetime.now(UTC))
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace("g-1", "g-2"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, {**headers, "webhook-id": "dlv-2"})


def test_timestamp_is_unix_seconds_whatever_the_clock_zone() -> None:
    # Webhook.sign() overwrites tzinfo with UTC; a non-UTC clock must still sign the true instant.
    secret = new_secret()
    now_utc = datetime.now(UTC).replace(microsecond=0)
    in_paris = now_utc.astimezone(timezone(timedelta(hours=2)))
    headers = signed_headers("dlv-1", secret, BODY, in_paris)
    assert headers["webhook-timestamp"] == str(int(now_utc.timestamp()))
    assert headers == signed_headers("dlv-1", secret, BODY, now_utc)
    Webhook(secret).verify(BODY, headers)


def test_body_carries_type_ids_subject_time_and_payload() -> None:
    at = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    payload = GoalAchieved(goal_id="g-1", value=10, target=10, progress=1.0, achieved_at=at)
    envelope = Envelope[Payload].new(
        payload, org_id="org-1", stream_id="g-1", stream_version=3, occurred_at=at, source="/t"
    )
    body = json.loads(webhook_body(envelope))
    assert body == {
        "type": "io.goalstream.GoalAchieved",
        "event_id": str(envelope.event_id),
        "org_id": "org-1",
        "subject": "g-1",
        "title": None,
        "timestamp": at.isoformat(),  # Standard Webhooks' field
        "occurred_at": at.isoformat(),
        "data": payload.model_dump(mode="json"),
    }


async def _send(handler: httpx.MockTransport, secret: str, timeout: float = 5.0) -> tuple[int | None, str | None]:
    async with httpx.AsyncClient(transport=handler, follow_redirects=False) as client:
        result = await WebhookSender(client, timeout).send(
            "http://receiver.test/hook", "dlv-7", secret, BODY.encode(), datetime.now(UTC)
        )
    return result.status_code, result.error


async def test_sender_posts_the_signed_body() -> None:
    secret, seen = new_secret(), []

    def receive(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        Webhook(secret).verify(request.content, dict(request.headers))
        return httpx.Response(204)

    assert await _send(httpx.MockTransport(receive), secret) == (204, None)
    assert seen[0].method == "POST" and seen[0].headers["webhook-id"] == "dlv-7"


async def test_sender_reports_redirects_and_transport_errors_without_raising() -> None:
    redirect = httpx.MockTransport(lambda _: httpx.Response(302, headers={"location": "http://elsewhere.test/"}))
    assert await _send(redirect, new_secret()) == (302, None)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    status, error = await _send(httpx.MockTransport(refuse), new_secret())
    assert status is None and error is not None and "ConnectError" in error


async def test_a_slow_receiver_times_out_as_a_whole() -> None:
    async def stall(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200)

    assert await _send(httpx.MockTransport(stall), new_secret(), timeout=0.1) == (None, "no answer within 0.1s")


def test_delivery_ids_are_uuids_usable_as_webhook_ids() -> None:
    message_id = str(uuid.uuid4())
    secret = new_secret()
    Webhook(secret).verify(BODY, signed_headers(message_id, secret, BODY, datetime.now(UTC)))
