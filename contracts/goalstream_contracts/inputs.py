"""The bounds on what users send: numbers, times and free text, one rule each for every way in.

HTTP bodies and query parameters of all three services, records on `goalstream.measurements.v1` and
rows of `goalstream import` are read through these types, so a value is refused the same way
everywhere: a 422 naming the field over HTTP, a dead letter with the reason on the topic, a refused
row in an import. Stored events are not: an event written before a bound existed stays readable.

- `Number`: finite and at most 1e15 in magnitude. Below 2**53 (about 9.007e15) a float holds every
  integer exactly, and a running sum of even a million values at the bound stays far from overflow.
- `Time`: ISO-8601 text with a UTC offset, between 1900-01-01T00:00:00Z and 2999-12-31T23:59:59Z once
  in UTC; that range fits Python's datetime and PostgreSQL's timestamptz with every offset applied.
- `Duration` (ISO-8601 text such as P7D): at most P36500D, a century. A check-in cadence or an averaging
  window added to or taken from a time in range then stays inside what a datetime can hold.
- `Text`: no control character (C0, DEL, C1; so no ANSI escape sequence either), no bidirectional
  override or isolate (U+202A..U+202E, U+2066..U+2069) and no lone surrogate, which UTF-8 cannot hold:
  such text would rewrite a terminal (`goalstream tail`), a log line or how a page reads.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError

MAX_MAGNITUDE = 1e15
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)
MAX_DURATION = timedelta(days=36500)
_DURATION = TypeAdapter(timedelta)
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _bounded_number(value: float) -> float:
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise PydanticCustomError(
            "number_out_of_range", "is not a finite number between -1e15 and 1e15 (the bound on every number sent)"
        )
    return value


def _iso_text(value: object) -> object:
    """pydantic would read a number (or a numeric string) as Unix seconds; a time is ISO-8601 text."""
    numeric = isinstance(value, bool | int | float)
    if isinstance(value, str):
        try:
            float(value)
            numeric = True
        except ValueError:
            pass
    if numeric:
        raise PydanticCustomError(
            "time_not_text", "a time is ISO-8601 text with a UTC offset, such as 2026-03-01T12:00:00Z, not a number"
        )
    return value


def _bounded_time(value: datetime) -> datetime:
    # Compared as instants: no conversion to UTC, which would itself overflow at year 9999 with a negative offset.
    if not EARLIEST <= value <= LATEST:
        raise PydanticCustomError(
            "time_out_of_range", "must lie between 1900-01-01T00:00:00Z and 2999-12-31T23:59:59Z (in UTC)"
        )
    return value


def _plain_text(value: str) -> str:
    found = _UNSAFE.search(value)
    if found is not None:
        raise PydanticCustomError(
            "unsafe_text",
            "must not contain control characters, ANSI escapes, bidirectional overrides or lone surrogates"
            " (found U+{code})",
            {"code": f"{ord(found.group()):04X}"},
        )
    return value


def _bounded_duration(value: str) -> str:
    try:
        length = _DURATION.validate_python(value)
    except ValidationError:
        return value  # not a duration at all: the service's own parser says what is wrong with it
    if abs(length) > MAX_DURATION:
        raise PydanticCustomError("duration_out_of_range", "must be at most P36500D (a century)")
    return value


# Field-level allow_inf_nan: NaN and Infinity reach `_bounded_number`, so every refusal reads the same.
Number = Annotated[float, Field(allow_inf_nan=True), AfterValidator(_bounded_number)]
Time = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_bounded_time)]
Text = Annotated[str, AfterValidator(_plain_text)]
Duration = Annotated[Text, AfterValidator(_bounded_duration)]
