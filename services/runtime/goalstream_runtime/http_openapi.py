"""The security, error responses, headers and parameter descriptions of every service's OpenAPI document, once here.

Which refusals an operation can answer follows from what it takes, so they are derived, not listed per route:
every /v1 operation needs a key (401, 403 for a missing scope; an operator key under /v1/admin has no
scopes), is rate limited per key (429) and reads the database (503); a path id can be unknown (404); a body
can be malformed (400), too large (413) or invalid (422); an If-Match can be stale (409) or missing (428).
A route documents only what its shape does not tell (a 409 of its own, a 404 for an id in its body); its
description is kept and the error body is filled in here. Which key an operation takes follows from its path
too: /v1/admin/* the operator key, the rest of /v1 an organisation's API key, except the receivers
(`SIGNED`), which the sending platform authenticates by its signature, and a route that sets its own
`security` (`openapi_extra={"security": []}` opts out). Response headers: `http_openapi_headers`.
"""

from __future__ import annotations

import json
from typing import Any

from goalstream_runtime.http_openapi_headers import document_headers, header_components
from goalstream_runtime.http_openapi_text import ERROR_SCHEMAS, PARAMETERS, REFUSALS, SECURITY_SCHEMES

OTHER = "Any other refusal (400 malformed input, 405); `errors` names the field at fault, if one is"
ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
SIGNED = "/v1/receivers/"  # each platform's own signature, checked by the route: no bearer key
OPERATOR = "/v1/admin/"


def _security(path: str) -> list[dict[str, list[str]]]:
    """The key an operation at `path` takes (none outside /v1 and under `SIGNED`)."""
    if not path.startswith("/v1/") or path.startswith(SIGNED):
        return []
    return [{"operatorKey": []}] if path.startswith(OPERATOR) else [{"apiKey": []}]


def _refusals(path: str, operation: dict[str, Any]) -> list[str]:
    """The status codes an operation under /v1 may refuse with, from what it takes."""
    parameters = operation.get("parameters", [])
    codes = ["503"]
    if operation.get("security"):  # a key: unknown (401), over its rate (429), lacking a scope (403)
        codes += ["401", "429"] + ([] if path.startswith(OPERATOR) else ["403"])
    if any(p["in"] == "path" for p in parameters):
        codes.append("404")
    if "requestBody" in operation:
        codes += ["400", "413", "422"]
    elif parameters:
        codes.append("422")
    if any(p["in"] == "header" and p["name"].lower() == "if-match" for p in parameters):
        codes += ["400", "409", "428"]
    return sorted(set(codes))


def _document(path: str, operation: dict[str, Any]) -> None:
    if security := _security(path):
        operation.setdefault("security", security)
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for parameter in operation.get("parameters", []):
        if "description" not in parameter and parameter["name"].lower() in PARAMETERS:
            parameter["description"] = PARAMETERS[parameter["name"].lower()]
    if responses.get("422", {}).get("description") == "Validation Error":  # FastAPI's, of its `detail` body
        responses["422"]["description"] = REFUSALS["422"]
    if path.startswith("/v1/"):
        for code in _refusals(path, operation):
            responses.setdefault(code, {"description": REFUSALS[code]})
        responses["4XX"] = {"description": OTHER}
    for code, response in responses.items():
        if (path.startswith("/v1/") and (code.startswith("4") or code == "503")) or code == "422":
            response.setdefault("description", REFUSALS.get(code, OTHER))
            if "application/json" in response.get("content", {"application/json": {}}):
                response["content"] = ERROR_BODY  # a route that answers in another type (SOAP) keeps its own
    document_headers(path, operation)


def document(openapi: dict[str, Any]) -> dict[str, Any]:
    """Describe the keys operations take, the error bodies the API really sends (not FastAPI's `detail` list),
    every refusal under /v1 and the headers of every response."""
    components = openapi.setdefault("components", {})
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    components.setdefault("headers", {}).update(header_components())
    schemas = components.setdefault("schemas", {})
    schemas.update(ERROR_SCHEMAS)
    for path, item in openapi.get("paths", {}).items():
        for operation in item.values():
            _document(path, operation)
    if "#/components/schemas/HTTPValidationError" not in json.dumps(openapi):
        schemas.pop("HTTPValidationError", None)
        if "#/components/schemas/ValidationError" not in json.dumps(openapi):
            schemas.pop("ValidationError", None)
    return openapi
