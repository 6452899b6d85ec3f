"""The lean binding writes and reads exactly what the binding before it did (`wire_reference`).

Records are compared byte for byte (topic, key, value, every header in order) for every event type, and
decoding gives the same envelope, or refuses with the same reason, as the old reader. A change that
alters the wire fails here first. The changes made on purpose since are stated here: the records carry
`ce_partitionkey` (= the key) after `ce_orgid` (issue 19), and a `ce_id` that is not a UUID is read
(`test_cloudevents_interop.py` holds what it becomes).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goalstream_contracts import examples, registry
from goalstream_contracts.base import Payload
from goalstream_contracts.cloudevents import ContractError, from_kafka, to_kafka, to_kafka_text
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import GoalAchieved, MeasurementRecorded
from tests.unit.contracts import wire_reference

EXAMPLES = examples.example_envelopes()
by_type = pytest.mark.parametrize("event_type", sorted(EXAMPLES))


def reference_record(envelope: Envelope[Any]) -> tuple[str, bytes, bytes, tuple[tuple[str, bytes], ...]]:
    """The old record with the one header added since: `ce_partitionkey`, the key, after `ce_orgid`."""
    topic, key, value, headers = wire_reference.to_kafka(envelope)
    at = [name for name, _ in headers].index("ce_orgid") + 1
    return topic, key, value, (*headers[:at], ("ce_partitionkey", key), *headers[at:])


def assert_same_record(envelope: Envelope[Any]) -> None:
    record, text = to_kafka(envelope), to_kafka_text(envelope)  # the outbox stores the text form
    assert (record.topic, record.key, record.value, record.headers) == reference_record(envelope)
    assert (text.topic, text.key, text.value) == (record.topic, record.key, record.value)
    assert tuple((k, v.encode()) for k, v in text.headers) == record.headers
    assert json.loads(record.value) == wire_reference.stored_payload(envelope)  # what `events.payload` holds


def test_every_event_type_has_an_example() -> None:
    assert set(EXAMPLES) == set(registry.BY_TYPE)


@by_type
def test_every_event_type_is_written_byte_for_byte_as_before(event_type: str) -> None:
    envelope = EXAMPLES[event_type]
    assert_same_record(envelope)
    other = envelope.model_copy(update={"causation_id": None if envelope.causation_id else uuid.UUID(int=9)})
    assert_same_record(other)


@settings(max_examples=200, deadline=None)
@given(
    value=st.floats(allow_nan=False, allow_infinity=False),
    current=st.none() | st.floats(allow_nan=False, allow_infinity=False),
    text=st.text(),
    offset_minutes=st.integers(-14 * 60, 14 * 60),
    micro=st.integers(0, 999_999),
    version=st.integers(1, 2**31 - 1),
)
def test_awkward_values_are_written_as_before(
    value: float, current: float | None, text: str, offset_minutes: int, micro: int, version: int
) -> None:
    at = datetime(2026, 3, 1, 12, 0, 0, micro, tzinfo=timezone(timedelta(minutes=offset_minutes)))
    payload = MeasurementRecorded(
        goal_id=text or "g",
        measurement_id=text,
        metric="m",
        value=value,
        observed_at=at,
        recorded_at=at,
        comment=text,
        current_value=current,
    )
    envelope = Envelope[Payload].new(
        payload, org_id=text or "o", stream_id=text or "s", stream_version=version, occurred_at=at, source=text
    )
    assert_same_record(envelope)
    assert_same_decoding(to_kafka(envelope).headers, to_kafka(envelope).value)


def outcome(decode: Callable[[Any, bytes | None], Envelope[Payload]], headers: Any, value: bytes | None) -> Any:
    try:
        envelope = decode(headers, value)
    except ContractError as exc:
        return ("refused", str(exc))
    except Exception as exc:  # not a ContractError (JSON nested past the recursion limit): the consumer's DLQ
        return ("failed", type(exc), str(exc))
    return ("read", type(envelope.payload), envelope, envelope.model_dump(), envelope.model_fields_set)


def assert_same_decoding(headers: Any, value: bytes | None) -> None:
    assert outcome(from_kafka, headers, value) == outcome(wire_reference.from_kafka, headers, value)


@by_type
def test_every_event_type_is_read_as_before(event_type: str) -> None:
    record = to_kafka(EXAMPLES[event_type])
    assert_same_decoding(record.headers, record.value)
    assert from_kafka(record.headers, record.value) == EXAMPLES[event_type]


ACHIEVED = to_kafka(EXAMPLES["GoalAchieved"])
VALUE = json.loads(ACHIEVED.value)


def body(**change: Any) -> bytes:
    return json.dumps({**VALUE, **change}).encode()


def headers(**change: str) -> list[tuple[str, bytes]]:
    return [(k, change.pop(k).encode() if k in change else v) for k, v in ACHIEVED.headers] + [
        (k, v.encode()) for k, v in change.items()
    ]


VALUES = {
    "missing field": json.dumps({k: v for k, v in VALUE.items() if k != "goal_id"}).encode(),
    "wrong type": body(value="a lot"),
    "NaN ignored field": ACHIEVED.value[:-1] + b',"later":NaN}',
    "NaN in a float": ACHIEVED.value.replace(b'"value":', b'"value":NaN,"was":'),
    "-Infinity": ACHIEVED.value[:-1] + b',"later":-Infinity}',
    "NaN as text": body(comment="NaN and Infinity"),
    "overflow": ACHIEVED.value[:-1] + b',"value":1e999}',
    "array": b"[1, 2]",
    "null": b"null",
    "empty": b"",
    "none": None,
    "not json": b"{not json",
    "leading space": b"  " + ACHIEVED.value,
    "trailing data": ACHIEVED.value + b"{}",
    "lone surrogate": ACHIEVED.value[:-1] + b',"later":"\\ud800"}',
    "invalid utf-8": ACHIEVED.value[:-1] + b',"later":"\xff"}',
    "utf-8 bom": b"\xef\xbb\xbf" + ACHIEVED.value,
    "duplicate key": ACHIEVED.value[:-1] + b',"value":7.5}',
    "unknown field": body(added_later={"x": [1, 2]}),
    "naive time in payload": body(achieved_at="2026-01-01T00:00:00"),
    "deep nesting": ACHIEVED.value[:-1] + b',"later":' + b"[" * 5000 + b"]" * 5000 + b"}",
}
HEADERS = {
    "naive ce_time": headers(ce_time="2026-01-01T00:00:00"),
    "ce_time not a time": headers(ce_time="yesterday"),
    "stream version 0": headers(ce_streamversion="0"),
    "stream version -1": headers(ce_streamversion="-1"),
    "stream version x": headers(ce_streamversion="x"),
    "correlation not a uuid": headers(ce_correlationid="nope"),
    "empty causation": headers(ce_causationid=""),
    "causation not a uuid": headers(ce_causationid="nope"),
    "schema version 01": headers(ce_schemaversion="01"),
    "schema version 2": headers(ce_schemaversion="2"),
    "schema version 0": headers(ce_schemaversion="0"),
    "unknown type": headers(ce_type="io.goalstream.GoalDeleted"),
    "no stream id": [(k, v) for k, v in ACHIEVED.headers if k != "ce_streamid"],
    "no correlation": [(k, v) for k, v in ACHIEVED.headers if k != "ce_correlationid"],
    "upper-case names, text values": [(k.upper(), v.decode()) for k, v in ACHIEVED.headers],
}


@pytest.mark.parametrize("value", list(VALUES.values()), ids=list(VALUES))
def test_odd_values_are_read_or_refused_as_before(value: bytes | None) -> None:
    assert_same_decoding(ACHIEVED.headers, value)


@pytest.mark.parametrize("header_list", list(HEADERS.values()), ids=list(HEADERS))
def test_odd_headers_are_read_or_refused_as_before(header_list: list[tuple[str, Any]]) -> None:
    assert_same_decoding(header_list, ACHIEVED.value)


def test_a_current_record_is_read_in_one_pass_without_a_dict(monkeypatch: pytest.MonkeyPatch) -> None:
    """The payload is validated from the raw bytes: no `json.loads` to a dict, no `model_validate` of one."""

    def no_dict(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a dict was made on the way")

    monkeypatch.setattr(json, "loads", no_dict)
    monkeypatch.setattr(registry, "decode_payload", no_dict)
    for envelope in EXAMPLES.values():
        record = to_kafka(envelope)
        assert from_kafka(record.headers, record.value) == envelope


def test_checked_envelopes_are_the_validated_ones() -> None:
    """`of_checked` (no validation) gives the model `new` (validated) gives, down to the fields set and hash."""
    for envelope in EXAMPLES.values():
        fields = {name: getattr(envelope, name) for name in Envelope.model_fields if name not in ("event_type",)}
        fields.pop("schema_version")
        checked = Envelope[Payload].of_checked(**fields)
        assert checked == envelope and hash(checked) == hash(envelope) and repr(checked) == repr(envelope)
        assert checked.model_fields_set == envelope.model_fields_set
        assert checked.model_dump_json() == envelope.model_dump_json()
        assert type(checked) is type(envelope)


def test_checked_envelopes_keep_the_rules_types_do_not_carry() -> None:
    payload = GoalAchieved.model_validate(VALUE)

    def checked(stream_version: int, occurred_at: datetime) -> Envelope[Payload]:
        return Envelope[Payload].of_checked(
            payload,
            event_id=uuid.uuid4(),
            org_id="o",
            stream_id="s",
            stream_version=stream_version,
            occurred_at=occurred_at,
            source="/t",
            correlation_id=uuid.uuid4(),
            causation_id=None,
        )

    with pytest.raises(ValueError, match="timezone-aware"):
        checked(1, datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="at least 1"):
        checked(0, datetime.now(UTC))
    assert checked(1, datetime.now(UTC)).stream_version == 1
