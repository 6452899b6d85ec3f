"""The faults: each breaks something in the middle of work, then heals it as an operator (or a supervisor) would.

`inject` returns once the fault has landed; `heal` undoes it (a restart, SIGCONT). Blocking steps
run in a thread, so the load keeps going meanwhile.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from goalstream_runtime.db import connect
from tests.faults.checks import backlog
from tests.faults.load import Load
from tests.faults.rig import Rig
from tests.support.polling import eventually

BURST = 500  # measurements in the batch a kill lands in
MID_FLIGHT_TIMEOUT = 15.0


@dataclass(frozen=True)
class Fault:
    name: str
    inject: Callable[[Rig, Load], Awaitable[None]]
    heal: Callable[[Rig, Load], Awaitable[None]]


async def _count(rig: Rig, load: Load, what: str) -> int:
    conn = await connect(rig.platform.database_url, "tracking")
    try:
        value: int = getattr(await backlog(conn, load.acknowledged), what)
        return value
    finally:
        await conn.close()


async def _mid_flight(rig: Rig, load: Load, what: str) -> None:
    """Send a burst and return once the backlog `what` has started to shrink but is not empty."""
    await load.send_batch(BURST)
    first = await _count(rig, load, what)
    deadline = time.monotonic() + MID_FLIGHT_TIMEOUT
    while time.monotonic() < deadline:
        now = await _count(rig, load, what)
        if 0 < now < first:
            return
        first = max(first, now)
        await asyncio.sleep(0.05)
    raise AssertionError(f"the {what} backlog never got going ({first})")


async def _none_left(rig: Rig, load: Load, what: str) -> bool:
    return await _count(rig, load, what) == 0


def _restart(service: str) -> Callable[[Rig, Load], Awaitable[None]]:
    async def heal(rig: Rig, load: Load) -> None:
        await asyncio.to_thread(rig.platform.restart, service)

    return heal


async def _kill_goals_mid_batch(rig: Rig, load: Load) -> None:
    retried = load.retried_batches
    batch = asyncio.create_task(load.send_batch(BURST))  # retried until acknowledged, after the restart
    await asyncio.sleep(0.15)  # the request is being processed
    rig.platform.kill("goals")
    load.background.append(batch)
    # The kill landed in the middle of a request: one the client saw fail and will send again.
    await eventually(lambda: _more_than(load, retried), 10, "a batch in flight when goals was killed")


async def _more_than(load: Load, retried: int) -> bool:
    return load.retried_batches > retried


def _kill_mid_batch(service: str, backlog_name: str) -> Callable[[Rig, Load], Awaitable[None]]:
    async def inject(rig: Rig, load: Load) -> None:
        await _mid_flight(rig, load, backlog_name)
        rig.platform.kill(service)

    return inject


async def _restart_broker(rig: Rig, load: Load) -> None:
    # The embedded broker keeps nothing: measurements it acknowledged but goals had not consumed
    # would go with it, as with any broker that loses its log. The load stops publishing on the topic
    # and waits until goals has them all; the outbox relay must bring back every event.
    load.topic_enabled.clear()
    await eventually(lambda: _none_left(rig, load, "unrecorded"), 60, "goals consumed the measurements topic")
    await asyncio.to_thread(rig.platform.restart_broker)


async def _topic_back(rig: Rig, load: Load) -> None:
    load.topic_enabled.set()


async def _crash_database(rig: Rig, load: Load) -> None:
    await asyncio.to_thread(rig.platform.crash_database)
    await asyncio.sleep(2.0)  # down for a while: requests fail, consumers retry


async def _start_database(rig: Rig, load: Load) -> None:
    await asyncio.to_thread(rig.platform.start_database)


async def _stop_tracking(rig: Rig, load: Load) -> None:
    await _mid_flight(rig, load, "untracked")
    rig.platform.pause("tracking")
    await asyncio.sleep(8.0)  # longer than the consumer's session timeout: the group moves on without it


async def _continue_tracking(rig: Rig, load: Load) -> None:
    rig.platform.resume("tracking")


FAULTS = [
    Fault("kill -9 goals mid-batch", _kill_goals_mid_batch, _restart("goals")),
    Fault("kill -9 tracking mid-batch", _kill_mid_batch("tracking", "untracked"), _restart("tracking")),
    Fault(
        "kill -9 notifications mid-batch", _kill_mid_batch("notifications", "undelivered"), _restart("notifications")
    ),
    Fault("broker restart (loses everything)", _restart_broker, _topic_back),
    Fault("PostgreSQL immediate stop, restart", _crash_database, _start_database),
    Fault("SIGSTOP, SIGCONT tracking", _stop_tracking, _continue_tracking),
]
