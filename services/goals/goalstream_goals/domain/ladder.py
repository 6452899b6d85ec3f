"""The ladder aggregate: rungs (hard goals) that unlock in order (DESIGN §2 "Ladder")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from goalstream_contracts.base import Payload
from goalstream_contracts.common import LadderRung
from goalstream_contracts.events import LadderRungUnlocked, LadderSet
from goalstream_goals.domain.errors import DomainError

MAX_RUNGS = 50


@dataclass(frozen=True)
class Ladder:
    definition: LadderSet
    version: int
    current_rung: int = 1  # 1-based; the top rung stays current once achieved

    @property
    def ladder_id(self) -> str:
        return self.definition.ladder_id

    @property
    def rungs(self) -> tuple[LadderRung, ...]:
        return self.definition.rungs


def evolve_ladder(state: Ladder | None, event: Payload) -> Ladder:
    if isinstance(event, LadderSet):
        return Ladder(definition=event, version=1)
    if state is None:
        raise ValueError(f"{event.event_type} before LadderSet")
    state = replace(state, version=state.version + 1)
    if isinstance(event, LadderRungUnlocked):
        return replace(state, current_rung=event.rung_index)
    return state


def fold_ladder(events: list[Payload]) -> Ladder | None:
    state: Ladder | None = None
    for event in events:
        state = evolve_ladder(state, event)
    return state


def check_rung_deadlines(deadlines: Sequence[datetime | None]) -> None:
    """A ladder climbs in order: no rung's deadline comes before the one below it (the same deadline is fine)."""
    for index in range(1, len(deadlines)):
        before, deadline = deadlines[index - 1], deadlines[index]
        if before is not None and deadline is not None and deadline < before:
            raise DomainError(
                f"rung {index + 1}'s deadline comes before rung {index}'s: a ladder climbs in order",
                f"rungs.{index}.deadline",
            )


def decide_ladder(ladder_id: str, title: str, owner: str | None, rungs: list[tuple[str, str]]) -> list[Payload]:
    """LadderSet for rungs given as (goal id, title), in climbing order."""
    if not 1 <= len(rungs) <= MAX_RUNGS:
        raise DomainError(f"a ladder needs between 1 and {MAX_RUNGS} rungs", "rungs")
    return [
        LadderSet(
            ladder_id=ladder_id,
            title=title,
            owner=owner,
            rungs=tuple(LadderRung(index=i, goal_id=g, title=t) for i, (g, t) in enumerate(rungs, start=1)),
        )
    ]


def decide_rung_achieved(ladder: Ladder, goal_id: str, achieved_at: datetime) -> list[Payload]:
    """The next rung unlocks at the observed time of the measurement that achieved the current one."""
    index = ladder.current_rung
    if index > len(ladder.rungs) or ladder.rungs[index - 1].goal_id != goal_id:
        return []
    if index == len(ladder.rungs):
        return []  # the top rung: the ladder is climbed, the rung's GoalAchieved says so
    following = ladder.rungs[index]
    return [
        LadderRungUnlocked(
            ladder_id=ladder.ladder_id,
            rung_index=following.index,
            goal_id=following.goal_id,
            unlocked_at=achieved_at,
            previous_goal_id=goal_id,
        )
    ]
