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
    codes = {"503"}
    if operation.get("security"):  # a receiver is signed by its platform: no key, so no 401/403/429 of ours
        codes |= {"401", "429"} | ({"403"} if not path.startswith("/v1/admin/") else set())
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
                content = response.get("content", {})
                body = content.get("application/json", {}).get("schema")
                own_type = bool(content) and "application/json" not in content  # e.g. the Salesforce receiver's SOAP
                if not response.get("description") or (body != ERROR and not own_type):
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


# Generated clients name their methods after these: renaming one breaks every client, so they are pinned here.
KNOWN_IDS = {
    ("goals", "post", "/v1/goals"): "createGoal",
    ("goals", "get", "/v1/goals"): "listOrganisationGoals",
    ("goals", "get", "/v1/goals/{goal_id}"): "getGoal",
    ("goals", "patch", "/v1/goals/{goal_id}"): "reviseGoal",
    ("goals", "delete", "/v1/goals/{goal_id}"): "archiveGoal",
    ("goals", "post", "/v1/goals/batch"): "createGoalBatch",
    ("goals", "post", "/v1/measurements"): "recordMeasurements",
    ("goals", "post", "/v1/admin/organisations"): "createOrganisation",
    ("tracking", "get", "/v1/goals/{goal_id}/progress"): "getGoalProgress",
    ("tracking", "get", "/v1/tree"): "getTree",
    ("notifications", "get", "/v1/subscriptions"): "listSubscriptions",
    ("notifications", "post", "/v1/subscriptions/{subscription_id}/rotate-secret"): "rotateSecret",
    ("goals", "get", "/health"): "getHealth",
}
BEARER = {"type": "http", "scheme": "bearer"}


def test_operation_ids_are_readable_unique_and_stable(documents: dict[str, dict[str, Any]]) -> None:
    for service, document in documents.items():
        ids = [operation["operationId"] for _, _, operation in _operations(document)]
        assert len(ids) == len(set(ids)), f"{service}: operation ids repeat: {sorted(ids)}"
        unreadable = [i for i in ids if not re.fullmatch(r"[a-z]+(?:[A-Z0-9][a-z0-9]*)*", i)]
        assert unreadable == [], f"{service}: not camelCase: {unreadable}"
    found = {(s, m, p): documents[s]["paths"][p][m]["operationId"] for s, m, p in KNOWN_IDS}
    assert found == KNOWN_IDS


def test_every_operation_that_takes_a_key_declares_the_bearer_scheme(documents: dict[str, dict[str, Any]]) -> None:
    wrong = []
    for service, document in documents.items():
        schemes = document["components"]["securitySchemes"]
        assert {name: {k: schemes[name][k] for k in BEARER} for name in schemes} == {
            "apiKey": BEARER,
            "operatorKey": BEARER,
        }
        assert all(scheme["description"] for scheme in schemes.values())
        for method, path, operation in _operations(document):
            expected: list[dict[str, list[str]]] | None
            if not path.startswith("/v1/") or path.startswith("/v1/receivers/"):
                expected = None  # /health, /metrics, /asyncapi.*; a receiver checks its platform's signature
            else:
                expected = [{"operatorKey" if path.startswith("/v1/admin/") else "apiKey": []}]
            if operation.get("security") != expected:
                wrong.append(f"{service}: {method.upper()} {path}: {operation.get('security')}, not {expected}")
    assert wrong == [], "\n".join(wrong)


def _headers(document: dict[str, Any], method: str, path: str, code: str) -> set[str]:
    return set(document["paths"][path][method]["responses"][code].get("headers", {}))


def test_every_header_the_services_send_is_documented(documents: dict[str, dict[str, Any]]) -> None:
    goals, tracking, notes = documents["goals"], documents["tracking"], documents["notifications"]
    for code in ("200", "201"):  # a retry under the same Idempotency-Key answers 200, as the first did
        assert {"ETag", "Location", "Idempotent-Replayed"} <= _headers(goals, "post", "/v1/goals", code)
    for method in ("get", "patch", "delete"):
        assert {"ETag", "Location"} <= _headers(goals, method, "/v1/goals/{goal_id}", "200")
    assert "Idempotent-Replayed" in _headers(goals, "post", "/v1/goals/batch", "200")
    assert "Location" in _headers(goals, "post", "/v1/ladders", "201")
    assert {"Location", "Cache-Control"} <= _headers(notes, "post", "/v1/subscriptions", "201")
    assert "Cache-Control" in _headers(notes, "post", "/v1/subscriptions/{subscription_id}/rotate-secret", "200")
    assert "WWW-Authenticate" in _headers(tracking, "get", "/v1/goals/{goal_id}/progress", "401")
    for service, document in documents.items():
        components = document["components"]["headers"]
        for method, path, operation in _operations(document):
            for code, response in operation["responses"].items():
                headers = response.get("headers", {})
                assert {"X-Content-Type-Options", "Content-Security-Policy"} <= set(headers), (service, path, code)
                if path.startswith("/v1/") and code in ("429", "503"):
                    assert "Retry-After" in headers, f"{service}: {method.upper()} {path} {code}"
                for name, header in headers.items():
                    assert header == {"$ref": f"#/components/headers/{name}"} and components[name]["description"]


def test_a_route_added_later_is_covered_by_the_rules() -> None:
    """A new route gets its key, its id and its refusals from the rules, with no edit of the OpenAPI code."""
    app = _apps()["goals"]

    @app.get("/v1/widgets/{widget_id}")
    async def widget_summary(widget_id: str) -> dict[str, str]:
        return {"id": widget_id}

    @app.post("/v1/receivers/acme")
    async def acme_webhook() -> dict[str, str]:
        return {}

    app.openapi_schema = None
    paths = app.openapi()["paths"]
    widget, acme = paths["/v1/widgets/{widget_id}"]["get"], paths["/v1/receivers/acme"]["post"]
    assert (widget["operationId"], widget["security"]) == ("getWidgetSummary", [{"apiKey": []}])
    assert {"401", "403", "404", "429", "503"} <= set(widget["responses"])
    assert (acme["operationId"], acme.get("security")) == ("acmeWebhook", None)
    assert "403" not in acme["responses"] and "429" not in acme["responses"]


@pytest.mark.parametrize("service", ["goals", "tracking", "notifications"])
async def test_a_request_without_a_key_gets_the_documented_401(service: str) -> None:
    """What the document says a 401 carries, a request without a key really gets (no database needed)."""
    app = _apps()[service]
    app.state.pool = None  # never reached: a request without a key is refused before any look-up
    document = app.openapi()
    gets = [(p, o) for m, p, o in _operations(document) if m == "get" and o.get("security")]
    assert gets
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        for path, operation in gets:
            answer = await client.get(re.sub(r"\{[^}]+\}", "x", path))
            assert answer.status_code == 401, path
            documented = operation["responses"]["401"]["headers"]
            required = {h.lower() for h in documented if document["components"]["headers"][h]["required"]}
            assert "www-authenticate" in required and required <= set(answer.headers), path
