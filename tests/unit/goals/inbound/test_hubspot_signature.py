"""HubSpot's v3 request signature and batch, as HubSpot's "validating requests" page describes them: the test
computes each signature itself from that description, not with the code under test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from goalstream_goals.domain.inbound import hubspot

SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
STAMP = str(int(NOW.timestamp() * 1000))
URI = "https://goals.example.com/v1/receivers/hubspot"
EVENT = {
    "eventId": 100, "subscriptionId": 1234, "portalId": 62515, "appId": 54321, "occurredAt": 1772452800000,
    "subscriptionType": "deal.propertyChange", "attemptNumber": 0, "objectId": 123, "changeSource": "CRM",
    "propertyName": "amount", "propertyValue": "1500",
}  # fmt: skip
BODY = json.dumps([EVENT]).encode()


def documented(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """requestMethod + requestUri + requestBody + timestamp, UTF-8, HMAC-SHA256 with the client secret, base64."""
    source = f"{method}{uri}{body.decode()}{timestamp}".encode()
    return base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest()).decode()


def test_a_request_signed_as_hubspot_signs_is_accepted() -> None:
    hubspot.verify(SECRET, "POST", [URI], BODY, STAMP, documented(SECRET, "POST", URI, BODY, STAMP), NOW)


def test_the_signed_uri_has_the_documented_escapes_decoded() -> None:
    # HubSpot signs the URI with %3A, %2F, %3F, %40 ... decoded: a query string with them verifies as sent.
    sent = "https://goals.example.com/v1/receivers/hubspot?next=https%3A%2F%2Fa.example%2Fb%40c"
    plain = "https://goals.example.com/v1/receivers/hubspot?next=https://a.example/b@c"
    hubspot.verify(SECRET, "POST", [sent], BODY, STAMP, documented(SECRET, "POST", plain, BODY, STAMP), NOW)


@pytest.mark.parametrize(
    ("secret", "uri", "body"),
    [
        ("another-client-secret", URI, BODY),
        (SECRET, "https://goals.example.com/v1/receivers/other", BODY),
        (SECRET, URI, BODY.replace(b"1500", b"9999")),
    ],
    ids=["wrong secret", "another URI", "body changed"],
)
def test_a_signature_of_anything_else_is_refused(secret: str, uri: str, body: bytes) -> None:
    with pytest.raises(hubspot.Refused, match="does not match"):
        hubspot.verify(SECRET, "POST", [URI], BODY, STAMP, documented(secret, "POST", uri, body, STAMP), NOW)


@pytest.mark.parametrize("age", [timedelta(minutes=5, seconds=1), -timedelta(minutes=6)])
def test_a_timestamp_more_than_five_minutes_away_is_refused_even_when_signed(age: timedelta) -> None:
    stamp = str(int((NOW - age).timestamp() * 1000))
    with pytest.raises(hubspot.Refused, match="5 minutes"):
        hubspot.verify(SECRET, "POST", [URI], BODY, stamp, documented(SECRET, "POST", URI, BODY, stamp), NOW)
    hubspot.verify(SECRET, "POST", [URI], BODY, STAMP, documented(SECRET, "POST", URI, BODY, STAMP), NOW + age / 2)


@pytest.mark.parametrize(("stamp", "sent"), [(None, "x"), (STAMP, None), ("soon", "x")])
def test_missing_headers_or_a_timestamp_that_is_no_number_are_refused(stamp: str | None, sent: str | None) -> None:
    with pytest.raises(hubspot.Refused):
        hubspot.verify(SECRET, "POST", [URI], BODY, stamp, sent, NOW)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"[{", "body"),
        (b"{}", "body"),
        (b"[]", "body"),
        (json.dumps([EVENT] * 101).encode(), "body"),
        (b"[1]", "0"),
        (json.dumps([{**EVENT, "portalId": None}]).encode(), "0.portalId"),
        (json.dumps([EVENT, {**EVENT, "eventId": True}]).encode(), "1.eventId"),
    ],
)
def test_a_body_that_is_not_a_batch_of_at_most_100_events_is_malformed(body: bytes, field: str) -> None:
    with pytest.raises(hubspot.Malformed) as raised:
        hubspot.portals(body)
    assert raised.value.field == field


def test_a_property_change_is_a_record_of_its_object_with_the_value_under_properties() -> None:
    events, portals = hubspot.portals(json.dumps([EVENT] * 100).encode())
    assert portals == {"62515"} and len(events) == 100
    record = hubspot.record(EVENT)
    assert (record.platform, record.account, record.event_id, record.object_type) == ("hubspot", "62515", "100", "deal")
    assert record.fields["properties"] == {"amount": "1500"} and record.fields["objectId"] == 123
    assert record.occurred_at == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
