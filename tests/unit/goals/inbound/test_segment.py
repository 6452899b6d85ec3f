"""Segment's Webhooks destination: the X-Signature check, and track events parsed from bodies the official Python
client (segment-analytics-python) builds, with what Segment's servers add on the way (`projectId`)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from segment.analytics.client import Client  # type: ignore[import-untyped]
from segment.analytics.request import DatetimeSerializer  # type: ignore[import-untyped]

from goalstream_goals.domain.inbound import segment

SECRET = "whsec-shared-with-segment"
SOURCE = "qQEHquLrjRDN9j1ByrChyn"  # a Segment source id
AT = datetime(2026, 12, 5, 10, 15, 30, 120000, tzinfo=UTC)
# The classic destination's documented Track example, as Segment forwards it.
DOCUMENTED_TRACK = {
    "version": 1,
    "type": "track",
    "userId": "019mr8mf4r",
    "event": "Purchased an Item",
    "properties": {"revenue": "39.95", "shippingMethod": "2-day"},
    "timestamp": "2012-12-02T00:30:08.276Z",
    "messageId": "api-2Ko3Qe7zFxXn4Vb8",
    "projectId": SOURCE,
}


def sent_by_segment(message: dict[str, Any]) -> bytes:
    """The body Segment's webhook destination posts: the event as the client built it, stamped with its source."""
    return json.dumps({**message, "projectId": SOURCE}, cls=DatetimeSerializer).encode()


def client() -> Client:
    # send=False: the client's own message builder, nothing leaves this process; sync_mode: no consumer thread.
    return Client(write_key="test-write-key", send=False, sync_mode=True)


def test_a_body_signed_with_the_shared_secret_is_accepted() -> None:
    body = json.dumps(DOCUMENTED_TRACK).encode()
    header = hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()

    segment.verify(SECRET, body, header)
    segment.verify(SECRET, body, header.upper())  # hex is hex whatever its case


@pytest.mark.parametrize(
    "header",
    [None, "", hmac.new(b"another-secret", b"{}", hashlib.sha1).hexdigest(), "not-hex"],
    ids=["missing", "empty", "other-secret", "garbage"],
)
def test_a_bad_or_missing_signature_is_refused(header: str | None) -> None:
    with pytest.raises(segment.Refused, match="X-Signature"):
        segment.verify(SECRET, json.dumps(DOCUMENTED_TRACK).encode(), header)


def test_a_body_changed_after_signing_is_refused() -> None:
    body = json.dumps(DOCUMENTED_TRACK).encode()
    header = segment.signature(SECRET, body)

    with pytest.raises(segment.Refused):
        segment.verify(SECRET, body.replace(b"39.95", b"99999"), header)


def test_a_track_event_from_the_official_client_becomes_a_record() -> None:
    _, message = client().track(
        user_id="rep-42",
        event="Deal Closed",
        properties={"amount": 125000, "currency": "EUR", "deal": {"id": "D-9"}},
        timestamp=AT,
        message_id="msg-7f3a",
    )
    body = sent_by_segment(message)

    segment.verify(SECRET, body, hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest())
    delivery = segment.parse(body)

    assert delivery.ignored == ()
    (record,) = delivery.records
    assert (record.platform, record.account, record.event_id, record.object_type) == (
        "segment",
        SOURCE,
        "msg-7f3a",
        "Deal Closed",
    )
    assert record.fields == {"amount": 125000, "currency": "EUR", "deal": {"id": "D-9"}, "userId": "rep-42"}
    assert record.occurred_at == AT


def test_the_documented_track_example_parses() -> None:
    (record,) = segment.parse(json.dumps(DOCUMENTED_TRACK).encode()).records

    assert record.fields == {"revenue": "39.95", "shippingMethod": "2-day", "userId": "019mr8mf4r"}
    assert record.occurred_at == datetime(2012, 12, 2, 0, 30, 8, 276000, tzinfo=UTC)


def test_without_timestamp_the_original_timestamp_is_the_time() -> None:
    event = {k: v for k, v in DOCUMENTED_TRACK.items() if k != "timestamp"}
    event["originalTimestamp"] = "2012-12-01T23:59:59+01:00"

    (record,) = segment.parse(json.dumps(event).encode()).records

    assert record.occurred_at == datetime(2012, 12, 1, 22, 59, 59, tzinfo=UTC)


def test_an_identify_is_ignored_with_its_type_not_refused() -> None:
    _, message = client().identify(user_id="rep-42", traits={"email": "rep@example.com"}, message_id="msg-id-1")

    delivery = segment.parse(sent_by_segment(message))

    assert delivery.records == ()
    assert delivery.ignored == (segment.Ignored("identify", "msg-id-1"),)


def test_a_batch_is_read_event_by_event() -> None:
    page = {"type": "page", "messageId": "p-1", "userId": "u", "projectId": SOURCE}
    body = json.dumps([DOCUMENTED_TRACK, page, {**DOCUMENTED_TRACK, "messageId": "api-2"}]).encode()

    delivery = segment.parse(body)

    assert [r.event_id for r in delivery.records] == ["api-2Ko3Qe7zFxXn4Vb8", "api-2"]
    assert delivery.ignored == (segment.Ignored("page", "p-1"),)


def test_without_project_id_the_connection_names_the_source() -> None:
    event = {k: v for k, v in DOCUMENTED_TRACK.items() if k != "projectId"}

    (record,) = segment.parse(json.dumps(event).encode(), account="the-connections-source").records
    assert record.account == "the-connections-source"
    with pytest.raises(segment.Malformed) as refused:
        segment.parse(json.dumps(event).encode())
    assert refused.value.field == "projectId"


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (b"{not json", "body", "malformed_json"),
        (b"[]", "body", "malformed_event"),
        (b"[1]", "[0]", "malformed_event"),
        (json.dumps({**DOCUMENTED_TRACK, "type": None}).encode(), "type", "malformed_event"),
        (json.dumps({**DOCUMENTED_TRACK, "messageId": ""}).encode(), "messageId", "malformed_event"),
        (json.dumps([DOCUMENTED_TRACK, {**DOCUMENTED_TRACK, "event": 3}]).encode(), "[1].event", "malformed_event"),
        (json.dumps({**DOCUMENTED_TRACK, "properties": [1]}).encode(), "properties", "malformed_event"),
        (json.dumps({**DOCUMENTED_TRACK, "timestamp": "last tuesday"}).encode(), "timestamp", "malformed_time"),
    ],
)
def test_a_malformed_delivery_is_refused_naming_the_field(body: bytes, field: str, code: str) -> None:
    with pytest.raises(segment.Malformed) as refused:
        segment.parse(body)

    assert (refused.value.field, refused.value.code) == (field, code)
