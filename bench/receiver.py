"""A webhook receiver on its own thread: it notes when each measurement's webhook arrives."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from goalstream_runtime.embedded.ports import free_port


class WebhookReceiver:
    """Answers 204 at once; `arrivals` maps a MeasurementRecorded's measurement id to its first arrival."""

    def __init__(self) -> None:
        self.port = free_port()
        self._lock = threading.Lock()
        self._arrivals: dict[str, float] = {}  # time.monotonic(), the clock the publisher uses
        app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self._thread = threading.Thread(target=asyncio.run, args=(self._server.serve(),), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _hook(self, request: Request) -> Response:
        arrived = time.monotonic()
        measurement_id = json.loads(await request.body()).get("data", {}).get("measurement_id")
        if measurement_id:
            with self._lock:
                self._arrivals.setdefault(measurement_id, arrived)
        return Response(status_code=204)

    def arrivals(self) -> dict[str, float]:
        with self._lock:
            return dict(self._arrivals)

    def start(self) -> WebhookReceiver:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise TimeoutError("the webhook receiver did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
