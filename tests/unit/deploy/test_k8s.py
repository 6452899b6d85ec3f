"""deploy/k8s checked statically (no cluster here): every manifest parses, the kustomization lists
them all, each Deployment runs its service on the settings' port with /health and /ready probes and
a /metrics scrape annotation, the ConfigMap and Secret set every setting the services read that has
no default (and their values pass the settings' validation), and topics agree with the contract."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from goalstream_contracts.topics import ALL_TOPICS, REPLAY_LOG_CONFIG, REPLAY_LOG_PARTITIONS, REPLAY_LOGS
from goalstream_runtime.settings import ServiceSettings
from tests.unit.deploy.common import (
    BUILDERS,
    K8S,
    SETTINGS,
    build_settings,
    http_port,
    known_variables,
    load_all_yaml,
    load_yaml,
    routes,
    variables,
)


def _manifests() -> list[dict[str, Any]]:
    return [
        doc for path in sorted(K8S.glob("*.yaml")) if path.name != "kustomization.yaml" for doc in load_all_yaml(path)
    ]


def _find(kind: str, name: str) -> dict[str, Any]:
    matches = [doc for doc in _manifests() if doc["kind"] == kind and doc["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def _container(service: str) -> dict[str, Any]:
    container: dict[str, Any] = _find("Deployment", f"goalstream-{service}")["spec"]["template"]["spec"]["containers"][
        0
    ]
    return container


def _config() -> dict[str, str]:
    data: dict[str, str] = _find("ConfigMap", "goalstream-config")["data"]
    return data


def _secret() -> dict[str, str]:
    data: dict[str, str] = _find("Secret", "goalstream-secrets")["stringData"]
    return data


def _environment(service: str) -> dict[str, str]:
    """What the service's container sees in its environment: the ConfigMap, then its own env (expanded)."""
    container = _container(service)
    assert container["envFrom"] == [{"configMapRef": {"name": "goalstream-config"}}], "secrets are files, not variables"
    env = dict(_config())
    for item in container["env"]:
        value = "pod-0" if "valueFrom" in item else str(item["value"])
        for name, known in env.items():
            value = value.replace(f"$({name})", known)
        env[item["name"]] = value
    return env


def test_every_manifest_parses_and_the_kustomization_lists_them_all() -> None:
    kustomization = load_yaml(K8S / "kustomization.yaml")
    on_disk = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == on_disk
    for doc in _manifests():
        assert {"apiVersion", "kind", "metadata"} <= set(doc)
    images = {image["name"] for image in kustomization["images"]}
    for service in SETTINGS:
        assert _container(service)["image"] in images


@pytest.mark.parametrize("service", list(SETTINGS))
def test_the_deployment_runs_the_service_on_its_port_with_probes(service: str) -> None:
    deployment = _find("Deployment", f"goalstream-{service}")
    container = _container(service)
    port = http_port(service)
    assert container["command"] == ["python", "-m", f"goalstream_{service}"]
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    assert _environment(service)["GOALSTREAM_HTTP_PORT"] == str(port)
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert container["startupProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(port) and annotations["prometheus.io/path"] == "/metrics"
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    service_manifest = _find("Service", f"goalstream-{service}")
    assert service_manifest["spec"]["selector"].items() <= labels.items()
    assert service_manifest["spec"]["ports"] == [{"name": "http", "port": port, "targetPort": "http"}]


def _container_settings(service: str, monkeypatch: pytest.MonkeyPatch, folder: Path) -> ServiceSettings:
    """The service's settings as its container makes them: the environment, and the Secret as the kubelet
    mounts it (a file per key at the container's /run/secrets, here `folder`)."""
    pod = _find("Deployment", f"goalstream-{service}")["spec"]["template"]["spec"]
    mounts = {mount["name"]: mount for mount in _container(service)["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert mounts["secrets"]["mountPath"] == "/run/secrets" and mounts["secrets"]["readOnly"] is True
    assert volumes["secrets"]["secret"]["secretName"] == "goalstream-secrets"
    assert volumes["secrets"]["secret"]["defaultMode"] & 0o007 == 0, "other users of the image must not read secrets"
    assert pod["securityContext"]["fsGroup"] == pod["securityContext"]["runAsGroup"]
    for name, value in _secret().items():
        (folder / name).write_text(value)
    return build_settings(monkeypatch, service, {**_environment(service), "GOALSTREAM_SECRETS_DIR": str(folder)})


@pytest.mark.parametrize("service", list(SETTINGS))
def test_the_service_reads_the_secret_from_its_mounted_files(
    service: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert "GOALSTREAM_DATABASE_URL" not in _environment(service)
    settings = _container_settings(service, monkeypatch, tmp_path)
    assert settings.database_url == _secret()["GOALSTREAM_DATABASE_URL"]


@pytest.mark.parametrize("service", list(SETTINGS))
def test_the_probed_and_scraped_routes_exist(service: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = _container_settings(service, monkeypatch, tmp_path)
    assert {"/health", "/ready", "/metrics"} <= routes(BUILDERS[service](settings))


@pytest.mark.parametrize("service", list(SETTINGS))
def test_every_setting_the_service_reads_is_set_or_defaulted(service: str) -> None:
    env = {**_environment(service), **_secret()}
    for variable, required in variables(SETTINGS[service]).items():
        assert variable in env or not required, f"{service}: {variable} is required and not set"


@pytest.mark.parametrize("service", list(SETTINGS))
def test_the_values_pass_the_settings_validation(service: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = _container_settings(service, monkeypatch, tmp_path)
    assert settings.http_port == http_port(service)
    assert settings.http_host == "0.0.0.0"


def test_the_config_sets_only_variables_the_services_read_and_keeps_secrets_in_the_secret() -> None:
    assert all(isinstance(value, str) for value in {**_config(), **_secret()}.values())
    unknown = {name for name in {**_config(), **_secret()} if name.startswith("GOALSTREAM_")} - known_variables()
    assert not unknown, f"no settings class reads {sorted(unknown)}"
    assert "GOALSTREAM_DATABASE_URL" in _secret() and "GOALSTREAM_DATABASE_URL" not in _config()
    assert not {"GOALSTREAM_SMTP_PASSWORD", "GOALSTREAM_DEMO_API_KEY"} & set(_config())


def test_the_topics_are_those_of_the_contract_and_every_pod_waits_for_them() -> None:
    topics = _find("ConfigMap", "goalstream-topics")["data"]
    assert topics["topics"].split() == list(ALL_TOPICS)
    job = _find("Job", "goalstream-topics")["spec"]["template"]["spec"]
    assert job["containers"][0]["command"] == ["/bin/sh", "/topics/create.sh"]
    assert '--partitions "$GOALSTREAM_TOPIC_PARTITIONS"' in topics["create.sh"]
    assert {"name": "topics", "configMap": {"name": "goalstream-topics"}} in job["volumes"]
    for service in SETTINGS:
        pod = _find("Deployment", f"goalstream-{service}")["spec"]["template"]["spec"]
        assert pod["initContainers"][0]["command"] == ["/bin/sh", "/topics/wait.sh"]
        assert {"name": "topics", "configMap": {"name": "goalstream-topics"}} in pod["volumes"]
        assert "wait.sh" in topics


def test_the_job_creates_the_replay_logs_replicated_and_compacted() -> None:
    """`goalstream dlq replay` writes them with acks=all: one replica fails where min.insync.replicas is 2, and
    entries that expire make `replay --all` resend old letters."""
    topics = _find("ConfigMap", "goalstream-topics")["data"]
    assert topics["replay-logs"].split() == list(REPLAY_LOGS)
    script = topics["create.sh"]
    loop = script[script.index("$(cat /topics/replay-logs)") :]
    assert f"--partitions {REPLAY_LOG_PARTITIONS} " in loop
    assert '--replication-factor "$TOPIC_REPLICATION_FACTOR"' in loop
    assert '--config min.insync.replicas="$TOPIC_MIN_INSYNC_REPLICAS"' in loop
    for name, value in REPLAY_LOG_CONFIG.items():
        assert f"--config {name}={value}" in loop


def test_consumer_scaling_stops_at_the_partition_count() -> None:
    partitions = int(_config()["GOALSTREAM_TOPIC_PARTITIONS"])
    for service in SETTINGS:
        hpa = _find("HorizontalPodAutoscaler", f"goalstream-{service}")["spec"]
        assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"goalstream-{service}"}
        assert 1 <= hpa["minReplicas"] <= hpa["maxReplicas"]
        if service != "goals":  # goals' replicas beyond the partitions still serve HTTP commands
            assert hpa["maxReplicas"] <= partitions, f"{service}: replicas beyond {partitions} partitions idle"
