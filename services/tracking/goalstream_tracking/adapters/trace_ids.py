"""The trace id an event's record carries: the W3C `traceparent` header the relay sets (version-traceid-spanid-flags).

The event log keeps it, so the event stream (`GET /v1/events`) links each event to its trace.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_TRACEPARENT = re.compile(rb"[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")
_INVALID = "0" * 32  # the W3C all-zero trace id means "none"


def from_headers(headers: Iterable[tuple[str, bytes | None]] | None) -> str | None:
    """The trace id of a record's `traceparent`; None when it has none or an unreadable one."""
    for name, value in headers or ():
        if name.lower() == "traceparent" and value is not None and (m := _TRACEPARENT.fullmatch(value.strip())):
            trace_id = m[1].decode()
            return None if trace_id == _INVALID else trace_id
    return None
