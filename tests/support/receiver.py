"""A real HTTP receiver for webhooks: records every request; can be told to fail the first N."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from goalstream_runtime.embedded.ports import free_port


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    fail_first: int = 0
    fail_status: int = 500
    hold: asyncio.Event | None = None  # when given, every request waits for it before being answered
    received: list[Received] = field(default_factory=list)
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _hook(self, request: Request) -> Response:
        self.received.append(Received(dict(request.headers), await request.body()))
        if self.hold is not None:
            await self.hold.wait()
        if len(self.received) <= self.fail_first:
            return Response(status_code=self.fail_status)
        return Response(status_code=204)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[WebhookReceiver]:
        app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.02)
        try:
            yield self
        finally:
            if self.hold is not None:
                self.hold.set()  # a held request would keep the server from stopping
            server.should_exit = True
            await task
