"""Tracing: one OpenTelemetry trace from an HTTP request through Kafka to a webhook delivery.

FastAPI (0.165+) makes the HTTP server spans itself, continuing an incoming `traceparent`, once a
tracer provider is installed. Context travels on as W3C `traceparent` (and `tracestate`): in the
outbox rows' headers (stored inside the transaction that appends the events, published by the
relay), in Kafka record headers, and with each notification delivery row. Spans are always
made, so the context propagates and log lines carry the trace id; they are exported only when
configured:

- OTLP over HTTP when `OTEL_TRACES_EXPORTER=otlp` or `OTEL_EXPORTER_OTLP_ENDPOINT` (or
  `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set; every standard `OTEL_*` variable applies;
- as JSON lines to the file `GOALSTREAM_TRACE_FILE` (for tests and debugging).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter, SpanExportResult

from goalstream_runtime.telemetry_clients import instrument_clients

TRACE_FILE_ENV = "GOALSTREAM_TRACE_FILE"
TRACE_HEADERS = ("traceparent", "tracestate")

# Headers as Kafka gives them (`(name, bytes)` pairs), as the outbox stores them (`[name, str]`), or a mapping.
Headers = Iterable[Sequence[Any]] | Mapping[str, Any] | None

tracer = trace.get_tracer("goalstream")


def otlp_enabled(env: Mapping[str, str] = os.environ) -> bool:
    """Whether the standard variables ask for OTLP export of traces."""
    exporters = {e.strip().lower() for e in env.get("OTEL_TRACES_EXPORTER", "").split(",") if e.strip()}
    if "none" in exporters:
        return False
    return "otlp" in exporters or bool(
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def setup_tracing(service_name: str, env: Mapping[str, str] = os.environ) -> TracerProvider:
    """Install this process's tracer provider, with asyncpg and httpx client spans; spans go to OTLP and/or the
    trace file if configured."""
    provider = tracer_provider(service_name, env)
    trace.set_tracer_provider(provider)
    instrument_clients(provider)
    return provider


def resource(service_name: str, env: Mapping[str, str] = os.environ) -> Resource:
    """The standard variables' resource (`OTEL_RESOURCE_ATTRIBUTES`, `OTEL_SERVICE_NAME`); `service_name` names the
    service only when neither does."""
    named = env.get("OTEL_SERVICE_NAME", "").strip() or any(
        pair.split("=", 1)[0].strip() == SERVICE_NAME for pair in env.get("OTEL_RESOURCE_ATTRIBUTES", "").split(",")
    )
    return Resource.create({} if named else {SERVICE_NAME: service_name})


def tracer_provider(service_name: str, env: Mapping[str, str] = os.environ) -> TracerProvider:
    """A tracer provider for the service, exporting as configured (not installed: `setup_tracing` does that)."""
    provider = TracerProvider(resource=resource(service_name, env))
    if otlp_enabled(env):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if path := env.get(TRACE_FILE_ENV):
        provider.add_span_processor(SimpleSpanProcessor(JsonLinesExporter(path)))
    return provider


class JsonLinesExporter(SpanExporter):
    """Appends each finished span to a file as one JSON object per line."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(json.dumps(span_dict(s), default=str) + "\n" for s in spans)
        with self._lock, open(self.path, "a", encoding="utf-8") as out:
            out.write(lines)
        return SpanExportResult.SUCCESS


def span_dict(span: ReadableSpan) -> dict[str, Any]:
    ctx = span.get_span_context()
    assert ctx is not None
    return {
        "name": span.name,
        "service": span.resource.attributes.get(SERVICE_NAME),
        "trace_id": format(ctx.trace_id, "032x"),
        "span_id": format(ctx.span_id, "016x"),
        "parent_span_id": format(span.parent.span_id, "016x") if span.parent else None,
        "kind": span.kind.name,
        "status": span.status.status_code.name,
        "start": span.start_time,
        "end": span.end_time,
        "attributes": dict(span.attributes or {}),
        "links": [format(link.context.trace_id, "032x") for link in span.links],
    }


def current_headers() -> dict[str, str]:
    """The current trace context as W3C headers (`traceparent`, `tracestate`); empty outside a span."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return {k: v for k, v in carrier.items() if k in TRACE_HEADERS}


def header_map(headers: Headers) -> dict[str, str]:
    """The trace headers among `headers`, as a dict."""
    items: Iterable[Sequence[Any]] = headers.items() if isinstance(headers, Mapping) else (headers or ())
    found: dict[str, str] = {}
    for name, value in items:
        key = name.lower() if isinstance(name, str) else str(name)
        if key in TRACE_HEADERS and value is not None:
            found[key] = value.decode() if isinstance(value, bytes | bytearray) else str(value)
    return found


def extract(headers: Headers) -> otel_context.Context:
    """A context whose parent is the span named in `headers`; an empty (root) context without one."""
    return propagate.extract(header_map(headers), context=otel_context.Context())


def parent_context(headers: Headers) -> otel_context.Context | None:
    """The current context if a span is active (e.g. FastStream's consumer span), else the one in `headers`."""
    if trace.get_current_span().get_span_context().is_valid:
        return None
    return extract(headers)
