"""A batch is decoded in one pass per record: every event as the old reader read it, and each malformed
record marked for the dead-letter topic with the reason the old reader gave, while the rest decodes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from goalstream_contracts import examples
from goalstream_contracts.cloudevents import ContractError, to_kafka
from goalstream_runtime import consumer_batch
from goalstream_runtime.failures import describe
from tests.unit.contracts import wire_reference

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@dataclass
class Record:  # the fields of aiokafka's ConsumerRecord that decoding and the DLQ read
    headers: list[tuple[str, bytes]]
    value: bytes | None
    offset: int
    key: bytes | None = b"acme"
    timestamp: int = 1_780_000_000_000
    topic: str = "t"
    partition: int = 0


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(consumer_batch, "tracer", provider.get_tracer("test"))
    yield exporter
    provider.shutdown()


def good_records() -> list[Record]:
    found = []
    for i, envelope in enumerate(examples.example_envelopes().values()):
        r = to_kafka(envelope)
        trace = [("traceparent", PARENT.encode())] if i % 2 else []
        found.append(Record(list(r.headers) + trace, r.value, 0))
    return found


def malformed_records() -> dict[str, Record]:
    r = to_kafka(examples.example_envelopes()["MeasurementSubmitted"])
    data = json.loads(r.value)
    return {
        "schema": Record(list(r.headers), json.dumps({**data, "value": "lots"}).encode(), 0),
        "NaN": Record(list(r.headers), r.value[:-1] + b',"later":NaN}', 0),
        "not json": Record(list(r.headers), b"{oops", 0),
        "not an object": Record(list(r.headers), b"[]", 0),
        "no ce_id": Record([(k, v) for k, v in r.headers if k != "ce_id"], r.value, 0),
        "naive time": Record([(k, b"2026-01-01T00:00:00" if k == "ce_time" else v) for k, v in r.headers], r.value, 0),
        "header not utf-8": Record([*r.headers, ("x-note", b"\xff")], r.value, 0),
    }


def old_reason(record: Record) -> str:
    try:
        wire_reference.from_kafka(record.headers, record.value)
    except ContractError as exc:
        return str(exc)
    except Exception as exc:
        return describe(exc)
    raise AssertionError("the old reader took it")


def test_malformed_records_go_to_the_dlq_with_their_reason_and_the_rest_decodes(
    spans: InMemorySpanExporter,
) -> None:
    good, bad = good_records(), malformed_records()
    batch: list[Record] = []
    for i, record in enumerate(good):  # the malformed ones among the good ones, not at the ends
        batch.append(record)
        if i % 3 == 1 and bad:
            batch.append(bad.pop(next(iter(bad))))
    assert not bad
    for offset, record in enumerate(batch):
        record.offset = offset

    items = consumer_batch.decode(batch, "test apply")

    assert [item.record for item in items] == batch
    refused = [item for item in items if item.envelope is None]
    assert [(i.outcome, i.reason) for i in refused] == [("dead_lettered", old_reason(i.record)) for i in refused]
    assert len(refused) == len(malformed_records())
    read = [item for item in items if item.envelope is not None]
    assert [i.record for i in read] == good
    assert [i.envelope for i in read] == list(examples.example_envelopes().values())
    assert all(i.outcome == "applied" and i.reason is None for i in read)
    for item in read:  # a span each, a child of the record's own trace when it names one
        item.span.end()
    finished = spans.get_finished_spans()
    assert len(finished) == len(read)
    traced = [s for s, i in zip(finished, read, strict=True) if ("traceparent", PARENT.encode()) in i.record.headers]
    assert traced and all(format(s.context.trace_id, "032x") == TRACE_ID for s in traced)
    assert all(s.parent is not None and format(s.parent.span_id, "016x") == "00f067aa0ba902b7" for s in traced)


def test_a_record_s_process_span_also_links_its_producer(spans: InMemorySpanExporter) -> None:
    """The messaging conventions: a `process` span links the context the message was created in (its parent
    too here, which they allow for one message); a record that carries none links nothing."""
    traced, bare = good_records()[1], good_records()[0]
    for item in consumer_batch.decode([traced, bare], "test apply", "g"):
        item.span.end()
    with_parent, without = spans.get_finished_spans()
    assert [
        (format(link.context.trace_id, "032x"), format(link.context.span_id, "016x")) for link in with_parent.links
    ] == [(TRACE_ID, "00f067aa0ba902b7")]
    assert not without.links
