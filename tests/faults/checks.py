"""After a fault: wait for the platform to drain, then count what was lost and what took effect twice.

The figures come from the services' own stores, read as an auditor would (the test may read every
schema; the services never read each other's):
- lost: acknowledged measurements the event store lacks, goal events tracking or notifications never
  applied, and alerts a standing subscription never received;
- duplicate effects: a measurement recorded twice, a read-model row that differs from a clean
  rebuild from the event store, a delivery with more than one successful attempt;
- duplicate deliveries: requests the receiver got again with a `webhook-id` it had already seen
  (at least once delivery: reported, not a failure).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from goalstream_goals.adapters.event_store import envelope_of
from goalstream_runtime.consumers import Rejected
from goalstream_runtime.db import Connection, connect
from goalstream_tracking.adapters import generations
from goalstream_tracking.adapters.projection import project

GOAL_EVENTS = (
    "SELECT * FROM goals.events WHERE stream_id NOT LIKE 'org-%' AND global_position > $1 ORDER BY global_position"
)
READ_MODELS = {
    "nodes": "SELECT goal_id, doc FROM {s}.nodes ORDER BY goal_id",
    "ladders": "SELECT ladder_id, doc FROM {s}.ladders ORDER BY ladder_id",
    "history": "SELECT goal_id, version, at, event_type, current, progress, status FROM {s}.history"
    " ORDER BY goal_id, version",
    "event_log": "SELECT event_id, stream_id, stream_version, event_type, occurred_at, payload FROM {s}.event_log"
    " ORDER BY event_id",
}


@dataclass
class Backlog:
    """What has not flowed through yet; all zero when the platform has drained."""

    unrecorded: int  # acknowledged measurements not in the event store
    unpublished: int  # outbox rows of goals and notifications not yet on the broker
    untracked: int  # goal events tracking has not applied
    unnotified: int  # goal events notifications has not fanned out
    undelivered: int  # deliveries still pending

    def drained(self) -> bool:
        return not any(vars(self).values())


async def backlog(conn: Connection, acknowledged: set[str]) -> Backlog:
    recorded = await _recorded(conn)
    live = await generations.live_name(conn)
    unseen = "SELECT count(*) FROM goals.events e WHERE stream_id NOT LIKE 'org-%' AND NOT EXISTS"
    return Backlog(
        unrecorded=len(acknowledged - recorded.keys()),
        unpublished=await conn.fetchval(
            "SELECT (SELECT count(*) FROM goals.outbox WHERE published_at IS NULL)"
            " + (SELECT count(*) FROM notifications.outbox WHERE published_at IS NULL)"
        ),
        untracked=await conn.fetchval(
            f'{unseen} (SELECT 1 FROM "{live}".processed_events p WHERE p.event_id = e.event_id)'
        ),
        unnotified=await conn.fetchval(
            f"{unseen} (SELECT 1 FROM notifications.processed_events p WHERE p.event_id = e.event_id)"
        ),
        undelivered=await conn.fetchval("SELECT count(*) FROM notifications.deliveries WHERE status = 'pending'"),
    )


async def drain(database_url: str, acknowledged: set[str], timeout: float) -> tuple[Backlog, float]:
    """Poll until drained or `timeout`; returns the last backlog and the seconds it took."""
    started = time.monotonic()
    while True:
        try:
            conn = await connect(database_url, "tracking")
            try:
                last = await backlog(conn, acknowledged)
            finally:
                await conn.close()
            if last.drained() or time.monotonic() - started > timeout:
                return last, time.monotonic() - started
        except OSError:
            if time.monotonic() - started > timeout:
                raise
        await asyncio.sleep(0.5)


async def _recorded(conn: Connection) -> Counter[str]:
    rows = await conn.fetch(
        "SELECT payload->>'measurement_id' AS id, count(*) AS n FROM goals.events"
        " WHERE event_type = 'MeasurementRecorded' GROUP BY 1"
    )
    return Counter({r["id"]: r["n"] for r in rows})


async def twice_recorded(conn: Connection) -> int:
    return sum(1 for n in (await _recorded(conn)).values() if n > 1)


@dataclass
class CleanRebuild:
    """A generation filled from the event store alone, in commit order; kept between audits and topped up."""

    generation: str = ""
    position: int = 0  # the last event store position projected into it

    async def differences(self, conn: Connection) -> list[str]:
        """Where the live read models differ from this rebuild, brought up to date first."""
        if not self.generation:
            async with conn.transaction():
                self.generation = await generations.create(conn, "building")
        for row in await conn.fetch(GOAL_EVENTS, self.position):
            try:
                async with conn.transaction():
                    await project(conn, self.generation, envelope_of(row))
            except Rejected:
                pass  # the live consumer dead-letters it too
            self.position = row["global_position"]
        live = await generations.live_name(conn)
        differences = [f"applied out of stream order: {n}"] if (n := await _out_of_order(conn, live)) else []
        for table, query in READ_MODELS.items():
            ours, theirs = await _rows(conn, query, live), await _rows(conn, query, self.generation)
            if ours != theirs:
                differences.append(f"{table}: {_first_difference(ours, theirs)}")
        return differences


async def _out_of_order(conn: Connection, schema: str | None) -> int:
    """Events tracking applied after a later event of the same stream (its event log is in arrival order)."""
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM (SELECT stream_version, lag(stream_version)"
            f' OVER (PARTITION BY stream_id ORDER BY seq) AS before FROM "{schema}".event_log) applied'
            " WHERE before > stream_version"
        )
    )


async def _rows(conn: Connection, query: str, schema: str | None) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(query.format(s=f'"{schema}"'))]


def _first_difference(live: list[dict[str, Any]], rebuilt: list[dict[str, Any]]) -> str:
    if len(live) != len(rebuilt):
        return f"{len(live)} live rows, {len(rebuilt)} rebuilt"
    live_row, rebuilt_row = next((a, b) for a, b in zip(live, rebuilt, strict=True) if a != b)
    return f"live {live_row} != rebuilt {rebuilt_row}"


async def deliveries_succeeding_twice(conn: Connection) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM (SELECT delivery_id FROM notifications.delivery_attempts"
            " WHERE status_code BETWEEN 200 AND 299 GROUP BY delivery_id HAVING count(*) > 1) twice"
        )
    )


async def alerts_missing(conn: Connection, standing: list[str], received: Counter[str]) -> int:
    """Each alert event for each standing subscription, without a delivered delivery the receiver got."""
    rows = await conn.fetch(
        "SELECT e.event_id, s.id AS subscription_id, d.id AS delivery_id, d.status FROM goals.events e"
        " CROSS JOIN unnest($1::uuid[]) AS s(id)"
        " LEFT JOIN notifications.deliveries d ON d.event_id = e.event_id AND d.subscription_id = s.id"
        " WHERE e.event_type IN ('AntiGoalBreached', 'AntiGoalRecovered')",
        standing,
    )
    return sum(1 for r in rows if r["status"] != "delivered" or received[str(r["delivery_id"])] == 0)


def duplicate_arrivals(received: Counter[str]) -> int:
    return sum(n - 1 for n in received.values() if n > 1)
