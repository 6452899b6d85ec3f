"""The view the projection stores per node, completed at the time of an answer, is the JSON `GoalProgress`
gives for the node then: the same names and values, whichever path built the answer (issue 17, item 4)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from goalstream_contracts.base import Payload
from goalstream_contracts.common import Milestone
from goalstream_contracts.events import GoalPlanned, MilestoneHit
from goalstream_rules.expected import expected_progress
from goalstream_tracking.adapters import node_view, store
from goalstream_tracking.domain.node import GoalNode
from goalstream_tracking.domain.rollup import roll_up_all
from goalstream_tracking.entrypoints.views import GoalProgress
from tests.unit.tracking.builders import DAY, T0, anti, archived, breached, fold, hard, measured, parent, status

PLAN = GoalPlanned(
    goal_id="A",
    milestones=tuple(Milestone(index=k, due=T0 + 30 * k * DAY, target=100 * k / 3, fraction=k / 4) for k in (1, 2)),
)
HIT = MilestoneHit(
    goal_id="A", milestone_index=1, due=T0 + 30 * DAY, target=33.3, value=40, hit_at=T0 + DAY, late=False
)


def nodes() -> dict[str, GoalNode]:
    events: list[Payload] = [
        parent("P", rollup="sum", target=200.0),
        parent("Q", parent_id="P"),
        hard("A", parent_id="P"),
    ]
    events += [hard("B", parent_id="Q", weight=2.5, baseline=5.0), hard("C", parent_id="Q", unit="EUR")]
    events += [anti("X", guards="P"), PLAN, HIT, measured("A", 40.0), status("A", "at_risk"), measured("B", 9.0)]
    events += [breached("X", guards="P"), archived("C")]
    return roll_up_all(fold(events))


@pytest.mark.parametrize("at", [T0 - 60 * DAY, T0 + 40 * DAY, T0 + 90 * DAY])
def test_a_stored_view_completed_at_a_time_is_the_goal_progress_then(at: datetime) -> None:
    for goal_id, n in nodes().items():
        stored = node_view.Answer(at).goal(node_view.view_json(n), node_view.plan_json(n))
        assert json.loads(stored) == GoalProgress.of(n, at).model_dump(mode="json"), goal_id
        # A row written before the view was kept answers from its document: the same view.
        again = store.node_from_json(store.node_json(n).decode())
        assert node_view.view_json(again) == node_view.view_json(n) and node_view.plan_json(
            again
        ) == node_view.plan_json(n)


def test_the_stored_view_holds_the_numbers_and_the_answer_adds_expected_progress_and_as_of() -> None:
    at = T0 + 40 * DAY
    a = json.loads(node_view.Answer(at).goal(node_view.view_json(nodes()["A"]), node_view.plan_json(nodes()["A"])))
    plan = [(T0 + 30 * DAY, 0.25), (T0 + 60 * DAY, 0.5)]
    assert a["expected_progress"] == expected_progress(at, T0 - 45 * DAY, T0 + 45 * DAY, plan)
    assert a["as_of"] == "2026-05-11T09:00:00Z" and a["status"] == "at_risk" and a["progress"] == 0.4
    assert a["milestones"][0] | {"due": None} == {
        "index": 1, "due": None, "target": 100 / 3, "state": "hit", "at": "2026-04-02T09:00:00Z", "late": False
    }  # fmt: skip
    # P sums A (40) and Q, a weighted_mean child without a total: its baseline, 0.
    p = json.loads(node_view.Answer(at).goal(node_view.view_json(nodes()["P"]), node_view.plan_json(nodes()["P"])))
    assert p["current_value"] == 40.0 + 0.0 and p["open_breaches"] == 1 and p["counts"] == {"at_risk": 1}
    assert p["source"]["kind"] == "rollup" and [c["goal_id"] for c in p["source"]["children"]] == ["A", "Q"]
    x = json.loads(node_view.Answer(at).goal(node_view.view_json(nodes()["X"]), node_view.plan_json(nodes()["X"])))
    assert x["breached"] is True and x["expected_progress"] is None and x["baseline"] is None
