"""docker-compose.yml checked statically (no Docker engine on these machines): it parses, every
service the code has is there with the settings it needs, and ports and topics agree with the code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from goalstream_contracts.topics import ALL_TOPICS
from goalstream_goals.settings import GoalsSettings
from goalstream_tracking.settings import TrackingSettings

ROOT = Path(__file__).resolve().parents[3]


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_the_services_are_all_there_with_their_required_settings() -> None:
    services = _compose()["services"]
    assert {"postgres", "kafka", "goals", "tracking", "notifications"} <= set(services)
    for name in ("goals", "tracking", "notifications"):
        env = services[name]["environment"]
        assert env["GOALSTREAM_DATABASE_URL"].startswith("postgresql://")
        assert env["GOALSTREAM_KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert services[name]["command"] == ["python", "-m", f"goalstream_{name}"]


def test_ports_agree_with_the_settings_defaults() -> None:
    services = _compose()["services"]
    fields = {"goals": GoalsSettings.model_fields, "tracking": TrackingSettings.model_fields}
    for name, model_fields in fields.items():
        port = model_fields["http_port"].default
        assert services[name]["environment"]["GOALSTREAM_HTTP_PORT"] == str(port)
        assert services[name]["ports"] == [f"{port}:{port}"]


def test_the_topic_job_creates_every_topic_of_the_contract() -> None:
    script = _compose()["services"]["topics"]["command"][0]
    for topic in ALL_TOPICS:
        assert topic in script
