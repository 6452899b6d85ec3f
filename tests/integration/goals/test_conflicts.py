"""A use case whose goal moved on under it (another transaction committed first) runs again on what is there now,
unless the request named the version it expects (If-Match): then it is refused at once. Real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from goalstream_goals.service_layer.conflicts import StaleVersion
from goalstream_goals.service_layer.unit_of_work import Session
from tests.integration.goals.conftest import Goals


def race_first_commit(monkeypatch: pytest.MonkeyPatch, write: Callable[[], Awaitable[Any]]) -> list[int]:
    """Before the next commit of any session, `write` commits in a transaction of its own (as a scheduler pass
    would between the session's read and its write). Returns the list of commits seen, to count the attempts."""
    real = Session.commit
    seen: list[int] = []

    async def commit(self: Session, *args: Any, **kwargs: Any) -> Any:
        seen.append(1)
        if len(seen) == 1:
            await write()
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(Session, "commit", commit)
    return seen


async def test_a_plan_whose_goal_moved_on_meanwhile_is_made_on_the_new_version(
    goals: Goals, monkeypatch: pytest.MonkeyPatch
) -> None:
    goal = await goals.create(metric={"key": "leads", "aggregation": "sum"}, target=100, deadline=goals.at(90))
    version = goal.goal.version
    commits = race_first_commit(monkeypatch, lambda: goals.measure("leads", 10))
    planned = await goals.service.plan_goal(goals.org_id, goal.goal.goal_id, uuid.uuid4(), milestones=3)
    assert len(commits) >= 3  # the plan's first commit, the measurement's, and the plan's again on its version
    assert planned.goal.milestones and planned.current == 10
    assert planned.goal.version > version + 1


async def test_a_stale_if_match_is_refused_at_once(goals: Goals, monkeypatch: pytest.MonkeyPatch) -> None:
    goal = await goals.create(metric={"key": "leads", "aggregation": "sum"}, target=100, deadline=goals.at(90))
    await goals.measure("leads", 10)  # the goal moves on: the version the client holds is stale
    commits = race_first_commit(monkeypatch, lambda: goals.measure("leads", 1))
    with pytest.raises(StaleVersion):
        await goals.service.revise_goal(
            goals.org_id, goal.goal.goal_id, goal.goal.version, {"target": 120}, uuid.uuid4()
        )
    assert commits == []  # refused before any write, and not tried again
