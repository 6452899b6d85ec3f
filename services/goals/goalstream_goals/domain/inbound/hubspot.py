"""HubSpot webhooks: the v3 request signature and the batch of events, as HubSpot documents them.

The signature (`X-HubSpot-Signature-v3`) is base64(HMAC-SHA256(client secret, method + URI + body + timestamp)),
where the URI is the full URL HubSpot called with a few percent-escapes decoded, and the timestamp is the
`X-HubSpot-Request-Timestamp` header (epoch milliseconds), refused when more than five minutes old. Pure: the
caller passes `now`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

from goalstream_goals.domain.inbound.common import Malformed, Refused, json_body, same_secret
from goalstream_goals.domain.inbound.record import InboundRecord

__all__ = ["MAX_EVENTS", "TOLERANCE", "Malformed", "Refused", "portals", "record", "signature", "verify"]

TOLERANCE = timedelta(minutes=5)
MAX_EVENTS = 100  # HubSpot sends at most 100 events in one request
# HubSpot decodes these escapes in the URI before it signs (its "validating requests" page lists them).
DECODED = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'",
    "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
}  # fmt: skip


BATCH = "malformed_batch"


def signed_uri(uri: str) -> str:
    for escaped, plain in DECODED.items():
        uri = uri.replace(escaped, plain).replace(escaped.lower(), plain)
    return uri


def signature(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """The v3 signature HubSpot sends for this request."""
    message = method.upper().encode() + signed_uri(uri).encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def verify(
    secret: str, method: str, uris: list[str], body: bytes, timestamp: str | None, sent: str | None, now: datetime
) -> None:
    """Raise Refused unless `sent` is the signature of this request for one of `uris` (the URL as received, and
    the one the connection says HubSpot calls, which differs behind a proxy) and the timestamp is fresh."""
    if not sent or not timestamp:
        raise Refused("X-HubSpot-Signature-v3 and X-HubSpot-Request-Timestamp are required")
    try:
        at = datetime.fromtimestamp(int(timestamp) / 1000, UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise Refused("X-HubSpot-Request-Timestamp is not epoch milliseconds") from exc
    if abs(now - at) > TOLERANCE:
        raise Refused("X-HubSpot-Request-Timestamp is more than 5 minutes from now")
    # same_secret compares bytes: hmac.compare_digest raises TypeError on a str that is not ASCII (a header
    # Starlette decoded as latin-1), which would be a 500 instead of a 401.
    if not any(same_secret(sent, signature(secret, method, u, body, timestamp)) for u in uris):
        raise Refused("X-HubSpot-Signature-v3 does not match this request")


def portals(body: bytes) -> tuple[list[dict[str, Any]], set[str]]:
    """The batch's events and the portals they come from (which connections' secrets verify it)."""
    events = json_body(body)
    if not isinstance(events, list) or not events:
        raise Malformed("a HubSpot batch is a non-empty JSON array of events", code=BATCH)
    if len(events) > MAX_EVENTS:
        raise Malformed(f"a HubSpot batch has at most {MAX_EVENTS} events, not {len(events)}", code=BATCH)
    for i, event in enumerate(events):
        if not isinstance(event, dict):
            raise Malformed("each event is a JSON object", f"{i}", BATCH)
        for name in ("portalId", "eventId", "subscriptionType"):
            if not isinstance(event.get(name), (int, str)) or isinstance(event.get(name), bool):
                raise Malformed(f"{name} is required (a number or a string)", f"{i}.{name}", BATCH)
    return events, {str(e["portalId"]) for e in events}


def record(event: dict[str, Any]) -> InboundRecord:
    """One event as an InboundRecord: `object_type` is the subscription's object (`deal` of
    `deal.propertyChange`); a property change's value is under `properties.<propertyName>`, the shape of
    HubSpot's CRM objects, so a mapping's path reads `properties.amount` whatever else the event carries."""
    fields = dict(event)
    name = event.get("propertyName")
    if isinstance(name, str) and "propertyValue" in event:
        fields["properties"] = {name: event["propertyValue"]}
    occurred = event.get("occurredAt")
    at = None
    if isinstance(occurred, int) and not isinstance(occurred, bool) and 0 <= occurred < 253402300800000:
        at = datetime.fromtimestamp(occurred / 1000, UTC)
    return InboundRecord(
        platform="hubspot",
        account=str(event["portalId"]),
        event_id=str(event["eventId"]),
        object_type=str(event["subscriptionType"]).split(".", 1)[0],
        fields=fields,
        occurred_at=at,
    )
