"""The scheduler and a request on the same organisation take their locks in one order, so neither deadlocks.

A request takes the organisation's append lock, then writes its goals' schedule rows. A scheduler that held a
due goal's row while it waited for that lock deadlocked with it: PostgreSQL aborted one of the two, and a
request answered 500 (found by the parity test).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg

from goalstream_goals.adapters import schedule
from goalstream_goals.adapters.event_store import lock_organisation
from tests.integration.goals.conftest import START, Goals
from tests.support.polling import eventually


async def test_a_request_writing_a_due_goal_while_the_scheduler_claims_it_deadlocks_neither(
    pool: asyncpg.Pool, goals: Goals
) -> None:
    async with pool.acquire() as conn:
        await schedule.set_due(conn, goals.org_id, "due-goal", START)
    async with pool.acquire() as request, pool.acquire() as scheduler:
        async with request.transaction():
            await lock_organisation(request, goals.org_id)  # as a request's first write does

            async def scheduler_pass() -> tuple[str, str] | None:
                async with scheduler.transaction():
                    claimed = await schedule.claim_due(scheduler, START)
                    await lock_organisation(scheduler, goals.org_id)  # as its events' write does
                    return claimed

            claiming = asyncio.create_task(scheduler_pass())

            async def scheduler_waits() -> bool:
                waiting: int = await request.fetchval(
                    "SELECT count(*) FROM pg_locks WHERE pid = $1 AND NOT granted", scheduler.get_server_pid()
                )
                return waiting > 0

            await eventually(scheduler_waits, 10, "the scheduler waiting for a lock the request holds")
            # The request goes on to write the goal's schedule row: it must not wait for the scheduler.
            await asyncio.wait_for(schedule.set_due(request, goals.org_id, "due-goal", START + timedelta(days=1)), 10)
        assert await asyncio.wait_for(claiming, 10) is None  # no longer due once the request committed


async def test_a_busy_organisation_does_not_stall_the_scheduler_for_the_others(
    pool: asyncpg.Pool, goals: Goals
) -> None:
    async with pool.acquire() as conn:
        await schedule.set_due(conn, goals.org_id, "busy-goal", START - timedelta(hours=1))  # the first due
        await schedule.set_due(conn, "other-org", "free-goal", START)
    async with pool.acquire() as request, pool.acquire() as scheduler, request.transaction():
        await lock_organisation(request, goals.org_id)  # a long batch of the first goal's organisation
        async with scheduler.transaction():
            claimed = await asyncio.wait_for(schedule.claim_due(scheduler, START), 10)
    assert claimed == ("other-org", "free-goal")
