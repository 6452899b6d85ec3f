"""Fan-out: one goal event becomes one pending delivery per subscription that wants it.

This is the projection `apply` of `goalstream_runtime.consumers.subscribe`: it runs inside the
transaction that also records the event as processed, so a redelivered event changes nothing,
and the UNIQUE (subscription, event) constraint keeps one delivery per pair even if it did.
The body is rendered here, once per channel (the webhook JSON, the Slack message, the email's
subject and parts), and every attempt sends what was stored.
"""

from __future__ import annotations

import random
from collections import defaultdict

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import GoalRevised, GoalSet
from goalstream_contracts.topics import GOAL_EVENTS
from goalstream_notifications.adapters import deliveries, goal_tree
from goalstream_notifications.adapters.batch_filters import BatchFilters
from goalstream_notifications.domain.message import webhook_body
from goalstream_notifications.domain.render import GoalInfo, describe, email_message, slack_body, title_of
from goalstream_notifications.domain.retry import RetrySchedule
from goalstream_notifications.domain.subscription import Channel, event_goal_id, event_severity, matches
from goalstream_runtime.consumers import Rejected
from goalstream_runtime.db import Connection
from goalstream_runtime.telemetry import current_headers


class FanOut:
    def __init__(
        self, schedule: RetrySchedule, rng: random.Random | None = None, *, public_base_url: str | None = None
    ) -> None:
        self.schedule = schedule
        self.rng = rng or random.Random()
        self.public_base_url = public_base_url  # Slack and email alerts link below it
        self._filters = BatchFilters()

    async def __call__(self, conn: Connection, envelope: Envelope[Payload]) -> None:
        payload = envelope.payload
        if payload.topic != GOAL_EVENTS:
            raise Rejected(f"{envelope.event_type} does not belong on {GOAL_EVENTS}")
        # The tree first: a GoalSet under a watched root already matches that root's subscription.
        await _track_parent(conn, envelope.org_id, payload)
        candidates = await self._filters.enabled(conn, envelope.org_id)
        if not candidates:
            return
        goal_id = event_goal_id(payload)
        lineage: set[str] = set()
        if goal_id is not None and any(c.root_goal_id for c in candidates):
            lineage = await goal_tree.lineage(conn, envelope.org_id, goal_id)
        severity = event_severity(payload)
        wanted: dict[Channel, list[str]] = defaultdict(list)
        for c in candidates:
            if matches(c, envelope.event_type, severity, lineage):
                wanted[c.channel].append(c.subscription_id)
        if not wanted:
            return
        goal = None
        if goal_id is not None:  # every channel names the goal by its title (a webhook's `title`)
            goal = await goal_tree.info(conn, envelope.org_id, goal_id)
        first_wait = self.schedule.wait_before(0, self.rng) or 0.0
        trace_context = current_headers()  # the worker's send continues this trace
        for channel, subscription_ids in sorted(wanted.items()):
            await deliveries.insert_pending(
                conn,
                org_id=envelope.org_id,
                subscription_ids=subscription_ids,
                event_id=envelope.event_id,
                event_type=envelope.event_type,
                correlation_id=envelope.correlation_id,
                body=self._render(channel, envelope, goal),
                first_wait=first_wait,
                trace_context=trace_context,
            )

    def _render(self, channel: Channel, envelope: Envelope[Payload], goal: GoalInfo | None) -> bytes:
        if channel == "webhook":
            return webhook_body(envelope, title_of(envelope.payload, goal))
        alert = describe(envelope, goal, self.public_base_url)
        return slack_body(alert) if channel == "slack" else email_message(alert).to_json()


async def _track_parent(conn: Connection, org_id: str, payload: Payload) -> None:
    if isinstance(payload, GoalSet):
        await goal_tree.record_goal(conn, org_id, payload.goal_id, payload.parent_id, payload.title, payload.unit)
    elif isinstance(payload, GoalRevised):
        if "parent_id" in payload.changed:
            # A revision lists what it changed; a None parent among the changes means "detached".
            await goal_tree.record_parent(conn, org_id, payload.goal_id, payload.parent_id)
        if "title" in payload.changed or "unit" in payload.changed:
            await goal_tree.revise_label(
                conn,
                org_id,
                payload.goal_id,
                title=("title" in payload.changed and payload.title is not None, payload.title),
                unit=("unit" in payload.changed, payload.unit),
            )
