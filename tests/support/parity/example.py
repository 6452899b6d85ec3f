"""One example end to end: a new organisation, its script sent to goals, one consistent reading of both
services and the topic, and every check's problems (empty lists: they agree)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from goalstream_contracts.base import Payload
from goalstream_contracts.events import GoalRevised, MeasurementRecorded
from tests.support.parity.expectations import deadline_problems, rollup_problems, rung_problems, value_problems
from tests.support.parity.lifecycle import RECOUNT, lifecycle_problems
from tests.support.parity.parity import goal_problems, ladder_problems
from tests.support.parity.platform import ParityPlatform, new_organisation
from tests.support.parity.revisions import deadline_of, unrevised_short
from tests.support.parity.runner import Runner
from tests.support.parity.script import MoveClock, Revise, Script, Send
from tests.support.parity.snapshot import settle
from tests.support.parity.topic import TopicReader


@dataclass
class Outcome:
    goals: list[str]  # goals' view of a goal differs from tracking's
    ladders: list[str]  # goals' view of a ladder differs from tracking's
    lifecycle: list[str]  # the events on the topic disagree with the read models
    values: list[str]  # a measured goal's value is not what its readings make it
    rungs: list[str]  # a ladder's unlock or rung values are not what its readings make them
    rollups: list[str]  # a parent's numbers are not what its children make them
    deadlines: list[str]  # a hard goal's missed or achieved is not what its deadline, target and value make it


@dataclass
class Stats:
    examples: int = 0
    goals: int = 0
    ladders: int = 0
    readings: int = 0
    seconds: float = 0.0
    moves: int = 0  # MoveClock steps
    moved: float = 0.0  # days goals' clock moved, over every example
    passed: int = 0  # hard goals whose deadline the moved clock passed (and left behind)
    revisions: Counter[str] = field(default_factory=Counter)  # by kind (revisions.py), and recounts by what they had
    events: Counter[str] = field(default_factory=Counter)
    failing: Counter[str] = field(default_factory=Counter)  # examples with problems, by check

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.events.items()))
        revised = ", ".join(f"{k} {n}" for k, n in sorted(self.revisions.items()))
        failing = ", ".join(f"{k} {n}" for k, n in sorted(self.failing.items())) or "none"
        return (
            f"parity: {self.examples} organisations in {self.seconds:.1f}s ({self.goals} goals, {self.ladders} "
            f"ladders, {self.readings} readings, revisions: {revised}; {self.moves} clock moves, "
            f"{self.moved:.0f} days, past {self.passed} goals' deadlines); events on the topic: {kinds}; "
            f"examples with problems: {failing}"
        )


async def run_example(platform: ParityPlatform, script: Script, stats: Stats) -> Outcome:
    started = time.monotonic()
    org_id, auth = await new_organisation(platform)
    base = platform.now().replace(microsecond=0)  # goals' clock, moved by earlier examples
    async with (
        httpx.AsyncClient(base_url=platform.goals_url, headers=auth, timeout=60) as goals,
        httpx.AsyncClient(base_url=platform.tracking_url, headers=auth, timeout=60) as tracking,
        TopicReader(platform.kafka_bootstrap, org_id) as reader,
    ):
        runner = Runner(goals, base, platform)
        await runner.run(script)
        if script.now:  # goals' clock moved: the scheduler has acted on what the last steps made due
            await runner.scheduled("the script's end")
        rejected = [r for reply in runner.replies for r in reply["results"] if r["status"] == "rejected"]
        assert not rejected, f"the script sent readings goals refused: {rejected}"  # the script is valid by design
        snap = await settle(goals, tracking, reader, runner.ids, runner.ladder_ids)
    outcome = Outcome(
        goal_problems(snap),
        ladder_problems(snap),
        lifecycle_problems(snap),
        value_problems(script, snap),
        rung_problems(script, snap, base),
        rollup_problems(script, snap),
        deadline_problems(script, snap, script.now),
    )
    stats.examples += 1
    stats.goals += len(runner.ids)
    stats.ladders += len(runner.ladder_ids)
    stats.readings += sum(len(s.readings) for s in script.steps if isinstance(s, Send))
    stats.revisions.update(s.why for s in script.steps if isinstance(s, Revise))
    stats.moves += sum(isinstance(s, MoveClock) for s in script.steps)
    stats.moved += script.now.total_seconds() / 86400
    stats.passed += sum(
        g.kind == "hard" and not unrevised_short(g) and deadline_of(g) <= script.now for g in script.goals.values()
    )
    for events in snap.events.values():
        stats.revisions.update(_recounts([e.payload for e in events]))
    stats.events.update(e.event_type for events in snap.events.values() for e in events)
    stats.failing.update(name for name, found in vars(outcome).items() if found)
    stats.seconds += time.monotonic() - started
    return outcome


def _recounts(events: list[Payload]) -> Counter[str]:
    """Each recount revision (metric, start_at, window), by whether values counted before it and were refolded after."""
    out: Counter[str] = Counter()
    counted = False
    for e, after in zip(events, [*events[1:], None], strict=True):
        if isinstance(e, MeasurementRecorded):
            counted = counted or e.counted
        elif isinstance(e, GoalRevised) and RECOUNT & set(e.changed):
            before = "values" if counted else "nothing"
            out[f"recount of {before} to {'values' if isinstance(after, MeasurementRecorded) else 'nothing'}"] += 1
            counted = False
    return out
