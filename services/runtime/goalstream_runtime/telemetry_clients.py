"""Client spans of the libraries we call: every SQL statement (asyncpg) and outgoing HTTP call (httpx).

The OpenTelemetry instrumentations make a span for every statement, even those outside any trace: the
relay's polling, the lag monitor, the pool's health checks. Those would each be a trace of one span,
exported for nothing, several a second. So they get a tracer that makes a span only inside a trace
(a statement of a request, an apply, a delivery); outside one it gives the non-recording current span.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.trace import Link, Span, SpanKind, Tracer, TracerProvider
from opentelemetry.util.types import Attributes


class _InTraceTracer(Tracer):
    def __init__(self, inner: Tracer) -> None:
        self._inner = inner

    def start_span(
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> Span:
        parent = trace.get_current_span(context)
        if not parent.get_span_context().is_valid:
            return trace.INVALID_SPAN
        return self._inner.start_span(
            name, context, kind, attributes, links, start_time, record_exception, set_status_on_exception
        )

    @contextmanager
    def start_as_current_span(  # type: ignore[override]  # the API's is an _AgnosticContextManager
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
        end_on_exit: bool = True,
    ) -> Iterator[Span]:
        span = self.start_span(
            name, context, kind, attributes, links, start_time, record_exception, set_status_on_exception
        )
        with trace.use_span(span, end_on_exit, record_exception, set_status_on_exception) as current:
            yield current


class InTraceProvider(TracerProvider):
    """A tracer provider whose tracers start spans only below a valid parent."""

    def __init__(self, inner: TracerProvider) -> None:
        self._inner = inner

    def get_tracer(self, *args: Any, **kwargs: Any) -> Tracer:
        return _InTraceTracer(self._inner.get_tracer(*args, **kwargs))


def instrument_clients(provider: TracerProvider) -> None:
    """asyncpg and httpx client spans (CLIENT), inside traces only; idempotent (the instrumentors are)."""
    in_trace = InTraceProvider(provider)
    # Statements without their parameters (capture_parameters off): those are our users' data.
    _asyncpg().instrument(tracer_provider=in_trace)
    HTTPXClientInstrumentor().instrument(tracer_provider=in_trace)


def _asyncpg() -> AsyncPGInstrumentor:
    return AsyncPGInstrumentor(capture_parameters=False)  # type: ignore[no-untyped-call]  # untyped upstream


def uninstrument_clients() -> None:
    _asyncpg().uninstrument()
    HTTPXClientInstrumentor().uninstrument()
