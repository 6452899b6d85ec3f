"""A goal batch's references: which item is each item's parent, and an order that creates parents first.

Pure and checked before anything is read: a `ref` used twice, a `parent_ref` no item has, an item that
names both an existing parent (`parent_id`) and one of the batch (`parent_ref`), or references that
go round in a cycle refuse the batch, naming the item and its field (`goals.3.parent_ref`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from goalstream_goals.domain.errors import DomainError


@dataclass(frozen=True)
class BatchItem:
    fields: dict[str, Any]  # what `POST /v1/goals` takes
    ref: str | None = None  # the client's name for it, unique in the batch
    parent_ref: str | None = None  # the `ref` of its parent in the batch


@dataclass(frozen=True)
class BatchPlan:
    parents: dict[int, int]  # item index -> the index of its parent in the batch
    order: list[int]  # every index after its parent's, otherwise in input order


def plan(items: list[BatchItem]) -> BatchPlan:
    by_ref: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.ref is not None:
            if item.ref in by_ref:
                message = f"ref {item.ref!r} is already the ref of goals.{by_ref[item.ref]}: refs are unique"
                raise DomainError(message, f"goals.{i}.ref", "duplicate_ref")
            by_ref[item.ref] = i
    parents: dict[int, int] = {}
    for i, item in enumerate(items):
        if item.parent_ref is None:
            continue
        if item.fields.get("parent_id") is not None:
            message = "give parent_id (an existing goal) or parent_ref (a goal of this batch), not both"
            raise DomainError(message, f"goals.{i}.parent_ref")
        if item.parent_ref not in by_ref:
            message = f"no goal of this batch has the ref {item.parent_ref!r}"
            raise DomainError(message, f"goals.{i}.parent_ref", "unknown_ref")
        parents[i] = by_ref[item.parent_ref]
    return BatchPlan(parents, _order(parents, len(items)))


def _order(parents: dict[int, int], count: int) -> list[int]:
    """Each item's chain of parents not placed yet, placed top first; a chain that meets itself is a cycle."""
    order: list[int] = []
    placed: set[int] = set()
    for start in range(count):
        chain: list[int] = []
        i: int | None = start
        while i is not None and i not in placed:
            if i in chain:
                cycle = sorted(chain[chain.index(i) :])
                names = ", ".join(f"goals.{c}" for c in cycle)
                raise DomainError(f"parent_ref goes round in a cycle: {names}", f"goals.{cycle[0]}.parent_ref", "cycle")
            chain.append(i)
            i = parents.get(i)
        placed.update(chain)
        order += reversed(chain)
    return order
