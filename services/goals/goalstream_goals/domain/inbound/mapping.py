"""The field mapping: which records of a platform feed which metric, and how a record becomes a measurement.

Pure: the caller passes `now` (the time a record without a time of its own was received).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from goalstream_contracts.inputs import Number, Text, Time
from goalstream_goals.domain.goal import Measurement
from goalstream_goals.domain.inbound.record import InboundRecord, Platform

Aggregation = Literal["latest", "sum"]
MAX_ID = 200  # a measurement id's bound in the API (MeasurementIn.id)
# The bounds every other way in keeps (goalstream_contracts.inputs): a platform's record is user input too.
_NUMBER, _TIME, _TEXT = TypeAdapter(Number), TypeAdapter(Time), TypeAdapter(Text)


@dataclass(frozen=True)
class Mapping:
    """`object_type`: the record's object or event name; `value_path`, `time_path`, `id_path`: dotted paths into
    the record's fields (`properties.amount`); `aggregation` says what the value is (a running figure or an
    amount to add): the goals of `metric` count it as their own metric's aggregation says."""

    mapping_id: str
    platform: Platform
    object_type: str
    value_path: str
    metric: str
    aggregation: Aggregation = "latest"
    time_path: str | None = None
    id_path: str | None = None


_ABSENT = object()


def read_path(fields: dict[str, Any], path: str) -> Any:
    """The value at a dotted path (a list index is a number: `items.0.price`), or _ABSENT."""
    current: Any = fields
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return _ABSENT
    return current


def present(fields: dict[str, Any], path: str) -> bool:
    return read_path(fields, path) is not _ABSENT


def number(value: Any) -> float | None:
    """A number as the platforms send one: JSON numbers, and strings (HubSpot and Salesforce send text)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        result = float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def moment(value: Any) -> datetime | None:
    """A time as the platforms send one: ISO-8601 text, or epoch milliseconds (HubSpot's `occurredAt`)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (ValueError, OverflowError, OSError):
            return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return None


def matches(mapping: Mapping, record: InboundRecord) -> bool:
    return (
        mapping.platform == record.platform
        and mapping.object_type == record.object_type
        and present(record.fields, mapping.value_path)
    )


def measurement(mapping: Mapping, record: InboundRecord, now: datetime) -> Measurement | str:
    """The measurement a matching record makes, or why it makes none. Its id is the platform's, the account's and
    the record's own id (the id path's value, else the platform's event id), then the metric: a repeated delivery
    is a duplicate, and two mappings of the same record feed two metrics."""
    value = number(read_path(record.fields, mapping.value_path))
    if value is None:
        return f"{mapping.value_path} is not a number"
    own = record.event_id
    if mapping.id_path is not None:
        found = read_path(record.fields, mapping.id_path)
        if found is _ABSENT or found is None or isinstance(found, (dict, list)):
            return f"{mapping.id_path} (the id path) is missing"
        own = str(found)
    at = record.occurred_at or now
    if mapping.time_path is not None:
        at = moment(read_path(record.fields, mapping.time_path)) or at
    measurement_id = f"{record.platform}:{record.account}:{own}:{mapping.metric}"
    if len(measurement_id) > MAX_ID:
        return f"the measurement id is longer than {MAX_ID} characters"
    source = f"{record.platform} {record.account} {record.object_type}"
    out_of_bounds = (
        _refused(_NUMBER, value, f"the value at {mapping.value_path}")
        or _refused(_TIME, at, "its time")
        or _refused(_TEXT, measurement_id, "the measurement id")
        or _refused(_TEXT, source, "the source")
    )
    if out_of_bounds is not None:
        return out_of_bounds
    return Measurement(
        measurement_id=measurement_id,
        metric=mapping.metric,
        value=value,
        observed_at=at,
        source=source,
    )


def _refused(adapter: TypeAdapter[Any], value: object, what: str) -> str | None:
    """Why `value` is outside the bound `POST /v1/measurements` keeps, or None."""
    try:
        adapter.validate_python(value)
    except ValidationError as exc:
        return f"{what} {exc.errors()[0]['msg']}"
    return None
