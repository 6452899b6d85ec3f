"""ASGI guards in front of every service's routes: the body-size limit (413) and the NUL guard (422)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from goalstream_runtime.http_errors import error_body


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
    except (ValueError, RecursionError):
        return None  # malformed or nested too deeply to walk: the app's parser refuses it (400 malformed_json)


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
