"""What the Salesforce and Segment receivers share: their two refusals and reading a platform's time. Pure."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime


class Refused(ValueError):
    """The request is not the platform's (wrong token, bad or missing signature): 401, nothing changes."""


class Malformed(ValueError):
    """The body is not what the platform sends: 400 with `code`, naming `field` (an element or a JSON path)."""

    def __init__(self, message: str, field: str = "body", code: str = "malformed_body") -> None:
        super().__init__(message)
        self.field, self.code = field, code


def same_secret(presented: str, expected: str) -> bool:
    """Constant time, so the time an answer takes says nothing of how much of a token or signature was right."""
    return hmac.compare_digest(presented.encode(), expected.encode())


def platform_time(value: object, field: str) -> datetime | None:
    """An ISO 8601 time (`2026-12-05T10:15:30.000Z`, `...+00:00`) as an aware datetime; None when absent.
    Both platforms always send an offset; a time without one is read as UTC rather than as this machine's zone."""
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise Malformed("a time is an ISO 8601 string", field, "malformed_time")
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise Malformed(f"{value!r} is not an ISO 8601 time", field, "malformed_time") from exc
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
