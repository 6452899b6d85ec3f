"""The webhook message: the JSON body a receiver gets for one goal event."""

from __future__ import annotations

import json

from goalstream_contracts.base import Payload
from goalstream_contracts.cloudevents import TYPE_PREFIX
from goalstream_contracts.envelope import Envelope


def webhook_body(envelope: Envelope[Payload], title: str | None = None) -> bytes:
    """The body, rendered once when the delivery is created so that every retry sends the same bytes.

    `title` (added in issue 18, so receivers written before it may ignore it) is the title of the goal or ladder
    the event is about, as notifications knows it, or null. `timestamp` is Standard Webhooks' own field for when
    the event happened (issue 19); `occurred_at` says the same and stays, since receivers already read it.
    """
    message = {
        "type": TYPE_PREFIX + envelope.event_type,
        "event_id": str(envelope.event_id),
        "org_id": envelope.org_id,
        "subject": envelope.payload.subject(),
        "title": title,
        "timestamp": envelope.occurred_at.isoformat(),
        "occurred_at": envelope.occurred_at.isoformat(),
        "data": envelope.payload.model_dump(mode="json"),
    }
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
