"""The read-model port the queries use, live (the live generation's tables) or as of a past time.

`as_of` folds the organisation's logged events up to that time with the same pure functions the
live projection uses, so both answer alike; a test holds them to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from goalstream_contracts.events import GoalEvent, LadderEvent
from goalstream_runtime.db import Connection
from goalstream_tracking.adapters import store
from goalstream_tracking.domain.ladder import LadderNode, evolve_ladder
from goalstream_tracking.domain.node import GoalNode, evolve_node
from goalstream_tracking.domain.observed import observed
from goalstream_tracking.domain.rollup import roll_up_all

Filter = Callable[[GoalNode], bool]
AsOfMode = Literal["recorded", "observed"]


class ReadModel(Protocol):
    async def node(self, goal_id: str) -> GoalNode | None: ...
    async def nodes_of(self, goal_ids: list[str]) -> list[GoalNode]: ...
    async def subtree(self, root_id: str, max_depth: int) -> list[GoalNode]: ...
    async def page(
        self, sql: str, keep: Filter, args: tuple[object, ...], after: str, limit: int
    ) -> list[GoalNode]: ...
    async def ladder(self, ladder_id: str) -> LadderNode | None: ...
    async def ladders_page(self, after: str, limit: int) -> list[LadderNode]: ...


@dataclass
class LiveReadModel:
    conn: Connection
    schema: str
    org_id: str

    async def node(self, goal_id: str) -> GoalNode | None:
        found = await store.node(self.conn, self.schema, goal_id)
        return found if found is not None and found.org_id == self.org_id else None

    async def nodes_of(self, goal_ids: list[str]) -> list[GoalNode]:
        return await store.nodes_by_id(self.conn, self.schema, self.org_id, goal_ids)

    async def subtree(self, root_id: str, max_depth: int) -> list[GoalNode]:
        rows = await self.conn.fetch(
            f'WITH RECURSIVE down(goal_id, depth) AS (SELECT goal_id, 0 FROM "{self.schema}".nodes'
            " WHERE goal_id = $1 AND org_id = $2 UNION ALL SELECT n.goal_id, down.depth + 1"
            f' FROM "{self.schema}".nodes n JOIN down ON n.parent_id = down.goal_id'
            " WHERE n.org_id = $2 AND n.in_tree AND down.depth < $3)"
            f' SELECT n.doc::text AS doc FROM down JOIN "{self.schema}".nodes n USING (goal_id)'
            " ORDER BY down.depth, goal_id",
            root_id,
            self.org_id,
            max_depth,
        )
        return [store.node_from_json(r["doc"]) for r in rows]  # text: parsed once, not via json.loads too

    async def page(self, sql: str, keep: Filter, args: tuple[object, ...], after: str, limit: int) -> list[GoalNode]:
        return await store.nodes_where(self.conn, self.schema, self.org_id, sql, *args, after=after, limit=limit)

    async def ladder(self, ladder_id: str) -> LadderNode | None:
        found = await store.ladder(self.conn, self.schema, ladder_id)
        return found if found is not None and found.org_id == self.org_id else None

    async def ladders_page(self, after: str, limit: int) -> list[LadderNode]:
        return await store.ladders_page(self.conn, self.schema, self.org_id, after, limit)


@dataclass
class MemoryReadModel:
    """Nodes and ladders held in memory: an `as_of` answer, or a test's."""

    nodes: dict[str, GoalNode]
    ladders: dict[str, LadderNode]
    # The connection and generation it was folded on, in the snapshot of its answer: a read it does not hold
    # (a series' points, search paths) runs there, never on a second connection of the pool (N requests holding
    # one each and waiting for another would exhaust a pool of N). None for a test's.
    source: tuple[Connection, str] | None = None

    async def node(self, goal_id: str) -> GoalNode | None:
        return self.nodes.get(goal_id)

    async def nodes_of(self, goal_ids: list[str]) -> list[GoalNode]:
        return [self.nodes[g] for g in goal_ids if g in self.nodes]

    async def subtree(self, root_id: str, max_depth: int) -> list[GoalNode]:
        if root_id not in self.nodes:
            return []
        found, frontier = [self.nodes[root_id]], {root_id}
        for _ in range(max_depth):
            frontier = {n.goal_id for n in self.nodes.values() if n.parent_id in frontier and n.in_tree}
            found += [self.nodes[g] for g in sorted(frontier)]
        return found

    async def page(self, sql: str, keep: Filter, args: tuple[object, ...], after: str, limit: int) -> list[GoalNode]:
        chosen = sorted((n for n in self.nodes.values() if keep(n) and n.goal_id > after), key=lambda n: n.goal_id)
        return chosen[:limit]

    async def ladder(self, ladder_id: str) -> LadderNode | None:
        return self.ladders.get(ladder_id)

    async def ladders_page(self, after: str, limit: int) -> list[LadderNode]:
        return sorted((lad for lad in self.ladders.values() if lad.ladder_id > after), key=lambda lad: lad.ladder_id)[
            :limit
        ]


async def as_of(conn: Connection, schema: str, org_id: str, at: datetime) -> MemoryReadModel:
    """The organisation's read models as they stood at `at`, folded from the event log."""
    nodes: dict[str, GoalNode] = {}
    ladders: dict[str, LadderNode] = {}
    for event, occurred_at in await store.org_events_until(conn, schema, org_id, at):
        if isinstance(event, GoalEvent):
            nodes[event.goal_id] = evolve_node(nodes.get(event.goal_id), event, occurred_at, org_id)
        elif isinstance(event, LadderEvent):
            ladders[event.ladder_id] = evolve_ladder(ladders.get(event.ladder_id), event, occurred_at, org_id)
    return MemoryReadModel(roll_up_all(nodes), ladders, (conn, schema))


async def as_observed(conn: Connection, schema: str, org_id: str, at: datetime, now: datetime) -> MemoryReadModel:
    """The organisation as it stood at `at` by the measurements' own time: every goal known by `now`, the values
    observed by `at` (`domain.observed`)."""
    nodes, ladders = observed(await store.org_events_until(conn, schema, org_id, now), org_id, at)
    return MemoryReadModel(nodes, ladders, (conn, schema))
