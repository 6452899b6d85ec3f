"""Use cases on ladders: a ladder and its rung goals are set in one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from goalstream_contracts.events import GoalSet
from goalstream_goals.domain.define import decide_set
from goalstream_goals.domain.errors import DomainError
from goalstream_goals.domain.goal import Goal
from goalstream_goals.domain.ladder import Ladder, decide_ladder, ladder_progress
from goalstream_goals.service_layer.goals import GoalsService


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
    ladder_id = str(uuid.uuid4())
    async with service.session(org_id, correlation_id) as s:
        chosen: list[tuple[str, str]] = []
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
            await s.commit(None, events)
            chosen.append((definition.goal_id, definition.title))
        await s.append(ladder_id, 0, decide_ladder(ladder_id, title, owner, chosen))
    return await get_ladder(service, org_id, ladder_id)


async def get_ladder(service: GoalsService, org_id: str, ladder_id: str) -> LadderRecord:
    async with service.session(org_id) as s:
        ladder = await s.ladder(ladder_id)
        return LadderRecord(ladder, [await s.goal(r.goal_id) for r in ladder.rungs])
