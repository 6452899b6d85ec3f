"""Every service's OpenAPI document describes every field and parameter, and every refusal each operation can answer.

The documents are the three services' own (their apps built as they start, without connecting anything). A
property or parameter without a description, or an operation under /v1 that does not document a refusal it
can answer with the error body the API sends, fails here. /docs must load nothing from another host.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from goalstream_goals.bootstrap import build_app as goals_app
from goalstream_goals.settings import GoalsSettings
from goalstream_notifications.bootstrap import build_app as notifications_app
from goalstream_notifications.settings import NotificationsSettings
from goalstream_tracking.bootstrap import build_app as tracking_app
from goalstream_tracking.settings import TrackingSettings

NOWHERE = {"database_url": "postgresql://nobody@127.0.0.1:9/none", "kafka_bootstrap": "127.0.0.1:9"}
ERROR = {"$ref": "#/components/schemas/Error"}

# Refusals an operation's shape does not tell: documented by the route itself (its `responses=`).
OWN_REFUSALS = {
    ("goals", "post", "/v1/goals"): {"404"},  # parent_id or guards names no goal
    ("goals", "post", "/v1/goals/batch"): {"404"},
    ("goals", "post", "/v1/goals/{goal_id}/plan"): {"409"},  # archived
    ("goals", "post", "/v1/admin/organisations"): {"409"},  # organisation_exists
    ("notifications", "post", "/v1/subscriptions/{subscription_id}/rotate-secret"): {"409"},
    ("notifications", "post", "/v1/deliveries/{delivery_id}/retry"): {"409"},  # not_dead
}


def _apps() -> dict[str, FastAPI]:
    return {
        "goals": goals_app(GoalsSettings(**NOWHERE)),  # type: ignore[arg-type]
        "tracking": tracking_app(TrackingSettings(**NOWHERE)),  # type: ignore[arg-type]
        "notifications": notifications_app(NotificationsSettings(**NOWHERE)),  # type: ignore[arg-type]
    }


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    return {name: app.openapi() for name, app in _apps().items()}


def _properties(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every property of every schema under `node`, inline ones included, with where it is."""
    if isinstance(node, dict):
        for name, schema in (node.get("properties") or {}).items():
            yield f"{where}.{name}", schema
        for key, value in node.items():
            yield from _properties(value, f"{where}.{key}" if key != "properties" else where)
    elif isinstance(node, list):
        for value in node:
            yield from _properties(value, where)


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def _expected_refusals(service: str, method: str, path: str, operation: dict[str, Any]) -> set[str]:
    parameters = operation.get("parameters", [])
    codes = {"401", "429", "503"} | ({"403"} if not path.startswith("/v1/admin/") else set())
    if any(p["in"] == "path" for p in parameters):
        codes.add("404")
    if "requestBody" in operation:
        codes |= {"400", "413", "422"}
    if parameters:
        codes.add("422")
    if any(p["name"].lower() == "if-match" for p in parameters):
        codes |= {"409", "428"}
    return codes | OWN_REFUSALS.get((service, method, path), set())


def test_every_property_and_parameter_has_a_description(documents: dict[str, dict[str, Any]]) -> None:
    missing = [
        f"{service}: {where}"
        for service, document in documents.items()
        for where, schema in _properties(document, "")
        if not schema.get("description")
    ]
    missing += [
        f"{service}: {method.upper()} {path} parameter {parameter['name']}"
        for service, document in documents.items()
        for method, path, operation in _operations(document)
        for parameter in operation.get("parameters", [])
        if not parameter.get("description")
    ]
    assert missing == [], "described in OpenAPI (Field(description=...)):\n" + "\n".join(missing)


def test_every_operation_documents_its_refusals_with_the_error_body(documents: dict[str, dict[str, Any]]) -> None:
    undocumented = []
    for service, document in documents.items():
        for method, path, operation in _operations(document):
            if not path.startswith("/v1/"):
                continue
            responses = operation["responses"]
            for code in sorted(_expected_refusals(service, method, path, operation)):
                response = responses.get(code, {})
                body = response.get("content", {}).get("application/json", {}).get("schema")
                if not response.get("description") or body != ERROR:
                    undocumented.append(f"{service}: {method.upper()} {path} {code}")
    assert undocumented == [], "refusals not documented:\n" + "\n".join(undocumented)


def test_the_known_routes_are_all_there(documents: dict[str, dict[str, Any]]) -> None:
    """The walk above saw the services' real routes, not an empty document."""
    for service, method, path in OWN_REFUSALS:
        assert path in documents[service]["paths"] and method in documents[service]["paths"][path], path


@pytest.mark.parametrize("service", ["goals", "tracking", "notifications"])
async def test_docs_load_nothing_from_another_host(service: str) -> None:
    app = _apps()[service]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        page = await client.get("/docs")
        assert page.status_code == 200
        policy = page.headers["content-security-policy"]
        sources = {word for part in policy.split(";") for word in part.split()[1:]}
        assert sources <= {"'self'", "'none'", "data:"}, policy
        linked = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert any(link.endswith("/swagger-ui-bundle.js") for link in linked), linked
        for link in linked:
            assert link.startswith("/"), f"{link} is not served by the service itself"
            asset = await client.get(link)
            assert asset.status_code == 200 and asset.content, link
