"""Sending a script to the goals service as a client would, and keeping the ids it answers with."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.support.parity.platform import ParityPlatform
from tests.support.parity.script import (
    DEADLINE,
    SHORT,
    START,
    Archive,
    CreateGoal,
    CreateLadder,
    Goal,
    Ladder,
    MoveClock,
    Plan,
    Reading,
    Reparent,
    Revise,
    Script,
    Send,
    Step,
)


def _iso(t: datetime) -> str:
    return t.isoformat()


def _expect(response: httpx.Response, status: int, what: str) -> Any:
    assert response.status_code == status, f"{what}: {response.status_code} {response.text}"
    return response.json()


@dataclass
class Runner:
    goals: httpx.AsyncClient  # on the goals service, with the organisation's key
    base: datetime  # the example's start by goals' clock: every time in the script is an offset from it
    platform: ParityPlatform  # goals' clock, and moving it
    ids: dict[str, str] = field(default_factory=dict)  # goal ref -> goal id (ladder rungs: "L0.1", "L0.2")
    ladder_ids: dict[str, str] = field(default_factory=dict)
    replies: list[dict[str, Any]] = field(default_factory=list)  # every batch reply

    async def run(self, script: Script) -> None:
        for step in script.steps:
            await self.step(step)

    async def step(self, step: Step) -> None:
        if isinstance(step, CreateGoal):
            created = _expect(await self.goals.post("/v1/goals", json=self._goal(step.goal)), 201, repr(step))
            self.ids[step.goal.ref] = created["id"]
        elif isinstance(step, CreateLadder):
            created = _expect(await self.goals.post("/v1/ladders", json=self._ladder(step.ladder)), 201, repr(step))
            self.ladder_ids[step.ladder.ref] = created["id"]
            for ref, rung in zip(step.ladder.rungs, created["rungs"], strict=True):
                self.ids[ref] = rung["goal_id"]
        elif isinstance(step, Send):
            body = {"measurements": [self._reading(r) for r in step.readings]}
            self.replies.append(_expect(await self.goals.post("/v1/measurements", json=body), 202, repr(step)))
        elif isinstance(step, Reparent):
            parent = self.ids[step.parent] if step.parent else None
            await self._patch(step.ref, {"parent_id": parent}, repr(step))
        elif isinstance(step, Revise):
            if step.once_closed:
                await self._closed(step.ref, repr(step))
            await self._patch(step.ref, {f: self._field(step.goal, f) for f in step.fields}, repr(step))
        elif isinstance(step, Archive):
            _expect(await self.goals.delete(f"/v1/goals/{self.ids[step.ref]}"), 200, repr(step))
        elif isinstance(step, Plan):
            plan = {"milestones": step.milestones}
            _expect(await self.goals.post(f"/v1/goals/{self.ids[step.ref]}/plan", json=plan), 201, repr(step))
        elif isinstance(step, MoveClock):
            self.platform.move(step.by)
            await self.scheduled(repr(step))

    async def scheduled(self, what: str, timeout: float = 15.0) -> None:
        """Until the scheduler has acted on everything due by goals' clock now. The sentinel: a goal (outside the
        script, so no check sees it) whose deadline is a moment from now. A pass claims due goals oldest due first
        with one `now`, so the pass that misses the sentinel has decided every goal due before it."""
        now = self.platform.now()
        body = {
            "title": "scheduler sentinel",
            "kind": "hard",
            "weight": 1.0,
            "start_at": _iso(now - timedelta(days=1)),
            "metric": {"key": "parity.sentinel", "aggregation": "latest"},
            "baseline": 0.0,
            "target": 1.0,
            "deadline": _iso(now + timedelta(milliseconds=100)),
        }
        sentinel = _expect(await self.goals.post("/v1/goals", json=body), 201, f"{what}: the sentinel")["id"]
        deadline = time.monotonic() + timeout
        while not _expect(await self.goals.get(f"/v1/goals/{sentinel}"), 200, what)["missed"]:
            assert time.monotonic() < deadline, f"{what}: the scheduler never missed its sentinel"
            await asyncio.sleep(0.05)

    async def _patch(self, ref: str, body: dict[str, Any], what: str) -> None:
        goal_id = self.ids[ref]
        for _ in range(10):  # the scheduler may move the goal on between the read and the write
            version = _expect(await self.goals.get(f"/v1/goals/{goal_id}"), 200, what)["version"]
            headers = {"If-Match": f'"{version}"'}
            response = await self.goals.patch(f"/v1/goals/{goal_id}", json=body, headers=headers)
            if response.status_code != 409:
                _expect(response, 200, f"{what}: PATCH {body}")
                return
        raise AssertionError(f"{what}: 409 ten times in a row")

    async def _closed(self, ref: str, what: str, timeout: float = 15.0) -> None:
        """Until goals shows the goal missed (its short deadline passed) or achieved (before it)."""
        deadline = time.monotonic() + timeout
        while True:
            view = _expect(await self.goals.get(f"/v1/goals/{self.ids[ref]}"), 200, what)
            if view["missed"] or view["achieved"]:
                return
            assert time.monotonic() < deadline, f"{what}: never missed nor achieved: {view}"
            await asyncio.sleep(0.1)

    def _field(self, g: Goal, name: str) -> Any:
        """A revised field's value as the PATCH sends it."""
        if name == "metric":
            return {"key": g.metric, "aggregation": g.aggregation}
        if name == "start_at":
            return _iso(self.base + g.start)
        if name == "deadline":
            assert g.deadline is not None
            return _iso(self.base + g.deadline)
        return {"window": g.window, "target": g.target, "baseline": g.baseline}[name]

    def _goal(self, g: Goal) -> dict[str, Any]:
        body: dict[str, Any] = {
            "title": g.ref,
            "kind": g.kind,
            "weight": g.weight,
            "start_at": _iso(self.base + g.start),
        }
        if g.parent is not None:
            body["parent_id"] = self.ids[g.parent]
        if g.metric is not None:
            body["metric"] = {"key": g.metric, "aggregation": g.aggregation}
        if g.kind == "anti":
            body |= {"comparator": g.comparator, "threshold": g.threshold, "recovery_threshold": g.recovery}
            return body | ({"window": g.window} if g.window else {})
        deadline = self.platform.now() + SHORT if g.short else self.base + DEADLINE
        body |= {"baseline": g.baseline, "target": g.target, "deadline": _iso(deadline)}
        return body | ({"rollup": g.rollup} if g.metric is None else {})

    def _ladder(self, ladder: Ladder) -> dict[str, Any]:
        metric = {"key": ladder.metric, "aggregation": ladder.aggregation}
        rungs: list[dict[str, Any]] = [
            {"title": ref, "metric": metric, "target": target, "deadline": _iso(self.base + DEADLINE * (i + 1))}
            for i, (ref, target) in enumerate(zip(ladder.rungs, ladder.targets, strict=True))
        ]
        rungs[0]["start_at"] = _iso(self.base + START)
        return {"title": ladder.ref, "rungs": rungs}

    def _reading(self, r: Reading) -> dict[str, Any]:
        body: dict[str, Any] = {"id": r.id, "metric": r.metric, "value": r.value, "observed_at": _iso(self.at(r.at))}
        if r.goal is not None:
            body |= {"goal_id": self.ids[r.goal], "comment": f"check-in on {r.goal}", "confidence": r.confidence}
        return body

    def at(self, offset: timedelta) -> datetime:
        return self.base + offset
