"""Each organisation's goal tree rows as last committed, kept in memory by the goals process between sessions.

Every transaction that writes tree rows numbers its write (`tree_versions.bump`, under a row lock held to its
commit) and tags the rows with it. A session, before it writes any row, brings the memory up to the number
stored then by reading only the rows tagged after the memory's number (none, usually: a batch that follows
this process's own commit reads one number and no row); a process meets an organisation by reading all its
rows once. After a commit, the session's numbered writes are applied when they follow the memory's number
directly; otherwise the next session catches up from the table. Past `max_rows` an organisation is read from
the database as the session goes, as without memory.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from goalstream_contracts.common import GoalStatus, Rollup
from goalstream_goals.adapters import tree_versions
from goalstream_goals.adapters.nodes import Node
from goalstream_runtime.db import Connection


@dataclass
class OrgTree:
    """All of one organisation's rows at `version`, and each parent's children (by the rows' parent ids)."""

    version: int
    rows: dict[str, Node] = field(default_factory=dict)
    kids: dict[str, set[str]] = field(default_factory=dict)

    def put(self, row: Node) -> None:
        # Shared strings: a parent's id is its row's key, and the few kinds, rollups and statuses are interned.
        row = Node(
            sys.intern(row.goal_id), None if row.parent_id is None else sys.intern(row.parent_id),
            sys.intern(row.kind), None if row.rollup is None else cast(Rollup, sys.intern(row.rollup)),
            row.has_metric, row.active, row.current, row.progress,
            None if row.status is None else cast(GoalStatus, sys.intern(row.status)), row.weight, row.baseline,
        )  # fmt: skip
        old = self.rows.get(row.goal_id)
        if old is not None and old.parent_id is not None and old.parent_id != row.parent_id:
            self.kids.get(old.parent_id, set()).discard(row.goal_id)
        if row.parent_id is not None:
            self.kids.setdefault(row.parent_id, set()).add(row.goal_id)
        self.rows[row.goal_id] = row


class TreeMemory:
    """Least recently used organisations first out, at most `max_rows` rows in all (0: no memory)."""

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self._orgs: OrderedDict[str, OrgTree] = OrderedDict()
        self._held = 0  # rows of all the organisations kept

    async def tree(self, conn: Connection, org_id: str) -> OrgTree | None:
        """The organisation's rows as committed at the number stored now; None past `max_rows`."""
        if self.max_rows == 0:
            return None
        kept = self._orgs.get(org_id)
        since = -1 if kept is None else kept.version
        found = await tree_versions.rows_since(conn, org_id, since, self.max_rows)
        if found is None:
            self._drop(org_id)
            return None
        version, rows = found
        # Again: while this session read, another may have moved the memory on, or dropped it. The rows read
        # bring a copy at any number from `since` to `version` to `version`; a newer copy is kept as it is.
        tree = self._orgs.get(org_id)
        if tree is None and since == -1:
            tree = self._orgs[org_id] = OrgTree(-1)
        if tree is None or tree.version < since:
            self._drop(org_id)
            return None  # the next session reads it whole
        if tree.version <= version:
            self._apply(tree, version, rows)
        self._orgs.move_to_end(org_id)
        self._trim()
        return self._orgs.get(org_id)

    def committed(self, org_id: str, writes: Iterable[tuple[int, list[Node]]]) -> None:
        """A session committed these numbered writes of the organisation's rows, in order: applied when they
        follow the kept number directly (else the next session catches up from the table)."""
        for version, rows in writes:
            tree = self._orgs.get(org_id)
            if tree is None or version != tree.version + 1:
                return
            self._apply(tree, version, rows)
        self._trim()

    def _apply(self, tree: OrgTree, version: int, rows: Iterable[Node]) -> None:
        before = len(tree.rows)
        for row in rows:
            tree.put(row)
        tree.version, self._held = version, self._held + len(tree.rows) - before

    def _drop(self, org_id: str) -> None:
        if (tree := self._orgs.pop(org_id, None)) is not None:
            self._held -= len(tree.rows)

    def _trim(self) -> None:
        """Forget the least recently used organisations while there are too many rows (all of them if one alone
        is too large: it is then read from the database as it goes)."""
        while self._held > self.max_rows and self._orgs:
            self._drop(next(iter(self._orgs)))
