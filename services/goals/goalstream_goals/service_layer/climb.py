"""A ladder's step: a rung achieved unlocks the next one, decided as a value rather than done through `commit`.

`achievements` picks out of a commit's events the rungs that were achieved on a ladder; `decide_climb`
says what that rung's achievement does to its ladder (the unlock event and the ladder after it) and
to the following rung (its start), from states the session already holds. The session applies the
decision; a rung the climb starts may be achieved by the values it folds, and that is one more
achievement queued, not a call deeper (`Session._climb_all`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import GoalAchieved
from goalstream_goals.domain.define import decide_unlock
from goalstream_goals.domain.goal import Goal
from goalstream_goals.domain.ladder import Ladder, decide_rung_achieved, evolve_ladder
from goalstream_rules.status import Tolerances


@dataclass(frozen=True)
class Achieved:
    """A rung achieved: its ladder, the goal, when (the observation that achieved it) and the event saying so."""

    ladder_id: str
    goal_id: str
    achieved_at: datetime
    cause: uuid.UUID


@dataclass(frozen=True)
class Climb:
    """What a rung's achievement does: the ladder's events and its state after them, and the rung that follows."""

    events: list[Payload]
    ladder: Ladder
    following: str


def achievements(envelopes: list[Envelope[Payload]]) -> list[Achieved]:
    found = []
    for envelope in envelopes:
        event = envelope.payload
        if isinstance(event, GoalAchieved) and event.ladder_id is not None:
            found.append(Achieved(event.ladder_id, event.goal_id, event.achieved_at, envelope.event_id))
    return found


def decide_climb(ladder: Ladder, achieved: Achieved) -> Climb | None:
    """The ladder's step for an achieved rung (None: not its current rung, or the top one)."""
    events = decide_rung_achieved(ladder, achieved.goal_id, achieved.achieved_at)
    if not events:
        return None
    for event in events:
        ladder = evolve_ladder(ladder, event)
    return Climb(events, ladder, ladder.rungs[ladder.current_rung - 1].goal_id)


def decide_start(following: Goal, achieved: Achieved, now: datetime, tolerances: Tolerances) -> list[Payload]:
    """The following rung's events: it starts when the one below was achieved (none if it cannot start)."""
    return decide_unlock(following, achieved.achieved_at, now, tolerances)
