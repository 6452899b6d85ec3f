"""A use case's transaction tried again when a stream it wrote moved on under it.

A session reads goals before it takes the organisation's lock (at its first write), so a scheduler pass or another
request can commit first; the stale write then raises ConcurrencyError and nothing of the transaction is written.
The client asked for no version check, so the use case runs again on what is there now (a request's own If-Match
is checked again on every attempt: a stale one still ends in ConcurrencyError, which answers 409).
"""

from __future__ import annotations

import asyncio
import functools
import random
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from goalstream_goals.adapters.event_store import ConcurrencyError

ATTEMPTS = 5  # each after a short random pause; five conflicts in a row on one organisation is an overload
P = ParamSpec("P")
T = TypeVar("T")


class StaleVersion(ConcurrencyError):
    """The request's own If-Match names a version the goal is no longer at: answered at once, never tried again."""


def retried_on_conflict(work: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    @functools.wraps(work)
    async def retried(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(1, ATTEMPTS):
            try:
                return await work(*args, **kwargs)
            except StaleVersion:
                raise
            except ConcurrencyError:
                await asyncio.sleep(random.uniform(0, 0.02 * attempt))
        return await work(*args, **kwargs)  # the last attempt's conflict is the caller's

    return retried
