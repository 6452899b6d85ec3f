"""A connection pool per target (scheme and host name) behind the egress guard.

httpcore pools connections by (scheme, address, port). The guard pins the address and, for https,
sends the name as SNI per request, so one shared pool could hand a connection verified for
`a.example` to a request for `b.example` on the same address. A pool per name cannot. Plain http
gets a pool per name too: each pool then holds and scans only its own target's connections (httpcore
checks every idle connection of a pool for each request it places).
The number of targets kept is bounded; the least recently used pool with nothing in flight is closed first.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable

import httpx

MAX_TARGETS = 64
# Idle connections kept per target: enough for a steady stream to one receiver, few enough that
# placing a request (which checks each idle connection for a hang-up) stays cheap.
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=8, keepalive_expiry=5.0)

Target = tuple[str, str]  # (scheme, host exactly as sent, which is the SNI name for https)


class HostPools:
    def __init__(self, new: Callable[[], httpx.AsyncBaseTransport], max_targets: int = MAX_TARGETS) -> None:
        self._new, self._max = new, max_targets
        self._pools: OrderedDict[Target, httpx.AsyncBaseTransport] = OrderedDict()
        self._busy: dict[Target, int] = {}  # requests in flight per target: such a pool is not closed

    @contextlib.asynccontextmanager
    async def lease(self, target: Target) -> AsyncIterator[httpx.AsyncBaseTransport]:
        """The pool of `target` for one request."""
        self._busy[target] = self._busy.get(target, 0) + 1  # first: eviction never closes the pool handed out
        pool = self._pools.get(target)
        if pool is None:
            pool = self._pools[target] = self._new()
            await self._evict()
        self._pools.move_to_end(target)
        try:
            yield pool
        finally:
            self._busy[target] -= 1
            if not self._busy[target]:
                del self._busy[target]

    async def _evict(self) -> None:
        # Over the bound, close the least recently used pools with no request placed (a busy one stays).
        # A closed pool's response still being read fails as an attempt, and is retried.
        idle = [t for t in self._pools if t not in self._busy]
        for target in idle[: max(0, len(self._pools) - self._max)]:
            await self._pools.pop(target).aclose()

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            await pool.aclose()
