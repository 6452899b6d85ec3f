"""What every service's HTTP API shares: error bodies (and their OpenAPI), the body-size limit, the NUL guard,
/health, /ready, /asyncapi.*."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import parse_qsl

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import AwareDatetime, BeforeValidator
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from goalstream_contracts import asyncapi
from goalstream_runtime import metrics

log = logging.getLogger(__name__)

ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]


def _iso_time(value: object) -> object:
    """pydantic would read a number (or a numeric string) as Unix seconds; an API time is ISO-8601 text."""
    if isinstance(value, bool | int | float):
        raise ValueError("a time is an ISO-8601 string with a zone, such as 2026-03-01T12:00:00Z, not a number")
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return value
        raise ValueError("a time is ISO-8601 with a zone, such as 2026-03-01T12:00:00Z, not a number")
    return value


# A request's time (body field or query parameter): ISO-8601 with a zone, never a number.
IsoTime = Annotated[AwareDatetime, BeforeValidator(_iso_time)]


class ApiError(Exception):
    """An error the API reports as `status` with a machine-readable `code` and a field, if one is at fault."""

    def __init__(
        self, status: int, code: str, message: str, field: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers or {}


def error_body(code: str, message: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": code, "message": message, "errors": errors or []}


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        detail = errors[0].get("ctx", {}).get("error", "invalid JSON")
        return JSONResponse(error_body("malformed_json", f"request body is not valid JSON: {detail}"), 400)
    listed = [
        {"field": _field(tuple(e.get("loc", ()))), "message": e.get("msg", ""), "type": e.get("type", "")}
        for e in errors
    ]
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in listed)
    return JSONResponse(error_body("invalid_request", summary, listed), 422)


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    errors = [{"field": exc.field, "message": exc.message, "type": exc.code}] if exc.field else []
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
    headers |= exc.headers
    return JSONResponse(error_body(exc.code, exc.message, errors), exc.status, headers=headers)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(exc.status_code, "http_error")
    return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, headers=exc.headers)


# A database (or other dependency) that is down, restarting or dropped the connection: the request
# changed nothing (its transaction did not commit), so the client may send it again.
UNAVAILABLE = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,  # the server is shutting down or starting up
)


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("a dependency is unavailable", extra={"path": request.url.path, "error": repr(exc)})
    message = "the service's database is unavailable; the request changed nothing, retry it"
    return JSONResponse(error_body("unavailable", message), 503, headers={"Retry-After": "1"})


class BodySizeLimit:
    """Refuse bodies over `max_bytes` with 413, whether Content-Length says so or the stream shows it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise StarletteHTTPException(413, f"request body is larger than {self.max_bytes} bytes")
            return message

        await self.app(scope, limited, send)

    async def _reject(self, send: Send) -> None:
        response = JSONResponse(
            error_body("payload_too_large", f"request body is larger than {self.max_bytes} bytes"), 413
        )
        await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


NUL_MESSAGE = "must not contain the NUL character (\\u0000)"


class NulGuard:
    """Refuse a NUL character in the path, a query parameter or a JSON body string with 422 naming the field.

    PostgreSQL text and jsonb cannot hold U+0000, so such a value would otherwise fail its lookup or
    write with a 500. The body is read whole (it is anyway, and BodySizeLimit, outside, bounds it).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        field = _nul_in_url(scope)
        if field is None and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            try:
                body = await _read_body(receive)
            except StarletteHTTPException as exc:  # over the size limit: let the app answer it as before
                await self.app(scope, _raising(exc), send)
                return
            field = _nul_in_json(body)
            receive = _replaying(body, receive)
        if field is None:
            await self.app(scope, receive, send)
            return
        errors = [{"field": field, "message": NUL_MESSAGE, "type": "nul_character"}]
        await JSONResponse(error_body("invalid_request", f"{field}: {NUL_MESSAGE}", errors), 422)(scope, receive, send)


def _nul_in_url(scope: Scope) -> str | None:
    if "\x00" in scope.get("path", ""):
        return "path"
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name + value:
                return name.replace("\x00", "") or "query"
    return None


def _nul_in_json(body: bytes) -> str | None:
    if b"\\u0000" not in body:  # JSON can only carry U+0000 escaped
        return None
    try:
        return _nul_at(json.loads(body), ())
    except ValueError:
        return None  # malformed: the app says so


def _nul_at(value: Any, at: tuple[str, ...]) -> str | None:
    if isinstance(value, str):
        return (".".join(at) or "body") if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return ".".join(at) or "body"
        found = _nul_at(item, (*at, str(key)))
        if found is not None:
            return found
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """`receive` that first hands over the whole `body` again, then passes through (to a disconnect)."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _raising(exc: Exception) -> Receive:
    async def receive() -> Message:
        raise exc

    return receive


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


def create_app(title: str, version: str, max_body_bytes: int, readiness: ReadinessCheck, **kwargs: Any) -> FastAPI:
    app = FastAPI(title=title, version=version, **kwargs)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for unavailable in UNAVAILABLE:
        app.add_exception_handler(unavailable, _unavailable)
    app.add_middleware(NulGuard)  # inside BodySizeLimit, which bounds the body it reads
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    metrics.install(app)  # GET /metrics and request metrics; services add live sources to app.state.metrics

    @app.get("/health", tags=["operations"], summary="Liveness: the process answers")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/ready",
        tags=["operations"],
        summary="Readiness: database and broker reachable, consumers running",
        responses={503: {"description": "Not ready: `checks` says which check failed"}},
    )
    async def ready() -> JSONResponse:
        checks = await readiness()
        ok = all(checks.values())
        return JSONResponse({"status": "ready" if ok else "not_ready", "checks": checks}, 200 if ok else 503)

    # Every service serves the whole platform's Kafka contract: generated from goalstream_contracts,
    # the same document as docs/asyncapi.yaml.
    @app.get(
        "/asyncapi.json",
        tags=["contracts"],
        summary="The AsyncAPI 3.0 document of goalstream's Kafka topics and events, as JSON",
        response_class=Response,
        responses={200: {"content": {"application/json": {}}}},
    )
    async def asyncapi_json() -> Response:
        return Response(asyncapi.document_json(), media_type="application/json")

    @app.get(
        "/asyncapi.yaml",
        tags=["contracts"],
        summary="The AsyncAPI 3.0 document of goalstream's Kafka topics and events, as YAML (docs/asyncapi.yaml)",
        response_class=Response,
        responses={200: {"content": {"application/yaml": {}}}},
    )
    async def asyncapi_yaml() -> Response:
        return Response(asyncapi.document_yaml(), media_type="application/yaml")

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
