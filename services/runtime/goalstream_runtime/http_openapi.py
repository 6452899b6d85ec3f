"""The error bodies in every service's OpenAPI document, so clients and fuzzers see what a 4xx carries."""

from __future__ import annotations

import json
from typing import Any

# Every error body (ApiError, validation, HTTP errors) in the OpenAPI documents.
ERROR_SCHEMAS: dict[str, Any] = {
    "FieldError": {
        "title": "FieldError",
        "type": "object",
        "required": ["field", "message", "type"],
        "properties": {
            "field": {"type": "string", "description": "the input at fault, e.g. `target` or `measurements.3.value`"},
            "message": {"type": "string"},
            "type": {"type": "string", "description": "machine-readable kind of the problem"},
        },
    },
    "Error": {
        "title": "Error",
        "type": "object",
        "required": ["error", "message", "errors"],
        "properties": {
            "error": {"type": "string", "description": "machine-readable code, e.g. `not_found` or `invalid_request`"},
            "message": {"type": "string"},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
        },
    },
}


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def document_errors(openapi: dict[str, Any]) -> dict[str, Any]:
    """Describe the error bodies the API really sends: 422 (not FastAPI's `detail` list) and, under /v1, any 4xx."""
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(ERROR_SCHEMAS)
    for path, item in openapi.get("paths", {}).items():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = _error_response("Invalid input; `errors` names each field at fault")
            if path.startswith("/v1/"):
                responses["4XX"] = _error_response(
                    "Refused (400 malformed JSON, 401, 403 scope, 404 unknown or another organisation's, 409,"
                    " 413, 428, 429 with Retry-After); `errors` names the field at fault, if one is"
                )
    if "#/components/schemas/HTTPValidationError" not in json.dumps(openapi):
        schemas.pop("HTTPValidationError", None)
        if "#/components/schemas/ValidationError" not in json.dumps(openapi):
            schemas.pop("ValidationError", None)
    return openapi
