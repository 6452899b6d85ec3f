"""The consumer's memory of what it committed, per partition: which batch it may serve, and when it starts over."""

from __future__ import annotations

from goalstream_runtime.consumer_batch import OwnedBatch
from goalstream_tracking.service_layer.committed import CommittedMemory

P0, P1 = ("events", 0), ("events", 1)


def covering(**offsets: tuple[int, int]) -> OwnedBatch:
    return OwnedBatch([], [], {("events", int(k[1:])): v for k, v in offsets.items()})


def test_a_partition_is_remembered_only_for_the_batch_after_its_last_commit() -> None:
    memory = CommittedMemory(max_rows=10)
    first = memory.recall("g1", covering(p0=(0, 9), p1=(5, 5)))
    memory.partitions[P0].nodes["x"] = memory.partitions[P1].nodes["y"] = object()  # type: ignore[assignment]
    memory.committed(covering(p0=(0, 9), p1=(5, 5)))
    assert (memory.partitions[P0].next_offset, memory.partitions[P1].next_offset) == (10, 6)
    assert set(first.nodes) == {"x", "y"}
    after = memory.recall("g1", covering(p0=(10, 12), p1=(9, 9)))  # p1 jumped: another consumer committed 6..8
    assert set(after.nodes) == {"x"}
    memory.forget(covering(p0=(10, 12)))  # its transaction failed: p0 starts over too
    assert P0 not in memory.partitions and memory.recall("g1", covering(p0=(10, 12))).nodes == {}


def test_a_new_generation_or_a_memory_past_its_bound_starts_empty() -> None:
    memory = CommittedMemory(max_rows=2)
    memory.recall("g1", covering(p0=(0, 0)))
    memory.partitions[P0].nodes |= {"a": object(), "b": object()}  # type: ignore[dict-item]
    memory.committed(covering(p0=(0, 0)))
    assert set(memory.recall("g1", covering(p0=(1, 1))).nodes) == {"a", "b"}
    memory.partitions[P0].nodes["c"] = object()  # type: ignore[assignment]
    memory.committed(covering(p0=(1, 1)))
    assert memory.partitions[P0].next_offset == 2 and memory.partitions[P0].rows() == 0
    memory.partitions[P0].nodes["d"] = object()  # type: ignore[assignment]
    assert memory.recall("g2", covering(p0=(2, 2))).nodes == {}


def test_the_bound_counts_every_partition_and_empties_the_largest_first() -> None:
    memory = CommittedMemory(max_rows=4)
    memory.recall("g1", covering(p0=(0, 0), p1=(0, 0)))
    memory.partitions[P0].nodes |= {"a": object(), "b": object(), "c": object()}  # type: ignore[dict-item]
    memory.partitions[P1].nodes |= {"x": object()}  # type: ignore[dict-item]
    memory.committed(covering(p0=(0, 0), p1=(0, 0)))  # 4 in all: kept
    assert (memory.partitions[P0].rows(), memory.partitions[P1].rows()) == (3, 1)
    memory.recall("g1", covering(p1=(1, 1)))
    memory.partitions[P1].nodes["y"] = object()  # type: ignore[assignment]
    memory.committed(covering(p1=(1, 1)))  # 5 in all: the largest (p0) goes, though p1 committed
    assert (memory.partitions[P0].rows(), memory.partitions[P1].rows()) == (0, 2)
    assert memory.partitions[P0].next_offset == 1  # still serves the batch after its last commit
