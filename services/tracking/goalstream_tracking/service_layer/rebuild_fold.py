"""The whole goal events log folded in memory, as the live projection would have applied it, one record at a time.

Per record the live consumer's outcomes, in the same order of checks: a record that is not our contract is
refused at decoding (the caller), a repeat of an applied event changes nothing, an event the projection refuses
(`Rejected`: out of order, never set, another organisation's goal) changes nothing and is refused, and any other
is applied. Applying is the live projection's own `WorkingSet.fold` over a working set that spans the whole
log, so there is no second copy of a rule. Rollups, which depend only on the final nodes, are worked out once at
the end (`roll_up_all`, per organisation) instead of after every batch. The event log, history and processed
markers are append-only: `drain` hands them over as they come, so they are written while the fold goes on.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_tracking.adapters.working_set import WorkingSet
from goalstream_tracking.domain.ladder import LadderNode
from goalstream_tracking.domain.node import GoalNode
from goalstream_tracking.domain.rollup import roll_up_all


class Drained(NamedTuple):
    """What the fold produced since the last drain, in arrival order."""

    log_rows: list[tuple[Any, ...]]
    history_rows: list[tuple[Any, ...]]
    processed: list[uuid.UUID]


@dataclass
class LogFold:
    ws: WorkingSet = field(default_factory=WorkingSet)
    # Every applied event's id, as an int (a third of a UUID object's memory): repeats are found here.
    seen: set[int] = field(default_factory=set)
    processed: list[uuid.UUID] = field(default_factory=list)
    applied: int = 0
    repeats: int = 0

    def apply(self, envelope: Envelope[Payload], trace_id: str | None = None) -> bool:
        """Fold one decoded event; False for a repeat. Raises Rejected, leaving everything as it was."""
        key = envelope.event_id.int
        if key in self.seen:
            self.repeats += 1
            return False
        self.ws.fold(envelope, trace_id)  # atomic: a refused event leaves no row, node or ladder behind
        self.seen.add(key)
        self.processed.append(envelope.event_id)
        self.applied += 1
        return True

    def drain(self) -> Drained:
        ws = self.ws
        out = Drained(ws.log_rows, ws.history_rows, self.processed)
        ws.log_rows, ws.history_rows, self.processed = [], [], []
        ws.starts.clear()  # the live projection's per-batch rollup starts: this fold rolls everything up at the end
        return out

    def finish(self) -> tuple[list[GoalNode], list[LadderNode]]:
        """Every node rolled up from its organisation's final tree, and every ladder."""
        by_org: dict[str, dict[str, GoalNode]] = defaultdict(dict)
        for n in self.ws.nodes.values():
            by_org[n.org_id][n.goal_id] = n
        nodes = [n for org in by_org.values() for n in roll_up_all(org).values()]
        return nodes, list(self.ws.ladders.values())
