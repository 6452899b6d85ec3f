"""Running one service process: JSON logs, tracing, then its HTTP API (and, through its lifespan, its broker)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import uvicorn
from fastapi import FastAPI

from goalstream_runtime.logs import configure_logging, logging_config
from goalstream_runtime.settings import ServiceSettings
from goalstream_runtime.telemetry import setup_tracing

S = TypeVar("S", bound=ServiceSettings)


def serve(service: str, settings: S | Callable[[], S], build_app: Callable[[S], FastAPI]) -> None:
    """Serve `service`; given its settings class rather than its settings, a refused setting is logged as JSON."""
    configure_logging(service)  # first: reading the settings may fail, and that too is a JSON line
    chosen = settings if isinstance(settings, ServiceSettings) else settings()
    logging.getLogger().setLevel(chosen.log_level.upper())
    setup_tracing(service)
    uvicorn.run(
        build_app(chosen),
        host=chosen.http_host,
        port=chosen.http_port,
        # uvicorn applies a logging configuration of its own at start; ours, so its lines are JSON too.
        log_config=logging_config(service, chosen.log_level),
        timeout_keep_alive=chosen.http_keep_alive_seconds,
    )
