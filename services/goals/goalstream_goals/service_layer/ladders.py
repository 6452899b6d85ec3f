"""Use cases on ladders: a ladder and its rung goals are set in one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from goalstream_contracts.events import GoalSet
from goalstream_goals.domain.define import decide_set
from goalstream_goals.domain.errors import DomainError
from goalstream_goals.domain.goal import Goal
from goalstream_goals.domain.ladder import Ladder, decide_ladder, fold_ladder
from goalstream_goals.service_layer.goals import GoalsService
from goalstream_goals.service_layer.series_fold import fold_series
from goalstream_rules.ladder import ladder_progress


@dataclass(frozen=True)
class LadderRecord:
    ladder: Ladder
    rungs: list[Goal]

    @property
    def progress(self) -> float:
        achieved = sum(1 for g in self.rungs if g.achieved)
        current = next((g for g in self.rungs if g.active and not g.achieved), None)
        return ladder_progress(achieved, current.raw_progress if current else None, len(self.rungs))


async def set_ladder(
    service: GoalsService,
    org_id: str,
    title: str,
    owner: str | None,
    rungs: list[dict[str, Any]],
    correlation_id: uuid.UUID,
) -> LadderRecord:
    _check_deadlines(rungs)
    ladder_id = str(uuid.uuid4())
    async with service.session(org_id, correlation_id) as s:
        chosen: list[tuple[str, str]] = []
        started: list[Goal] = []
        for index, fields in enumerate(rungs, start=1):
            if index > 1 and fields.get("start_at") is not None:
                raise DomainError(
                    "only the first rung takes start_at; the others start when unlocked", f"rungs.{index - 1}.start_at"
                )
            if index == 1:
                fields.setdefault("start_at", s.now)
            definition = GoalSet(
                goal_id=str(uuid.uuid4()), kind="hard", ladder_id=ladder_id, rung_index=index, **fields
            )
            try:
                events = decide_set(definition, s.now, s.tolerances)
            except DomainError as exc:
                raise DomainError(str(exc), f"rungs.{index - 1}.{exc.field}" if exc.field else "rungs") from exc
            rung = await s.commit(None, events)
            started.append(rung)
            chosen.append((definition.goal_id, definition.title))
        ladder_events = decide_ladder(ladder_id, title, owner, chosen)
        await s.append(ladder_id, 0, ladder_events)
        ladder = fold_ladder(ladder_events)
        assert ladder is not None
        s.remember_ladder(ladder)
        # The first rung folds the values kept for its metric once the ladder exists, so an achieving one climbs.
        await fold_series(s, started[0])
    return await get_ladder(service, org_id, ladder_id)


def _check_deadlines(rungs: list[dict[str, Any]]) -> None:
    """A ladder climbs in order: no rung's deadline comes before the one below it (the same deadline is fine)."""
    for index in range(1, len(rungs)):
        before, deadline = rungs[index - 1].get("deadline"), rungs[index].get("deadline")
        if before is not None and deadline is not None and deadline < before:
            raise DomainError(
                f"rung {index + 1}'s deadline comes before rung {index}'s: a ladder climbs in order",
                f"rungs.{index}.deadline",
            )


async def get_ladder(service: GoalsService, org_id: str, ladder_id: str) -> LadderRecord:
    async with service.session(org_id) as s:
        ladder = await s.ladder(ladder_id)
        return LadderRecord(ladder, [await s.goal(r.goal_id) for r in ladder.rungs])
