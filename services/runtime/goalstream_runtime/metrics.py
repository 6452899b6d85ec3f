"""Prometheus metrics: `GET /metrics` on every service, in the Prometheus text format.

Two kinds. Process metrics (messages handled, handler durations, HTTP requests, projection
latency) are counters and histograms in prometheus_client's default registry, updated where the
work happens. Live values (consumer lag, the outbox backlog, the delivery queue) live in the broker
or the database, so each service adds *sources* to its app's `Scrape`: async functions read at
scrape time, each behind a dependency. A source that fails or takes longer than `timeout` is left
out of that scrape and its dependency reports `goalstream_up{dependency=...} 0`; the rest is served.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar, cast

import asyncpg
from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from goalstream_runtime.db import pings
from goalstream_runtime.lag import LagMonitor, LagSnapshot

if TYPE_CHECKING:
    from goalstream_runtime.outbox import OutboxRelay

log = logging.getLogger(__name__)

# No `<name>_created` series beside each counter and histogram (issue 19): nothing of ours reads them, and each
# doubles a counter's series in Prometheus. Process-wide, and read at scrape time, so once here is enough.
disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated

OUTCOMES = ("applied", "repeat", "dead_lettered", "retried")
LABELS = ("topic", "group", "outcome")
MESSAGES = Counter("goalstream_messages_consumed", "Kafka records handled, by outcome.", LABELS)
HANDLER_SECONDS = Histogram("goalstream_message_handler_seconds", "Time to handle one Kafka record.", LABELS)
PROJECTION_LATENCY = Histogram(
    "goalstream_projection_latency_seconds",
    "From an event's occurred_at to its commit in tracking's read models.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0),
)
MEASUREMENT_OUTCOMES = ("accepted", "duplicate", "rejected")
MEASUREMENTS = Counter(
    "goalstream_measurements",
    "Measurements goals handled, by channel (http, topic) and outcome.",
    ("channel", "outcome"),
)
# Why goals refused a measurement, a bounded set: a named goal that is not active with a metric, a goal bound
# to another metric; on the topic also a record that is not our contract (invalid) or not a measurement.
REJECTIONS = ("unknown_goal", "metric_mismatch", "invalid", "wrong_type")
MEASUREMENTS_REJECTED = Counter(
    "goalstream_measurements_rejected",
    "Measurements goals refused, by channel and reason (their sum is goalstream_measurements{outcome=rejected}).",
    ("channel", "reason"),
)
MEASUREMENTS_UNMATCHED = Counter(
    "goalstream_measurements_unmatched",
    "Accepted measurements no active goal used (kept in their metric's series for goals to come).",
    ("channel",),
)
DELIVERY_OUTCOMES = ("delivered", "retry", "dead")
DELIVERY_ATTEMPTS = Counter(
    "goalstream_delivery_attempts",
    "Delivery attempts notifications concluded, by channel and outcome: delivered, retry (failed, to be tried"
    " again), dead (given up).",
    ("channel", "outcome"),
)
HTTP_REQUESTS = Counter("goalstream_http_requests", "HTTP requests answered.", ("method", "route", "status"))
HTTP_SECONDS = Histogram(
    "goalstream_http_request_duration_seconds", "Time to answer an HTTP request.", ("method", "route")
)

H = TypeVar("H", bound=Callable[..., Awaitable[Any]])
_outcome: ContextVar[list[str] | None] = ContextVar("goalstream_metrics_outcome", default=None)


def mark(outcome: str) -> None:
    """Name the outcome of the record being handled (outside an instrumented handler: nothing)."""
    holder = _outcome.get()
    if holder is not None:
        holder[0] = outcome


def count_measurements(
    channel: str, counts: dict[str, int], unmatched: int, rejected: Mapping[str, int] | None = None
) -> None:
    """Add a batch's measurements by outcome and the rejected by reason (one of REJECTIONS); a channel's
    series exist at 0 once it counted anything."""
    for outcome in MEASUREMENT_OUTCOMES:
        MEASUREMENTS.labels(channel, outcome).inc(counts.get(outcome, 0))
    MEASUREMENTS_UNMATCHED.labels(channel).inc(unmatched)
    for reason in REJECTIONS:
        MEASUREMENTS_REJECTED.labels(channel, reason).inc((rejected or {}).get(reason, 0))


def count_delivery(channel: str, outcome: str) -> None:
    DELIVERY_ATTEMPTS.labels(channel, outcome).inc()


def instrument_handler(topic: str, group: str) -> Callable[[H], H]:
    """Count and time a consumer handler: `applied` unless it `mark`s otherwise; `retried` if it raises."""
    for outcome in OUTCOMES:
        MESSAGES.labels(topic, group, outcome)  # every series exists from the start, at 0

    def decorate(handler: H) -> H:
        @functools.wraps(handler)
        async def handle(*args: Any, **kwargs: Any) -> Any:
            holder, started = ["applied"], time.perf_counter()
            token = _outcome.set(holder)
            try:
                return await handler(*args, **kwargs)
            except BaseException:
                holder[0] = "retried"  # NACK_ON_ERROR: the record is redelivered
                raise
            finally:
                _outcome.reset(token)
                MESSAGES.labels(topic, group, holder[0]).inc()
                HANDLER_SECONDS.labels(topic, group, holder[0]).observe(time.perf_counter() - started)

        return cast(H, handle)

    return decorate


Source = Callable[[], Awaitable[Iterable[Metric]]]


class Scrape:
    """One app's live metrics: sources read concurrently at scrape time, each behind a dependency."""

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self._sources: list[tuple[str | None, Source]] = []

    def add(self, source: Source, dependency: str | None = None) -> None:
        self._sources.append((dependency, source))

    async def collect(self) -> list[Metric]:
        results = await asyncio.gather(
            *(asyncio.wait_for(source(), self.timeout) for _, source in self._sources), return_exceptions=True
        )
        up: dict[str, bool] = {}
        families: list[Metric] = []
        for (dependency, _), result in zip(self._sources, results, strict=True):
            if isinstance(result, BaseException):
                log.debug("a metrics source failed", extra={"dependency": dependency, "error": repr(result)})
            else:
                families.extend(result)
            if dependency is not None:
                up[dependency] = up.get(dependency, True) and not isinstance(result, BaseException)
        reachable = GaugeMetricFamily(
            "goalstream_up", "1 when the dependency answered this scrape.", labels=["dependency"]
        )
        for dependency, ok in sorted(up.items()):
            reachable.add_metric([dependency], 1.0 if ok else 0.0)
        return [reachable, *families]


class _Fixed:
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


async def render(scrape: Scrape) -> bytes:
    live = CollectorRegistry()
    live.register(_Fixed(await scrape.collect()))
    return generate_latest(REGISTRY) + generate_latest(live)


def gauge(name: str, documentation: str, value: float, **labels: str) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=list(labels))
    family.add_metric(list(labels.values()), value)
    return family


def lag_families(snapshot: LagSnapshot) -> list[Metric]:
    """Per partition: lag in messages, and in seconds where the oldest waiting record was readable."""
    names = ["group", "topic", "partition"]
    messages = GaugeMetricFamily("goalstream_consumer_lag_messages", "Records not yet consumed.", labels=names)
    seconds = GaugeMetricFamily("goalstream_consumer_lag_seconds", "Age of the oldest unconsumed record.", labels=names)
    for p in snapshot.partitions:
        labels = [snapshot.group, p.topic, str(p.partition)]
        messages.add_metric(labels, p.lag_messages)
        if p.lag_seconds is not None:
            seconds.add_metric(labels, p.lag_seconds)
    return [messages, seconds]


def relay_families(relay: OutboxRelay) -> list[Metric]:
    """What this instance's relay did since it started (its counters) and whether it leads."""
    families: list[Metric] = []
    for name, value, doc in (
        ("goalstream_relay_published", relay.published, "Outbox records published."),
        ("goalstream_relay_republished", relay.republished, "Outbox records republished after a broker loss."),
        ("goalstream_relay_broker_losses", relay.broker_losses, "Times the broker lost acknowledged records."),
    ):
        family = CounterMetricFamily(name, doc, labels=["schema"])
        family.add_metric([relay.schema], value)
        families.append(family)
    # By event type (the contract's closed set): what alerts on a kind of event read, e.g. a breach storm.
    by_type = CounterMetricFamily(
        "goalstream_events_published", "Events the relay published, by type.", labels=["schema", "type"]
    )
    for event_type, count in sorted(relay.published_types.items()):
        by_type.add_metric([relay.schema, event_type], count)
    families.append(by_type)
    leader = gauge(
        "goalstream_relay_leader", "1 when this instance's relay publishes.", relay.is_leader, schema=relay.schema
    )
    return [*families, leader]


def add_relay(scrape: Scrape, relay: OutboxRelay, pool: asyncpg.Pool) -> None:
    """The relay's counters and the outbox backlog (rows not yet published, an index-only count)."""

    async def backlog() -> list[Metric]:
        unpublished = await relay.backlog(pool)
        return [
            gauge("goalstream_relay_backlog", "Outbox records not yet published.", unpublished, schema=relay.schema)
        ]

    async def counters() -> list[Metric]:
        return relay_families(relay)

    scrape.add(backlog, "database")
    scrape.add(counters)


def add_lag(scrape: Scrape, monitor: LagMonitor) -> None:
    async def lag() -> list[Metric]:
        # Shielded: a slow first connection outlives the scrape's timeout and the next scrape gets its answer.
        measuring = asyncio.ensure_future(monitor.snapshot())
        measuring.add_done_callback(lambda task: task.cancelled() or task.exception())
        return lag_families(await asyncio.shield(measuring))

    scrape.add(lag, "broker")


def add_database(scrape: Scrape, pool: asyncpg.Pool) -> None:
    async def ping() -> list[Metric]:
        if not await pings(pool):
            raise ConnectionError("the database does not answer")
        return []

    scrape.add(ping, "database")


class HttpMetrics:
    """Counts and times requests by route template (unmatched paths share one label) and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", "<unmatched>")
            HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
            HTTP_SECONDS.labels(scope["method"], route).observe(time.perf_counter() - started)


def install(app: FastAPI) -> Scrape:
    """Add the request metrics and an unauthenticated `GET /metrics`; services add sources to `app.state.metrics`."""
    scrape = app.state.metrics = Scrape()
    app.add_middleware(HttpMetrics)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(await render(scrape), media_type=CONTENT_TYPE_LATEST)

    return scrape
