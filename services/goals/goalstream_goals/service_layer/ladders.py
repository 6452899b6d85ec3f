"""Use cases on ladders: a ladder and its rung goals are set in one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from goalstream_contracts.events import GoalSet
from goalstream_goals.domain.define import decide_set
from goalstream_goals.domain.errors import DomainError
from goalstream_goals.domain.goal import Goal
from goalstream_goals.domain.ladder import Ladder, check_rung_deadlines, decide_ladder, fold_ladder
from goalstream_goals.service_layer.goals import GoalsService
from goalstream_goals.service_layer.series_fold import fold_series
from goalstream_rules.ladder import Rung, climbed


@dataclass(frozen=True)
class LadderRecord:
    ladder: Ladder
    rungs: list[Goal]

    @property
    def progress(self) -> float:
        return climbed([Rung(g.achieved, g.active, g.raw_progress) for g in self.rungs])


async def set_ladder(
    service: GoalsService,
    org_id: str,
    title: str,
    owner: str | None,
    rungs: list[dict[str, Any]],
    correlation_id: uuid.UUID,
) -> LadderRecord:
    check_rung_deadlines([r.get("deadline") for r in rungs])
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


async def get_ladder(service: GoalsService, org_id: str, ladder_id: str) -> LadderRecord:
    async with service.session(org_id) as s:
        ladder = await s.ladder(ladder_id)
        return LadderRecord(ladder, [await s.goal(r.goal_id) for r in ladder.rungs])
