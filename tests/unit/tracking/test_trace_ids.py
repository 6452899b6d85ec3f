"""The trace id the event log keeps for an event: the one of its record's W3C `traceparent`, or none."""

from __future__ import annotations

import pytest

from goalstream_tracking.adapters.trace_ids import from_headers

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_the_trace_id_is_read_from_the_traceparent_header() -> None:
    headers = [("ce_id", b"x"), ("traceparent", f"00-{TRACE}-00f067aa0ba902b7-01".encode())]
    assert from_headers(headers) == TRACE


@pytest.mark.parametrize(
    "headers",
    [
        None,
        [],
        [("traceparent", None)],
        [("traceparent", b"garbage")],
        [("traceparent", b"00-" + b"0" * 32 + b"-00f067aa0ba902b7-01")],  # all zeros: W3C's "no trace"
        [("traceparent", b"\xff\xfe")],
    ],
)
def test_a_record_without_a_readable_traceparent_has_none(headers: list[tuple[str, bytes | None]] | None) -> None:
    assert from_headers(headers) is None
