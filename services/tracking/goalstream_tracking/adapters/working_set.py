"""The nodes and ladders one batch of events touches, loaded once and evolved in memory, event by event.

Each event is checked against the in-memory version of its stream (so consecutive versions inside one
batch pass and a gap is refused), folded in, and leaves its event-log row, its history point and the
goals whose rollups it may change. `loaded` keeps what the database had, to write only what changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import GoalEvent, LadderEvent, MeasurementRecorded
from goalstream_runtime.consumers import Rejected
from goalstream_tracking.adapters import batch_store
from goalstream_tracking.domain.child import ChildRow
from goalstream_tracking.domain.ladder import LadderNode, evolve_ladder
from goalstream_tracking.domain.node import GoalNode, evolve_node
from goalstream_tracking.service_layer.committed import Recall

T = TypeVar("T")


@dataclass
class WorkingSet:
    loaded: dict[str, GoalNode] = field(default_factory=dict)  # as in the database (absent: not there)
    nodes: dict[str, GoalNode] = field(default_factory=dict)  # as evolved and rolled up so far
    absent: set[str] = field(default_factory=set)  # looked up, not in the database
    loaded_ladders: dict[str, LadderNode] = field(default_factory=dict)
    ladders: dict[str, LadderNode] = field(default_factory=dict)
    log_rows: list[tuple[Any, ...]] = field(default_factory=list)
    history_rows: list[tuple[Any, ...]] = field(default_factory=list)
    starts: dict[tuple[str, str], None] = field(default_factory=dict)  # (org, goal) whose rollups to redo, in order
    recall: Recall | None = None  # the committed state the consumer remembers, read before the database
    fetched: dict[str, list[ChildRow]] = field(default_factory=dict)  # rollup inputs read from the database

    def recalled(self, goal_ids: Iterable[str]) -> set[str]:
        """Take the goals memory holds as committed; the ids left to read from the database."""
        return _take(self.recall.nodes if self.recall else None, goal_ids, self.loaded, self.nodes)

    def recalled_ladders(self, ladder_ids: Iterable[str]) -> set[str]:
        return _take(self.recall.ladders if self.recall else None, ladder_ids, self.loaded_ladders, self.ladders)

    def add_loaded(self, found: list[GoalNode], asked: set[str] | None = None) -> None:
        """Nodes read from the database; in-memory versions win (a batch may have moved them since)."""
        for n in found:
            if n.goal_id not in self.loaded and n.goal_id not in self.nodes:
                self.loaded[n.goal_id] = self.nodes[n.goal_id] = n
        if asked is not None:
            self.absent |= asked - self.nodes.keys()

    def fold(self, envelope: Envelope[Payload], trace_id: str | None = None) -> None:
        """Apply one fresh event in memory (`trace_id`: its record's, for the event log); Rejected if it can never
        apply."""
        self._check_stream_order(envelope)
        event = envelope.payload
        if isinstance(event, GoalEvent):
            self._goal_event(envelope, event)
        elif isinstance(event, LadderEvent):
            try:
                new = evolve_ladder(self.ladders.get(event.ladder_id), event, envelope.occurred_at, envelope.org_id)
            except LookupError as exc:
                raise Rejected(str(exc)) from exc
            self.ladders[event.ladder_id] = new
        # Last: a refused event leaves nothing behind (the rebuild folds the whole log in one working set).
        self.log_rows.append(batch_store.log_row(envelope, trace_id))

    def _check_stream_order(self, envelope: Envelope[Payload]) -> None:
        """Refuse an event that is not the next of its stream, so no stream is ever folded out of order.

        It happens after a broker loss: the relay's first records to the new, empty log can land before
        it notices and republishes everything, older events included. The early copy goes to the DLQ
        (the reason says why) and the republished one applies in its place, in order.
        """
        event = envelope.payload
        if isinstance(event, GoalEvent):
            current: GoalNode | LadderNode | None = self.nodes.get(event.goal_id)
            what, subject = "goal", event.goal_id
        elif isinstance(event, LadderEvent):
            current, what, subject = self.ladders.get(event.ladder_id), "ladder", event.ladder_id
        else:
            return
        if current is not None and current.org_id != envelope.org_id:
            raise Rejected(f"{what} {subject} belongs to another organisation")
        applied = current.version if current is not None else 0
        if envelope.stream_version != applied + 1:
            seen = f"at version {applied}" if current is not None else "never seen set"
            raise Rejected(
                f"{envelope.event_type} is version {envelope.stream_version} of {what} {subject}, which this read"
                f" model has {seen}: an earlier event is missing (after a broker loss the relay republishes it)"
            )

    def _goal_event(self, envelope: Envelope[Payload], event: GoalEvent) -> None:
        old = self.nodes.get(event.goal_id)
        try:
            new = evolve_node(old, event, envelope.occurred_at, envelope.org_id)
        except LookupError as exc:
            raise Rejected(str(exc)) from exc
        self.nodes[event.goal_id] = new
        self.absent.discard(event.goal_id)
        if old is None or (new.current, new.own_progress, new.status) != (old.current, old.own_progress, old.status):
            at = event.observed_at if isinstance(event, MeasurementRecorded) else envelope.occurred_at
            self.history_rows.append(batch_store.history_row(new, at, envelope.event_type))
        # The goal, and where it hangs and counts its breaches, before and after: their rollups change.
        self.starts[(envelope.org_id, event.goal_id)] = None
        for n in (old, new):
            if n is not None:
                for s in (n.parent_id, n.breach_target):
                    if s is not None:
                        self.starts[(envelope.org_id, s)] = None

    def changed_nodes(self) -> list[GoalNode]:
        return [n for goal_id, n in self.nodes.items() if self.loaded.get(goal_id) != n]

    def changed_ladders(self) -> list[LadderNode]:
        return [lad for ladder_id, lad in self.ladders.items() if self.loaded_ladders.get(ladder_id) != lad]


def _take(memory: Mapping[str, T] | None, ids: Iterable[str], loaded: dict[str, T], live: dict[str, T]) -> set[str]:
    """Copy what memory holds of `ids` into `loaded` and `live` (a version `live` has already wins); the rest."""
    left: set[str] = set()
    for key in ids:
        found = memory.get(key) if memory is not None else None
        if found is None:
            left.add(key)
        elif key not in live:
            loaded[key] = live[key] = found
    return left
