"""The bound on goals decided at once (`BatchPermits`): counted in goals, first come first served, nothing lost
to a request cancelled while it waits. Progress is observed by letting the loop run (`_settle`), never by time."""

from __future__ import annotations

import asyncio

import pytest

from goalstream_goals.service_layer.batch_permits import BatchPermits


async def _settle() -> None:
    """Let every ready task run until it blocks again."""
    for _ in range(10):
        await asyncio.sleep(0)


class Batches:
    """Batches that take permits, then hold them until the test lets each one finish."""

    def __init__(self, permits: BatchPermits) -> None:
        self.permits = permits
        self.started: list[str] = []
        self.finish: dict[str, asyncio.Event] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}

    def send(self, name: str, goals: int) -> None:
        self.finish[name] = asyncio.Event()
        self.tasks[name] = asyncio.create_task(self._run(name, goals))

    async def _run(self, name: str, goals: int) -> None:
        async with self.permits.hold(goals):
            self.started.append(name)
            await self.finish[name].wait()

    async def done(self, name: str) -> None:
        self.finish[name].set()
        await self.tasks[name]
        await _settle()


async def test_batches_beyond_the_bound_wait_and_start_in_arrival_order() -> None:
    batches = Batches(BatchPermits(5_000))
    for name, goals in [("a", 3_000), ("b", 4_000), ("c", 500)]:
        batches.send(name, goals)
    await _settle()
    # c would fit beside a, but b came first: c waits behind it rather than passing it.
    assert batches.started == ["a"]
    assert batches.permits.waiting == 2
    await batches.done("a")
    assert batches.started == ["a", "b", "c"]
    assert batches.permits.free == 500
    await batches.done("b")
    await batches.done("c")
    assert batches.permits.free == 5_000


async def test_a_batch_larger_than_the_bound_takes_every_permit() -> None:
    batches = Batches(BatchPermits(1_000))
    batches.send("small", 1)
    batches.send("large", 5_000)
    batches.send("after", 1)
    await _settle()
    assert batches.started == ["small"]
    await batches.done("small")
    assert batches.started == ["small", "large"]
    assert batches.permits.free == 0
    await batches.done("large")
    assert batches.started == ["small", "large", "after"]
    await batches.done("after")
    assert batches.permits.free == 1_000


async def test_a_request_cancelled_while_waiting_takes_nothing_and_lets_the_next_one_in() -> None:
    batches = Batches(BatchPermits(10))
    batches.send("running", 6)
    batches.send("cancelled", 10)
    batches.send("next", 4)
    await _settle()
    assert batches.started == ["running"]
    batches.tasks["cancelled"].cancel()
    await _settle()
    assert batches.started == ["running", "next"]  # it fitted beside the running one once nothing was ahead
    assert batches.permits.waiting == 0
    with pytest.raises(asyncio.CancelledError):
        await batches.tasks["cancelled"]
    await batches.done("running")
    await batches.done("next")
    assert batches.permits.free == 10


async def test_permits_are_given_back_when_the_batch_fails() -> None:
    permits = BatchPermits(10)
    with pytest.raises(RuntimeError):
        async with permits.hold(7):
            raise RuntimeError("refused")
    assert permits.free == 10


def test_a_bound_below_one_goal_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        BatchPermits(0)
