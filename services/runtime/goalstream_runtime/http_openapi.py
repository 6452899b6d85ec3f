"""The error responses and parameter descriptions of every service's OpenAPI document, written once here.

Which refusals an operation can answer follows from what it takes, so they are derived, not listed per route:
every /v1 operation needs a key (401, 403 for a missing scope; an operator key under /v1/admin has no
scopes), is rate limited per key (429) and reads the database (503); a path id can be unknown (404); a body
can be malformed (400), too large (413) or invalid (422); an If-Match can be stale (409) or missing (428).
A route documents only what its shape does not tell (a 409 of its own, a 404 for an id in its body); its
description is kept and the error body is filled in here.
"""

from __future__ import annotations

import json
from typing import Any

from goalstream_runtime.http_openapi_text import ERROR_SCHEMAS, PARAMETERS, REFUSALS

OTHER = "Any other refusal (400 malformed input, 405); `errors` names the field at fault, if one is"
ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def _refusals(path: str, operation: dict[str, Any]) -> list[str]:
    """The status codes an operation under /v1 may refuse with, from what it takes."""
    parameters = operation.get("parameters", [])
    codes = ["401", "429", "503"]
    if not path.startswith("/v1/admin/"):
        codes.append("403")
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
            response["content"] = ERROR_BODY


def document_errors(openapi: dict[str, Any]) -> dict[str, Any]:
    """Describe the error bodies the API really sends (not FastAPI's `detail` list) and every refusal under /v1."""
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(ERROR_SCHEMAS)
    for path, item in openapi.get("paths", {}).items():
        for operation in item.values():
            _document(path, operation)
    if "#/components/schemas/HTTPValidationError" not in json.dumps(openapi):
        schemas.pop("HTTPValidationError", None)
        if "#/components/schemas/ValidationError" not in json.dumps(openapi):
            schemas.pop("ValidationError", None)
    return openapi
