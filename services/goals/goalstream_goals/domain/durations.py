"""ISO-8601 durations (`P7D`, `PT12H`) as timedeltas; months and years have no fixed length and are refused."""

from __future__ import annotations

from datetime import timedelta

from pydantic import TypeAdapter, ValidationError

from goalstream_goals.domain.errors import DomainError

_DURATION = TypeAdapter(timedelta)


def parse_duration(text: str, field: str) -> timedelta:
    if not text.startswith("P") or any(unit in text[1:].split("T")[0] for unit in "YM"):
        raise DomainError(f"{field} must be an ISO-8601 duration such as P7D or PT12H (no months or years)", field)
    try:
        value = _DURATION.validate_python(text)
    except ValidationError as exc:
        raise DomainError(
            f"{field} must be an ISO-8601 duration in weeks, days, hours, minutes or seconds", field
        ) from exc
    if value <= timedelta(0):
        raise DomainError(f"{field} must be longer than zero", field)
    return value
