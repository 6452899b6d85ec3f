"""Checking one row of a measurement export for `goalstream import`: the body of one
`POST /v1/measurements` item, or a ValueError whose reason names what is wrong.

A row without an `id` gets `imp_<sha256 of its content>`: metric, value, observed_at (as an
instant), source, goal_id, comment and confidence. Importing the same file again therefore sends
the same ids and lands nothing new; two identical rows in one file are one measurement (the second
is reported as a duplicate).

What a measurement may hold (finite numbers within 1e15, times within 1900..2999 with an offset, text
without control characters) is checked by the topic's own model, `MeasurementSubmitted`, whose types
(`goalstream_contracts.inputs`) bound every way in: a row is refused as the API or the topic would.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from goalstream_contracts.measurements import MeasurementSubmitted

REQUIRED = ("metric", "value", "observed_at")
OPTIONAL = ("id", "source", "goal_id", "comment", "confidence")
MAX_LENGTHS = {"id": 200, "metric": 200, "source": 200, "goal_id": 100, "comment": 2000}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{name} {value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} {value!r} is not a number") from None
    return number  # NaN, Infinity and the bound: `_check_bounds`


def _instant(value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"observed_at {value!r} is not an ISO-8601 time") from None
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"observed_at {value!r} has no timezone (add Z or +hh:mm)")
    return when


def check_row(fields: dict[str, Any], default_source: str | None = None) -> dict[str, Any]:
    """The measurement for one row; raises ValueError with the reason when the row is invalid."""
    values = {name: _text(fields.get(name)) for name in REQUIRED + OPTIONAL}
    for name in REQUIRED:
        if values[name] is None:
            raise ValueError(f"missing {name}")
    for name, most in MAX_LENGTHS.items():
        text = values[name]
        if text is not None and len(text) > most:
            raise ValueError(f"{name} is longer than {most} characters")
    raw_value = fields["value"] if isinstance(fields.get("value"), int | float) else values["value"]
    value = _number("value", raw_value)
    observed_at = _instant(str(values["observed_at"]))
    item: dict[str, Any] = {
        "metric": values["metric"],
        "value": value,
        "observed_at": observed_at.isoformat(),
        "source": values["source"] or default_source,
    }
    if values["confidence"] is not None:
        confidence = _number("confidence", values["confidence"])
        if not 0 <= confidence <= 1:
            raise ValueError(f"confidence {confidence} is not between 0 and 1")
        item["confidence"] = confidence
    for name in ("goal_id", "comment"):
        if values[name] is not None:
            item[name] = values[name]
    item = {k: v for k, v in item.items() if v is not None}
    _check_bounds(item | ({"id": values["id"]} if values["id"] else {}))
    item["id"] = values["id"] or content_id(item, observed_at)
    return item


def _check_bounds(item: dict[str, Any]) -> None:
    """Raise ValueError naming the first field `MeasurementSubmitted` (the contracts' bounds) refuses."""
    try:
        MeasurementSubmitted.model_validate(item)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in error["loc"]) or "row"
        raise ValueError(f"{field} {error['msg']}") from None


def content_id(item: dict[str, Any], observed_at: datetime) -> str:
    """The deterministic id of a row without one: a hash of what it says, not where it is."""
    parts = [
        item["metric"],
        repr(float(item["value"])),
        observed_at.astimezone(UTC).isoformat(),
        item.get("source") or "",
        item.get("goal_id") or "",
        item.get("comment") or "",
        repr(item["confidence"]) if "confidence" in item else "",
    ]
    return "imp_" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]
