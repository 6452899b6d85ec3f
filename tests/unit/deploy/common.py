"""What the static deployment checks share: the files, the services' settings classes and the
metric names the code defines. No Docker engine or cluster is needed: everything is read as text."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from pydantic_settings import BaseSettings

from goalstream_goals.bootstrap import build_app as build_goals
from goalstream_goals.settings import GoalsSettings
from goalstream_notifications.bootstrap import build_app as build_notifications
from goalstream_notifications.settings import NotificationsSettings
from goalstream_runtime.settings import ServiceSettings
from goalstream_tracking.bootstrap import build_app as build_tracking
from goalstream_tracking.settings import TrackingSettings

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
OBSERVABILITY = DEPLOY / "observability"
K8S = DEPLOY / "k8s"

SETTINGS: dict[str, type[ServiceSettings]] = {
    "goals": GoalsSettings,
    "tracking": TrackingSettings,
    "notifications": NotificationsSettings,
}
BUILDERS: dict[str, Any] = {"goals": build_goals, "tracking": build_tracking, "notifications": build_notifications}


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def load_all_yaml(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml(ROOT / "docker-compose.yml")
    return loaded


def http_port(service: str) -> int:
    port: int = SETTINGS[service].model_fields["http_port"].default
    return port


def variables(settings: type[BaseSettings]) -> dict[str, bool]:
    """The environment variables a settings class reads, each with whether it is required."""
    prefix = settings.model_config.get("env_prefix", "")
    return {f"{prefix}{name}".upper(): field.is_required() for name, field in settings.model_fields.items()}


def known_variables() -> set[str]:
    return {name for settings in SETTINGS.values() for name in variables(settings)}


_INTERPOLATION = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::?-(?P<default>[^}]*))?\}")


def interpolate(value: str) -> str:
    """A compose value as `docker compose` sees it when none of the variables is set in the shell."""
    return _INTERPOLATION.sub(lambda m: "$" if m.group(0) == "$$" else (m.group("default") or ""), value)


def build_settings(monkeypatch: pytest.MonkeyPatch, service: str, env: Mapping[str, str]) -> ServiceSettings:
    """The service's settings validated from exactly `env` (nothing from the test's own environment)."""
    import os

    for name in list(os.environ):
        if name.startswith("GOALSTREAM_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return SETTINGS[service]()


def routes(app: FastAPI) -> set[str]:
    return {path for route in app.routes if (path := getattr(route, "path", None))}


_PACKAGES = {"goalstream_contracts", "goalstream_runtime", *(f"goalstream_{name}" for name in SETTINGS)}
_METRIC_NAME = re.compile(r"^goalstream_[a-z0-9_]+$")
_SAMPLE_SUFFIXES = ("_total", "_created", "_bucket", "_sum", "_count")


def defined_metric_names() -> set[str]:
    """Every `goalstream_...` string in the services' code (metric names are string literals there:
    prometheus_client metrics in goalstream_runtime.metrics and the families the services add)."""
    names: set[str] = set()
    for path in (ROOT / "services").glob("*/goalstream_*/**/*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _METRIC_NAME.match(node.value):
                names.add(node.value)
    return names - _PACKAGES


def is_defined(sample: str, defined: set[str]) -> bool:
    """Whether a series name used in a query comes from a defined metric (counters get `_total`,
    histograms `_bucket`, `_sum` and `_count`)."""
    return sample in defined or any(
        sample.endswith(suffix) and sample.removesuffix(suffix) in defined for suffix in _SAMPLE_SUFFIXES
    )


def metric_names_in(expr: str) -> set[str]:
    return set(re.findall(r"\bgoalstream_[a-z0-9_]+\b", expr))


def walk(value: Any) -> Iterator[dict[str, Any]]:
    """Every mapping inside a parsed document, depth first."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)
