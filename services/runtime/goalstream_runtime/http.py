"""What every service's HTTP API shares: error bodies, the body-size limit, /health, /ready, /asyncapi.*."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from goalstream_contracts import asyncapi
from goalstream_runtime import metrics

ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]


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


def create_app(title: str, version: str, max_body_bytes: int, readiness: ReadinessCheck, **kwargs: Any) -> FastAPI:
    app = FastAPI(title=title, version=version, **kwargs)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    metrics.install(app)  # GET /metrics and request metrics; services add live sources to app.state.metrics

    @app.get("/health", tags=["operations"], summary="Liveness: the process answers")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready", tags=["operations"], summary="Readiness: database and broker reachable, consumers running")
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

    return app
