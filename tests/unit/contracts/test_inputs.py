"""The bounds on what users send (`goalstream_contracts.inputs`), on the topic and in an import as over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from goalstream_cli.measurements_check import check_row
from goalstream_contracts.cloudevents import ContractError, from_kafka, to_kafka
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.inputs import Number, Text, Time
from goalstream_contracts.measurements import MeasurementSubmitted


class Sent(BaseModel):
    number: Number | None = None
    time: Time | None = None
    text: Text | None = None


def _refused(field: str, value: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        Sent.model_validate({field: value})  # as FastAPI does: Python's json first (NaN and lone surrogates pass)
    error = caught.value.errors()[0]
    assert error["loc"][0] == field
    return str(error["type"])


@pytest.mark.parametrize("value", [1.7e308, -1.7e308, 1e15 * (1 + 2**-52), -1.0000001e15, 10**30, float("nan")])
def test_a_number_beyond_1e15_or_not_finite_is_refused(value: float) -> None:
    assert _refused("number", value) == "number_out_of_range"


@pytest.mark.parametrize("value", [1e15, -1e15, 0.0, 5e-324, 123.25])
def test_a_number_within_the_bound_is_kept_as_sent(value: float) -> None:
    assert Sent(number=value).number == value


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:59:59-14:00",  # past year 9999 once in UTC: a 500 from PostgreSQL before
        "0001-01-01T00:00:00+01:00",  # before year 1 once in UTC
        "1899-12-31T23:59:59Z",
        "1900-01-01T00:30:00+01:00",  # 1899 in UTC
        "2999-12-31T23:00:00-01:00",  # 3000 in UTC
        "2999-12-31T23:59:59.000001Z",
    ],
)
def test_a_time_outside_1900_to_2999_in_utc_is_refused(value: str) -> None:
    assert _refused("time", value) == "time_out_of_range"


def test_a_time_needs_an_offset_and_text() -> None:
    assert _refused("time", "2026-03-01T12:00:00") == "timezone_aware"
    assert _refused("time", 1839) == "time_not_text"
    assert Sent(time="1900-01-01T01:00:00+01:00").time is not None
    assert Sent(time="2999-12-31T23:59:59Z").time is not None


@pytest.mark.parametrize(
    "value", ["\x1b[31mred", "line\nbreak", "tab\t", "\x7f", "\x85", "\u202egnp.exe", "\u2066x\u2069", "\ud800"]
)
def test_text_with_a_control_character_an_escape_or_a_bidi_override_is_refused(value: str) -> None:
    assert _refused("text", value) == "unsafe_text"


def test_plain_text_in_any_script_is_kept() -> None:
    for value in ("Qualified leads", "Q3 — рост 😀", "עברית", "a\u200db"):
        assert Sent(text=value).text == value


def _record(value: bytes) -> tuple[list[tuple[str, bytes]], bytes]:
    measurement = MeasurementSubmitted(metric="m", value=1, observed_at="2026-01-01T00:00:00Z")
    envelope = Envelope[MeasurementSubmitted].new(
        measurement, org_id="o", stream_id="m", stream_version=1, occurred_at=measurement.observed_at, source="/t"
    )
    return list(to_kafka(envelope).headers), value


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (b'{"metric": "m", "value": 1.7e308, "observed_at": "2026-01-01T00:00:00Z"}', "value"),
        (b'{"metric": "m", "value": 1, "observed_at": "9999-12-31T23:59:59-14:00"}', "observed_at"),
        (b'{"metric": "m", "value": 1, "observed_at": "2026-01-01T00:00:00Z", "comment": "\\u001b[2J"}', "comment"),
    ],
)
def test_a_measurement_record_out_of_bounds_is_a_contract_error_naming_the_field(value: bytes, field: str) -> None:
    headers, body = _record(value)
    with pytest.raises(ContractError, match=f"'{field}'"):
        from_kafka(headers, body)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"value": "1.7e308"}, "value is not a finite number between"),
        ({"value": "-2e15"}, "value is not a finite number between"),
        ({"observed_at": "9999-12-31T23:59:59-14:00"}, "observed_at must lie between"),
        ({"observed_at": "0001-01-01T00:00:00+01:00"}, "observed_at must lie between"),
        ({"comment": "\x1b[2Jcleared"}, "comment must not contain control characters"),
        ({"source": "crm\u202e"}, "source must not contain"),
    ],
)
def test_an_import_row_out_of_bounds_is_refused_naming_the_field(fields: dict[str, str], reason: str) -> None:
    row = {"metric": "m", "value": "1", "observed_at": "2026-01-01T00:00:00Z"} | fields
    with pytest.raises(ValueError, match=reason):
        check_row(row)
