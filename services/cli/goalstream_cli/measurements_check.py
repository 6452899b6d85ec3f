"""Checking one row of a measurement export for `goalstream import`: the body of one
`POST /v1/measurements` item, or a ValueError whose reason names the field and what is wrong.

The rules are the contract's, not a copy: a row is read by a pydantic TypeAdapter of the topic's own
model, `MeasurementSubmitted` (whose types, `goalstream_contracts.inputs`, bound every way in), so a row
is refused as a record on `goalstream.measurements.v1` would be. Two things are the file's, not the
contract's: a cell is text (stripped; blank is absent, as an empty CSV cell), and a JSON true or false is
no number. One bound is the API's, tighter than the topic's: a goal id of at most 100 characters, which
the goals API would otherwise refuse for the whole batch rather than for the row.

A row without an `id` gets `imp_<sha256 of its content>`: metric, value, observed_at (as an
instant), source, goal_id, comment and confidence. Importing the same file again therefore sends
the same ids and lands nothing new; two identical rows in one file are one measurement (the second
is reported as a duplicate).
"""

from __future__ import annotations

import hashlib
from datetime import UTC
from typing import Any

from annotated_types import Ge, Le
from pydantic import Field, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from goalstream_contracts.inputs import Text
from goalstream_contracts.measurements import MeasurementSubmitted

REQUIRED = ("metric", "value", "observed_at")


class _Row(MeasurementSubmitted):
    goal_id: Text | None = Field(default=None, max_length=100)  # the goals API's bound (MeasurementIn)


_ROW = TypeAdapter(_Row)
_NUMBERS = ("value", "confidence")


def _cell(name: str, value: Any) -> Any:
    """A cell as the model reads it: numbers of a JSON row stay numbers, everything else is stripped text."""
    if name in _NUMBERS and isinstance(value, bool):
        raise ValueError(f"{name} {value!r} is not a number")  # the model would read it as 1 or 0
    if name in _NUMBERS and isinstance(value, int | float):
        return value
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def check_row(fields: dict[str, Any], default_source: str | None = None) -> dict[str, Any]:
    """The measurement for one row; raises ValueError with the reason when the row is invalid."""
    cells = {name: _cell(name, fields.get(name)) for name in _Row.model_fields}
    cells["source"] = cells["source"] or default_source
    try:
        row = _ROW.validate_python({name: value for name, value in cells.items() if value is not None})
    except ValidationError as exc:
        raise ValueError(_reason(exc.errors(include_url=False)[0])) from None
    item = row.model_dump(mode="json", exclude_none=True)
    item["id"] = row.id or content_id(row)
    return item


def _reason(error: ErrorDetails) -> str:
    """The first refusal in the words of the file's author: the field, the value when it helps, and why."""
    field = ".".join(str(part) for part in error["loc"]) or "row"
    kind, given, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "missing":
        return f"missing {field}"
    if kind in ("float_parsing", "float_type", "bool_type"):
        return f"{field} {given!r} is not a number"
    if kind == "timezone_aware":
        return f"{field} {given!r} has no timezone (add Z or +hh:mm)"
    if kind.startswith(("datetime_", "date_")):
        return f"{field} {given!r} is not an ISO-8601 time"
    if kind in ("string_too_long", "too_long"):
        return f"{field} is longer than {ctx['max_length']} characters"
    if kind in ("greater_than_equal", "less_than_equal") and field in _Row.model_fields:
        meta = _Row.model_fields[field].metadata
        low = next((m.ge for m in meta if isinstance(m, Ge)), None)
        high = next((m.le for m in meta if isinstance(m, Le)), None)
        return f"{field} {given} is not between {low} and {high}"
    return f"{field} {error['msg']}"  # the contract's own words (`goalstream_contracts.inputs`)


def content_id(row: MeasurementSubmitted) -> str:
    """The deterministic id of a row without one: a hash of what it says, not where it is."""
    parts = [
        row.metric,
        repr(float(row.value)),
        row.observed_at.astimezone(UTC).isoformat(),
        row.source or "",
        row.goal_id or "",
        row.comment or "",
        repr(row.confidence) if row.confidence is not None else "",
    ]
    return "imp_" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]
