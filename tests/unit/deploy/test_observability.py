"""The compose `observability` profile's configuration, checked statically: the collector's
pipelines, Prometheus' scrape targets, Grafana's provisioning and the dashboard's queries agree with
docker-compose.yml and with the metric names the services' code defines."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from tests.unit.deploy.common import (
    OBSERVABILITY,
    SETTINGS,
    compose,
    defined_metric_names,
    http_port,
    is_defined,
    load_yaml,
    metric_names_in,
)

GRAFANA = OBSERVABILITY / "grafana"
# Metrics the dashboard reads ahead of the code: proposed names no service defines yet, each allowed in
# one panel only. Take a name out once the code defines it (or change the panel to what the code has).
AWAITED: dict[str, str] = {}  # metrics a panel may read before a service defines them (none now)


def _collector() -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml(OBSERVABILITY / "otel-collector.yaml")
    return loaded


def _scrape_targets() -> dict[str, tuple[list[str], str]]:
    config = load_yaml(OBSERVABILITY / "prometheus.yml")
    return {
        job["job_name"]: (
            [target for static in job["static_configs"] for target in static["targets"]],
            job.get("metrics_path", "/metrics"),
        )
        for job in config["scrape_configs"]
    }


def _dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((GRAFANA / "dashboards" / "goalstream.json").read_text())
    return loaded


def _queries() -> list[str]:
    return [target["expr"] for panel in _dashboard()["panels"] for target in panel.get("targets", [])]


def test_the_collector_takes_otlp_and_sends_traces_to_jaeger_and_metrics_to_prometheus() -> None:
    collector = _collector()
    protocols = collector["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"].endswith(":4317") and protocols["http"]["endpoint"].endswith(":4318")
    pipelines = collector["service"]["pipelines"]
    for pipeline in pipelines.values():
        for kind in ("receivers", "processors", "exporters"):
            assert set(pipeline.get(kind, [])) <= set(collector[kind]), f"undefined {kind} in {pipeline}"
    assert pipelines["traces"]["exporters"] == ["otlp/jaeger"]
    jaeger = collector["exporters"]["otlp/jaeger"]["endpoint"]
    assert jaeger.split(":")[0] in compose()["services"] and jaeger.endswith(":4317")
    assert "prometheus" in pipelines["metrics"]["exporters"]
    exported = collector["exporters"]["prometheus"]["endpoint"].rsplit(":", 1)[1]
    assert f"otel-collector:{exported}" in _scrape_targets()["otel-collector"][0]


def test_prometheus_scrapes_each_service_metrics_on_its_compose_name_and_port() -> None:
    targets = _scrape_targets()
    services = compose()["services"]
    for name in SETTINGS:
        port = http_port(name)
        assert targets[name] == ([f"{name}:{port}"], "/metrics")
        assert services[name]["environment"]["GOALSTREAM_HTTP_PORT"] == str(port)
    for hosts, _ in targets.values():
        for target in hosts:
            assert target.split(":")[0] in services, f"{target} is no compose service"


def test_grafana_provisions_the_prometheus_datasource_and_the_dashboard_folder() -> None:
    grafana = compose()["services"]["grafana"]
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in grafana["volumes"]}
    datasources = load_yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yaml")["datasources"]
    prometheus = next(source for source in datasources if source["type"] == "prometheus")
    url = urlsplit(prometheus["url"])
    assert url.hostname == "prometheus" and f"{url.port}:{url.port}" in compose()["services"]["prometheus"]["ports"]
    provider = load_yaml(GRAFANA / "provisioning" / "dashboards" / "goalstream.yaml")["providers"][0]
    assert mounts[provider["options"]["path"]] == "./deploy/observability/grafana/dashboards"
    assert mounts["/etc/grafana/provisioning"] == "./deploy/observability/grafana/provisioning"
    uids = {source["uid"] for source in datasources}
    for panel in _dashboard()["panels"]:
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] in uids


def test_the_dashboard_has_the_panels_ops_asked_for() -> None:
    titles = {panel["title"] for panel in _dashboard()["panels"]}
    for title in (
        "Event throughput",
        "Consumer lag (messages)",
        "Consumer lag (seconds)",
        "Anti-goal breaches",
        "Deliveries by status",
        "Dead letters",
        "Relay backlog",
        "Projection latency",
    ):
        assert title in titles
    ids = [panel["id"] for panel in _dashboard()["panels"]]
    assert len(ids) == len(set(ids))


def test_the_dashboard_queries_only_metrics_the_code_defines() -> None:
    defined = defined_metric_names()
    for panel in _dashboard()["panels"]:
        for target in panel.get("targets", []):
            used = metric_names_in(target["expr"])
            assert used, f"{target['expr']!r} reads no goalstream metric"
            undefined = {name for name in used if not is_defined(name, defined) and AWAITED.get(name) != panel["title"]}
            assert not undefined, f"{panel['title']!r} reads metrics the services do not define: {sorted(undefined)}"
