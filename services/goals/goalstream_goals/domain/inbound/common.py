"""What the Salesforce and Segment receivers share: their two refusals and reading a platform's time. Pure."""

from __future__ import annotations

import hmac
import json
import math
import re
from datetime import UTC, datetime
from typing import Any


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


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large for a number")
    return value


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")  # UTF-8 cannot carry a surrogate: only an escape can


def json_body(body: bytes) -> Any:
    """The body as strict JSON (RFC 8259): Python's parser also takes NaN and Infinity, reads 1e999 as infinity
    and keeps a lone surrogate escape (`\\ud800`), none of which a platform sends nor PostgreSQL stores; and a
    body nested deeper than the parser recurses is no platform's either. Each is Malformed (`malformed_json`),
    never an error of ours."""
    try:
        decoded = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Malformed(f"request body is not valid JSON: {exc}", code="malformed_json") from exc
    except RecursionError as exc:
        raise Malformed("request body is not valid JSON: it nests too deeply", code="malformed_json") from exc
    if _SURROGATE_ESCAPE.search(body) and _lone_surrogate(decoded):  # a pair decodes to one character
        raise Malformed("request body is not valid JSON: a string holds a lone surrogate", code="malformed_json")
    return decoded


def _lone_surrogate(value: Any) -> bool:
    pending = [value]  # a stack, not recursion: the body may nest as deep as the parser allowed
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if any("\ud800" <= c <= "\udfff" for c in item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


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
