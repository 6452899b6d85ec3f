"""The metrics helpers: handler outcomes, live sources behind dependencies, lag and relay families, routes."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from prometheus_client.core import Metric
from prometheus_client.parser import text_string_to_metric_families

from goalstream_runtime import metrics
from goalstream_runtime.lag import LagSnapshot, PartitionLag
from goalstream_runtime.outbox import OutboxRelay


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _samples(families: list[Metric]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families for s in f.samples}


async def test_a_handler_is_counted_by_the_outcome_it_marks_or_as_retried_when_it_raises() -> None:
    topic, group = f"t-{uuid.uuid4().hex[:6]}", "g"

    @metrics.instrument_handler(topic, group)
    async def handle(outcome: str | None) -> None:
        if outcome == "boom":
            raise OSError("database away")
        if outcome:
            metrics.mark(outcome)

    assert _value("goalstream_messages_consumed_total", topic=topic, group=group, outcome="repeat") == 0
    for outcome in (None, None, "repeat", "dead_lettered"):
        await handle(outcome)
    with pytest.raises(OSError):
        await handle("boom")
    counts = {
        o: _value("goalstream_messages_consumed_total", topic=topic, group=group, outcome=o) for o in metrics.OUTCOMES
    }
    assert counts == {"applied": 2, "repeat": 1, "dead_lettered": 1, "retried": 1}
    timed = _value("goalstream_message_handler_seconds_count", topic=topic, group=group, outcome="applied")
    assert timed == 2
    metrics.mark("repeat")  # outside a handler: nothing to mark, no error


async def test_a_failing_source_is_left_out_and_its_dependency_reported_down() -> None:
    scrape = metrics.Scrape(timeout=0.5)

    async def backlog() -> list[Metric]:
        return [metrics.gauge("goalstream_relay_backlog", "doc", 7, schema="goals")]

    async def broken() -> list[Metric]:
        raise ConnectionError("refused")

    async def hanging() -> list[Metric]:
        await asyncio.Event().wait()
        return []

    scrape.add(backlog, "database")
    scrape.add(broken, "broker")
    scrape.add(hanging, "cache")
    samples = _samples(await scrape.collect())
    assert samples == {
        ("goalstream_up", (("dependency", "broker"),)): 0.0,
        ("goalstream_up", (("dependency", "cache"),)): 0.0,
        ("goalstream_up", (("dependency", "database"),)): 1.0,
        ("goalstream_relay_backlog", (("schema", "goals"),)): 7.0,
    }
    text = (await metrics.render(scrape)).decode()
    names = {f.name for f in text_string_to_metric_families(text)}
    assert {"goalstream_up", "goalstream_relay_backlog", "goalstream_http_requests"} <= names


def test_lag_gauges_per_partition_leave_out_unreadable_seconds() -> None:
    snapshot = LagSnapshot(
        "grp",
        0.0,
        [PartitionLag("topic", 0, 5, 9, 4, 1.5), PartitionLag("topic", 1, None, 3, 3, None)],
    )
    samples = _samples(metrics.lag_families(snapshot))
    p0 = (("group", "grp"), ("partition", "0"), ("topic", "topic"))
    p1 = (("group", "grp"), ("partition", "1"), ("topic", "topic"))
    assert samples == {
        ("goalstream_consumer_lag_messages", p0): 4,
        ("goalstream_consumer_lag_messages", p1): 3,
        ("goalstream_consumer_lag_seconds", p0): 1.5,
    }


def test_relay_families_read_the_relays_counters() -> None:
    relay = OutboxRelay("postgresql://unused", "goals", "localhost:1", channel="c")
    relay.published, relay.republished, relay.broker_losses, relay.is_leader = 12, 3, 1, True
    samples = _samples(metrics.relay_families(relay))
    schema = (("schema", "goals"),)
    assert samples == {
        ("goalstream_relay_published_total", schema): 12,
        ("goalstream_relay_republished_total", schema): 3,
        ("goalstream_relay_broker_losses_total", schema): 1,
        ("goalstream_relay_leader", schema): 1,
    }


async def test_requests_are_counted_by_route_template_and_status() -> None:
    app = FastAPI()
    metrics.install(app)
    path = f"/things-{uuid.uuid4().hex[:6]}/{{thing_id}}"

    @app.get(path)
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    before = _value("goalstream_http_requests_total", method="GET", route=path, status="200")
    unmatched = _value("goalstream_http_requests_total", method="GET", route="<unmatched>", status="404")
    assert (await client.get(path.replace("{thing_id}", "a"))).status_code == 200
    assert (await client.get(path.replace("{thing_id}", "b"))).status_code == 200
    assert (await client.get("/nowhere/at/all")).status_code == 404
    assert _value("goalstream_http_requests_total", method="GET", route=path, status="200") == before + 2
    assert _value("goalstream_http_requests_total", method="GET", route="<unmatched>", status="404") == unmatched + 1
    scraped = await client.get("/metrics")
    await client.aclose()
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(scraped.text)}
    assert families["goalstream_up"].samples == []  # no live sources on this app
