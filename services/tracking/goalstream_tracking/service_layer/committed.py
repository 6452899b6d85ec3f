"""What tracking's consumer keeps in memory between batches: the nodes, ladders and rollup inputs it last
committed, per partition of the events topic (all of an organisation's events sit on one partition).

Memory never runs ahead of the database. It changes only after a batch's transaction committed, and a
partition's memory serves only the batch that starts at the offset after the last one it committed. After a gap
(a rebalance moved the partition away and back, a redelivery, a record refused on its own) or a failed
transaction the partition starts empty and fills again from the database as batches read it.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field

from goalstream_runtime.consumer_batch import OwnedBatch, TopicPartition
from goalstream_tracking.domain.child import ChildRow, child_row
from goalstream_tracking.domain.ladder import LadderNode
from goalstream_tracking.domain.node import GoalNode


@dataclass
class PartitionMemory:
    next_offset: int  # the first offset of the batch this memory may serve
    nodes: dict[str, GoalNode] = field(default_factory=dict)
    ladders: dict[str, LadderNode] = field(default_factory=dict)
    # goal id -> every row its rollup reads: its in-organisation children and the anti-goals counting on it
    peers: dict[str, dict[str, ChildRow]] = field(default_factory=dict)
    peer_rows: int = 0  # all the rows in `peers`, counted as they come and go (a recount per batch showed up)

    def rows(self) -> int:
        return len(self.nodes) + len(self.ladders) + self.peer_rows


@dataclass(frozen=True)
class Recall:
    """The committed state a batch may read instead of the database: the memories of its partitions together
    (their organisations never overlap), and the partition each organisation's events came from."""

    nodes: ChainMap[str, GoalNode]
    ladders: ChainMap[str, LadderNode]
    peers: ChainMap[str, dict[str, ChildRow]]
    homes: dict[str, PartitionMemory]  # organisation -> the memory its rows go to

    def remember(
        self,
        loaded: Mapping[str, GoalNode],
        nodes: Mapping[str, GoalNode],
        ladders: Mapping[str, LadderNode],
        fetched: Mapping[str, list[ChildRow]],
    ) -> None:
        """After the commit: the batch's nodes and ladders as they are now, and the rows of the rollups it read
        from the database (`fetched`, as they were before it) brought up to date by the nodes it changed."""
        for goal_id, rows in fetched.items():
            if home := self.homes.get(nodes[goal_id].org_id):
                fresh = {r.goal_id: r for r in rows}
                home.peer_rows += len(fresh) - len(home.peers.get(goal_id, {}))
                home.peers[goal_id] = fresh
        for goal_id, node in nodes.items():
            home = self.homes.get(node.org_id)
            if home is None:
                continue
            home.nodes[goal_id] = node
            old = loaded.get(goal_id)
            if old is node:
                continue
            for key in peer_keys(old) - peer_keys(node):
                if home.peers.get(key, {}).pop(goal_id, None) is not None:
                    home.peer_rows -= 1
            row = child_row(node)
            for key in peer_keys(node):
                if (peers := home.peers.get(key)) is not None:
                    home.peer_rows += goal_id not in peers
                    peers[goal_id] = row
        for ladder_id, ladder in ladders.items():
            if home := self.homes.get(ladder.org_id):
                home.ladders[ladder_id] = ladder


class CommittedMemory:
    """Per partition, what the last committed batch left; at most `max_rows` rows in all partitions together."""

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self.schema: str | None = None  # the read-model generation the memory holds rows of
        self.partitions: dict[TopicPartition, PartitionMemory] = {}

    def recall(self, schema: str, batch: OwnedBatch) -> Recall:
        """The memory that follows on from this batch's partitions; a partition after a gap starts empty."""
        if schema != self.schema:  # a rebuild switched generations: nothing remembered is of the new one
            self.schema, self.partitions = schema, {}
        for at, (first, _) in batch.offsets.items():
            memory = self.partitions.get(at)
            if memory is None or memory.next_offset != first:
                self.partitions[at] = PartitionMemory(first)
        mine = [self.partitions[at] for at in batch.offsets]
        homes = {e.org_id: self.partitions[at] for e, at in zip(batch.envelopes, batch.partitions, strict=True)}
        return Recall(
            ChainMap(*(m.nodes for m in mine)),
            ChainMap(*(m.ladders for m in mine)),
            ChainMap(*(m.peers for m in mine)),
            homes,
        )

    def forget(self, batch: OwnedBatch) -> None:
        """The batch's transaction failed (or may have: a lost connection at COMMIT): its partitions start over."""
        for at in batch.offsets:
            self.partitions.pop(at, None)

    def committed(self, batch: OwnedBatch) -> None:
        """The batch committed: its partitions' memories serve the batches starting after its last offsets. While
        all partitions together hold more than `max_rows`, the largest is emptied (it fills again from the
        database as batches read it)."""
        for at, (_, last) in batch.offsets.items():
            self.partitions[at].next_offset = last + 1
        sizes = {at: memory.rows() for at, memory in self.partitions.items()}
        while sizes and sum(sizes.values()) > self.max_rows:
            largest = max(sizes, key=lambda at: sizes[at])
            self.partitions[largest] = PartitionMemory(self.partitions[largest].next_offset)
            del sizes[largest]


def peer_keys(node: GoalNode | ChildRow | None) -> set[str]:
    """The goals whose rollups read this one: its parent, and for an anti-goal the goal its breach counts on."""
    if node is None:
        return set()
    keys = {node.parent_id, node.breach_target if node.kind == "anti" else None}
    return {k for k in keys if k is not None}
