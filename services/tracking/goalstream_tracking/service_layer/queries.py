"""Tracking's queries (DESIGN §4), each over a `ReadModel`: live, or as of a past time."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from goalstream_tracking.adapters import generations
from goalstream_tracking.domain.ladder import LadderNode, climbed
from goalstream_tracking.domain.node import GoalNode
from goalstream_tracking.service_layer.read_models import AsOfMode, LiveReadModel, ReadModel, as_observed, as_of

MAX_PAGE = 1000


class NotFound(LookupError):
    """No such goal or ladder in the caller's organisation."""


@dataclass(frozen=True)
class TreeNode:
    node: GoalNode
    children: list[TreeNode]


@dataclass
class Tracking:
    pool: asyncpg.Pool
    clock: Callable[[], datetime]

    @contextlib.asynccontextmanager
    async def read_model(
        self, org_id: str, at: datetime | None = None, mode: AsOfMode = "recorded"
    ) -> AsyncIterator[tuple[ReadModel, datetime]]:
        """The live read model (or the one as of `at`: as tracking knew it then, or as it stood then by the
        measurements' observed time, `mode`) and the time its expected progress is measured at."""
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            schema = await generations.live_name(conn)
            if schema is None:
                raise RuntimeError("tracking has no live read-model generation yet")
            if at is None:
                yield LiveReadModel(conn, schema, org_id), self.clock()
            elif mode == "observed":
                yield await as_observed(conn, schema, org_id, at, self.clock()), at
            else:
                yield await as_of(conn, schema, org_id, at), at

    async def history(
        self, org_id: str, goal_id: str, after_version: int, limit: int, before_version: int | None = None
    ) -> list[dict[str, Any]]:
        """The goal's changes after `after_version`, oldest first; or with `before_version`, the `limit` changes
        before it, newest first (a reader of the latest changes pages backwards)."""
        newest = before_version is not None
        async with self.pool.acquire() as conn:
            schema = await generations.live_name(conn)
            rows = await conn.fetch(
                f'SELECT version, at, event_type, current, progress, status FROM "{schema}".history'
                " WHERE goal_id = $1 AND org_id = $2 AND version > $3 AND version < $5::bigint"
                f" ORDER BY version {'DESC' if newest else ''} LIMIT $4",
                goal_id,
                org_id,
                after_version,
                limit,
                before_version if newest else 2**31,
            )
            if not rows and (
                (after_version == 0 and not newest)
                or not await conn.fetchval(
                    f'SELECT EXISTS (SELECT 1 FROM "{schema}".history WHERE goal_id = $1 AND org_id = $2)',
                    goal_id,
                    org_id,
                )
            ):
                raise NotFound(goal_id)  # past its last version, a goal of ours is an empty page; any other 404
            return [dict(r) for r in rows]


async def goal(rm: ReadModel, goal_id: str) -> GoalNode:
    found = await rm.node(goal_id)
    if found is None:
        raise NotFound(goal_id)
    return found


async def tree(rm: ReadModel, root_id: str, max_depth: int) -> TreeNode:
    nodes = await rm.subtree(root_id, max_depth)
    if not nodes:
        raise NotFound(root_id)
    by_parent: dict[str | None, list[GoalNode]] = {}
    for n in nodes[1:]:
        by_parent.setdefault(n.parent_id, []).append(n)

    def build(n: GoalNode) -> TreeNode:
        return TreeNode(n, [build(c) for c in sorted(by_parent.get(n.goal_id, []), key=lambda c: c.goal_id)])

    return build(nodes[0])


async def tree_page(
    rm: ReadModel, root_id: str, max_depth: int, after: tuple[int, str] | None, limit: int
) -> tuple[list[GoalNode], tuple[int, str] | None]:
    """A page of the subtree, parents before children (by depth, then goal id), and the last one's cursor
    when more follow. The live answer pages in SQL (`answers.tree_page`); this is the `as_of` one."""
    nodes = await rm.subtree(root_id, max_depth)
    if not nodes:
        raise NotFound(root_id)
    depth = {root_id: 0}
    for n in nodes[1:]:
        depth[n.goal_id] = depth[n.parent_id or ""] + 1
    ordered = sorted(((depth[n.goal_id], n.goal_id), n) for n in nodes)
    rest = [(key, n) for key, n in ordered if after is None or key > after]
    return [n for _, n in rest[:limit]], rest[limit - 1][0] if len(rest) > limit else None


# A ladder's rungs are shown in their ladder (`GET /v1/ladders`), not as roots of the tree.
NOT_A_RUNG = "{n}doc->'definition'->>'ladder_id' IS NULL"


async def roots(rm: ReadModel, after: str, limit: int) -> list[GoalNode]:
    return await rm.page(
        f"parent_id IS NULL AND kind = 'hard' AND in_tree AND {NOT_A_RUNG.format(n='')}",
        lambda n: n.parent_id is None and n.kind == "hard" and n.in_tree and n.definition.get("ladder_id") is None,
        (),
        after,
        limit,
    )


async def at_level(rm: ReadModel, level: str, after: str, limit: int) -> list[GoalNode]:
    return await rm.page(
        "level = $2 AND kind = 'hard' AND in_tree",
        lambda n: n.level == level and n.kind == "hard" and n.in_tree,
        (level,),
        after,
        limit,
    )


async def anti_goals(rm: ReadModel, state: str | None, after: str, limit: int) -> list[GoalNode]:
    wanted = None if state is None else state == "breached"
    return await rm.page(
        "kind = 'anti' AND in_tree AND ($2::boolean IS NULL OR breached = $2::boolean)",
        lambda n: n.kind == "anti" and n.in_tree and (wanted is None or n.breached == wanted),
        (wanted,),
        after,
        limit,
    )


LadderAnswer = tuple[LadderNode, list[GoalNode], float]  # the ladder, its rung goals seen, its progress


async def ladder(rm: ReadModel, ladder_id: str) -> LadderAnswer:
    found = await rm.ladder(ladder_id)
    if found is None:
        raise NotFound(ladder_id)
    (answer,) = await ladders(rm, [found])
    return answer


async def ladders(rm: ReadModel, page: list[LadderNode]) -> list[LadderAnswer]:
    """Each ladder with its rung goals, all the page's rungs read at once (one query, not one per rung)."""
    seen = {n.goal_id: n for n in await rm.nodes_of([g for lad in page for _, g, _ in lad.rungs])}
    answers = []
    for lad in page:
        rungs = {g: seen[g] for _, g, _ in lad.rungs if g in seen}
        answers.append((lad, [rungs[g] for _, g, _ in lad.rungs if g in rungs], climbed(lad, rungs)))
    return answers
