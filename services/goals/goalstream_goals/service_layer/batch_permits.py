"""A process-wide bound on how many goals `POST /v1/goals/batch` decides and writes at once, counted in goals.

Why: until its transaction commits, a batch holds every goal it decided several times over (definitions,
goal states, envelopes, their encoded records and rows): about 10 KB a goal. Four 5,000-goal batches
decided side by side took the process from ~190 MB to ~330 MB peak RSS, for no gain in throughput: one
process decides on one core, and one organisation's writes serialise on its append lock anyway.

A batch takes as many permits as it has goals (a larger batch than the bound takes all of them), and
gives them back when its answer is built. Requests beyond the bound wait their turn, first come first
served, so a large batch is never passed over by a stream of small ones; nothing is refused for being
busy. A request cancelled while it waits takes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator


class BatchPermits:
    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("a batch needs at least one permit")
        self.capacity = capacity
        self.free = capacity
        self._waiting: deque[tuple[int, asyncio.Future[None]]] = deque()

    @property
    def waiting(self) -> int:
        """Requests waiting for permits now."""
        return sum(1 for _, future in self._waiting if not future.done())

    @contextlib.asynccontextmanager
    async def hold(self, goals: int) -> AsyncIterator[None]:
        """Permits for a batch of `goals` goals, held for the block; waits until they are free."""
        wanted = max(1, min(goals, self.capacity))
        await self._acquire(wanted)
        try:
            yield
        finally:
            self._release(wanted)

    async def _acquire(self, wanted: int) -> None:
        if not self._waiting and self.free >= wanted:
            self.free -= wanted
            return
        entry = (wanted, asyncio.get_running_loop().create_future())
        self._waiting.append(entry)
        try:
            await entry[1]
        except asyncio.CancelledError:
            if entry[1].done() and not entry[1].cancelled():
                self._release(wanted)  # granted just as it was cancelled: give them back
            else:
                with contextlib.suppress(ValueError):
                    self._waiting.remove(entry)
                self._wake()  # the request behind it may fit now
            raise

    def _release(self, count: int) -> None:
        self.free += count
        self._wake()

    def _wake(self) -> None:
        """Grant the longest-waiting requests, in order, as long as the first fits."""
        while self._waiting and (self._waiting[0][1].done() or self._waiting[0][0] <= self.free):
            wanted, future = self._waiting.popleft()
            if not future.done():
                self.free -= wanted
                future.set_result(None)
