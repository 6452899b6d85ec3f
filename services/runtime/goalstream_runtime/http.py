"""What every service's HTTP API shares: the error handlers, the guards (`http_guards`), the documented
error bodies (`http_openapi`), /health, /ready, /metrics and /asyncapi.*."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from goalstream_contracts import asyncapi
from goalstream_contracts.inputs import Time
from goalstream_runtime import http_docs, metrics
from goalstream_runtime.http_errors import ApiError, error_body, unreadable_json
from goalstream_runtime.http_guards import BodySizeLimit, NulGuard
from goalstream_runtime.http_openapi import document
from goalstream_runtime.http_openapi_ids import operation_id
from goalstream_runtime.http_security import SecurityHeaders

__all__ = ["ApiError", "IsoTime", "ReadinessCheck", "create_app", "error_body"]

log = logging.getLogger(__name__)

ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]


# A request's time (body field or query parameter): the contracts' bounded, ISO-8601-only `Time`.
IsoTime = Time


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
    if exc.status_code == 400 and (why := unreadable_json(exc)) is not None:
        return JSONResponse(error_body("malformed_json", f"request body is not valid JSON: {why}"), 400)
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


async def _rolled_back(request: Request, exc: Exception) -> JSONResponse:
    log.warning("a transaction was rolled back by the database", extra={"path": request.url.path, "error": repr(exc)})
    message = "the request met concurrent work on the same data and changed nothing; send it again"
    return JSONResponse(error_body("busy", message), 503, headers={"Retry-After": "1"})


def create_app(title: str, version: str, max_body_bytes: int, readiness: ReadinessCheck, **kwargs: Any) -> FastAPI:
    # FastAPI's /docs runs an inline script and /redoc loads fonts and script from elsewhere: http_docs
    # serves /docs under a Content-Security-Policy instead, and ReDoc is not served.
    # Operation ids a generated client can call (`createGoal`), by one rule for every route: http_openapi_ids.
    kwargs.setdefault("generate_unique_id_function", operation_id)
    app = FastAPI(title=title, version=version, docs_url=None, redoc_url=None, **kwargs)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for unavailable in UNAVAILABLE:
        app.add_exception_handler(unavailable, _unavailable)
    # A deadlock or serialization failure (SQLSTATE class 40): PostgreSQL rolled the transaction back whole.
    app.add_exception_handler(asyncpg.exceptions.TransactionRollbackError, _rolled_back)
    app.add_middleware(NulGuard)  # inside BodySizeLimit, which bounds the body it reads
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    metrics.install(app)  # GET /metrics and request metrics; services add live sources to app.state.metrics
    app.add_middleware(SecurityHeaders)  # outermost: the guards' refusals get the headers too
    http_docs.install(app)

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
            app.openapi_schema = document(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
