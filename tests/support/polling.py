"""Waiting for an eventually consistent system to settle, with a clear failure when it does not."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T | None]], timeout: float = 30.0, what: str = "") -> T:
    """Call `probe` until it returns something other than None (or False), or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            value = await probe()
            if value is not None and value is not False:
                return value
            last = value
        except AssertionError as exc:
            last = exc
        await asyncio.sleep(0.2)
    raise AssertionError(f"not settled after {timeout:.0f}s: {what} (last: {last!r})")
