"""The Prometheus alert rules (deploy/observability/alerts.yml), checked statically: every rule parses, reads
only series the services' /metrics really renders (or Prometheus' own `up`), and links a runbook section that
exists in docs/operations.md; Prometheus loads the file in compose and Kubernetes ships the same text."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest

from goalstream_notifications.entrypoints.metrics import add_delivery_metrics
from goalstream_runtime import metrics
from goalstream_runtime.lag import LagSnapshot, PartitionLag
from goalstream_runtime.outbox import OutboxRelay
from goalstream_tracking.entrypoints.metrics import add_breach_metrics
from tests.unit.deploy.common import K8S, OBSERVABILITY, ROOT, compose, load_all_yaml, load_yaml

RULES = OBSERVABILITY / "alerts.yml"
OPERATIONS = ROOT / "docs" / "operations.md"
PROMETHEUS_OWN = {"up"}  # series Prometheus makes itself for every scrape target
SEVERITIES = {"warning", "critical"}
DURATION = re.compile(r"^\d+[smhd]$")
# PromQL words that are not series: aggregations, functions (followed by "("), keywords and modifiers.
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset"}


def rules() -> list[dict[str, Any]]:
    return [rule for group in load_yaml(RULES)["groups"] for rule in group["rules"]]


class _Pool:
    """Stands for the database at scrape time: no live generation, every queue count 0."""

    class _Conn:
        async def fetchval(self, *_: Any, **__: Any) -> None:
            return None

    async def fetchval(self, *_: Any, **__: Any) -> int:
        return 0

    async def fetchrow(self, *_: Any, **__: Any) -> dict[str, int]:
        return {"pending": 0, "due": 0, "dead": 0}

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[_Pool._Conn]:
        yield self._Conn()


async def rendered_series() -> set[str]:
    """Every series name the services' /metrics renders: the process registry (all services' modules are
    imported) and each scrape-time source, fed stand-in values."""
    scrape = metrics.Scrape()
    pool: Any = _Pool()
    relay = OutboxRelay("postgresql://x", "goals", "kafka:9092", channel="c")
    relay.published_types["AntiGoalBreached"] = 1
    metrics.add_relay(scrape, relay, pool)
    monitor: Any = type("Monitor", (), {})()

    async def snapshot() -> LagSnapshot:
        return LagSnapshot("g", 0.0, [PartitionLag("t", 0, 1, 2, 1, 3.0)])

    monitor.snapshot = snapshot
    metrics.add_lag(scrape, monitor)
    add_delivery_metrics(scrape, pool)
    add_breach_metrics(scrape, pool)
    families = await scrape.collect()
    assert all(sample.value == 1 for sample in families[0].samples), "a stand-in source failed"
    live = CollectorRegistry()
    live.register(metrics._Fixed(families))
    text = (generate_latest(REGISTRY) + generate_latest(live)).decode()
    names: set[str] = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M):
        suffixes = {"counter": ("",), "histogram": ("_bucket", "_sum", "_count")}.get(kind, ("",))
        names |= {name + suffix for suffix in suffixes}
    return names


def series_in(expr: str) -> set[str]:
    """The series an expression selects: what is left once label matchers, groupings, ranges, strings and
    function calls are taken out."""
    expr = re.sub(r'"[^"]*"', "", expr)
    expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", expr)
    expr = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", expr)
    words = re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", expr)
    return {w for w in words if w not in KEYWORDS}


def anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes."""
    headings = re.findall(r"^#{1,6} (.+)$", markdown, re.M)
    return {re.sub(r"[^a-z0-9 _-]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_every_rule_parses_with_what_an_alert_needs() -> None:
    names = [rule["alert"] for rule in rules()]
    assert len(names) == len(set(names)) and len(names) >= 10
    for rule in rules():
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert isinstance(rule["expr"], str) and rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]
        assert DURATION.match(rule.get("for", "0s")), rule["alert"]
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        assert {"summary", "description", "runbook_url"} <= set(rule["annotations"]), rule["alert"]


def test_the_rules_cover_what_ops_asked_for() -> None:
    used = {series for rule in rules() for series in series_in(rule["expr"])}
    assert {
        "up",  # services down
        "goalstream_up",  # not ready
        "goalstream_consumer_lag_seconds",
        "goalstream_relay_backlog",
        "goalstream_messages_consumed_total",  # DLQ growth
        "goalstream_delivery_attempts_total",
        "goalstream_events_published_total",  # breach storms
    } <= used


async def test_every_rule_reads_only_series_the_services_render() -> None:
    rendered = await rendered_series() | PROMETHEUS_OWN
    for rule in rules():
        used = series_in(rule["expr"])
        assert used, f"{rule['alert']} selects no series"
        assert used <= rendered, f"{rule['alert']} reads series no service renders: {sorted(used - rendered)}"


def test_every_runbook_is_a_section_of_the_operations_doc() -> None:
    sections = anchors(OPERATIONS.read_text())
    for rule in rules():
        path, _, anchor = rule["annotations"]["runbook_url"].partition("#")
        assert path == "docs/operations.md" and anchor in sections, f"{rule['alert']}: no section {anchor!r}"
    for name in {rule["alert"] for rule in rules()}:
        assert name in OPERATIONS.read_text(), f"{name} is not named in docs/operations.md"


def test_prometheus_loads_the_rules_in_compose_and_kubernetes_ships_the_same() -> None:
    loaded = load_yaml(OBSERVABILITY / "prometheus.yml")["rule_files"]
    volumes = compose()["services"]["prometheus"]["volumes"]
    mounted = {volume.split(":")[1]: volume.split(":")[0] for volume in volumes}
    assert [mounted[path] for path in loaded] == ["./deploy/observability/alerts.yml"]
    kustomized = load_yaml(K8S / "kustomization.yaml")["resources"]
    config_maps = [doc for doc in load_all_yaml(K8S / "prometheus-rules.yaml") if doc["kind"] == "ConfigMap"]
    assert "prometheus-rules.yaml" in kustomized and config_maps[0]["data"]["alerts.yml"] == RULES.read_text()


@pytest.mark.parametrize("expr", ["rate(x_total[5m]) > 0", 'sum by (a) (y{b="c"}) / on (a) z'])
def test_series_are_found_in_an_expression(expr: str) -> None:
    assert series_in(expr) == ({"x_total"} if expr.startswith("rate") else {"y", "z"})
