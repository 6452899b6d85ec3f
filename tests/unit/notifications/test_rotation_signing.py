"""Signing during a secret rotation: both secrets sign, and a receiver holding either one accepts."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from goalstream_notifications.adapters.webhook import WebhookSender, signed_headers
from goalstream_notifications.domain.subscription import new_secret

BODY = '{"type":"io.goalstream.GoalAchieved","data":{"goal_id":"g-1"}}'


def test_during_the_overlap_the_header_carries_both_signatures_new_first() -> None:
    new, old = new_secret(), new_secret()
    now = datetime.now(UTC)
    headers = signed_headers("dlv-1", new, BODY, now, previous_secret=old)
    signatures = headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    assert signatures[0] == signed_headers("dlv-1", new, BODY, now)["webhook-signature"]
    assert signatures[1] == signed_headers("dlv-1", old, BODY, now)["webhook-signature"]


def test_a_receiver_holding_either_secret_accepts_during_the_overlap() -> None:
    new, old = new_secret(), new_secret()
    headers = signed_headers("dlv-1", new, BODY, datetime.now(UTC), previous_secret=old)
    assert Webhook(new).verify(BODY, headers)["data"]["goal_id"] == "g-1"
    assert Webhook(old).verify(BODY, headers)["data"]["goal_id"] == "g-1"
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(BODY.replace("g-1", "g-2"), headers)


def test_after_the_overlap_only_the_new_secret_verifies() -> None:
    new, old = new_secret(), new_secret()
    headers = signed_headers("dlv-1", new, BODY, datetime.now(UTC))
    assert " " not in headers["webhook-signature"]
    Webhook(new).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(BODY, headers)


async def test_the_sender_signs_with_the_previous_secret_too() -> None:
    new, old, seen = new_secret(), new_secret(), []

    def receive(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    async with httpx.AsyncClient(transport=httpx.MockTransport(receive)) as client:
        sender = WebhookSender(client, 5)
        await sender.send("http://receiver.test/hook", "dlv-1", new, BODY.encode(), datetime.now(UTC), old)
        await sender.send("http://receiver.test/hook", "dlv-1", new, BODY.encode(), datetime.now(UTC))
    overlap, after = (dict(r.headers) for r in seen)
    Webhook(old).verify(seen[0].content, overlap)
    Webhook(new).verify(seen[0].content, overlap)
    Webhook(new).verify(seen[1].content, after)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(seen[1].content, after)
