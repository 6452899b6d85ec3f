"""What the dashboard API (issue 20) shows of a goal and a ladder: owner, dates, ladder and rung on every goal,
and when each rung was unlocked."""

from __future__ import annotations

import json

from goalstream_contracts.common import LadderRung
from goalstream_contracts.events import LadderRungUnlocked, LadderSet
from goalstream_tracking.adapters import node_view
from goalstream_tracking.domain.ladder import evolve_ladder
from goalstream_tracking.entrypoints.views import GoalProgress
from tests.unit.tracking.builders import DAY, ORG, T0, fold, hard


def test_a_goal_shows_its_owner_dates_ladder_and_rung_in_both_answer_paths() -> None:
    nodes = fold([hard("R2", owner="ana", ladder_id="L", rung_index=2), hard("G")])
    shown = GoalProgress.of(nodes["R2"], T0).model_dump(mode="json")
    assert shown["owner"] == "ana" and shown["ladder_id"] == "L" and shown["rung"] == 2
    assert shown["start_at"] == "2026-02-15T09:00:00Z" and shown["deadline"] == "2026-05-16T09:00:00Z"
    stored = json.loads(node_view.Answer(T0).goal(node_view.view_json(nodes["R2"]), node_view.plan_json(nodes["R2"])))
    assert stored == shown
    plain = GoalProgress.of(nodes["G"], T0)
    assert (plain.owner, plain.ladder_id, plain.rung) == (None, None, None)


def test_a_ladder_remembers_when_each_rung_was_unlocked() -> None:
    rungs = tuple(LadderRung(index=k, goal_id=f"R{k}", title=f"rung {k}") for k in (1, 2, 3))
    ladder = evolve_ladder(None, LadderSet(ladder_id="L", title="L", rungs=rungs), T0, ORG)
    assert ladder.unlocked_at(1) == T0 and ladder.unlocked_at(2) is None
    unlock = LadderRungUnlocked(ladder_id="L", rung_index=2, goal_id="R2", unlocked_at=T0 + 3 * DAY)
    ladder = evolve_ladder(ladder, unlock, T0 + 4 * DAY, ORG)
    assert ladder.unlocked_at(2) == T0 + 3 * DAY and ladder.unlocked_at(3) is None
