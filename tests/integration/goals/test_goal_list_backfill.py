"""Migration 0007 fills `goal_list` for the goals set before it with the rows the write path gives them.

The goals are set, revised (owner, level, parent, metric, another field) and archived through the service; the
rows it wrote are kept, the table emptied, and the migration's filling statements run again on the events alone.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from importlib import resources

import asyncpg

from tests.integration.goals.conftest import Goals

COLUMNS = "goal_id, org_id, level, owner, parent_id, metric_key, archived"


def _filling() -> str:
    text = resources.files("goalstream_goals").joinpath("migrations/0007_goal_list.sql").read_text()
    return text[text.index("-- The goals set before this table existed") :]


async def test_the_migration_fills_the_rows_the_write_path_writes(goals: Goals, pool: asyncpg.Pool) -> None:
    when = {"start_at": goals.clock.now, "deadline": goals.at(30)}
    parent = (await goals.create(level="organisation", owner="alice", target=1, **when)).goal.goal_id
    other = (await goals.create(level="department", target=1, **when)).goal.goal_id
    child = await goals.create(owner="bob", level="team", parent_id=parent, metric={"key": "m.a"}, target=5, **when)
    plain = await goals.create(owner="carol", metric={"key": "m.b"}, target=5, **when)
    gone = (await goals.create(owner="dave", metric={"key": "m.c"}, target=5, **when)).goal.goal_id
    anti = {"kind": "anti", "metric": {"key": "m.a"}, "comparator": "above", "threshold": 3.0}
    await goals.create(**anti)
    service, org = goals.service, goals.org_id
    revised = await service.revise_goal(
        org, child.goal.goal_id, child.goal.version, {"owner": "erin", "parent_id": other}, uuid.uuid4()
    )
    await service.revise_goal(org, child.goal.goal_id, revised.goal.version, {"title": "renamed"}, uuid.uuid4())
    changes = {"metric": {"key": "m.d", "aggregation": "sum"}, "level": "individual", "owner": None}
    await service.revise_goal(org, plain.goal.goal_id, plain.goal.version, changes, uuid.uuid4())
    await service.archive_goal(org, gone, None, "done", uuid.uuid4())
    goals.clock.advance(seconds=1)
    await goals.measure("m.a", 4, days=timedelta(hours=1).total_seconds() / 86400)

    async with pool.acquire() as conn, conn.transaction():
        written = await conn.fetch(f"SELECT {COLUMNS} FROM goal_list WHERE org_id = $1 ORDER BY position", org)
        await conn.execute("DELETE FROM goal_list WHERE org_id = $1", org)
        await conn.execute(_filling())
        filled = await conn.fetch(f"SELECT {COLUMNS} FROM goal_list WHERE org_id = $1 ORDER BY position", org)
    assert len(written) == 6
    assert [dict(r) for r in filled] == [dict(r) for r in written]
    assert dict(written[2]) | {"org_id": ""} == {
        "goal_id": child.goal.goal_id, "org_id": "", "level": "team", "owner": "erin", "parent_id": other,
        "metric_key": "m.a", "archived": False,
    }  # fmt: skip
