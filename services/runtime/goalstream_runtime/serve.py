"""Running one service process: JSON logs, tracing, then its HTTP API (and, through its lifespan, its broker)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import uvicorn
from fastapi import FastAPI

from goalstream_runtime.logs import configure_logging
from goalstream_runtime.settings import ServiceSettings
from goalstream_runtime.telemetry import setup_tracing

S = TypeVar("S", bound=ServiceSettings)


def serve(service: str, settings: S, build_app: Callable[[S], FastAPI]) -> None:
    configure_logging(service, settings.log_level)
    setup_tracing(service)
    uvicorn.run(
        build_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        timeout_keep_alive=settings.http_keep_alive_seconds,
    )
