"""What does not go through a logger still ends as a JSON line: warnings, uncaught exceptions (in the main
thread, in other threads, and Python's "Exception ignored in ..."), text printed to sys.stdout or sys.stderr,
and library loggers that bring a console handler of their own."""

from __future__ import annotations

import io
import logging
import sys
import threading
from types import TracebackType
from typing import Any, TextIO

uncaught = logging.getLogger("uncaught")


def capture_everything() -> None:
    """Route warnings, uncaught exceptions and printed text through logging (idempotent)."""
    logging.captureWarnings(True)
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook
    sys.unraisablehook = _unraisablehook
    if not isinstance(sys.stdout, LineLogger):
        sys.stdout = LineLogger("stdout", logging.INFO, sys.__stdout__)
    if not isinstance(sys.stderr, LineLogger):
        sys.stderr = LineLogger("stderr", logging.WARNING, sys.__stderr__)


def adopt_stray_handlers() -> None:
    """A logger with a console handler of its own writes through the root's JSON handler instead."""
    consoles = {id(s) for s in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__) if s is not None}
    for logger in list(logging.root.manager.loggerDict.values()):
        if not isinstance(logger, logging.Logger):
            continue  # a placeholder: no logger of that name yet
        for handler in list(logger.handlers):
            if type(handler) is logging.StreamHandler and id(handler.stream) in consoles:
                logger.removeHandler(handler)
                logger.propagate = True


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    uncaught.critical("uncaught %s: %s", kind.__name__, value, exc_info=(kind, value, tb))


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return  # as Python's own hook: a thread that exits is not an error
    name = args.thread.name if args.thread is not None else None
    value = args.exc_value if args.exc_value is not None else args.exc_type()
    uncaught.critical(
        "uncaught %s in thread %s: %s",
        args.exc_type.__name__,
        name,
        value,
        exc_info=(args.exc_type, value, args.exc_traceback),
        extra={"thread_name": name},
    )


def _unraisablehook(args: Any) -> None:  # sys.UnraisableHookArgs
    message = args.err_msg or "Exception ignored in"
    exc_info = (args.exc_type, args.exc_value, args.exc_traceback) if args.exc_value is not None else None
    uncaught.error("%s: %r", message, args.object, exc_info=exc_info)


class LineLogger(io.TextIOBase):
    """A text stream that logs each line written to it as one record of `name`."""

    def __init__(self, name: str, level: int, fallback: TextIO | None) -> None:
        super().__init__()
        self._logger, self._level, self._fallback = logging.getLogger(name), level, fallback
        self._pending = ""
        self._lock = threading.RLock()
        self._inside = threading.local()

    @property
    def encoding(self) -> str:  # type: ignore[override]  # read-only on io's own streams too
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        if self._fallback is None:
            raise io.UnsupportedOperation("fileno")
        return self._fallback.fileno()  # for faulthandler and the like, which write below Python

    def write(self, text: str) -> int:
        if getattr(self._inside, "active", False):
            # Logging failed and reports it on stderr: writing that through logging again would loop.
            if self._fallback is not None:
                self._fallback.write(text)
            return len(text)
        self._inside.active = True
        try:
            with self._lock:
                *lines, self._pending = (self._pending + text).split("\n")
            for line in lines:
                if line.strip():
                    self._logger.log(self._level, line.rstrip("\r"))
        finally:
            self._inside.active = False
        return len(text)
