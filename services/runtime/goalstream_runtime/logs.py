"""Structured JSON log lines with the trace id, organisation id and event id where they apply.

Every line a service writes is one JSON object: `configure_logging` routes every logger (ours, FastStream's,
uvicorn's, aiokafka's, asyncpg's) to one JSON handler on stderr, and `logs_capture` turns warnings, uncaught
exceptions and anything printed into records too.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

from goalstream_runtime.logs_capture import adopt_stray_handlers, capture_everything

# Set by handlers for the duration of one request or message, so every line names them.
org_id_var: ContextVar[str | None] = ContextVar("org_id", default=None)
event_id_var: ContextVar[str | None] = ContextVar("event_id", default=None)

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName", "color_message"}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b")  # colour and cursor sequences, and any lone ESC
_ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")  # uvicorn.access's arguments, in order

# Loggers that libraries give handlers of their own (FastStream: plain text with colours, on import) or that
# uvicorn would configure: all of them write through the root's JSON handler instead, at the root's level.
_ADOPTED = ("faststream", "faststream.access", "uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
_QUIETER = {"aiokafka": "WARNING"}  # aiokafka narrates every coordinator step at INFO


# A Salesforce receiver token (goals' connections): Salesforce can only send it in the URL, so paths carry it.
_RECEIVER_TOKEN = re.compile(r"gsr_[A-Za-z0-9_-]+")


def _plain(value: Any) -> Any:
    if isinstance(value, str) and "gsr_" in value:
        value = _RECEIVER_TOKEN.sub("gsr_<redacted>", value)
    return _ANSI.sub("", value) if isinstance(value, str) and "\x1b" in value else value


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": _plain(record.getMessage()).rstrip("\n"),  # warnings end theirs with one
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            line["trace_id"] = format(span.trace_id, "032x")
            line["span_id"] = format(span.span_id, "016x")
        if (org := org_id_var.get()) is not None:
            line["org_id"] = org
        if (event := event_id_var.get()) is not None:
            line["event_id"] = event
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            line.update(zip(_ACCESS_FIELDS, map(_plain, record.args), strict=True))
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line.setdefault(key, _plain(value))  # an extra field never replaces the line's own
        if record.exc_info:
            line["exc"] = _plain(self.formatException(record.exc_info))
        if record.stack_info:
            line["stack"] = _plain(self.formatStack(record.stack_info))
        return json.dumps(line, default=str)  # escapes newlines and control characters: one line, always


def logging_config(service: str, level: str = "INFO") -> dict[str, Any]:
    """The whole logging configuration as `logging.config.dictConfig` takes it (and uvicorn's `log_config`)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,  # the modules' loggers exist already and must keep logging
        "formatters": {"json": {"()": JsonFormatter, "service": service}},
        # The process's own stderr, even once sys.stderr is captured (logs_capture): never a loop.
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json", "stream": sys.__stderr__}},
        "root": {"handlers": ["json"], "level": level.upper()},
        "loggers": {
            **{name: {"handlers": [], "propagate": True, "level": "NOTSET"} for name in _ADOPTED},
            **{name: {"level": quieter} for name, quieter in _QUIETER.items()},
        },
    }


def configure_logging(service: str, level: str = "INFO") -> None:
    """JSON lines on stderr for every logger, warnings, uncaught exceptions and stray output of this process."""
    logging.config.dictConfig(logging_config(service, level))
    adopt_stray_handlers()
    capture_everything()
