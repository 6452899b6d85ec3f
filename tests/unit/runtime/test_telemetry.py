"""Trace context in and out: HTTP, the outbox's stored headers, the relay's publish, consumers, logs."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from goalstream_contracts.cloudevents import KafkaRecord
from goalstream_runtime import outbox, telemetry
from goalstream_runtime.http import create_app
from goalstream_runtime.logs import JsonFormatter

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """An SDK tracer in place of the process's (which stays the API's no-op proxy in unit tests)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    monkeypatch.setattr(telemetry, "tracer", tracer)
    monkeypatch.setattr(outbox, "tracer", tracer)
    yield exporter
    provider.shutdown()


def test_no_trace_headers_outside_a_span() -> None:
    assert telemetry.current_headers() == {}


def test_current_headers_name_the_current_span(spans: InMemorySpanExporter) -> None:
    with telemetry.tracer.start_as_current_span("work", context=telemetry.extract({"traceparent": PARENT})) as span:
        headers = telemetry.current_headers()
    span_id = format(span.get_span_context().span_id, "016x")
    assert headers["traceparent"] == f"00-{TRACE_ID}-{span_id}-01"


def test_extract_reads_kafka_headers_and_ignores_the_rest() -> None:
    kafka = [("ce_id", b"x"), ("TraceParent", PARENT.encode()), ("tracestate", b"vendor=1")]
    assert telemetry.header_map(kafka) == {"traceparent": PARENT, "tracestate": "vendor=1"}
    parent = trace.get_current_span(telemetry.extract(kafka)).get_span_context()
    assert format(parent.trace_id, "032x") == TRACE_ID and parent.is_remote
    assert not trace.get_current_span(telemetry.extract([("ce_id", b"x")])).get_span_context().is_valid
    assert not trace.get_current_span(telemetry.extract(None)).get_span_context().is_valid


def test_parent_context_prefers_the_active_span(spans: InMemorySpanExporter) -> None:
    assert telemetry.parent_context([("traceparent", PARENT.encode())]) is not None
    with telemetry.tracer.start_as_current_span("consumer"):
        assert telemetry.parent_context([("traceparent", PARENT.encode())]) is None


class FakeConnection:
    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []

    async def executemany(self, _sql: str, rows: list[tuple[Any, ...]]) -> None:
        self.rows.extend(rows)

    async def execute(self, _sql: str) -> None:
        pass


RECORD = KafkaRecord(topic="t", key=b"org", value=b"{}", headers=(("ce_id", b"1"),))


async def test_enqueue_stores_the_current_trace_context_with_each_record(spans: InMemorySpanExporter) -> None:
    conn = FakeConnection()
    with telemetry.tracer.start_as_current_span("goals append") as span:
        await outbox.enqueue(conn, [RECORD, RECORD], "channel")  # type: ignore[arg-type]
    ctx = span.get_span_context()
    for row in conn.rows:
        (ce_id, (name, traceparent)) = row[3]
        assert ce_id == ["ce_id", "1"] and name == "traceparent"
        assert traceparent.split("-")[1:3] == [format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")]


async def test_enqueue_outside_a_span_stores_the_headers_unchanged() -> None:
    conn = FakeConnection()
    await outbox.enqueue(conn, [RECORD], "channel")  # type: ignore[arg-type]
    assert conn.rows[0][3] == [["ce_id", "1"]]


def test_a_record_with_its_own_trace_keeps_it() -> None:
    own = [["ce_id", "1"], ["traceparent", PARENT]]
    assert outbox._with_trace(own, {"traceparent": "00-other"}) == own


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send(self, topic: str, **kwargs: Any) -> Any:
        self.sent.append({"topic": topic, **kwargs})
        acked: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        acked.set_result(SimpleNamespace(partition=2, offset=41))  # what the broker answers
        return acked


async def test_relay_publish_span_continues_the_stored_trace(spans: InMemorySpanExporter) -> None:
    producer = FakeProducer()
    row = {"topic": "t", "value": b"{}", "message_key": b"org", "headers": [["ce_id", "1"], ["traceparent", PARENT]]}
    await (await outbox._send(producer, row))  # type: ignore[arg-type]
    await asyncio.sleep(0)  # the acknowledgement's callback ends the span
    (published,) = spans.get_finished_spans()
    assert published.name == "send t" and published.kind == trace.SpanKind.PRODUCER
    assert published.attributes == {
        "messaging.system": "kafka",
        "messaging.operation.type": "send",
        "messaging.operation.name": "send",
        "messaging.destination.name": "t",
        "messaging.kafka.message.key": "org",
        "messaging.message.id": "1",
        "messaging.destination.partition.id": "2",
        "messaging.kafka.offset": 41,
    }
    assert published.parent is not None and format(published.parent.span_id, "016x") == "00f067aa0ba902b7"
    headers = dict(producer.sent[0]["headers"])
    span_id = format(published.context.span_id, "016x")
    assert headers == {"ce_id": b"1", "traceparent": f"00-{TRACE_ID}-{span_id}-01".encode()}


async def test_relay_sends_untraced_rows_as_stored(spans: InMemorySpanExporter) -> None:
    producer = FakeProducer()
    row = {"topic": "t", "value": b"{}", "message_key": b"org", "headers": [["ce_id", "1"]]}
    await outbox._send(producer, row)  # type: ignore[arg-type]
    assert producer.sent[0]["headers"] == [("ce_id", b"1")]
    assert spans.get_finished_spans() == ()


async def test_http_requests_get_a_server_span_continuing_the_callers_traceparent() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    async def ready() -> dict[str, bool]:
        return {"ok": True}

    # FastAPI's own telemetry; services get it from the global provider that setup_tracing installs.
    app = create_app("test", "0", 1024 * 1024, ready, telemetry={"tracer_provider": provider})

    @app.get("/probe/{thing}")
    async def probe(thing: str) -> dict[str, str]:
        return telemetry.current_headers()

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.get("/probe/x", headers={"traceparent": PARENT})
    assert answer.status_code == 200
    (server,) = [s for s in exporter.get_finished_spans() if s.kind == trace.SpanKind.SERVER]
    assert server.name == "GET /probe/{thing}" and server.kind == trace.SpanKind.SERVER
    assert format(server.context.trace_id, "032x") == TRACE_ID
    assert server.parent is not None and format(server.parent.span_id, "016x") == "00f067aa0ba902b7"
    assert server.attributes is not None and server.attributes["http.response.status_code"] == 200
    assert answer.json()["traceparent"].split("-")[1] == TRACE_ID  # the handler runs inside the trace


def test_log_lines_inside_a_span_carry_its_trace_id(spans: InMemorySpanExporter) -> None:
    record = logging.makeLogRecord({"msg": "hello", "levelname": "INFO", "name": "x"})
    with telemetry.tracer.start_as_current_span("work", context=telemetry.extract({"traceparent": PARENT})):
        line = json.loads(JsonFormatter("goals").format(record))
    assert line["trace_id"] == TRACE_ID


def test_otlp_is_off_unless_the_standard_variables_turn_it_on() -> None:
    assert not telemetry.otlp_enabled({})
    assert telemetry.otlp_enabled({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert telemetry.otlp_enabled({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"})
    assert telemetry.otlp_enabled({"OTEL_TRACES_EXPORTER": "otlp"})
    assert not telemetry.otlp_enabled({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"})


def test_the_trace_file_gets_one_json_line_per_span(tmp_path: Path) -> None:
    path = tmp_path / "spans.jsonl"
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(telemetry.JsonLinesExporter(str(path))))
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("outer", context=telemetry.extract({"traceparent": PARENT})):
        tracer.start_span("inner").end()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [s["name"] for s in lines] == ["inner", "outer"]
    assert {s["trace_id"] for s in lines} == {TRACE_ID}
    assert lines[0]["parent_span_id"] == lines[1]["span_id"]
    assert lines[1]["parent_span_id"] == "00f067aa0ba902b7"
    provider.shutdown()


def test_otel_service_name_names_the_service_and_the_resource_attributes_stay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=staging")
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    assert telemetry.tracer_provider("goals").resource.attributes["service.name"] == "goals"
    monkeypatch.setenv("OTEL_SERVICE_NAME", "x")
    attributes = telemetry.tracer_provider("goals").resource.attributes
    assert attributes["service.name"] == "x"
    assert attributes["deployment.environment.name"] == "staging"
    monkeypatch.delenv("OTEL_SERVICE_NAME")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes")
    assert telemetry.tracer_provider("goals").resource.attributes["service.name"] == "from-attributes"
