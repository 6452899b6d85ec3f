"""Round trips through the official CloudEvents SDK (`cloudevents` on PyPI), both ways.

What we publish, the SDK reads with every attribute and the key as `partitionkey`; what the SDK writes (its
current API, `cloudevents.core.bindings.kafka`, and the 1.x API kept as `cloudevents.v1.kafka`), in binary
and structured mode, with an id that is not a UUID and, where the API can leave it out, no time, we read.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cloudevents.core.bindings import kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from cloudevents.v1 import kafka as kafka_1x
from cloudevents.v1.http import CloudEvent as CloudEvent1x

from goalstream_contracts import examples
from goalstream_contracts.cloudevents import ContractError, from_kafka, to_kafka
from goalstream_contracts.cloudevents_supplied import ID_NAMESPACE, event_id
from goalstream_contracts.measurements import MeasurementSubmitted

ORG = "acme"
SOURCE = "//crm.example.com/deals"
TYPE = "io.goalstream.MeasurementSubmitted"
DATA = {"metric": "crm.deals.won", "value": 3, "observed_at": "2026-03-01T09:30:00Z"}
RECORD_MS = 1_772_357_400_000  # the record's timestamp: 2026-03-01T09:30:00Z
RECORD_TIME = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
JSON = JSONFormat()
Message = kafka.KafkaMessage | kafka_1x.KafkaMessage


def read(message: Message, timestamp_ms: int | None = RECORD_MS) -> Any:
    """Our reader on an SDK message, as a consumer gets it: headers as a list of pairs, the key as bytes."""
    key = message.key.encode() if isinstance(message.key, str) else message.key
    value = message.value.encode() if isinstance(message.value, str) else message.value
    return from_kafka(list(message.headers.items()), value, key, timestamp_ms)


def sdk_event(**attributes: Any) -> CloudEvent:
    base = {"type": TYPE, "source": SOURCE, "id": "deal-42", "partitionkey": ORG, "datacontenttype": "application/json"}
    return CloudEvent({**base, **attributes}, dict(DATA))


def sdk_1x_event(**attributes: Any) -> CloudEvent1x:
    """The 1.x API's event with `time: None`: the one way the SDK writes an event without a time."""
    base: dict[str, Any] = {"type": TYPE, "source": SOURCE, "id": "deal-42", "time": None, "partitionkey": ORG}
    return CloudEvent1x({**base, "datacontenttype": "application/json", **attributes}, dict(DATA))


# --- what we publish, read by the SDK ---------------------------------------------------------------


@pytest.mark.parametrize("event_type", sorted(examples.example_envelopes()))
def test_the_sdk_reads_every_record_we_publish(event_type: str) -> None:
    envelope = examples.example_envelopes()[event_type]
    record = to_kafka(envelope)
    event = kafka.from_binary(kafka.KafkaMessage(dict(record.headers), record.key, record.value), JSON)
    attributes = event.get_attributes()
    assert attributes["id"] == str(envelope.event_id)
    assert attributes["source"] == envelope.source
    assert attributes["type"] == f"io.goalstream.{event_type}"
    assert attributes["time"] == envelope.occurred_at
    assert attributes["subject"] == envelope.payload.subject()
    assert attributes["orgid"] == envelope.org_id
    assert attributes["partitionkey"] == envelope.org_id == record.key.decode()
    assert attributes["streamversion"] == str(envelope.stream_version)
    assert event.get_data() == envelope.payload.model_dump(mode="json")
    # The SDK's default key mapper gives our key back: a record it forwards stays in the organisation's partition,
    # even when what it read had lost its key (a copy made from the headers and value alone): `ce_partitionkey`.
    assert kafka.to_binary(event, JSON).key == envelope.org_id
    keyless = kafka.from_binary(kafka.KafkaMessage(dict(record.headers), None, record.value), JSON)
    assert kafka.to_binary(keyless, JSON).key == envelope.org_id


def test_the_sdk_1x_api_reads_what_we_publish_and_maps_the_key_back() -> None:
    envelope = examples.example_envelopes()["MeasurementSubmitted"]
    record = to_kafka(envelope)
    event = kafka_1x.from_binary(kafka_1x.KafkaMessage(dict(record.headers), record.key, record.value))
    assert event["id"] == str(envelope.event_id) and event["orgid"] == ORG
    assert kafka_1x.to_binary(event).key == ORG.encode()  # the 1.x API keeps the key's bytes


# --- what the SDK writes, read by us ----------------------------------------------------------------


def test_a_binary_sdk_record_with_an_id_that_is_not_a_uuid() -> None:
    message = kafka.to_binary(sdk_event(), JSON)
    assert message.headers["ce_id"] == b"deal-42" and message.key == ORG
    envelope = read(message)
    assert envelope.event_id == event_id(SOURCE, "deal-42") == uuid.uuid5(ID_NAMESPACE, f'["{SOURCE}", "deal-42"]')
    assert envelope.correlation_id == envelope.event_id
    assert envelope.org_id == ORG and envelope.source == SOURCE
    assert envelope.payload == MeasurementSubmitted.model_validate(DATA)


def test_a_structured_sdk_record() -> None:
    message = kafka.to_structured(sdk_event(time=RECORD_TIME - timedelta(hours=1)), JSON)
    assert message.headers == {"content-type": b"application/cloudevents+json"}
    envelope = read(message)
    assert envelope.event_id == event_id(SOURCE, "deal-42")
    assert envelope.occurred_at == RECORD_TIME - timedelta(hours=1)  # the event's time, not the record's
    assert envelope.org_id == ORG
    assert envelope.payload == MeasurementSubmitted.model_validate(DATA)


@pytest.mark.parametrize("to_kafka_1x", [kafka_1x.to_binary, kafka_1x.to_structured], ids=["binary", "structured"])
def test_an_sdk_record_without_a_time_takes_the_records_timestamp(to_kafka_1x: Any) -> None:
    message = to_kafka_1x(sdk_1x_event())
    assert b"ce_time" not in b" ".join(k.encode() for k in message.headers)
    envelope = read(message)
    assert envelope.occurred_at == RECORD_TIME
    assert envelope.event_id == event_id(SOURCE, "deal-42") and envelope.org_id == ORG
    assert envelope.payload == MeasurementSubmitted.model_validate(DATA)


def test_the_same_id_is_the_same_event_and_another_source_another() -> None:
    first, again = read(kafka.to_binary(sdk_event(), JSON)), read(kafka.to_structured(sdk_event(), JSON))
    other = read(kafka.to_binary(sdk_event(source="//analytics.example.com"), JSON))
    assert first.event_id == again.event_id != other.event_id


def test_a_uuid_id_is_the_event_id_as_it_is() -> None:
    the_id = uuid.uuid4()
    assert read(kafka.to_binary(sdk_event(id=str(the_id)), JSON)).event_id == the_id


@pytest.mark.parametrize(
    "looks_like_a_uuid",
    [
        "0123456789abcdef0123456789abcdef",
        "{01234567-89ab-cdef-0123-456789abcdef}",
        "01234567-89AB-CDEF-0123-456789ABCDEF",
    ],
)
def test_an_id_uuid_reads_but_not_in_its_canonical_text_is_kept_apart_by_source(looks_like_a_uuid: str) -> None:
    """Two sources' hex-hash ids are two events: only the canonical text is taken as the event id itself."""
    first = read(kafka.to_binary(sdk_event(id=looks_like_a_uuid), JSON))
    other = read(kafka.to_binary(sdk_event(id=looks_like_a_uuid, source="//analytics.example.com"), JSON))
    assert first.event_id == event_id(SOURCE, looks_like_a_uuid) != other.event_id


def test_a_time_in_lowercase_rfc_3339_is_read() -> None:
    """RFC 3339 allows `t` and `z` in lowercase; Python 3.11's fromisoformat reads only capitals."""
    message = kafka.to_binary(sdk_event(), JSON)
    message.headers["ce_time"] = b"2026-03-01t08:30:00z"
    assert read(message).occurred_at == RECORD_TIME - timedelta(hours=1)


def test_the_id_namespace_never_changes() -> None:
    """Changing it would make every mapped id new: each third-party event redelivered after it would count twice."""
    assert uuid.UUID("2ff54d1e-8bf9-5507-9fcb-e947e72d3ba8") == ID_NAMESPACE
    assert event_id("/crm/x", "deal-42") == uuid.UUID("1136cbf5-5fcb-5eb8-8c92-e117c2e08b98")


def test_orgid_names_the_organisation_before_the_key() -> None:
    assert read(kafka.to_binary(sdk_event(orgid="globex"), JSON)).org_id == "globex"


# --- refused with the reason ------------------------------------------------------------------------


def test_partitionkey_names_the_organisation_of_a_record_without_a_key() -> None:
    message = kafka.to_structured(sdk_event(), JSON, key_mapper=lambda event: None)
    assert message.key is None
    assert read(message).org_id == ORG


def test_no_organisation_anywhere_is_refused() -> None:
    unnamed = {k: v for k, v in sdk_event().get_attributes().items() if k != "partitionkey"}
    message = kafka.to_binary(CloudEvent(unnamed, dict(DATA)), JSON)
    assert message.key is None
    with pytest.raises(ContractError, match=r"missing CloudEvents headers: ce_orgid \(and the record has no key"):
        read(message)


def test_no_time_and_no_record_timestamp_is_refused() -> None:
    with pytest.raises(ContractError, match=r"missing CloudEvents headers: ce_time \(and the record has no timestamp"):
        read(kafka_1x.to_binary(sdk_1x_event()), timestamp_ms=-1)


def test_an_empty_id_is_refused() -> None:
    message = kafka.to_binary(sdk_event(), JSON)
    headers = {**message.headers, "ce_id": b""}
    with pytest.raises(ContractError, match="ce_id is empty"):
        read(kafka.KafkaMessage(headers, message.key, message.value))


@pytest.mark.parametrize(
    ("content_type", "value", "reason"),
    [
        ("application/cloudevents+avro", b"\x00", "unsupported event format 'application/cloudevents[+]avro'"),
        ("application/cloudevents+json", b"[1]", "structured record is not a JSON object"),
        ("application/cloudevents+json", b"{oops", "malformed structured record"),
        ("application/cloudevents+json", b'{"id": NaN}', "NaN is not allowed"),
        ("application/cloudevents+json", b'{"id": {"x": 1}}', "attribute 'id' is dict"),
        ("application/cloudevents+json", b'{"data_base64": "!!"}', "data_base64 is not base64"),
    ],
)
def test_malformed_structured_records(content_type: str, value: bytes, reason: str) -> None:
    with pytest.raises(ContractError, match=reason):
        from_kafka([("content-type", content_type.encode())], value, ORG.encode(), RECORD_MS)


def test_structured_data_in_base64_and_integer_extensions() -> None:
    message = kafka.to_structured(sdk_event(), JSON)
    value = message.value.replace(b'"data": {', b'"streamversion": 4, "data": {')
    assert read(kafka.KafkaMessage(message.headers, message.key, value)).stream_version == 4
    event = sdk_event()
    encoded = kafka.to_structured(
        CloudEvent(event.get_attributes(), b'{"metric": "m", "value": 1, "observed_at": "2026-03-01T09:30:00Z"}'), JSON
    )
    assert b"data_base64" in encoded.value
    assert read(encoded).payload.value == 1
