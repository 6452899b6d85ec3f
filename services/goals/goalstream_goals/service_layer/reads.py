"""What a session reads, in bulk and once: goals and ladders (`Loader`) and tree rows (`TreeView`).

A mixin of `Session`, so its callers ask the session (`s.goal(...)`, `s.prepare(...)`) as before.
"""

from __future__ import annotations

from collections.abc import Iterable

from goalstream_goals.domain.goal import Goal
from goalstream_goals.domain.ladder import Ladder
from goalstream_goals.service_layer.loader import Loader
from goalstream_goals.service_layer.tree import TreeView


class SessionReads:
    loader: Loader
    tree: TreeView

    async def find_goal(self, goal_id: str) -> Goal | None:
        return await self.loader.find_goal(goal_id)

    async def goal(self, goal_id: str) -> Goal:
        """The goal; NotFound when the organisation has no such goal."""
        return await self.loader.goal(goal_id)

    async def load_goals(self, goal_ids: Iterable[str]) -> None:
        await self.loader.load_goals(goal_ids)

    async def prepare(self, goal_ids: list[str]) -> None:
        """Read, in a few queries, what deciding on these goals needs: their states and tree rows."""
        await self.loader.load_goals(goal_ids)
        await self.tree.load(goal_ids)

    async def prepare_up(self, goal_ids: list[str]) -> None:
        """`prepare`, and for rolling their changes up: their ancestors' states and rows and those rows' children."""
        walked = await self.tree.load_up(goal_ids)
        await self.loader.load_goals([*goal_ids, *walked])

    def known(self, goal_id: str) -> Goal | None:
        """The goal as this session last loaded or decided it, without reading (None: not loaded)."""
        return self.loader.known(goal_id)

    async def ladder(self, ladder_id: str) -> Ladder:
        return await self.loader.ladder(ladder_id)

    def remember_ladder(self, ladder: Ladder) -> None:
        """A ladder set in this session (its events not written yet), for a rung achieved in it to climb."""
        self.loader.put_ladder(ladder)

    def committed(self) -> None:
        """The transaction committed: what the session loaded and decided is now the stored state."""
        self.loader.committed()
        if self.tree.memory is not None and self.tree.pending is not None:
            self.tree.memory.committed(self.tree.org_id, self.tree.pending.tree_writes)
