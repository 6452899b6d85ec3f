"""The response headers of every operation in the OpenAPI documents, derived from what the operation is.

Every response carries the security middleware's headers. Under /v1, a 429 and a 503 carry Retry-After and an
operation that takes a key answers 401 with WWW-Authenticate. A success answer carries what its body's schema
does (`BODY_HEADERS`: a goal its ETag and Location). An operation that takes an Idempotency-Key may answer a
retry with the first answer (200 for a 201) and `Idempotent-Replayed: true`. Rules, not a list of routes, so
that a route added later is documented as it is written; the end-to-end fuzzing checks the required ones.
"""

from __future__ import annotations

import copy
from typing import Any

from goalstream_runtime.http_openapi_text import BODY_HEADERS, CREATED_HEADERS, EVERY_RESPONSE, HEADERS

REPLAYED = "Replayed: a retry with the same Idempotency-Key and body, answered as the first request was"


def _schema_name(response: dict[str, Any]) -> str | None:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) and ref else None


def _success_headers(code: str, response: dict[str, Any]) -> tuple[str, ...]:
    name = _schema_name(response)
    if name is None:
        return ()
    return BODY_HEADERS.get(name, ()) + (CREATED_HEADERS.get(name, ()) if code == "201" else ())


def _replayed(operation: dict[str, Any]) -> bool:
    parameters = operation.get("parameters", [])
    return any(p["in"] == "header" and p["name"].lower() == "idempotency-key" for p in parameters)


def document_headers(path: str, operation: dict[str, Any]) -> None:
    """Add the headers each response of `operation` (at `path`) is sent with, as `components.headers` refs."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    replayed = _replayed(operation)
    if replayed and "201" in responses and "200" not in responses:
        responses["200"] = {**copy.deepcopy(responses["201"]), "description": REPLAYED}
    for code, response in responses.items():
        names = list(EVERY_RESPONSE)
        if path.startswith("/v1/") and code in ("429", "503"):
            names.append("Retry-After")
        if code == "401" and operation.get("security"):
            names.append("WWW-Authenticate")
        if code.startswith("2"):
            names += _success_headers(code, response)
            names += ["Idempotent-Replayed"] if replayed else []
        headers = response.setdefault("headers", {})
        for name in names:
            headers.setdefault(name, {"$ref": f"#/components/headers/{name}"})


def header_components() -> dict[str, Any]:
    return copy.deepcopy(HEADERS)
