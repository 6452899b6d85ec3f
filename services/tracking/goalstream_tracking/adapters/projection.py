"""The goal-progress projection: folds goal events into `goal_progress`, one transaction per event.

It runs inside `runtime.consumers.apply_once`, so the row change and the event's processed
marker commit together. Each update also requires a newer stream version than the row has, so
an older event replayed out of order cannot overwrite newer numbers.
"""

from __future__ import annotations

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import (
    GoalAchieved,
    GoalArchived,
    GoalSet,
    GoalStatusChanged,
    MeasurementRecorded,
)
from goalstream_runtime.db import Connection

_NEWER = "WHERE goal_id = $1 AND stream_version < $2"


async def apply_goal_event(conn: Connection, envelope: Envelope[Payload]) -> None:
    event, version, at = envelope.payload, envelope.stream_version, envelope.occurred_at
    if isinstance(event, GoalSet):
        await conn.execute(
            "INSERT INTO goal_progress (goal_id, org_id, kind, title, parent_id, weight, level, metric_key, unit,"
            " baseline, target, start_at, deadline, stream_version, event_time)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) ON CONFLICT (goal_id) DO NOTHING",
            event.goal_id,
            envelope.org_id,
            event.kind,
            event.title,
            event.parent_id,
            event.weight,
            event.level,
            event.metric.key if event.metric else None,
            event.unit,
            event.baseline or 0.0,
            event.target,
            event.start_at,
            event.deadline,
            version,
            at,
        )
    elif isinstance(event, MeasurementRecorded):
        if not event.counted:
            await _touch(conn, event.goal_id, version, envelope)
            return
        source = {
            "kind": "check_in" if event.comment is not None or event.confidence is not None else "measurement",
            "measurement_id": event.measurement_id,
            "source": event.source,
            "observed_at": event.observed_at.isoformat(),
            "value": event.value,
        }
        await conn.execute(
            "UPDATE goal_progress SET current_value = $3, progress = $4, source = $5, stream_version = $2,"
            f" event_time = $6, updated_at = now() {_NEWER}",
            event.goal_id,
            version,
            event.current_value,
            event.progress,
            source,
            at,
        )
    elif isinstance(event, GoalStatusChanged):
        await conn.execute(
            "UPDATE goal_progress SET status = $3, expected_progress = coalesce($4, expected_progress),"
            f" stream_version = $2, event_time = $5, updated_at = now() {_NEWER}",
            event.goal_id,
            version,
            event.status,
            event.expected_progress,
            at,
        )
    elif isinstance(event, GoalAchieved):
        await conn.execute(
            "UPDATE goal_progress SET achieved = true, status = 'achieved', stream_version = $2, event_time = $3,"
            f" updated_at = now() {_NEWER}",
            event.goal_id,
            version,
            at,
        )
    elif isinstance(event, GoalArchived):
        await conn.execute(
            f"UPDATE goal_progress SET archived = true, stream_version = $2, event_time = $3 {_NEWER}",
            event.goal_id,
            version,
            at,
        )


async def _touch(conn: Connection, goal_id: str, version: int, envelope: Envelope[Payload]) -> None:
    await conn.execute(
        f"UPDATE goal_progress SET stream_version = $2, event_time = $3 {_NEWER}",
        goal_id,
        version,
        envelope.occurred_at,
    )
