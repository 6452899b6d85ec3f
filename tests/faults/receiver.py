"""A webhook receiver on its own thread: it keeps listening while the tests kill and restart things."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from goalstream_runtime.embedded.ports import free_port

ANSWER_AFTER = 0.02  # seconds: long enough that a kill can land while a request is in flight


class ThreadedReceiver:
    """Counts the requests per `webhook-id`; answers 204 to all of them."""

    def __init__(self) -> None:
        self.port = free_port()
        self._lock = threading.Lock()
        self._arrivals: Counter[str] = Counter()
        app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self._thread = threading.Thread(target=asyncio.run, args=(self._server.serve(),), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _hook(self, request: Request) -> Response:
        await request.body()
        with self._lock:
            self._arrivals[request.headers.get("webhook-id", "")] += 1
        await asyncio.sleep(ANSWER_AFTER)
        return Response(status_code=204)

    def arrivals(self) -> Counter[str]:
        with self._lock:
            return Counter(self._arrivals)

    def start(self) -> ThreadedReceiver:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, "the webhook receiver did not start"
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
