"""Segment's Webhooks destinations (Actions and classic): the `X-Signature` check and the events of a delivery.

Segment signs with the destination's shared secret: `X-Signature` is the hex HMAC-SHA1 of the request body (the
JSON text it sends). A classic destination and an Actions mapping without batching send one event a request; an
Actions mapping with batching sends a JSON array, and Segment's open-source destination signs only requests whose
payload is one event, so a batch arrives unsigned and is refused by `verify`. `track` events become records;
other types (identify, page, screen, group, alias, delete) are returned as ignored with their type. Pure."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from goalstream_goals.domain.inbound.common import Malformed, Refused, json_body, platform_time, same_secret
from goalstream_goals.domain.inbound.record import InboundRecord

__all__ = ["SIGNATURE_HEADER", "Delivery", "Ignored", "Malformed", "Refused", "parse", "signature", "verify"]

SIGNATURE_HEADER = "X-Signature"
MAX_EVENTS = 4000  # the largest batch an Actions mapping may be set to send


@dataclass(frozen=True)
class Ignored:
    """An event that is not a `track` (an `identify`, a `page`...): answered 2xx, so Segment does not retry it."""

    type: str
    message_id: str | None


@dataclass(frozen=True)
class Delivery:
    records: tuple[InboundRecord, ...]
    ignored: tuple[Ignored, ...]


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def verify(secret: str, body: bytes, sent: str | None) -> None:
    """Raise Refused unless `sent` (the X-Signature header) is this body's signature with the shared secret."""
    if not sent:
        raise Refused(f"{SIGNATURE_HEADER} is required: set a shared secret on the Segment destination")
    if not same_secret(sent.strip().lower(), signature(secret, body)):
        raise Refused(f"{SIGNATURE_HEADER} does not match this body and the connection's shared secret")


def parse(body: bytes, *, account: str | None = None) -> Delivery:
    """The delivery's events. A record's account is the event's `projectId` (the id of the Segment source it
    came through, which Segment sets on what it forwards), else `account`, the connection's, when given."""
    decoded = json_body(body)
    batch = isinstance(decoded, list)
    events = decoded if batch else [decoded]
    if not 1 <= len(events) <= MAX_EVENTS:
        raise Malformed(f"a delivery has 1 to {MAX_EVENTS} events, not {len(events)}", code="malformed_event")
    records, ignored = [], []
    for i, event in enumerate(events):
        where = f"[{i}]." if batch else ""
        if not isinstance(event, dict):
            raise Malformed("an event is a JSON object", f"[{i}]" if batch else "body", code="malformed_event")
        kind = _string(event, "type", where)
        if kind == "track":
            records.append(_record(event, where, account))
        else:
            message_id = event.get("messageId")
            ignored.append(Ignored(kind, message_id if isinstance(message_id, str) else None))
    return Delivery(tuple(records), tuple(ignored))


def _record(event: dict[str, Any], where: str, account: str | None) -> InboundRecord:
    properties = event.get("properties", {})
    if not isinstance(properties, dict):
        raise Malformed("properties is a JSON object", f"{where}properties", code="malformed_event")
    source = event.get("projectId", account)
    if not isinstance(source, str) or not source:
        raise Malformed(
            "the Segment source is unknown: no projectId and no connection", f"{where}projectId", code="malformed_event"
        )
    fields = dict(properties)
    for name in ("userId", "anonymousId"):  # who did it, beside what they did, for a mapping's id path
        if event.get(name) is not None:
            fields[name] = event[name]
    time_field = "timestamp" if event.get("timestamp") is not None else "originalTimestamp"
    occurred = platform_time(event.get(time_field), f"{where}{time_field}")
    message_id, name = _string(event, "messageId", where), _string(event, "event", where)
    return InboundRecord("segment", source, message_id, name, fields, occurred)


def _string(event: dict[str, Any], name: str, where: str) -> str:
    value = event.get(name)
    if not isinstance(value, str) or not value:
        raise Malformed(f"{name} is required (a non-empty string)", f"{where}{name}", code="malformed_event")
    return value
