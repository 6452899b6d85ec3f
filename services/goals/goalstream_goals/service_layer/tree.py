"""A session's view of the goal tree: the rows it read or changed, indexed by parent.

Rows are read in bulk, and a parent's children are read once per session (`load_children`); from
then on the session's own changes (a new goal, a re-parented one, new numbers) are the truth, so a
rollup sees its children's numbers as decided, before anything is written. `load_up` reads, in one
query, everything rolling some goals' changes up needs: their ancestors, the children of each, depths.
With the process's `TreeMemory`, the organisation's committed rows are all there already (`_base`), and the
session's own rows lie over them: nothing is read but the version the memory is checked against.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from goalstream_goals.adapters import nodes
from goalstream_goals.adapters.nodes import Node
from goalstream_goals.service_layer.pending import PendingWrites
from goalstream_goals.service_layer.tree_memory import OrgTree, TreeMemory
from goalstream_rules.rollup import Child
from goalstream_runtime.db import Connection


@dataclass
class TreeView:
    conn: Connection
    org_id: str
    memory: TreeMemory | None = None
    pending: PendingWrites | None = None  # what the session wrote: once it wrote rows, memory is not for it
    _rows: dict[str, Node | None] = field(default_factory=dict)  # None: the goal has no row
    _kids: dict[str, set[str]] = field(default_factory=dict)  # parent id -> ids of rows naming it
    _complete: set[str] = field(default_factory=set)  # parents whose every child row is in _rows
    _depths: dict[str, int] = field(default_factory=dict)
    _base: OrgTree | None = None  # the organisation's committed rows, under the session's own
    _asked: bool = False

    async def _whole(self) -> OrgTree | None:
        """The committed rows from memory, decided at the session's first read of the tree."""
        if not self._asked:
            self._asked = True
            if self.memory is not None and not (self.pending is not None and self.pending.tree_writes):
                self._base = await self.memory.tree(self.conn, self.org_id)
        return self._base

    def _row(self, goal_id: str) -> Node | None:
        if goal_id in self._rows or self._base is None:
            return self._rows.get(goal_id)
        return self._base.rows.get(goal_id)

    async def get(self, goal_id: str) -> Node | None:
        if goal_id not in self._rows and await self._whole() is None:
            await self.load([goal_id])
        return self._row(goal_id)

    async def load(self, goal_ids: Collection[str]) -> None:
        missing = [g for g in goal_ids if g not in self._rows]
        if not missing or await self._whole() is not None:
            return
        found = await nodes.get_many(self.conn, self.org_id, missing)
        for goal_id in missing:
            self._rows[goal_id] = None
            if goal_id in found:
                self.put(found[goal_id])

    async def load_children(self, parent_ids: Collection[str]) -> None:
        wanted = [p for p in parent_ids if p not in self._complete]
        if not wanted or await self._whole() is not None:
            return
        for row in await nodes.children_of(self.conn, self.org_id, wanted):
            if self._rows.get(row.goal_id) is None:  # a row this session changed stays as changed
                self.put(row)
        self._complete.update(wanted)

    async def load_up(self, goal_ids: Collection[str]) -> list[str]:
        """Read the goals' lineage (`nodes.lineage`) unless walked already; returns the ancestors newly read."""
        wanted = [g for g in goal_ids if g not in self._depths]
        if not wanted:
            return []
        if await self._whole() is not None:
            return self._walk(wanted)
        up, children = await nodes.lineage(self.conn, self.org_id, wanted)
        for row in up + children:
            if self._rows.get(row.goal_id) is None:  # a row this session changed stays as changed
                self.put(row)
        for goal_id in wanted:
            self._rows.setdefault(goal_id, None)
        stored_parent = {r.goal_id: r.parent_id for r in up}  # depths count stored ancestors, as `nodes.depths`
        self._complete.update(stored_parent)
        for goal_id in [*wanted, *stored_parent]:
            self._depths.setdefault(goal_id, _depth(goal_id, stored_parent))
        return [g for g in stored_parent if g not in wanted]

    def put(self, row: Node) -> None:
        old = self._rows.get(row.goal_id)
        if old is not None and old.parent_id is not None:
            self._kids.get(old.parent_id, set()).discard(row.goal_id)
        if row.parent_id is not None:
            self._kids.setdefault(row.parent_id, set()).add(row.goal_id)
        self._rows[row.goal_id] = row

    def children(self, parent_id: str) -> list[Child]:
        """The active hard children as the rollup sees them (call `load_children` first), by id."""
        assert self._base is not None or parent_id in self._complete, f"children of {parent_id} not loaded"
        ids = self._kids.get(parent_id, set()) | (self._base.kids.get(parent_id, set()) if self._base else set())
        rows = [self._row(g) for g in sorted(ids)]
        return [r.as_child() for r in rows if r and r.parent_id == parent_id and r.active and r.kind == "hard"]

    async def depths(self, goal_ids: Collection[str]) -> dict[str, int]:
        """How many ancestors each goal has (as stored: deepest first is an order, not a promise)."""
        unknown = [g for g in goal_ids if g not in self._depths]
        if unknown and await self._whole() is not None:
            self._walk(unknown)
        elif unknown:
            self._depths |= await nodes.depths(self.conn, self.org_id, unknown)
        return {g: self._depths[g] for g in goal_ids}

    def _walk(self, goal_ids: Collection[str]) -> list[str]:
        """Depths from the rows in memory (the session's over the committed); the ancestors walked, new ones."""
        walked: dict[str, None] = {}
        for goal_id in goal_ids:
            chain, row = [goal_id], self._row(goal_id)
            while row is not None and row.parent_id is not None and row.parent_id not in chain:
                row = self._row(row.parent_id)
                if row is None:
                    break
                chain.append(row.goal_id)
            for k, g in enumerate(chain):
                self._depths.setdefault(g, len(chain) - 1 - k)
            walked |= dict.fromkeys(g for g in chain[1:] if g not in goal_ids)
        return list(walked)


def _depth(goal_id: str, parent_of: dict[str, str | None]) -> int:
    """How many of the goal's ancestors are among the rows (a repeated id ends the walk)."""
    seen = {goal_id}
    parent = parent_of.get(goal_id)
    while parent is not None and parent in parent_of and parent not in seen:
        seen.add(parent)
        parent = parent_of[parent]
    return len(seen) - 1
