"""What a session has decided and not yet written: events, tree rows and due times, flushed in a few statements.

A session decides on state it read (and keeps in memory), so deciding costs no round trips; `flush`
then writes everything at once: one version check for every stream it appended to, one insert of all
events and their outbox records, one of the changed tree rows, one or two of the due times, and as
many for the metric bindings and snapshots (so a batch of new goals costs the same statements as one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_goals.adapters import event_store, goal_list, goal_metrics, nodes, schedule, snapshots, tree_versions
from goalstream_goals.adapters.event_store import ConcurrencyError
from goalstream_goals.adapters.goal_list import Listed
from goalstream_goals.adapters.nodes import Node
from goalstream_goals.domain.goal import Goal
from goalstream_runtime.db import Connection
from goalstream_runtime.telemetry import current_headers


@dataclass
class PendingWrites:
    envelopes: list[Envelope[Payload]] = field(default_factory=list)  # in decision order
    traces: list[dict[str, str]] = field(default_factory=list)  # each event's trace context, for the relay
    base_versions: dict[str, int] = field(default_factory=dict)  # stream -> the version it was decided on
    versions: dict[str, int] = field(default_factory=dict)  # stream -> its version with the pending events
    nodes: dict[str, Node] = field(default_factory=dict)
    due: dict[str, datetime | None] = field(default_factory=dict)
    metrics: dict[str, tuple[str | None, bool]] = field(default_factory=dict)  # goal -> (metric or None, active)
    snapshots: dict[str, Goal] = field(default_factory=dict)  # goal -> its state to snapshot
    listed: dict[str, Listed] = field(default_factory=dict)  # goal -> its changed `goal_list` row
    flushed_events: bool = False  # the organisation's lock is held and the relay notified
    tree_writes: list[tuple[int, list[Node]]] = field(default_factory=list)  # (tree version, rows), as flushed

    def add_events(self, envelopes: list[Envelope[Payload]], expected_version: int) -> None:
        """Queue one stream's new events, decided on the stream at `expected_version`."""
        if not envelopes:
            return
        stream_id = envelopes[0].stream_id
        have = self.versions.get(stream_id)
        if have is not None and have != expected_version:
            raise ConcurrencyError(stream_id, expected_version, have)
        self.base_versions.setdefault(stream_id, expected_version)
        self.versions[stream_id] = envelopes[-1].stream_version
        self.envelopes += envelopes
        self.traces += [current_headers()] * len(envelopes)

    def version(self, stream_id: str) -> int | None:
        """The stream's version counting the pending events; None when nothing is pending for it."""
        return self.versions.get(stream_id)

    async def flush(self, conn: Connection, org_id: str) -> None:
        if self.envelopes:
            await event_store.write(
                conn,
                org_id,
                self.envelopes,
                self.base_versions,
                self.traces,
                first_in_transaction=not self.flushed_events,
            )
            self.flushed_events = True
        if rows := list(self.nodes.values()):
            version = await tree_versions.bump(conn, org_id)
            await nodes.save_many(conn, org_id, rows, version)
            self.tree_writes.append((version, rows))
        await schedule.set_due_many(conn, org_id, self.due)
        await goal_metrics.bind_many(conn, org_id, self.metrics)
        await snapshots.write_many(conn, org_id, list(self.snapshots.values()))
        await goal_list.save_many(conn, org_id, list(self.listed.values()))
        self.envelopes, self.traces, self.nodes, self.due = [], [], {}, {}
        self.metrics, self.snapshots, self.listed = {}, {}, {}
        self.base_versions, self.versions = {}, {}
